"""The outbox: every email kyocho sends is first a row here, written in the transaction of the change
that causes it, then delivered (and retried) by a task. One row is one message to one recipient."""

from __future__ import annotations

from django.db import models

from kyocho.messaging.workflow import EmailStatus


class OutboundEmail(models.Model):
    to = models.EmailField()  # exactly one address: a multi-recipient message leaks the recipient list
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html = models.TextField(blank=True)
    language = models.CharField(max_length=8)
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=200, unique=True)  # the same on every attempt
    purpose = models.CharField(max_length=64, db_index=True)  # e.g. report:acknowledgement
    related = models.CharField(max_length=100, blank=True, db_index=True)  # e.g. intake.report:12
    status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_email_due")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbound_email_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} → {self.to} ({self.status})"
