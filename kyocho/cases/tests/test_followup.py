"""The scheduled follow-up of silent developers: a reminder (details encrypted to each contact's key,
else a content-free notice) and an escalation to the case owner, each due exactly on its configured
day, once only, never for a held case or an acknowledged developer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils.module_loading import import_string

from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions, followup
from kyocho.cases.models import Case, ContactAttempt, Participation
from kyocho.cases.tests.followup_fixtures import (
    SECRET,
    _server,
    psirt,
    registered,
    server_data,
    silent,
    silent_case,
)
from kyocho.cases.workflow import ContactChannel, ContactOutcome
from kyocho.core.scheduler import JOBS
from kyocho.messaging import actions as outbox
from kyocho.messaging.gpgtesting import open_pgp_mime, plain_text
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import SmtpServer

__all__ = ["_server", "psirt", "registered", "server_data", "silent", "silent_case"]  # fixtures, for pytest to find
pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def rules(settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "REMINDER_DAYS": 7, "ESCALATION_DAYS": 14}


def job(name: str) -> Any:
    """What the scheduler runs for this job, called here in the test's thread."""
    target = import_string(next(job.function for job in JOBS if job.name == name))
    return target.call() if hasattr(target, "call") else target()


def mails(purpose: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(purpose=purpose).order_by("pk"))


def test_the_follow_up_jobs_are_scheduled() -> None:
    names = {job.name: job.function for job in JOBS}
    assert names["remind-silent-developers"] == "kyocho.cases.tasks.send_due_reminders"
    assert names["escalate-silent-developers"] == "kyocho.cases.tasks.send_due_escalations"
    assert names["staff-digest"] == "kyocho.cases.digest.send_staff_digest"


# --- Reminders -------------------------------------------------------------------------------------


def test_reminder_is_due_exactly_on_the_configured_day(silent: Participation) -> None:
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 7 * DAY - SECOND, tick=False):
        assert job("remind-silent-developers") == 0
    assert mails("case:reminder") == []
    with time_machine.travel(silent.notified_at + 7 * DAY, tick=False):
        assert job("remind-silent-developers") == 1
    silent.refresh_from_db()
    assert silent.reminded_at == silent.notified_at + 7 * DAY
    assert [row.to for row in mails("case:reminder")] == ["psirt@vendor-a.example", "okawa@vendor-a.example"]


def test_the_reminder_day_is_configurable(settings: Any, silent: Participation) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "REMINDER_DAYS": 3}
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 3 * DAY - SECOND, tick=False):
        assert followup.send_due_reminders() == 0
    with time_machine.travel(silent.notified_at + 3 * DAY, tick=False):
        assert followup.send_due_reminders() == 1


def test_running_the_job_twice_reminds_once(silent: Participation) -> None:
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 8 * DAY, tick=False):
        assert job("remind-silent-developers") == 1
        assert job("remind-silent-developers") == 0
    with time_machine.travel(silent.notified_at + 10 * DAY, tick=False):
        assert job("remind-silent-developers") == 0
    assert len(mails("case:reminder")) == 2  # one per contact, once


def test_each_reminder_mail_is_a_logged_attempt_that_follows_the_mail(
    silent: Participation, smtp_server: SmtpServer
) -> None:
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 7 * DAY, tick=False):
        followup.send_due_reminders()
    sent = mails("case:reminder")
    attempts = ContactAttempt.objects.filter(email__in=sent).order_by("pk")
    assert [(a.channel, a.address, a.outcome, a.recorded_by) for a in attempts] == [
        (ContactChannel.EMAIL, "psirt@vendor-a.example", ContactOutcome.SENT, None),
        (ContactChannel.EMAIL, "okawa@vendor-a.example", ContactOutcome.SENT, None),
    ]
    outbox.deliver_batch([row.pk for row in sent], at=silent.notified_at + 7 * DAY)
    assert set(attempts.values_list("outcome", flat=True)) == {ContactOutcome.DELIVERED}


def test_reminder_is_encrypted_to_each_key_holder_and_a_notice_otherwise(
    silent: Participation, smtp_server: SmtpServer, psirt: tuple[Path, str]
) -> None:
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 7 * DAY, tick=False):
        followup.send_due_reminders()
    sent = mails("case:reminder")
    assert [bool(row.encrypt_to) for row in sent] == [True, False]
    outbox.deliver_batch([row.pk for row in sent], at=silent.notified_at + 7 * DAY)
    by_address = {received.recipients[0]: received for received in smtp_server.received}

    encrypted = by_address["psirt@vendor-a.example"].message
    assert encrypted.get_content_type() == "multipart/encrypted"
    assert silent.case.reference in encrypted["Subject"] and SECRET not in encrypted.as_string()
    good, inner = open_pgp_mime(psirt[0], encrypted)
    assert good and inner is not None
    text = plain_text(inner)
    assert SECRET in text and "Reminder" in encrypted["Subject"]

    notice = by_address["okawa@vendor-a.example"]
    assert SECRET not in notice.message.as_string()
    assert "/portal/cases/" + silent.case.reference in notice.text


def test_acknowledged_developer_is_neither_reminded_nor_escalated(silent: Participation, vendor_member: User) -> None:
    actions.acknowledge_participation(silent.pk, actor=vendor_member)
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 30 * DAY, tick=False):
        assert followup.send_due_reminders() == 0
        assert followup.send_due_escalations() == 0
    assert mails("case:reminder") == mails("case:escalation") == []


def test_held_case_gets_no_follow_up_until_released(
    coordinator: User, silent_case: Case, silent: Participation
) -> None:
    actions.put_case_on_hold(silent_case.pk, reason="Waiting for the finder's test results", actor=coordinator)
    assert silent.notified_at is not None
    later = silent.notified_at + 30 * DAY
    with time_machine.travel(later, tick=False):
        assert job("remind-silent-developers") == job("escalate-silent-developers") == 0
    assert OutboundEmail.objects.filter(purpose__in=["case:reminder", "case:escalation"]).count() == 0
    actions.release_case_hold(silent_case.pk, actor=coordinator)
    with time_machine.travel(later + DAY, tick=False):
        assert job("remind-silent-developers") == job("escalate-silent-developers") == 1


def test_a_developer_without_contacts_is_reminded_without_mail(
    coordinator: User, other_vendor_org: Organisation
) -> None:
    """Nothing to send to, but the reminder is claimed: the escalation then says so to the owner."""
    from kyocho.conftest import coordinating_case

    participation = coordinating_case(coordinator, other_vendor_org).participations.get()
    assert participation.notified_at is not None
    with time_machine.travel(participation.notified_at + 7 * DAY, tick=False):
        assert followup.send_due_reminders() == 1
    participation.refresh_from_db()
    assert participation.reminded_at is not None and mails("case:reminder") == []


# --- Escalation ----------------------------------------------------------------------------------


def test_escalation_is_due_exactly_on_the_configured_day_and_goes_to_the_owner(
    silent: Participation, coordinator: User, lead: User
) -> None:
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 14 * DAY - SECOND, tick=False):
        assert job("escalate-silent-developers") == 0
    with time_machine.travel(silent.notified_at + 14 * DAY, tick=False):
        assert job("escalate-silent-developers") == 1
        assert job("escalate-silent-developers") == 0  # claimed once
    silent.refresh_from_db()
    assert silent.escalated_at == silent.notified_at + 14 * DAY
    [escalation] = mails("case:escalation")
    assert escalation.to == coordinator.email  # the owner only, not the lead
    assert not escalation.encrypt_to  # staff mail travels in the clear, so it says nothing of the case


def test_escalation_mail_holds_the_reference_and_a_link_only(silent: Participation, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "ESCALATION_DAYS": 10}
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 10 * DAY, tick=False):
        followup.send_due_escalations()
    [escalation] = mails("case:escalation")
    text = escalation.subject + escalation.body
    assert silent.case.reference in escalation.subject
    assert f"/staff/cases/{silent.case.reference}/developers/{silent.organisation_id}/" in escalation.body
    assert "10 日" in escalation.body  # the owner reads Japanese (the default language of an account)
    assert SECRET not in text and silent.organisation.name not in text and "vendor-a" not in text


def test_escalation_of_an_unowned_case_goes_to_every_coordinator(
    coordinator: User, lead: User, intake_staff: User, registered: Organisation
) -> None:
    case = actions.open_case(title=SECRET, actor=intake_staff)  # the intake desk opens cases without an owner
    participation = actions.add_participant(case.pk, organisation_id=registered.pk, actor=coordinator)
    actions.notify_participant(participation.pk, actor=coordinator)
    participation.refresh_from_db()
    assert participation.notified_at is not None
    with time_machine.travel(participation.notified_at + 14 * DAY, tick=False):
        assert followup.send_due_escalations() == 1
    assert sorted(row.to for row in mails("case:escalation")) == sorted([coordinator.email, lead.email])


def test_escalation_follows_a_change_of_owner(
    silent_case: Case, silent: Participation, coordinator: User, lead: User
) -> None:
    actions.assign_case_owner(silent_case.pk, owner_id=lead.pk, actor=coordinator)
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 14 * DAY, tick=False):
        followup.send_due_escalations()
    assert [row.to for row in mails("case:escalation")] == [lead.email]
