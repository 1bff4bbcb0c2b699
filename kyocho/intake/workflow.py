"""Report (届出) states and transitions — PRODUCT.md §2.1."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.core.workflow import table


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    NEEDS_INFO = "needs_info", _("Needs information")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SPAM = "spam", _("Spam")


class ReportKind(models.TextChoices):
    SOFTWARE = "software", _("Software product")
    WEB_APPLICATION = "web_application", _("Web application")
    SELF_REPORT = "self_report", _("Self-report by a product developer")


class RejectionReason(models.TextChoices):
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    NOT_A_VULNERABILITY = "not_a_vulnerability", _("Not a vulnerability")
    ALREADY_PUBLIC = "already_public", _("Already public or already known")
    SPAM = "spam", _("Spam")
    NO_ANSWER = "no_answer", _("No answer to a request for information")


class TriageDecision(models.TextChoices):
    """SSVC Coordinator Triage outcome."""

    DECLINE = "decline", _("Decline")
    TRACK = "track", _("Track")
    COORDINATE = "coordinate", _("Coordinate")


S = ReportStatus
OPEN_STATES = frozenset({S.RECEIVED, S.NEEDS_INFO})

REPORT = table(
    _("Report"),
    ReportStatus,
    {
        S.RECEIVED: {S.NEEDS_INFO, S.ACCEPTED, S.REJECTED, S.DUPLICATE, S.WITHDRAWN, S.SPAM},
        S.NEEDS_INFO: {S.RECEIVED, S.REJECTED, S.WITHDRAWN, S.SPAM},
        S.ACCEPTED: set(),
        S.REJECTED: set(),
        S.DUPLICATE: set(),
        S.WITHDRAWN: set(),
        S.SPAM: set(),
    },
)
