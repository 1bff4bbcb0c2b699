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

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyocho.core.errors import InvalidInput
from kyocho.intake.workflow import TriageDecision


class YesNo(models.TextChoices):
    YES = "yes", gettext_lazy("Yes")
    NO = "no", gettext_lazy("No")


class Credibility(models.TextChoices):
    CREDIBLE = "credible", gettext_lazy("Credible")
    NOT_CREDIBLE = "not_credible", gettext_lazy("Not credible")


class Cardinality(models.TextChoices):
    ONE = "one", gettext_lazy("One supplier")
    MULTIPLE = "multiple", gettext_lazy("Multiple suppliers")


class Engagement(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Active")
    UNRESPONSIVE = "unresponsive", gettext_lazy("Unresponsive")


class Utility(models.TextChoices):
    LABORIOUS = "laborious", gettext_lazy("Laborious")
    EFFICIENT = "efficient", gettext_lazy("Efficient")
    SUPER_EFFECTIVE = "super_effective", gettext_lazy("Super effective")


class PublicSafetyImpact(models.TextChoices):
    MINIMAL = "minimal", gettext_lazy("Minimal")
    SIGNIFICANT = "significant", gettext_lazy("Significant")


@dataclass(frozen=True)
class DecisionPoint:
    label: str | Promise
    choices: type[models.TextChoices]
    ssvc_key: str
    ssvc_version: str
    ssvc_values: Mapping[str, str]  # our value → SSVC value key


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
    "utility": DecisionPoint(
        gettext_lazy("Utility"),
        Utility,
        "U",
        "1.0.1",
        {Utility.LABORIOUS: "L", Utility.EFFICIENT: "E", Utility.SUPER_EFFECTIVE: "S"},
    ),
    "public_safety_impact": DecisionPoint(
        gettext_lazy("Public safety impact"),
        PublicSafetyImpact,
        "PSI",
        "2.0.1",
        {PublicSafetyImpact.MINIMAL: "M", PublicSafetyImpact.SIGNIFICANT: "S"},
    ),
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
    def from_mapping(cls, inputs: Mapping[str, str]) -> TriageInputs:
        values = clean_inputs(inputs)
        return cls(
            report_public=values["report_public"] == YesNo.YES,
            supplier_contacted=values["supplier_contacted"] == YesNo.YES,
            credible=values["report_credibility"] == Credibility.CREDIBLE,
            multiple_suppliers=values["supplier_cardinality"] == Cardinality.MULTIPLE,
            supplier_unresponsive=values["supplier_engagement"] == Engagement.UNRESPONSIVE,
            utility=Utility(values["utility"]),
            significant_safety_impact=values["public_safety_impact"] == PublicSafetyImpact.SIGNIFICANT,
        )


def clean_inputs(inputs: Mapping[str, str]) -> dict[str, str]:
    """Every decision point exactly once with one of its values; a clear error names the first fault."""
    if not isinstance(inputs, Mapping):
        raise InvalidInput(_("Give the triage inputs as a set of named values."), field="inputs")
    unknown = sorted(set(inputs) - set(DECISION_POINTS))
    if unknown:
        raise InvalidInput(_("“%(name)s” is not an SSVC triage input.") % {"name": unknown[0]}, field=str(unknown[0]))
    clean = {}
    for name, point in DECISION_POINTS.items():
        value = inputs.get(name)
        if value not in point.choices.values:
            raise InvalidInput(
                _("Choose a value for “%(label)s”: %(allowed)s.")
                % {"label": point.label, "allowed": ", ".join(point.choices.values)},
                field=name,
            )
        clean[name] = str(value)
    return clean


def coordinator_triage(inputs: Mapping[str, str]) -> TriageDecision:
    return decide(TriageInputs.from_mapping(inputs))


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
    values = clean_inputs(inputs)
    return {
        f"ssvc:{point.ssvc_key}:{point.ssvc_version}": point.ssvc_values[values[name]]
        for name, point in DECISION_POINTS.items()
    }
