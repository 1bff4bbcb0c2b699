"""SSVC *Coordinator Triage* 1.0.0: should the coordinator decline, track or coordinate a report?

The decision is written here as rules with their reasons rather than as a 192-row lookup, so a person
can read why a report lands where it does. A test compares these rules with CERT/CC's published table
for every combination of inputs.

Inputs are stored with readable values (``"credible"``, not ``"C"``); ``DECISION_POINTS`` gives each
input's SSVC key, version and value keys for exchange with other SSVC tools.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy

from kyocho.core.ssvc import (
    PUBLIC_SAFETY_IMPACT,
    UTILITY,
    Decision,
    DecisionPoint,
    PublicSafetyImpact,
    Utility,
    YesNo,
)
from kyocho.intake.workflow import TriageDecision

__all__ = ["PublicSafetyImpact", "Utility", "YesNo"]  # the shared values, as this module's callers know them


class Credibility(models.TextChoices):
    CREDIBLE = "credible", gettext_lazy("Credible")
    NOT_CREDIBLE = "not_credible", gettext_lazy("Not credible")


class Cardinality(models.TextChoices):
    ONE = "one", gettext_lazy("One supplier")
    MULTIPLE = "multiple", gettext_lazy("Multiple suppliers")


class Engagement(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Active")
    UNRESPONSIVE = "unresponsive", gettext_lazy("Unresponsive")


DECISION_POINTS: dict[str, DecisionPoint] = {
    "report_public": DecisionPoint(
        gettext_lazy("Report public"), YesNo, "RP", "1.0.0", {YesNo.YES: "Y", YesNo.NO: "N"}
    ),
    "supplier_contacted": DecisionPoint(
        gettext_lazy("Supplier contacted"), YesNo, "SCON", "1.0.0", {YesNo.YES: "Y", YesNo.NO: "N"}
    ),
    "report_credibility": DecisionPoint(
        gettext_lazy("Report credibility"),
        Credibility,
        "RC",
        "1.0.0",
        {Credibility.CREDIBLE: "C", Credibility.NOT_CREDIBLE: "NC"},
    ),
    "supplier_cardinality": DecisionPoint(
        gettext_lazy("Supplier cardinality"),
        Cardinality,
        "SC",
        "1.0.0",
        {Cardinality.ONE: "O", Cardinality.MULTIPLE: "M"},
    ),
    "supplier_engagement": DecisionPoint(
        gettext_lazy("Supplier engagement"),
        Engagement,
        "SE",
        "1.0.0",
        {Engagement.ACTIVE: "A", Engagement.UNRESPONSIVE: "U"},
    ),
    "utility": UTILITY,
    "public_safety_impact": PUBLIC_SAFETY_IMPACT,
}

DECISION_SSVC_KEYS: dict[str, str] = {
    TriageDecision.DECLINE: "D",
    TriageDecision.TRACK: "T",
    TriageDecision.COORDINATE: "C",
}


@dataclass(frozen=True)
class TriageInputs:
    report_public: bool
    supplier_contacted: bool
    credible: bool
    multiple_suppliers: bool
    supplier_unresponsive: bool
    utility: Utility
    significant_safety_impact: bool

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> TriageInputs:
        """From inputs already checked by ``clean_inputs``."""
        return cls(
            report_public=values["report_public"] == YesNo.YES,
            supplier_contacted=values["supplier_contacted"] == YesNo.YES,
            credible=values["report_credibility"] == Credibility.CREDIBLE,
            multiple_suppliers=values["supplier_cardinality"] == Cardinality.MULTIPLE,
            supplier_unresponsive=values["supplier_engagement"] == Engagement.UNRESPONSIVE,
            utility=Utility(values["utility"]),
            significant_safety_impact=values["public_safety_impact"] == PublicSafetyImpact.SIGNIFICANT,
        )


def clean_inputs(inputs: Any) -> dict[str, str]:
    """Every decision point exactly once with one of its values; a clear error names the first fault."""
    return TRIAGE.clean(inputs)


def coordinator_triage(inputs: Mapping[str, str]) -> TriageDecision:
    return TRIAGE.decide(inputs)


def decide(report: TriageInputs) -> TriageDecision:
    super_effective = report.utility == Utility.SUPER_EFFECTIVE
    # Many suppliers, an exploit worth automating at scale and a risk to public safety: coordinate,
    # whatever else holds.
    if report.multiple_suppliers and super_effective and report.significant_safety_impact:
        return TriageDecision.COORDINATE
    # Already public, or the reporter has not yet tried the supplier: not the coordinator's to take.
    if report.report_public or not report.supplier_contacted:
        return TriageDecision.DECLINE
    if report.credible and report.supplier_unresponsive:
        # A credible report the supplier ignores is what coordination is for — unless one supplier is
        # involved, exploitation is laborious and public safety is not at stake: then watch it.
        if (
            not report.multiple_suppliers
            and report.utility == Utility.LABORIOUS
            and not report.significant_safety_impact
        ):
            return TriageDecision.TRACK
        return TriageDecision.COORDINATE
    if report.credible and report.multiple_suppliers and super_effective:
        return TriageDecision.COORDINATE
    # Not ours to drive, but worth watching: a safety risk that is practical to exploit, or several
    # suppliers with either a safety risk or an exploit worth automating.
    practical = report.utility != Utility.LABORIOUS
    if (report.significant_safety_impact and practical) or (
        report.multiple_suppliers and (report.significant_safety_impact or super_effective)
    ):
        return TriageDecision.TRACK
    return TriageDecision.DECLINE


def ssvc_vector(inputs: Mapping[str, str]) -> dict[str, str]:
    """The inputs as SSVC ``namespace:key:version`` → value key, as other SSVC tools write them."""
    return TRIAGE.vector(inputs)


TRIAGE: Decision[TriageDecision] = Decision(
    gettext_lazy("SSVC Coordinator Triage"),
    DECISION_POINTS,
    DecisionPoint(gettext_lazy("Triage decision"), TriageDecision, "COORDINATE", "1.0.1", DECISION_SSVC_KEYS),
    lambda clean: decide(TriageInputs.from_mapping(clean)),
)
