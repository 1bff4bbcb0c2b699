"""The daily staff digest: at KYOCHO_DIGEST_HOUR local time, once a day whatever the number of runs,
one content-free mail per coordinator (intake staff: the triage part), none when nothing is due."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kyocho.accounts.models import Organisation, User
from kyocho.audit.models import AuditEvent
from kyocho.cases import actions, digest, followup
from kyocho.cases.models import Case, Participation, Statement
from kyocho.cases.tests.helpers import log_attempts_until_unreachable
from kyocho.conftest import coordinating_case, submit_test_report
from kyocho.core.clock import now
from kyocho.messaging.models import InboundMail, OutboundEmail
from kyocho.messaging.workflow import InboundStatus

pytestmark = pytest.mark.django_db

JST = ZoneInfo("Asia/Tokyo")
T0 = dt.datetime(2026, 5, 1, 10, 0, tzinfo=JST)  # a Friday: the case starts, the report arrives
DAY = dt.timedelta(days=1)
SECRET = "Heap overflow in the camera's RTSP parser"


def at_hour(day: dt.datetime, hour: int = 9, minute: int = 0) -> dt.datetime:
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def rules(settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Tokyo"
    settings.KYOCHO = {
        **settings.KYOCHO,
        "REMINDER_DAYS": 7,
        "ESCALATION_DAYS": 14,
        "DIGEST_HOUR": 9,
        "DIGEST_DISCLOSURE_DAYS": 7,
        "DEFAULT_DISCLOSURE_DAYS": 45,
    }


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation) -> Case:
    with time_machine.travel(T0, tick=False):
        return coordinating_case(coordinator, vendor_org, title=SECRET)


@pytest.fixture
def silent(case: Case) -> Participation:
    return case.participations.get()


def send(at: dt.datetime, *, in_english: bool = True) -> int:
    """Send the digest due at ``at``; the tests read its English wording unless told otherwise (staff
    accounts are Japanese until their owner chooses)."""
    if in_english:
        User.objects.update(preferred_language="en")
    with time_machine.travel(at, tick=False):
        return digest.send_staff_digest()


def digests() -> dict[str, str]:
    """The digest mails by recipient (subject and body), the latest one for each."""
    return {
        mail.to: mail.subject + "\n" + mail.body
        for mail in OutboundEmail.objects.filter(purpose="staff:digest").order_by("pk")
    }


def clear_digests() -> None:
    OutboundEmail.objects.filter(purpose="staff:digest").delete()


def test_not_before_the_digest_hour_then_once_that_day(coordinator: User, silent: Participation) -> None:
    day = T0 + 2 * DAY
    assert send(at_hour(day, 8, 59)) == 0
    assert send(at_hour(day, 9, 0)) == 1
    assert send(at_hour(day, 9, 10)) == 0  # another run, or another scheduler, the same day
    assert send(at_hour(day, 23, 59)) == 0
    assert send(at_hour(day + DAY, 9, 10)) == 1  # the next day
    assert OutboundEmail.objects.filter(purpose="staff:digest", to=coordinator.email).count() == 2


def test_the_hour_and_zone_are_configurable(settings: Any, coordinator: User, silent: Participation) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "DIGEST_HOUR": 17}
    settings.TIME_ZONE = "UTC"
    day = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
    assert digest.todays_digest_at(day) == dt.datetime(2026, 5, 4, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert send(day.replace(hour=16, minute=59)) == 0
    assert send(day.replace(hour=17)) == 1


def test_a_digest_with_nothing_in_it_is_not_sent(coordinator: User, lead: User, intake_staff: User) -> None:
    assert send(at_hour(T0 + DAY)) == 0
    assert not OutboundEmail.objects.filter(purpose="staff:digest").exists()
    event = AuditEvent.objects.get(name="staff:digest:sent")
    assert event.data["mails"] == 0


def test_what_is_due_for_coordinators(
    coordinator: User, lead: User, case: Case, silent: Participation, other_vendor_org: Organisation
) -> None:
    """Not acknowledged, answers and statements to review, held mail, the disclosure date coming."""
    with time_machine.travel(T0 + DAY, tick=False):
        other = actions.add_participant(case.pk, organisation_id=other_vendor_org.pk, actor=coordinator)
        actions.notify_participant(other.pk, actor=coordinator)
        actions.acknowledge_participation(other.pk, actor=coordinator)
        vulnerability = actions.add_vulnerability(case.pk, title="Heap overflow", actor=coordinator)
        actions.record_answer(
            other.pk, vulnerability_id=vulnerability.pk, product="NetCam 3", status="affected", actor=coordinator
        )
        # Statements and inbound mail are written by the portal and inbound-mail pieces; their actions are
        # not on this branch, so the rows are made as those actions leave them.
        Statement.objects.create(participation=other, text_en="We are fixing it.", updated_at=now())
        InboundMail.objects.create(
            raw=b"garbled", sha256="0" * 64, via="smtp", received_at=now(), status=InboundStatus.HELD
        )
    assert send(at_hour(T0 + 40 * DAY)) == 2  # the coordinator and the lead
    text = digests()[coordinator.email]
    assert digests()[lead.email] == text
    ref = case.reference
    assert f"Developers that have not acknowledged ==\n- {ref}: 1 developer — " in text
    assert f"Answers waiting for your review ==\n- {ref}: 1 answer — http://" in text
    assert f"Statements waiting for your review ==\n- {ref}: 1 statement — " in text
    assert "1 message could not be read or sorted." in text
    assert case.target_disclosure_at is not None
    target = case.target_disclosure_at.astimezone(JST).strftime("%Y-%m-%d %H:%M JST")
    assert f"Disclosure dates within 7 days ==\n- {ref}: {target} (target) — " in text
    assert f"/staff/cases/{ref}/" in text


def test_the_digest_is_content_free(coordinator: User, case: Case, silent: Participation) -> None:
    submit_test_report(product_name="Secret Camera 3000", developer_name="Camera Works")
    assert send(at_hour(T0 + 20 * DAY)) == 1
    text = digests()[coordinator.email]
    for detail in (SECRET, silent.organisation.name, "Secret Camera 3000", "Camera Works"):
        assert detail not in text
    [mail] = OutboundEmail.objects.filter(purpose="staff:digest")
    assert not mail.encrypt_to


def test_reminders_and_escalations_since_the_last_digest(coordinator: User, case: Case, silent: Participation) -> None:
    send(at_hour(T0 + 7 * DAY))  # 09:00 on the reminder day: before the reminder
    with time_machine.travel(T0 + 7 * DAY, tick=False):
        assert followup.send_due_reminders() == 1
    clear_digests()
    send(at_hour(T0 + 8 * DAY))
    text = digests()[coordinator.email]
    assert f"Reminders sent since the last digest ==\n- {case.reference}: 1 developer" in text
    assert "Escalations since" not in text

    with time_machine.travel(T0 + 14 * DAY, tick=False):
        assert followup.send_due_escalations() == 1
    clear_digests()
    send(at_hour(T0 + 16 * DAY))  # a day without a digest in between: still since the last one
    text = digests()[coordinator.email]
    assert f"Escalations since the last digest ==\n- {case.reference}: 1 developer" in text
    assert "Reminders sent since" not in text


def test_developers_who_may_now_be_declared_unreachable(coordinator: User, case: Case, silent: Participation) -> None:
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 30 * DAY, tick=False):
        log_attempts_until_unreachable(silent, actor=coordinator)
    send(at_hour(T0 + 31 * DAY))
    text = digests()[coordinator.email]
    assert f"Developers who may now be declared unreachable ==\n- {case.reference}: 1 developer" in text


def test_intake_staff_get_the_triage_part_only(
    coordinator: User, intake_staff: User, case: Case, silent: Participation
) -> None:
    assert send(at_hour(T0 + DAY)) == 1  # cases only: nothing for the intake desk
    assert set(digests()) == {coordinator.email}
    with time_machine.travel(T0 + DAY, tick=False):
        report = submit_test_report()
    clear_digests()
    assert send(at_hour(T0 + 15 * DAY)) == 2  # past Golden Week and five business days
    intake_text, coordinator_text = digests()[intake_staff.email], digests()[coordinator.email]
    assert f"Reports past their triage target ==\n- {report.reference}: http://" in intake_text
    assert f"/staff/reports/{report.reference}/" in intake_text
    assert case.reference not in intake_text
    assert report.reference in coordinator_text and case.reference in coordinator_text


def test_the_digest_is_in_each_persons_language(coordinator_team: Organisation, silent: Participation) -> None:
    from kyocho.accounts import actions as accounts
    from kyocho.accounts.roles import Role

    english = accounts.create_user("en-coordinator@example.org", actor=None, language="en")
    accounts.add_member(coordinator_team.pk, user_id=english.pk, role=Role.COORDINATOR, actor=None)
    send(at_hour(T0 + DAY), in_english=False)
    languages = dict(OutboundEmail.objects.filter(purpose="staff:digest").values_list("to", "language"))
    assert languages == {"coordinator@example.org": "ja", english.email: "en"}
    assert digests()[english.email].startswith("[kyocho] What is due today (2026-05-02)")
    assert digests()["coordinator@example.org"].startswith("[kyocho] 本日の対応事項（2026-05-02）")
