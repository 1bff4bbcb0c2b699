"""Outbound email states: a row is claimed before each attempt, so two workers never send it twice."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.core.workflow import table


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


E = EmailStatus
EMAIL = table(
    _("Outbound email"),
    EmailStatus,
    {
        E.PENDING: {E.SENDING},
        # Back to pending after a temporary failure; failed after the last attempt or a permanent refusal.
        E.SENDING: {E.SENT, E.PENDING, E.FAILED},
        E.SENT: set(),
        E.FAILED: set(),
    },
)
