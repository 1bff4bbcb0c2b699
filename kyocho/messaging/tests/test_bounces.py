"""Bounces: a delivery status notification (RFC 3464, or a common plain-text bounce) for mail kyocho sent
marks that mail bounced and the contact attempt it carried failed; one that matches nothing is held."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from django.db import transaction

from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions, mail
from kyocho.cases.models import ContactAttempt, Participation
from kyocho.cases.workflow import ContactOutcome
from kyocho.conftest import coordinating_case
from kyocho.messaging import actions as outbox
from kyocho.messaging import bounces, inbound
from kyocho.messaging.models import InboundMail, OutboundEmail
from kyocho.messaging.testing import SmtpServer
from kyocho.messaging.workflow import EmailStatus, InboundStatus

RECIPIENT = "psirt@vendor-a.example"


def dsn(message_id: str, *, action: str = "failed", returned: str = "headers") -> bytes:
    """A delivery status notification as Postfix writes it (returned headers) or with the whole message."""
    original = (
        f"From: kyocho <cvd@kyocho.example>\r\nTo: {RECIPIENT}\r\nSubject: [kyocho] x\r\nMessage-ID: {message_id}\r\n"
    )
    third = (
        f"Content-Type: text/rfc822-headers\r\n\r\n{original}"
        if returned == "headers"
        else f"Content-Type: message/rfc822\r\n\r\n{original}\r\nbody\r\n"
    )
    status = "5.1.1" if action == "failed" else "4.4.1"
    return (
        "From: MAILER-DAEMON@mx.vendor-a.example (Mail Delivery System)\r\n"
        "To: cvd@kyocho.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\nMessage-ID: <dsn.1@mx.vendor-a.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.vendor-a.example\r\n\r\n"
        f"Final-Recipient: rfc822; {RECIPIENT}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{RECIPIENT}>: Recipient address rejected: User unknown\r\n\r\n"
        f"--B\r\n{third}\r\n--B--\r\n"
    ).encode()


def qmail_bounce(message_id: str) -> bytes:
    """qmail's plain-text bounce: no DSN, the returned message below a line."""
    return (
        "From: MAILER-DAEMON@mx.vendor-a.example\r\nTo: cvd@kyocho.example\r\nSubject: failure notice\r\n\r\n"
        "Hi. This is the qmail-send program at mx.vendor-a.example.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
        f"<{RECIPIENT}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        f"Return-Path: <cvd@kyocho.example>\r\nMessage-ID: {message_id}\r\nSubject: x\r\n\r\nbody\r\n"
    ).encode()


def parsed(raw: bytes) -> Any:
    return email.message_from_bytes(raw, policy=email.policy.default)


# --- reading bounces ------------------------------------------------------------------------------------


@pytest.mark.parametrize("returned", ["headers", "message"])
def test_a_dsn_names_the_returned_message(returned: str) -> None:
    bounce = bounces.read_bounce(parsed(dsn("<abc@kyocho.example>", returned=returned)))
    assert bounce is not None and bounce.failed
    assert bounce.message_ids == ["<abc@kyocho.example>"]
    assert bounce.reason.startswith(f"{RECIPIENT}: 5.1.1 550 5.1.1")


def test_a_delay_notice_is_not_a_failure() -> None:
    bounce = bounces.read_bounce(parsed(dsn("<abc@kyocho.example>", action="delayed")))
    assert bounce is not None and not bounce.failed


def test_a_plain_bounce_is_recognised() -> None:
    bounce = bounces.read_bounce(parsed(qmail_bounce("<abc@kyocho.example>")))
    assert bounce is not None and bounce.failed and bounce.message_ids == ["<abc@kyocho.example>"]
    assert "5.1.1" in bounce.reason


def test_ordinary_mail_is_no_bounce() -> None:
    message = parsed(b"From: a@b.example\r\nSubject: Delivery failed, my router\r\n\r\nMessage-ID: <x@y>\r\n")
    assert bounces.read_bounce(message) is None
    assert not bounces.is_automatic(message)


def test_bounces_and_empty_senders_are_automatic() -> None:
    assert bounces.is_automatic(parsed(dsn("<abc@kyocho.example>")))
    assert bounces.is_automatic(parsed(b"From: a@b.example\r\nSubject: hi\r\n\r\nhi\r\n"), null_sender=True)
    assert bounces.is_automatic(
        parsed(b"From: cvd@kyocho.example\r\nSubject: hi\r\n\r\nhi\r\n"),
        own_addresses=frozenset({"cvd@kyocho.example"}),
    )
    assert not bounces.is_automatic(parsed(b"From: a@b.example\r\nAuto-Submitted: no\r\n\r\nhi\r\n"))


# --- what a bounce does -----------------------------------------------------------------------------------


@pytest.fixture
def participation(coordinator: User, registered: Organisation) -> Participation:
    return coordinating_case(coordinator, registered, title="Bounced case").participations.get()


@pytest.fixture
def sent(participation: Participation, smtp_server: SmtpServer) -> OutboundEmail:
    """The notification to the PSIRT, sent through a real SMTP server, its contact attempt delivered."""
    with transaction.atomic():
        [(_recipient, row)] = mail.tell_developer(
            participation, "case_notification", {"vulnerabilities": []}, purpose="case:notification", actor=None
        )
        actions.log_email_attempt(participation, row, actor=None)
    assert outbox.deliver_batch([row.pk]) == {EmailStatus.SENT: 1}
    row.refresh_from_db()
    assert ContactAttempt.objects.get(email=row).outcome == ContactOutcome.DELIVERED
    return row


def sorted_mail(raw: bytes) -> InboundMail:
    stored, _new = inbound.store_inbound(raw, via="smtp", envelope_from="", envelope_to=["cvd@kyocho.example"])
    inbound.sort_inbound(stored.pk)
    stored.refresh_from_db()
    return stored


@pytest.mark.parametrize("make", [dsn, qmail_bounce], ids=["dsn", "plain"])
def test_a_bounce_fails_the_mail_and_its_contact_attempt(sent: OutboundEmail, make: Any) -> None:
    before = set(OutboundEmail.objects.values_list("pk", flat=True))  # the notification's own mail too
    stored = sorted_mail(make(sent.message_id))
    assert stored.status == InboundStatus.BOUNCE
    assert stored.related == f"messaging.outboundemail:{sent.pk}"
    sent.refresh_from_db()
    assert sent.status == EmailStatus.BOUNCED and "5.1.1" in sent.last_error
    attempt = ContactAttempt.objects.get(email=sent)
    assert attempt.outcome == ContactOutcome.FAILED and "5.1.1" in attempt.note
    assert set(OutboundEmail.objects.values_list("pk", flat=True)) == before  # a bounce is never answered


def test_a_second_bounce_for_the_same_mail_changes_nothing_more(sent: OutboundEmail) -> None:
    sorted_mail(dsn(sent.message_id))
    again = sorted_mail(dsn(sent.message_id).replace(b"<dsn.1@", b"<dsn.2@"))  # another report, same mail
    assert again.status == InboundStatus.BOUNCE
    assert OutboundEmail.objects.get(pk=sent.pk).status == EmailStatus.BOUNCED
    assert sorted_mail(dsn(sent.message_id)).status == InboundStatus.DUPLICATE  # the first report, delivered again


def test_a_delay_notice_leaves_the_mail_sent(sent: OutboundEmail) -> None:
    stored = sorted_mail(dsn(sent.message_id, action="delayed"))
    assert stored.status == InboundStatus.BOUNCE
    sent.refresh_from_db()
    assert sent.status == EmailStatus.SENT
    assert ContactAttempt.objects.get(email=sent).outcome == ContactOutcome.DELIVERED


def test_a_bounce_that_matches_nothing_is_held(mail_settings: Any) -> None:
    stored = sorted_mail(dsn("<never-sent@kyocho.example>"))
    assert stored.status == InboundStatus.HELD
    reason, detail = inbound.hold_reason(stored)
    assert reason == str(inbound.HoldReason.UNMATCHED_BOUNCE.label) and "never-sent" in detail
