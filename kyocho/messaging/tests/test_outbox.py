"""The outbox against a real SMTP server: queued in the caller's transaction, delivered once, retried
with backoff while the relay is down, never lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from kyocho.audit.models import AuditEvent
from kyocho.audit.queries import events_for
from kyocho.core.errors import InvalidInput
from kyocho.messaging import actions
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import SmtpServer
from kyocho.messaging.workflow import EmailStatus

START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def queue(to: str = "psirt@vendor.example", **overrides: Any) -> OutboundEmail:
    arguments: dict[str, Any] = {
        "to": to,
        "subject": "Vulnerability report KYR-TEST",
        "body": "Hello.\n",
        "purpose": "test:message",
        "language": "en",
        "actor": None,
        **overrides,
    }
    with transaction.atomic():
        return actions.enqueue_email(**arguments)


def reload(email: OutboundEmail) -> OutboundEmail:
    return OutboundEmail.objects.get(pk=email.pk)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


# Queueing.


def test_enqueue_writes_a_pending_row_audits_it_and_schedules_a_task_after_commit(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(headers={"X-Kyocho-Case": "KYC-TEST"})
    assert email.status == EmailStatus.PENDING
    assert email.attempts == 0
    assert email.headers == {"X-Kyocho-Case": "KYC-TEST"}
    assert email.message_id.startswith("<") and email.message_id.endswith(">")
    assert [event.name for event in events_for(email)] == ["messaging:email:queued"]
    task = DBTaskResult.objects.get()
    assert task.task_path == "kyocho.messaging.tasks.deliver_email"
    assert task.args_kwargs == {"args": [email.pk], "kwargs": {}}


def test_enqueue_records_the_related_object(db: None, coordinator: Any) -> None:
    email = queue(related=coordinator)
    assert email.related == f"accounts.user:{coordinator.pk}"


def test_outbox_row_rolls_back_with_the_transaction_of_the_change(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    events_before = AuditEvent.objects.count()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError, match="change failed"),
        transaction.atomic(),
    ):
        actions.enqueue_email(
            to="a@example.org", subject="s", body="b", purpose="test:message", language="en", actor=None
        )
        raise RuntimeError("change failed")
    assert not OutboundEmail.objects.exists()
    assert AuditEvent.objects.count() == events_before
    assert callbacks == []


def test_enqueue_outside_a_transaction_is_refused_and_writes_nothing(transactional_db: None) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        actions.enqueue_email(to="a@example.org", subject="s", body="b", purpose="test:x", language="en", actor=None)
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"to": "a@example.org, b@example.org"}, "to"),
        ({"to": "a@example.org;b@example.org"}, "to"),
        ({"to": ["a@example.org", "b@example.org"]}, "to"),
        ({"to": "Someone <a@example.org>"}, "to"),
        ({"to": "not-an-address"}, "to"),
        ({"to": ""}, "to"),
        ({"subject": ""}, "subject"),
        ({"subject": "two\nlines"}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"body": "   "}, "body"),
        ({"purpose": "Not A Purpose"}, "purpose"),
        ({"purpose": ""}, "purpose"),
        ({"language": "fr"}, "language"),
        ({"headers": {"Bcc": "spy@example.org"}}, "headers"),
        ({"headers": {"cc": "spy@example.org"}}, "headers"),
        ({"headers": {"X-Injected": "a\r\nBcc: spy@example.org"}}, "headers"),
        ({"headers": {"Bad Name": "x"}}, "headers"),
    ],
)
def test_enqueue_refuses_bad_input(db: None, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        queue(**overrides)
    assert refused.value.field == field
    assert not OutboundEmail.objects.exists()


# Delivery.


def test_delivery_sends_one_message_and_marks_the_row_sent(db: None, smtp_server: SmtpServer, clock: Any) -> None:
    email = queue(html="<p>Hello.</p>", headers={"X-Kyocho-Case": "KYC-TEST"})
    assert actions.deliver(email.pk) == EmailStatus.SENT
    email = reload(email)
    assert email.status == EmailStatus.SENT
    assert email.sent_at == START
    assert email.attempts == 1
    assert [event.name for event in events_for(email)] == ["messaging:email:queued", "messaging:email:sent"]
    (mail,) = smtp_server.received
    assert mail.recipients == ["psirt@vendor.example"]
    assert mail.message["To"] == "psirt@vendor.example"
    assert mail.message["Subject"] == "Vulnerability report KYR-TEST"
    assert mail.message["Message-ID"] == email.message_id
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert mail.message["Content-Language"] == "en"
    assert mail.message["X-Kyocho-Case"] == "KYC-TEST"
    assert mail.text == "Hello.\n"
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None and "<p>Hello.</p>" in html.get_content()


def test_japanese_text_arrives_intact(db: None, smtp_server: SmtpServer) -> None:
    email = queue(subject="脆弱性届出の受付", body="届出を受け付けました。\n", language="ja")
    actions.deliver(email.pk)
    (mail,) = smtp_server.received
    assert mail.message["Subject"] == "脆弱性届出の受付"
    assert mail.text == "届出を受け付けました。\n"


def test_every_recipient_gets_a_message_of_their_own(db: None, smtp_server: SmtpServer, clock: Any) -> None:
    recipients = ["a@vendor-a.example", "b@vendor-b.example", "c@vendor-c.example"]
    for address in recipients:
        queue(to=address)
    assert actions.deliver_due_emails(START) == {EmailStatus.SENT: 3}
    assert sorted(mail.recipients[0] for mail in smtp_server.received) == recipients
    for mail in smtp_server.received:
        assert len(mail.recipients) == 1
        assert mail.message["To"] == mail.recipients[0]
        assert mail.message["Cc"] is None


def test_running_delivery_twice_sends_once(db: None, smtp_server: SmtpServer) -> None:
    email = queue()
    assert actions.deliver(email.pk) == EmailStatus.SENT
    assert actions.deliver(email.pk) == "skipped"
    assert actions.deliver_due_emails(START + dt.timedelta(days=1)) == {}
    assert len(smtp_server.received) == 1


def test_a_row_claimed_by_one_worker_is_not_claimed_by_another(db: None, clock: Any) -> None:
    email = queue()
    assert actions._claim(email.pk, START)
    assert not actions._claim(email.pk, START)
    assert actions.deliver(email.pk) == "skipped"


def test_the_task_delivers_through_the_worker(transactional_db: None, smtp_server: SmtpServer) -> None:
    """The real path: commit → task row → `db_worker` process loop → SMTP."""
    with transaction.atomic():
        email = actions.enqueue_email(
            to="psirt@vendor.example", subject="s", body="b\n", purpose="test:message", language="en", actor=None
        )
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    assert reload(email).status == EmailStatus.SENT
    assert len(smtp_server.received) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_smtp_down_keeps_the_row_with_backoff_and_delivers_when_it_is_back(
    db: None, smtp_server: SmtpServer, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    smtp_server.stop()
    email = queue()

    with django_capture_on_commit_callbacks(execute=True):
        assert actions.deliver(email.pk) == EmailStatus.PENDING
    email = reload(email)
    assert (email.status, email.attempts) == (EmailStatus.PENDING, 1)
    assert email.next_attempt_at == START + dt.timedelta(minutes=2)
    assert "Connection refused" in email.last_error or "Errno" in email.last_error
    # A retry task waits for the backoff; the sweep does not send before it either.
    retry = DBTaskResult.objects.get()
    assert retry.run_after == START + dt.timedelta(minutes=2)
    assert actions.deliver_due_emails(START + dt.timedelta(minutes=1)) == {}

    clock.move_to(START + dt.timedelta(minutes=2))
    assert actions.deliver_due_emails(START + dt.timedelta(minutes=2)) == {EmailStatus.PENDING: 1}
    assert reload(email).next_attempt_at == START + dt.timedelta(minutes=2 + 4)

    smtp_server.start()
    clock.move_to(START + dt.timedelta(minutes=6))
    assert actions.deliver_due_emails(START + dt.timedelta(minutes=6)) == {EmailStatus.SENT: 1}
    email = reload(email)
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 3, "")
    assert len(smtp_server.received) == 1


def test_backoff_doubles_and_is_capped() -> None:
    assert [actions.retry_delay(n) for n in (1, 2, 3)] == [dt.timedelta(minutes=m) for m in (2, 4, 8)]
    assert actions.retry_delay(30) == dt.timedelta(hours=6)


def test_after_the_last_attempt_the_row_fails_and_is_audited(
    db: None, smtp_server: SmtpServer, settings: Any, clock: Any
) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "MAIL_MAX_ATTEMPTS": 2}
    smtp_server.stop()
    email = queue()
    assert actions.deliver(email.pk) == EmailStatus.PENDING
    at = START + dt.timedelta(minutes=2)
    assert actions.deliver(email.pk, at=at) == EmailStatus.FAILED
    email = reload(email)
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 2)
    assert [event.name for event in events_for(email)][-1] == "messaging:email:failed"
    assert actions.deliver_due_emails(at + dt.timedelta(days=1)) == {}


def test_a_permanent_refusal_fails_at_once(db: None, smtp_server: SmtpServer) -> None:
    smtp_server.handler.refused.add("gone@vendor.example")
    email = queue(to="gone@vendor.example")
    assert actions.deliver(email.pk) == EmailStatus.FAILED
    email = reload(email)
    assert email.attempts == 1
    assert "550" in email.last_error


def test_a_row_whose_task_never_ran_is_sent_by_the_sweep(db: None, smtp_server: SmtpServer, clock: Any) -> None:
    email = queue()  # no on-commit callback runs here: as if the task could not be enqueued
    assert actions.deliver_due_emails(START) == {EmailStatus.SENT: 1}
    assert reload(email).status == EmailStatus.SENT


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over(db: None, smtp_server: SmtpServer, clock: Any) -> None:
    email = queue()
    assert actions._claim(email.pk, START)  # the worker dies before it sends
    assert actions.deliver_due_emails(START + dt.timedelta(minutes=5)) == {}
    later = START + actions.STALE_CLAIM_AFTER + dt.timedelta(seconds=1)
    assert actions.deliver_due_emails(later) == {EmailStatus.SENT: 1}
    assert reload(email).attempts == 2
    assert len(smtp_server.received) == 1
