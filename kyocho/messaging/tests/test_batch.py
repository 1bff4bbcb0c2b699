"""The outbox at scale: many messages queued in one go and delivered over one SMTP conversation, with a
number of queries that does not grow with the number of messages; the bytes on the wire."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from django.db import transaction

from kyocho.audit.models import AuditEvent
from kyocho.core.errors import InvalidInput
from kyocho.messaging import actions
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import SmtpServer
from kyocho.messaging.workflow import EmailStatus

pytestmark = pytest.mark.django_db


def outgoing(number: int, **overrides: Any) -> actions.Outgoing:
    fields: dict[str, Any] = {
        "to": f"psirt@vendor-{number}.example",
        "subject": f"Message {number}",
        "body": "Hello.\n",
        "purpose": "test:message",
        "language": "en",
        **overrides,
    }
    return actions.Outgoing(**fields)


def queue_many(count: int) -> list[OutboundEmail]:
    with transaction.atomic():
        return actions.enqueue_emails([outgoing(number) for number in range(count)], actor=None)


def test_many_messages_are_queued_at_once_each_audited(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        emails = queue_many(3)
    assert [email.to for email in emails] == [f"psirt@vendor-{n}.example" for n in range(3)]
    assert len({email.message_id for email in emails}) == 3
    events = AuditEvent.objects.filter(name="messaging:email:queued")
    assert sorted(events.values_list("subject_id", flat=True)) == sorted(str(email.pk) for email in emails)
    assert len(callbacks) == 1  # one delivery task for the whole transaction


def test_one_bad_message_refuses_them_all() -> None:
    with pytest.raises(InvalidInput) as refused, transaction.atomic():
        actions.enqueue_emails([outgoing(1), outgoing(2, to="a@x.example, b@x.example")], actor=None)
    assert refused.value.field == "to"
    assert not OutboundEmail.objects.exists()


def test_nothing_to_queue_queues_nothing(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        assert actions.enqueue_emails([], actor=None) == []
    assert callbacks == []


@pytest.mark.parametrize("connections", [1, 2, 3])
def test_a_batch_goes_over_the_configured_smtp_connections(
    smtp_server: SmtpServer, settings: Any, connections: int
) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "SMTP_CONNECTIONS": connections}
    emails = queue_many(12)
    assert actions.deliver_batch([email.pk for email in emails]) == {EmailStatus.SENT: 12}
    assert smtp_server.handler.sessions == connections  # each kept open for the whole batch
    assert sorted(received.recipients[0] for received in smtp_server.received) == sorted(e.to for e in emails)
    assert all(len(received.recipients) == 1 for received in smtp_server.received)


def test_a_single_message_opens_one_connection(smtp_server: SmtpServer) -> None:
    (email,) = queue_many(1)
    assert actions.deliver_batch([email.pk]) == {EmailStatus.SENT: 1}
    assert smtp_server.handler.sessions == 1


def test_delivery_queries_do_not_grow_with_the_batch(
    smtp_server: SmtpServer, django_assert_max_num_queries: Any
) -> None:
    small, large = queue_many(2), queue_many(40)
    with django_assert_max_num_queries(20) as small_run:
        actions.deliver_batch([email.pk for email in small])
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        assert actions.deliver_batch([email.pk for email in large]) == {EmailStatus.SENT: 40}


def test_a_refusal_in_the_middle_fails_that_message_only_and_the_rest_goes_on(smtp_server: SmtpServer) -> None:
    emails = queue_many(3)
    smtp_server.handler.refused.add("psirt@vendor-1.example")
    assert actions.deliver_batch([email.pk for email in emails]) == {EmailStatus.SENT: 2, EmailStatus.FAILED: 1}
    statuses = dict(OutboundEmail.objects.values_list("to", "status"))
    assert statuses["psirt@vendor-1.example"] == EmailStatus.FAILED
    assert sorted(received.recipients[0] for received in smtp_server.received) == [
        "psirt@vendor-0.example",
        "psirt@vendor-2.example",
    ]


# --- The bytes on the wire --------------------------------------------------------------------------


def wire(**overrides: Any) -> email.message.EmailMessage:
    with transaction.atomic():
        row = actions.enqueue_emails([outgoing(1, **overrides)], actor=None)[0]
    raw = actions.wire_bytes(row)
    bare = raw.replace(b"\r\n", b"")
    assert b"\n" not in bare and b"\r" not in bare  # CRLF line ends only
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def text(part: Any) -> str:
    return str(part.get_content()).replace("\r\n", "\n")  # 7bit text keeps the wire's line ends


def test_a_plain_ascii_message(settings: Any) -> None:
    message = wire(headers={"Reply-To": "cvd+token@kyocho.example"})
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert (message["To"], message["Subject"], message["Reply-To"]) == (
        "psirt@vendor-1.example",
        "Message 1",
        "cvd+token@kyocho.example",
    )
    assert message["Auto-Submitted"] == "auto-generated" and message["Message-ID"].startswith("<")
    assert message["MIME-Version"] == "1.0" and message["Content-Language"] == "en"
    assert message["Content-Transfer-Encoding"] == "7bit"
    assert text(message) == "Hello.\n"


def test_japanese_subject_and_body_are_encoded_and_read_back() -> None:
    subject = "[kyocho] 新しいお知らせがあります。サインインしてご確認ください。" * 2
    message = wire(subject=subject, body="大川様\n脆弱性のお知らせです。\n", language="ja")
    assert message["Subject"] == subject
    assert message["Content-Transfer-Encoding"] == "base64"  # no relay needs 8BITMIME
    assert message.get_content() == "大川様\n脆弱性のお知らせです。\n"
    assert message["Content-Language"] == "ja"


def test_a_long_ascii_line_is_not_sent_as_7bit() -> None:
    message = wire(body="x" * 1200 + "\n")
    assert message["Content-Transfer-Encoding"] == "base64"
    assert message.get_content() == "x" * 1200 + "\n"


def test_a_long_subject_is_folded() -> None:
    subject = "Vulnerability notification " * 6
    message = wire(subject=subject.strip())
    assert message["Subject"] == subject.strip()


def test_html_goes_as_an_alternative() -> None:
    message = wire(html="<p>Hello.</p>")
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(preferencelist=("html",)).get_content().strip() == "<p>Hello.</p>"  # type: ignore[union-attr]
    assert text(message.get_body(preferencelist=("plain",))) == "Hello.\n"


def test_japanese_html_alternative_is_base64_in_both_parts() -> None:
    message = wire(body="脆弱性のお知らせ\n", html="<p>脆弱性のお知らせ</p>", language="ja")
    assert message["Content-Language"] == "ja"
    parts = list(message.iter_parts())
    assert [part["Content-Transfer-Encoding"] for part in parts] == ["base64", "base64"]
    assert message.get_body(preferencelist=("html",)).get_content().strip() == "<p>脆弱性のお知らせ</p>"  # type: ignore[union-attr]
    assert message.get_body(preferencelist=("plain",)).get_content() == "脆弱性のお知らせ\n"  # type: ignore[union-attr]


def test_any_line_end_in_the_text_goes_out_as_crlf() -> None:
    message = wire(body="one\rtwo\r\nthree\nfour\n")  # ``wire`` checks that no bare CR or LF is sent
    assert text(message) == "one\ntwo\nthree\nfour\n"


def test_split_fields_keeps_folded_fields_whole() -> None:
    from email.message import EmailMessage

    from kyocho.messaging.pgpmime import split_fields

    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = "A long subject that the email package folds over more than one line " * 2
    message["To"] = "psirt@vendor.example"
    message.set_content("本文\n")
    message.add_attachment(b"x", maintype="application", subtype="octet-stream", filename="report-" + "a" * 80 + ".bin")
    envelope, content, body = split_fields(message)
    assert [field.split(b":")[0] for field in envelope] == [b"Subject", b"To"]
    assert b"\r\n " in envelope[0]  # folded, and kept as one field
    assert all(field.lower().startswith(b"content-") for field in content)
    assert body.startswith(b"--")  # the multipart body, untouched
    entity = email.message_from_bytes(b"\r\n".join(content) + b"\r\n\r\n" + body, policy=email.policy.default)
    assert [part.get_filename() for part in entity.iter_attachments()] == ["report-" + "a" * 80 + ".bin"]
