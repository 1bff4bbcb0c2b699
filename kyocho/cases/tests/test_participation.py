"""Developers in a case (PRODUCT.md §2.3): adding, notifying (and pre-notification suspension),
contact attempts, acknowledging and closing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kyocho.cases import actions
from kyocho.cases.models import ContactAttempt, Participation
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.cases.workflow import CaseResolution, ContactChannel, ContactOutcome
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from kyocho.disclosure.actions import suspend_from_prenotification
from kyocho.disclosure.models import PreNotificationSuspension

pytestmark = pytest.mark.django_db


@pytest.fixture
def identified(coordinator, vendor_org) -> Participation:
    case = actions.open_case(title="SQL injection in the search form", actor=coordinator)
    return actions.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)


def suspend(organisation, lead, *, until=None) -> PreNotificationSuspension:
    return suspend_from_prenotification(
        organisation.pk, reason="broke the disclosure date of KYC-TEST", until=until, actor=lead
    )


# --- add -----------------------------------------------------------------------------------------


def test_add_participant(coordinator, vendor_org) -> None:
    case = actions.open_case(title="t", actor=coordinator)
    with audited() as names:
        participation = actions.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    assert names == ["case:participant:identified"]
    assert participation.status == "identified"
    with pytest.raises(Conflict, match="already in the case"):
        actions.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)


def test_add_participant_refusals(coordinator, vendor_org, partner_org, intake_staff, vendor_member) -> None:
    case = actions.open_case(title="t", actor=coordinator)
    with pytest.raises(NotFound, match="product developer"):
        actions.add_participant(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    with pytest.raises(InvalidInput):
        actions.add_participant(case.pk, organisation_id="abc", actor=coordinator)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        actions.add_participant(case.pk, organisation_id=vendor_org.pk, actor=intake_staff)
    with pytest.raises(NotFound):
        actions.add_participant(case.pk, organisation_id=vendor_org.pk, actor=vendor_member)
    actions.close_case(case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="open or coordinating"):
        actions.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)


# --- notify --------------------------------------------------------------------------------------


def test_notify_logs_the_portal_notice_as_first_attempt(coordinator, identified) -> None:
    actions.notify_participant(identified.pk, actor=coordinator)
    identified.refresh_from_db()
    attempt = ContactAttempt.objects.get(participation=identified)
    assert (attempt.channel, attempt.outcome, attempt.at, attempt.recorded_by) == (
        "portal",
        "sent",
        identified.notified_at,
        coordinator,
    )
    assert identified.case.start_date == identified.notified_at


def test_a_second_notification_keeps_the_start_date(coordinator, identified, other_vendor_org) -> None:
    actions.notify_participant(identified.pk, actor=coordinator)
    first_start = identified.case.__class__.objects.get(pk=identified.case_id).start_date
    other = actions.add_participant(identified.case_id, organisation_id=other_vendor_org.pk, actor=coordinator)
    with time_machine.travel(now() + dt.timedelta(days=3)), audited() as names:
        actions.notify_participant(other.pk, actor=coordinator)
    assert names == ["case:participant:notified"]
    assert identified.case.__class__.objects.get(pk=identified.case_id).start_date == first_start


def test_notify_refusals(coordinator, identified, intake_staff, vendor_member) -> None:
    with pytest.raises(PermissionDenied):
        actions.notify_participant(identified.pk, actor=intake_staff)
    with pytest.raises(NotFound):  # an identified developer does not know of the case yet
        actions.notify_participant(identified.pk, actor=vendor_member)
    with pytest.raises(NotFound):
        actions.notify_participant(999_999, actor=coordinator)
    actions.notify_participant(identified.pk, actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.notify_participant(identified.pk, actor=coordinator)


def test_notify_refused_in_a_closed_case(coordinator, identified) -> None:
    actions.close_case(identified.case_id, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="open or coordinating"):
        actions.notify_participant(identified.pk, actor=coordinator)


def test_suspended_developer_needs_an_override(coordinator, lead, identified, vendor_org) -> None:
    suspend(vendor_org, lead)
    with audited() as names, pytest.raises(Conflict, match="suspended from pre-notification") as refused:
        actions.notify_participant(identified.pk, actor=coordinator)
    assert refused.value.field == "override_reason"
    assert "broke the disclosure date" in refused.value.message
    assert names == []
    with pytest.raises(Conflict):
        actions.notify_participant(identified.pk, override_reason="   ", actor=coordinator)
    with audited() as names:
        actions.notify_participant(identified.pk, override_reason=" only vendor of the library ", actor=coordinator)
    assert names == ["case:participant:suspension_overridden", "case:participant:notified", "case:case:coordinating"]
    identified.refresh_from_db()
    assert identified.suspension_override_reason == "only vendor of the library"
    assert last_event("case:participant:suspension_overridden").data["reason"] == "only vendor of the library"


def test_suspension_in_force_until_its_end(coordinator, lead, identified, vendor_org) -> None:
    suspend(vendor_org, lead, until=now() + dt.timedelta(days=1))
    with pytest.raises(Conflict):
        actions.notify_participant(identified.pk, actor=coordinator)
    with time_machine.travel(now() + dt.timedelta(days=2)):
        actions.notify_participant(identified.pk, actor=coordinator)
    identified.refresh_from_db()
    assert (identified.status, identified.suspension_override_reason) == ("notified", "")


def test_an_ended_suspension_needs_no_override(coordinator, lead, identified, vendor_org) -> None:
    suspend(vendor_org, lead, until=now() + dt.timedelta(hours=1))
    with audited() as names, time_machine.travel(now() + dt.timedelta(hours=1, seconds=1)):
        actions.notify_participant(identified.pk, override_reason="not needed", actor=coordinator)
    assert "case:participant:suspension_overridden" not in names


# --- contact attempts ----------------------------------------------------------------------------


def test_log_contact_attempt(coordinator, participation) -> None:
    at = participation.notified_at + dt.timedelta(minutes=30)
    with time_machine.travel(at + dt.timedelta(minutes=30)), audited() as names:
        attempt = actions.log_contact_attempt(
            participation.pk, channel="phone", outcome="no_answer", note=" rang twice ", at=at, actor=coordinator
        )
    assert names == ["case:participant:contact_logged"]
    assert (attempt.channel, attempt.outcome, attempt.note, attempt.at) == ("phone", "no_answer", "rang twice", at)
    assert participation.contact_attempts.count() == 2  # the notification itself was the first


def test_log_contact_attempt_defaults_to_now_and_allows_the_system(participation) -> None:
    attempt = actions.log_contact_attempt(participation.pk, channel="email", outcome="sent", note="", actor=None)
    assert (now() - attempt.at) < dt.timedelta(seconds=5)
    assert attempt.recorded_by is None


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"outcome": "maybe"}, "outcome"),
        ({"note": None}, "note"),
        ({"at": "yesterday"}, "at"),
        ({"at": dt.datetime(2020, 1, 1)}, "at"),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_log_contact_attempt_bad_input(coordinator, participation, arguments, field) -> None:
    values = {"channel": ContactChannel.EMAIL, "outcome": ContactOutcome.SENT, "note": "", **arguments}
    with pytest.raises(InvalidInput) as refused:
        actions.log_contact_attempt(participation.pk, actor=coordinator, **values)
    assert refused.value.field == field


def log_email(participation, actor, **changes):
    return actions.log_contact_attempt(
        participation.pk, **{"channel": "email", "outcome": "sent", "note": "", "actor": actor, **changes}
    )


def test_contact_attempt_times_lie_between_notification_and_now(coordinator, participation) -> None:
    with pytest.raises(InvalidInput, match="future"):
        log_email(participation, coordinator, at=now() + dt.timedelta(hours=1))
    with pytest.raises(InvalidInput, match="earlier than the notification"):
        log_email(participation, coordinator, at=participation.notified_at - dt.timedelta(seconds=1))


def test_contact_attempts_only_for_notified_open_participations(coordinator, identified, vendor_member) -> None:
    with pytest.raises(Conflict, match="notified"):
        log_email(identified, coordinator)
    actions.notify_participant(identified.pk, actor=coordinator)
    with pytest.raises(PermissionDenied):  # the developer sees its participation, not the contact log
        log_email(identified, vendor_member)
    actions.close_participation(identified.pk, actor=coordinator)
    with pytest.raises(Conflict):
        log_email(identified, coordinator)


def test_other_developers_cannot_log_attempts(participation, other_vendor_member) -> None:
    with pytest.raises(NotFound):
        log_email(participation, other_vendor_member)


# --- acknowledge and close -----------------------------------------------------------------------


def test_developer_acknowledges(participation, vendor_member) -> None:
    with audited() as names:
        acknowledged = actions.acknowledge_participation(participation.pk, actor=vendor_member)
    assert names == ["case:participant:acknowledged"]
    assert acknowledged.status == "acknowledged"
    assert acknowledged.acknowledged_at is not None
    assert last_event("case:participant:acknowledged").data["from"] == "notified"


def test_acknowledge_refusals(
    coordinator, participation, identified, vendor_member, other_vendor_member, partner, intake_staff
) -> None:
    with pytest.raises(NotFound):
        actions.acknowledge_participation(participation.pk, actor=other_vendor_member)
    with pytest.raises(NotFound):  # not notified yet: the developer may not know of it
        actions.acknowledge_participation(identified.pk, actor=vendor_member)
    with pytest.raises(NotFound):
        actions.acknowledge_participation(participation.pk, actor=partner)
    with pytest.raises(PermissionDenied):
        actions.acknowledge_participation(participation.pk, actor=intake_staff)
    with pytest.raises(TransitionNotAllowed):
        actions.acknowledge_participation(identified.pk, actor=coordinator)


def test_close_participation(coordinator, participation, vendor_member) -> None:
    with pytest.raises(PermissionDenied):
        actions.close_participation(participation.pk, actor=vendor_member)
    with pytest.raises(InvalidInput):
        actions.close_participation(participation.pk, note=3, actor=coordinator)  # type: ignore[arg-type]
    with audited() as names:
        closed = actions.close_participation(participation.pk, note=" not our product ", actor=coordinator)
    assert names == ["case:participant:closed"]
    assert (closed.status, closed.closing_note) == ("closed", "not our product")
    with pytest.raises(TransitionNotAllowed, match="is final"):
        actions.close_participation(participation.pk, actor=coordinator)
