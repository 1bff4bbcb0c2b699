"""The outbox: every email kyocho sends is first a row here, written in the transaction of the change
that causes it, then delivered (and retried) by a task. One row is one message to one recipient."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kyocho.messaging.workflow import EmailStatus, InboundStatus


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
    bounced_at = models.DateTimeField(null=True, blank=True)
    # When set, the message is signed with the coordinator key and encrypted to this one key (PGP/MIME)
    # as it is sent; the subject stays outside the encryption and must hold no case details.
    encrypt_to = models.TextField(blank=True)
    key_fingerprint = models.CharField(max_length=64, blank=True)

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


class InboundMail(models.Model):
    """One message as it arrived (SMTP/LMTP receiver or IMAP), kept whole before anything reads it:
    mail is never dropped, whatever happens when it is sorted."""

    raw = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    # Where it came from, unique per source (e.g. imap:INBOX:<uidvalidity>:<uid>), so a poll that is
    # interrupted and run again stores nothing twice; empty for the receiver.
    source_key = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=8)  # smtp, lmtp, imap
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    from_address = models.CharField(max_length=320, blank=True)  # the From header's address, untrusted
    subject = models.CharField(max_length=300, blank=True)  # untrusted, shown as text
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    signature = models.CharField(max_length=12, blank=True)  # verified / unknown_key / bad / unsigned
    error = models.TextField(blank=True)  # why it is held
    related = models.CharField(max_length=100, blank=True)  # what it became, e.g. cases.message:12
    sorted_at = models.DateTimeField(null=True, blank=True)
    handled_note = models.TextField(blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_mail_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"], condition=~models.Q(source_key=""), name="inbound_mail_source_once"
            ),
        ]

    def __str__(self) -> str:
        return f"inbound {self.pk} from {self.from_address} ({self.status})"

    @property
    def handled_by_email(self) -> str | None:
        return self.handled_by.email if self.handled_by else None
