"""SSVC decisions about one vulnerability: CERT/CC's *Supplier* (patch development priority) 1.0.0 and
*Coordinator Publish* 1.0.0.

As for intake's triage, each decision is written as rules with their reasons rather than as a lookup
table, so a person can read why a vulnerability lands where it does; a test compares the rules with
CERT/CC's published tables row by row. Inputs, checks and SSVC vectors come from ``core.ssvc``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy

from kyocho.core.ssvc import (
    EXPLOITATION,
    PUBLIC_SAFETY_IMPACT,
    UTILITY,
    Decision,
    DecisionPoint,
    Exploitation,
    PublicSafetyImpact,
    Utility,
)


class TechnicalImpact(models.TextChoices):
    PARTIAL = "partial", gettext_lazy("Partial")
    TOTAL = "total", gettext_lazy("Total")


class SupplierInvolvement(models.TextChoices):
    FIX_READY = "fix_ready", gettext_lazy("Fix ready")
    COOPERATIVE = "cooperative", gettext_lazy("Cooperative")
    UNCOOPERATIVE = "uncooperative", gettext_lazy("Uncooperative or unresponsive")


class PublicValueAdded(models.TextChoices):
    LIMITED = "limited", gettext_lazy("Limited")
    AMPLIATIVE = "ampliative", gettext_lazy("Ampliative")
    PRECEDENCE = "precedence", gettext_lazy("Precedence")


class PatchPriority(models.TextChoices):
    """The Supplier decision's outcome: how soon the developer should ship a fix."""

    DEFER = "defer", gettext_lazy("Defer")
    SCHEDULED = "scheduled", gettext_lazy("Scheduled")
    OUT_OF_CYCLE = "out_of_cycle", gettext_lazy("Out-of-cycle")
    IMMEDIATE = "immediate", gettext_lazy("Immediate")


class PublishDecision(models.TextChoices):
    DO_NOT_PUBLISH = "do_not_publish", gettext_lazy("Do not publish")
    PUBLISH = "publish", gettext_lazy("Publish")


TECHNICAL_IMPACT = DecisionPoint(
    gettext_lazy("Technical impact"),
    TechnicalImpact,
    "TI",
    "1.0.0",
    {TechnicalImpact.PARTIAL: "P", TechnicalImpact.TOTAL: "T"},
)
SUPPLIER_INVOLVEMENT = DecisionPoint(
    gettext_lazy("Supplier involvement"),
    SupplierInvolvement,
    "SINV",
    "1.0.0",
    {
        SupplierInvolvement.FIX_READY: "FR",
        SupplierInvolvement.COOPERATIVE: "C",
        SupplierInvolvement.UNCOOPERATIVE: "UU",
    },
)
PUBLIC_VALUE_ADDED = DecisionPoint(
    gettext_lazy("Public value added"),
    PublicValueAdded,
    "PVA",
    "1.0.0",
    {PublicValueAdded.LIMITED: "L", PublicValueAdded.AMPLIATIVE: "A", PublicValueAdded.PRECEDENCE: "P"},
)

E, U, TI = Exploitation, Utility, TechnicalImpact
PRIORITY = PatchPriority


def patch_priority(inputs: Mapping[str, str]) -> PatchPriority:
    """How soon the supplier should fix it (inputs already checked)."""
    exploitation = inputs["exploitation"]
    utility = inputs["utility"]
    total = inputs["technical_impact"] == TI.TOTAL
    safety = inputs["public_safety_impact"] == PublicSafetyImpact.SIGNIFICANT
    # Hard to use and limited in effect: the mildest combination of utility and technical impact.
    contained = utility == U.LABORIOUS and not total
    if exploitation == E.ACTIVE:
        # Attacks are under way: drop everything when people's safety is at stake or the exploit
        # automates well against valuable targets; otherwise still fix out of cycle.
        return PRIORITY.IMMEDIATE if safety or utility == U.SUPER_EFFECTIVE else PRIORITY.OUT_OF_CYCLE
    if exploitation == E.PUBLIC_POC:
        if safety:
            return PRIORITY.OUT_OF_CYCLE if contained else PRIORITY.IMMEDIATE
        # A public exploit that is effective in practice does not wait for the next release.
        effective = utility == U.SUPER_EFFECTIVE or (utility == U.EFFICIENT and total)
        return PRIORITY.OUT_OF_CYCLE if effective else PRIORITY.SCHEDULED
    # No exploitation known yet.
    if safety:
        return PRIORITY.SCHEDULED if contained else PRIORITY.OUT_OF_CYCLE
    if contained:
        return PRIORITY.DEFER
    return PRIORITY.OUT_OF_CYCLE if utility == U.SUPER_EFFECTIVE and total else PRIORITY.SCHEDULED


def coordinator_publish(inputs: Mapping[str, str]) -> PublishDecision:
    """Should the coordinator publish its own advisory (inputs already checked)?"""
    exploitation = inputs["exploitation"]
    value = inputs["public_value_added"]
    uncooperative = inputs["supplier_involvement"] == SupplierInvolvement.UNCOOPERATIVE
    # Ours would be the first public word on it: publish, whatever else holds.
    if value == PublicValueAdded.PRECEDENCE:
        return PublishDecision.PUBLISH
    # Adding to what is public is worth it when attacks are under way, or when a public exploit
    # meets a supplier that will not fix it.
    if value == PublicValueAdded.AMPLIATIVE and (
        exploitation == E.ACTIVE or (uncooperative and exploitation == E.PUBLIC_POC)
    ):
        return PublishDecision.PUBLISH
    # Good information is already out: only attacks against an uncooperative supplier's users
    # justify one more publication.
    if value == PublicValueAdded.LIMITED and uncooperative and exploitation == E.ACTIVE:
        return PublishDecision.PUBLISH
    return PublishDecision.DO_NOT_PUBLISH


SUPPLIER: Decision[PatchPriority] = Decision(
    gettext_lazy("SSVC Supplier (patch development priority)"),
    {
        "exploitation": EXPLOITATION,
        "utility": UTILITY,
        "technical_impact": TECHNICAL_IMPACT,
        "public_safety_impact": PUBLIC_SAFETY_IMPACT,
    },
    DecisionPoint(
        gettext_lazy("Patch development priority"),
        PatchPriority,
        "DSOI",
        "1.0.0",
        {
            PRIORITY.DEFER: "D",
            PRIORITY.SCHEDULED: "S",
            PRIORITY.OUT_OF_CYCLE: "O",
            PRIORITY.IMMEDIATE: "I",
        },
    ),
    patch_priority,
)

COORDINATOR_PUBLISH: Decision[PublishDecision] = Decision(
    gettext_lazy("SSVC Coordinator Publish"),
    {
        "supplier_involvement": SUPPLIER_INVOLVEMENT,
        "exploitation": EXPLOITATION,
        "public_value_added": PUBLIC_VALUE_ADDED,
    },
    DecisionPoint(
        gettext_lazy("Publish decision"),
        PublishDecision,
        "PUBLISH",
        "1.0.0",
        {PublishDecision.DO_NOT_PUBLISH: "N", PublishDecision.PUBLISH: "P"},
    ),
    coordinator_publish,
)


class VulnerabilityDecision(models.TextChoices):
    """The SSVC decisions recorded per vulnerability (the keys of ``Vulnerability.ssvc``)."""

    SUPPLIER = "supplier", gettext_lazy("Supplier (patch development priority)")
    COORDINATOR_PUBLISH = "coordinator_publish", gettext_lazy("Coordinator Publish")


DECISIONS: dict[str, Decision[PatchPriority] | Decision[PublishDecision]] = {
    VulnerabilityDecision.SUPPLIER: SUPPLIER,
    VulnerabilityDecision.COORDINATOR_PUBLISH: COORDINATOR_PUBLISH,
}
