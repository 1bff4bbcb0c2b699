"""Outbound email states: a row is claimed before each attempt, so two workers never send it twice."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.core.workflow import table


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced after it was sent")


E = EmailStatus
EMAIL = table(
    _("Outbound email"),
    EmailStatus,
    {
        E.PENDING: {E.SENDING},
        # Back to pending after a temporary failure; failed after the last attempt or a permanent refusal.
        E.SENDING: {E.SENT, E.PENDING, E.FAILED},
        # A delivery status notification (DSN) may come back after the relay took the message.
        E.SENT: {E.BOUNCED},
        E.FAILED: set(),
        E.BOUNCED: set(),
    },
)


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not yet sorted")
    THREADED = "threaded", _("Added to a case conversation")
    INTAKE = "intake", _("Sent to the intake queue")
    BOUNCE = "bounce", _("Delivery report for mail we sent")
    DUPLICATE = "duplicate", _("Another copy of a mail already sorted")
    HELD = "held", _("Held for staff: could not be read or sorted")
    HANDLED = "handled", _("Handled by staff")


IN = InboundStatus
# Mail is never dropped: what cannot be read or sorted is held for staff, who file it or close it.
INBOUND = table(
    _("Inbound email"),
    InboundStatus,
    {
        IN.RECEIVED: {IN.THREADED, IN.INTAKE, IN.BOUNCE, IN.DUPLICATE, IN.HELD},
        IN.HELD: {IN.THREADED, IN.INTAKE, IN.HANDLED},
        IN.THREADED: set(),
        IN.INTAKE: set(),
        IN.BOUNCE: set(),
        IN.DUPLICATE: set(),
        IN.HANDLED: set(),
    },
)
