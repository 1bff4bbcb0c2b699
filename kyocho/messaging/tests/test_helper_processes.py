"""A large batch is sent by helper processes (``messaging.sending``): the same messages, sealed the same
way, refusals and a relay that is down recorded as they are from the worker's own threads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from kyocho.messaging import actions
from kyocho.messaging.gpgtesting import open_pgp_mime, plain_text
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import SmtpServer
from kyocho.messaging.workflow import EmailStatus

pytestmark = pytest.mark.django_db

PSIRT = "psirt@vendor-a.example"  # the address of the key in the ``psirt_gpg`` fixture


@pytest.fixture
def helpers(settings: Any, mail_settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Helper processes for a batch of any size (a real one needs ``HELPER_BATCH`` messages)."""
    settings.KYOCHO = {**settings.KYOCHO, "MAIL_PROCESSES": 2}
    monkeypatch.setattr(actions, "HELPER_BATCH", 2)


def queue(*recipients: tuple[str, str]) -> list[OutboundEmail]:
    """One message to each (address, armoured key or "")."""
    with transaction.atomic():
        return actions.enqueue_emails(
            [
                actions.Outgoing(
                    to=address,
                    subject=f"Message {number}",
                    body=f"脆弱性のお知らせ {number}\n",
                    purpose="test:message",
                    language="ja",
                    headers={"Reply-To": "cvd+token@kyocho.example"},
                    encrypt_to=key,
                    key_fingerprint="F" * 40 if key else "",
                )
                for number, (address, key) in enumerate(recipients)
            ],
            actor=None,
        )


def test_a_large_batch_to_an_smtp_relay_goes_through_helper_processes(settings: Any) -> None:
    settings.EMAIL_BACKEND = actions.SMTP_BACKEND
    assert actions.uses_helpers(actions.HELPER_BATCH)
    assert not actions.uses_helpers(actions.HELPER_BATCH - 1)  # starting them would cost more than it saves
    settings.KYOCHO = {**settings.KYOCHO, "MAIL_PROCESSES": 1}
    assert not actions.uses_helpers(10 * actions.HELPER_BATCH)


def test_helpers_only_speak_smtp(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the worker's threads serve it
    assert not actions.uses_helpers(10 * actions.HELPER_BATCH)


def test_helpers_seal_each_message_to_its_recipient_and_send_the_rest_plain(
    helpers: None, smtp_server: SmtpServer, psirt_gpg: tuple[Path, str]
) -> None:
    home, key = psirt_gpg
    emails = queue((PSIRT, key), ("plain-1@vendor-b.example", ""), ("plain-2@vendor-c.example", ""))
    assert actions.uses_helpers(len(emails))
    assert actions.deliver_batch([email.pk for email in emails]) == {EmailStatus.SENT: 3}
    received = {mail.recipients[0]: mail for mail in smtp_server.received}
    assert sorted(received) == sorted(email.to for email in emails)
    sealed = received[PSIRT]
    assert sealed.mail_from == "cvd@kyocho.example"
    assert sealed.message["Message-ID"] == emails[0].message_id
    assert sealed.message["Reply-To"] == "cvd+token@kyocho.example"
    verified, inner = open_pgp_mime(home, sealed.message)  # the real gpg of the recipient
    assert verified and inner is not None
    assert plain_text(inner) == "脆弱性のお知らせ 0\n"
    assert received["plain-1@vendor-b.example"].message.get_content() == "脆弱性のお知らせ 1\n"
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 3


def test_a_refusal_by_the_relay_fails_that_message_for_good(helpers: None, smtp_server: SmtpServer) -> None:
    emails = queue(("ok@vendor-b.example", ""), ("gone@vendor-c.example", ""))
    smtp_server.handler.refused.add("gone@vendor-c.example")
    assert actions.deliver_batch([email.pk for email in emails]) == {EmailStatus.SENT: 1, EmailStatus.FAILED: 1}
    failed = OutboundEmail.objects.get(to="gone@vendor-c.example")
    assert failed.status == EmailStatus.FAILED and "SMTPRecipientsRefused" in failed.last_error


def test_nothing_is_lost_while_the_relay_is_down(helpers: None, smtp_server: SmtpServer) -> None:
    emails = queue(("one@vendor-b.example", ""), ("two@vendor-c.example", ""))
    smtp_server.stop()
    assert actions.deliver_batch([email.pk for email in emails]) == {EmailStatus.PENDING: 2}
    waiting = list(OutboundEmail.objects.order_by("pk"))
    assert all(email.attempts == 1 and "ConnectionRefusedError" in email.last_error for email in waiting)
    smtp_server.start()
    later = max(email.next_attempt_at for email in waiting)
    assert actions.deliver_due_emails(later) == {EmailStatus.SENT: 2}
    assert sorted(mail.recipients[0] for mail in smtp_server.received) == sorted(email.to for email in emails)
