"""Embargo / disclosure date (公表日), consent and case events — PRODUCT.md §2.4 (Vultron EM and CS)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.core.workflow import table


class EmbargoStatus(models.TextChoices):
    NONE = "none", _("No embargo")
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    REVISE = "revise", _("Revision proposed")
    EXITED = "exited", _("Exited")


E = EmbargoStatus
IN_FORCE = frozenset({E.ACTIVE, E.REVISE})
EMBARGO = table(
    _("Embargo"),
    EmbargoStatus,
    {
        E.NONE: {E.PROPOSED},
        E.PROPOSED: {E.ACTIVE, E.NONE},
        E.ACTIVE: {E.REVISE, E.EXITED},
        E.REVISE: {E.ACTIVE, E.EXITED},
        E.EXITED: set(),
    },
)


class ConsentStatus(models.TextChoices):
    NO_EMBARGO = "no_embargo", _("No embargo")
    INVITED = "invited", _("Invited")
    SIGNATORY = "signatory", _("Signatory")
    DECLINED = "declined", _("Declined")
    LAPSED = "lapsed", _("Lapsed")


K = ConsentStatus
CONSENT = table(
    _("Embargo consent"),
    ConsentStatus,
    {
        K.NO_EMBARGO: {K.INVITED},
        K.INVITED: {K.SIGNATORY, K.DECLINED, K.NO_EMBARGO},
        K.SIGNATORY: {K.LAPSED, K.DECLINED, K.NO_EMBARGO},
        K.DECLINED: {K.INVITED, K.SIGNATORY, K.NO_EMBARGO},
        K.LAPSED: {K.SIGNATORY, K.DECLINED, K.NO_EMBARGO},
    },
)


class CaseEventKind(models.TextChoices):
    """Vultron case-state events, each recorded once per case."""

    PUBLIC_AWARE = "P", _("Public aware")
    EXPLOIT_PUBLIC = "X", _("Exploit public")
    ATTACKS_OBSERVED = "A", _("Attacks observed")


# P and X end an active embargo at once; A only offers to.
ENDS_EMBARGO = frozenset({CaseEventKind.PUBLIC_AWARE, CaseEventKind.EXPLOIT_PUBLIC})


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


X = ExtensionStatus
EXTENSION = table(
    _("Extension request"),
    ExtensionStatus,
    {X.PENDING: {X.ACCEPTED, X.REFUSED}, X.ACCEPTED: set(), X.REFUSED: set()},
)
