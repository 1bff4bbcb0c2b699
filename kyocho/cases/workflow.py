"""Case (案件), vendor participation and investigation answers — PRODUCT.md §2.2 and §2.3."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.core.workflow import table


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open (identifying developers)")
    COORDINATING = "coordinating", _("Coordinating")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class CaseResolution(models.TextChoices):
    PUBLISHED = "published", _("Published")
    NOT_VULNERABLE = "not_vulnerable", _("Not vulnerable")
    HANDLED_INDIVIDUALLY = "handled_individually", _("Handled individually by the developer")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    MERGED_INTO = "merged_into", _("Merged into another case")


C = CaseStatus
CASE = table(
    _("Case"),
    CaseStatus,
    {
        C.OPEN: {C.COORDINATING, C.CLOSED},
        C.COORDINATING: {C.PUBLISHED, C.CLOSED},
        C.PUBLISHED: {C.CLOSED},
        C.CLOSED: set(),
    },
)

# Which resolutions close a case from which state.
RESOLUTIONS_FROM: dict[str, frozenset[str]] = {
    C.OPEN: frozenset(
        {
            CaseResolution.NOT_VULNERABLE,
            CaseResolution.HANDLED_INDIVIDUALLY,
            CaseResolution.WITHDRAWN,
            CaseResolution.MERGED_INTO,
        }
    ),
    C.COORDINATING: frozenset(
        {
            CaseResolution.NOT_VULNERABLE,
            CaseResolution.HANDLED_INDIVIDUALLY,
            CaseResolution.WITHDRAWN,
            CaseResolution.MERGED_INTO,
        }
    ),
    C.PUBLISHED: frozenset({CaseResolution.PUBLISHED}),
    C.CLOSED: frozenset(),
}


class ParticipationStatus(models.TextChoices):
    """One machine for both tracks: contact (identified → … → closed) and unreachable (連絡不能)."""

    IDENTIFIED = "identified", _("Identified")
    NOTIFIED = "notified", _("Notified")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")
    UNREACHABLE = "unreachable", _("Unreachable")
    LISTED_NAME = "listed_name", _("Listed: developer name")
    LISTED_PRODUCT = "listed_product", _("Listed: developer and product")
    COMMITTEE_REVIEW = "committee_review", _("Committee review")
    PUBLISH_WITHOUT_VENDOR = "publish_without_vendor", _("Publish without the developer")
    HOLD = "hold", _("Hold")


P = ParticipationStatus
# States of the unreachable track from which an answer by the developer returns it to acknowledged.
UNREACHABLE_TRACK = frozenset(
    {P.UNREACHABLE, P.LISTED_NAME, P.LISTED_PRODUCT, P.COMMITTEE_REVIEW, P.PUBLISH_WITHOUT_VENDOR, P.HOLD}
)
# 調整不能 (reachable, coordination impossible) goes to the same committee review from acknowledged.
PARTICIPATION = table(
    _("Developer participation"),
    ParticipationStatus,
    {
        P.IDENTIFIED: {P.NOTIFIED, P.CLOSED},
        P.NOTIFIED: {P.ACKNOWLEDGED, P.UNREACHABLE, P.CLOSED},
        P.ACKNOWLEDGED: {P.CLOSED, P.COMMITTEE_REVIEW},
        P.CLOSED: set(),
        P.UNREACHABLE: {P.LISTED_NAME, P.ACKNOWLEDGED, P.CLOSED},
        P.LISTED_NAME: {P.LISTED_PRODUCT, P.ACKNOWLEDGED, P.CLOSED},
        P.LISTED_PRODUCT: {P.COMMITTEE_REVIEW, P.ACKNOWLEDGED, P.CLOSED},
        P.COMMITTEE_REVIEW: {P.PUBLISH_WITHOUT_VENDOR, P.HOLD, P.ACKNOWLEDGED},
        P.PUBLISH_WITHOUT_VENDOR: {P.ACKNOWLEDGED, P.CLOSED},
        P.HOLD: {P.COMMITTEE_REVIEW, P.ACKNOWLEDGED, P.CLOSED},
    },
)


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Portal")
    PHONE = "phone", _("Phone")
    POST = "post", _("Post")
    FAX = "fax", _("Fax")
    VIA_PARTNER = "via_partner", _("Via a partner coordinator")


class ContactOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    NO_ANSWER = "no_answer", _("No answer")
    REACHED = "reached", _("Reached")


class AnswerStatus(models.TextChoices):
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    AFFECTED = "affected", _("Affected")
    NOT_AFFECTED = "not_affected", _("Not affected")
    FIXED = "fixed", _("Fixed")


class NotAffectedJustification(models.TextChoices):
    """CSAF/VEX justifications for not_affected."""

    COMPONENT_NOT_PRESENT = "component_not_present", _("Component not present")
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present", _("Vulnerable code not present")
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = (
        "vulnerable_code_not_in_execute_path",
        _("Vulnerable code not in execute path"),
    )
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED = (
        "vulnerable_code_cannot_be_controlled_by_adversary",
        _("Vulnerable code cannot be controlled by an adversary"),
    )
    INLINE_MITIGATIONS_ALREADY_EXIST = (
        "inline_mitigations_already_exist",
        _("Inline mitigations already exist"),
    )


A = AnswerStatus
ANSWER = table(
    _("Investigation answer"),
    AnswerStatus,
    {
        A.UNDER_INVESTIGATION: {A.AFFECTED, A.NOT_AFFECTED, A.FIXED},
        A.AFFECTED: {A.FIXED, A.NOT_AFFECTED, A.UNDER_INVESTIGATION},
        A.NOT_AFFECTED: {A.AFFECTED, A.UNDER_INVESTIGATION},
        A.FIXED: {A.AFFECTED},
    },
)


class VfdFlag(models.TextChoices):
    """Vultron vendor flags, set in this order only: V (aware) = acknowledged, F (fix ready), D (fix deployed)."""

    VENDOR_AWARE = "V", _("Vendor aware")
    FIX_READY = "F", _("Fix ready")
    FIX_DEPLOYED = "D", _("Fix deployed")


VFD_ORDER = (VfdFlag.VENDOR_AWARE, VfdFlag.FIX_READY, VfdFlag.FIX_DEPLOYED)


class ReviewStatus(models.TextChoices):
    """A coordinator's review of what a developer wants published (an answer, a statement)."""

    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned with a comment")


R = ReviewStatus
# Anything the developer changes is reviewed again: approved and returned go back to pending.
REVIEW = table(
    _("Coordinator review"),
    ReviewStatus,
    {
        R.PENDING: {R.APPROVED, R.RETURNED},
        R.APPROVED: {R.PENDING},
        R.RETURNED: {R.PENDING},
    },
)


class CveState(models.TextChoices):
    """Where a vulnerability's CVE id came from, and how far it went through CVE Services."""

    NONE = "none", _("No CVE id")
    EXTERNAL = "external", _("Assigned by another CNA")
    RESERVED = "reserved", _("Reserved through CVE Services")
    PUBLISHED = "published", _("Published through CVE Services")


CV = CveState
CVE = table(
    _("CVE id"),
    CveState,
    {
        CV.NONE: {CV.EXTERNAL, CV.RESERVED},
        CV.EXTERNAL: {CV.NONE},
        # A reserved id that is not used goes back (CVE Services marks it REJECTED); a published record
        # is updated in place.
        CV.RESERVED: {CV.PUBLISHED, CV.NONE},
        CV.PUBLISHED: {CV.PUBLISHED},
    },
)


class MessageSource(models.TextChoices):
    WEB = "web", _("Written in kyocho")
    API = "api", _("Sent through the API")
    EMAIL = "email", _("Received by email")
