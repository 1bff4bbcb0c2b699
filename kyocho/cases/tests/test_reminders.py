"""Reminders and escalation of developers that do not acknowledge; a case on hold gets none."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kyocho.cases import actions, queries
from kyocho.cases.tests.helpers import audited
from kyocho.core.errors import Conflict, PermissionDenied

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def rules(settings):
    settings.KYOCHO = {**settings.KYOCHO, "REMINDER_DAYS": 7, "ESCALATION_DAYS": 14}


def test_due_after_seven_and_fourteen_days(case, participation) -> None:
    start = participation.notified_at
    assert list(queries.cases_due_for_reminders(start + 7 * DAY - dt.timedelta(seconds=1))) == []
    assert list(queries.cases_due_for_reminders(start + 7 * DAY)) == [case]
    assert list(queries.participations_due_for_reminder(start + 7 * DAY)) == [participation]
    assert list(queries.participations_due_for_escalation(start + 7 * DAY)) == []
    assert list(queries.participations_due_for_escalation(start + 14 * DAY)) == [participation]


def test_held_case_gets_no_reminders(coordinator, case, participation) -> None:
    later = participation.notified_at + 20 * DAY
    actions.put_case_on_hold(case.pk, reason="waiting for the finder", actor=coordinator)
    assert list(queries.cases_due_for_reminders(later)) == []
    assert list(queries.participations_due_for_escalation(later)) == []
    with time_machine.travel(later, tick=False), pytest.raises(Conflict, match="not due"):
        actions.record_reminder(participation.pk)
    actions.release_case_hold(case.pk, actor=coordinator)
    assert list(queries.cases_due_for_reminders(later)) == [case]


def test_acknowledged_developer_is_not_reminded(case, participation, vendor_member) -> None:
    actions.acknowledge_participation(participation.pk, actor=vendor_member)
    assert list(queries.cases_due_for_reminders(participation.notified_at + 20 * DAY)) == []


def test_reminder_and_escalation_are_claimed_once(case, participation) -> None:
    with time_machine.travel(participation.notified_at + 7 * DAY, tick=False):
        with pytest.raises(Conflict):
            actions.record_escalation(participation.pk)
        with audited() as names:
            reminded = actions.record_reminder(participation.pk)
        assert names == ["case:participant:reminded"]
        assert reminded.reminded_at is not None
        with pytest.raises(Conflict, match="not due"):
            actions.record_reminder(participation.pk)
    later = participation.notified_at + 14 * DAY
    assert list(queries.cases_due_for_reminders(later)) == [case]
    with time_machine.travel(later, tick=False), audited() as names:
        actions.record_escalation(participation.pk)
    assert names == ["case:participant:escalated"]
    assert list(queries.cases_due_for_reminders(later)) == []


def test_only_staff_claim_follow_ups(participation, vendor_member) -> None:
    with time_machine.travel(participation.notified_at + 7 * DAY, tick=False), pytest.raises(PermissionDenied):
        actions.record_reminder(participation.pk, actor=vendor_member)
