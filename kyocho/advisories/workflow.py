"""Advisory (JVN-style) states — PRODUCT.md §2.5."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.core.workflow import table


class AdvisoryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AdvisoryKind(models.TextChoices):
    JVN = "jvn", _("JVN# (domestic partnership case)")
    JVNVU = "jvnvu", _("JVNVU# (coordinated with overseas parties)")
    JVNTA = "jvnta", _("JVNTA# (technical alert)")


D = AdvisoryStatus
# Review can send a draft back, and an approved or scheduled advisory can be reopened before it is
# public; published → published is a new revision with an update-history entry.
ADVISORY = table(
    _("Advisory"),
    AdvisoryStatus,
    {
        D.DRAFT: {D.IN_REVIEW},
        D.IN_REVIEW: {D.APPROVED, D.DRAFT},
        D.APPROVED: {D.SCHEDULED, D.DRAFT},
        D.SCHEDULED: {D.PUBLISHED, D.APPROVED},
        D.PUBLISHED: {D.PUBLISHED, D.WITHDRAWN},
        D.WITHDRAWN: set(),
    },
)

# The content sections of an advisory, each held in Japanese and English.
SECTIONS = (
    "title",
    "overview",
    "affected_systems",
    "description",
    "impact",
    "solution",
    "coordinator_notes",
    "acknowledgements",
)
