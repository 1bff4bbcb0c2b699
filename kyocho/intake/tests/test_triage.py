"""Each triage action's happy path, audit event and email to the reporter, built through real actions."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kyocho.audit.models import AuditEvent
from kyocho.cases import actions as cases
from kyocho.cases.models import Case
from kyocho.core.errors import Conflict, InvalidInput, NotFound
from kyocho.intake import actions, queries
from kyocho.intake.models import InformationRequest
from kyocho.intake.tests.helpers import TRIAGE, audit_names, emails_about, live_case, reload, submit, walk_to
from kyocho.intake.workflow import RejectionReason

JST = ZoneInfo("Asia/Tokyo")
MONDAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=JST)

# Asking and answering.


def test_request_information_waits_for_the_reporter(coordinator: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        report, _token = submit()
        actions.request_information(report.pk, question="  Which firmware build?  ", actor=coordinator)
    report = reload(report)
    assert report.status == "needs_info"
    assert report.needs_info_since == MONDAY
    assert report.info_request == "Which firmware build?"
    (asked,) = InformationRequest.objects.filter(report=report)
    assert (asked.question, asked.asked_by, asked.answer) == ("Which firmware build?", coordinator, "")
    assert audit_names(report)[-1] == "intake:report:information_requested"
    question_email = emails_about(report)[-1]
    assert question_email.purpose == "report:information_request"
    assert "Which firmware build?" in question_email.body
    assert "within 30 days" in question_email.body
    assert "tracking link in our acknowledgement" in question_email.body


@pytest.mark.parametrize("question", ["  ", "bell \x07", "x" * 20_001])
def test_request_information_needs_a_readable_question(intake_staff: Any, question: str) -> None:
    report, _token = submit()
    with pytest.raises(InvalidInput) as refused:
        actions.request_information(report.pk, question=question, actor=intake_staff)
    assert refused.value.field == "question"
    assert reload(report).status == "received"


def test_reporter_answers_with_the_tracking_token(coordinator: Any) -> None:
    report, token = walk_to("needs_info", coordinator)
    answered_at = MONDAY + dt.timedelta(days=3)
    with time_machine.travel(answered_at, tick=False):
        actions.provide_information(report.pk, answer="Build 2026.05.1", actor=None, token=token)
    report = reload(report)
    assert report.status == "received"
    assert (report.needs_info_since, report.info_request) == (None, "")
    # The triage clock restarts: Thu 4 June + 5 business days.
    assert report.triage_due_at == dt.datetime(2026, 6, 11, 9, 0, tzinfo=JST)
    asked = InformationRequest.objects.get(report=report)
    assert (asked.answer, asked.answered_at) == ("Build 2026.05.1", answered_at)
    event = AuditEvent.objects.filter(name="intake:report:information_provided").get()
    assert (event.actor_label, event.data["via"]) == ("system", "tracking_token")
    assert list(queries.information_requests(report)) == [asked]


def test_reporter_answers_from_their_account(reporter: Any, intake_staff: Any) -> None:
    report, _token = submit(reporter)
    actions.request_information(report.pk, question="Which build?", actor=intake_staff)
    actions.provide_information(report.pk, answer="The latest.", actor=reporter)
    assert reload(report).status == "received"
    event = AuditEvent.objects.filter(name="intake:report:information_provided").get()
    assert event.actor == reporter
    assert "sign in and answer" in emails_about(report)[-1].body


@pytest.mark.parametrize("answer", ["", "  ", None, "nul \x00", "x" * 20_001, ["a list"]])
def test_answer_must_be_readable_text(coordinator: Any, answer: Any) -> None:
    report, token = walk_to("needs_info", coordinator)
    with pytest.raises(InvalidInput) as refused:
        actions.provide_information(report.pk, answer=answer, actor=None, token=token)
    assert refused.value.field == "answer"
    assert reload(report).status == "needs_info"


# Decisions.


def test_intake_staff_accept_into_a_new_unowned_case(intake_staff: Any) -> None:
    report, _token = submit()
    actions.accept_report(report.pk, actor=intake_staff)
    report = reload(report)
    assert report.status == "accepted"
    assert report.decided_at is not None
    case = report.case
    assert case is not None
    assert (case.title, case.status, case.owner) == ("Example Router RT-500", "open", None)
    assert audit_names(report)[-1] == "intake:report:accepted"
    assert AuditEvent.objects.filter(name="case:case:opened", subject_id=str(case.pk)).exists()
    accepted = emails_about(report)[-1]
    assert accepted.purpose == "report:accepted"
    assert case.reference in accepted.body


def test_a_coordinator_accepting_owns_the_new_case(coordinator: Any) -> None:
    report, _token = submit()
    actions.accept_report(report.pk, actor=coordinator, case_title="Router XSS")
    case = reload(report).case
    assert case is not None
    assert (case.title, case.owner) == ("Router XSS", coordinator)


def test_accept_into_an_existing_case(coordinator: Any, intake_staff: Any) -> None:
    case = live_case(coordinator)
    first, _token = submit()
    second, _token = submit()
    actions.accept_report(first.pk, actor=intake_staff, case_id=case.pk)
    actions.accept_report(second.pk, actor=intake_staff, case_id=case.pk)
    assert list(case.reports.order_by("pk")) == [reload(first), reload(second)]
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(name="intake:report:accepted").last().data["new_case"] is False  # type: ignore[union-attr]


def test_a_reporter_with_an_account_can_see_the_case_their_report_joined(reporter: Any, coordinator: Any) -> None:
    from kyocho.cases.queries import get_case

    report, _token = submit(reporter)
    actions.accept_report(report.pk, actor=coordinator)
    case = reload(report).case
    assert case is not None
    assert get_case(reporter, case.pk) == case


def test_accept_refuses_a_published_case_a_missing_case_and_two_targets(coordinator: Any, vendor_org: Any) -> None:
    case = live_case(coordinator)
    participation = cases.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    cases.notify_participant(participation.pk, actor=coordinator)
    cases.mark_case_published(case.pk, actor=coordinator)
    report, _token = submit()
    with pytest.raises(Conflict) as refused:
        actions.accept_report(report.pk, actor=coordinator, case_id=case.pk)
    assert refused.value.http_status == 409
    with pytest.raises(NotFound):
        actions.accept_report(report.pk, actor=coordinator, case_id=999_999)
    with pytest.raises(InvalidInput) as refused_input:
        actions.accept_report(report.pk, actor=coordinator, case_id=live_case(coordinator).pk, case_title="New")
    assert refused_input.value.field == "case_title"
    assert reload(report).status == "received"


def test_reject_tells_the_reporter_the_reason_and_note(intake_staff: Any) -> None:
    report, _token = submit()
    actions.reject_report(report.pk, reason="out_of_scope", note="Web sites go to their operator.", actor=intake_staff)
    report = reload(report)
    assert (report.status, report.rejection_reason) == ("rejected", "out_of_scope")
    assert report.rejection_note == "Web sites go to their operator."
    assert audit_names(report)[-1] == "intake:report:rejected"
    rejected = emails_about(report)[-1]
    assert rejected.purpose == "report:rejected"
    assert "Reason: Out of scope" in rejected.body
    assert "Web sites go to their operator." in rejected.body


def test_rejecting_as_spam_sends_nothing(intake_staff: Any) -> None:
    report, _token = submit()
    actions.reject_report(report.pk, reason="spam", note="", actor=intake_staff)
    assert [email.purpose for email in emails_about(report)] == ["report:acknowledgement"]


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [
        ("", "", "reason"),
        ("boring", "", "reason"),
        ("not_a_vulnerability", "x" * 5001, "note"),
        ("not_a_vulnerability", "nul\x00", "note"),
    ],
)
def test_reject_refuses_bad_input(intake_staff: Any, reason: str, note: str, field: str) -> None:
    report, _token = submit()
    with pytest.raises(InvalidInput) as refused:
        actions.reject_report(report.pk, reason=reason, note=note, actor=intake_staff)
    assert refused.value.field == field


def test_no_answer_is_only_for_reports_waiting_for_one(coordinator: Any) -> None:
    report, _token = submit()
    with pytest.raises(Conflict):
        actions.reject_report(report.pk, reason="no_answer", note="", actor=coordinator)
    waiting, _token = walk_to("needs_info", coordinator)
    actions.reject_report(waiting.pk, reason="no_answer", note="", actor=coordinator)
    assert reload(waiting).rejection_reason == "no_answer"


def test_mark_duplicate_defers_to_the_case_and_tells_the_reporter(coordinator: Any, intake_staff: Any) -> None:
    case = live_case(coordinator)
    report, _token = submit()
    actions.mark_duplicate(report.pk, case_id=case.pk, actor=intake_staff)
    report = reload(report)
    assert (report.status, report.duplicate_of) == ("duplicate", case)
    assert report.case is None
    assert audit_names(report)[-1] == "intake:report:duplicate"
    assert emails_about(report)[-1].purpose == "report:duplicate"


def test_mark_duplicate_needs_a_live_case(intake_staff: Any) -> None:
    report, _token = submit()
    with pytest.raises(NotFound):
        actions.mark_duplicate(report.pk, case_id=999_999, actor=intake_staff)


def test_withdraw_by_token_and_by_account(reporter: Any) -> None:
    anonymous, token = submit()
    actions.withdraw_report(anonymous.pk, actor=None, token=token)
    assert reload(anonymous).status == "withdrawn"
    assert audit_names(anonymous)[-1] == "intake:report:withdrawn"
    own, _no_token = submit(reporter)
    actions.withdraw_report(own.pk, actor=reporter)
    assert reload(own).status == "withdrawn"


def test_spam_is_set_aside_silently(intake_staff: Any) -> None:
    report, _token = submit()
    actions.mark_spam(report.pk, actor=intake_staff)
    assert reload(report).status == "spam"
    assert audit_names(report)[-1] == "intake:report:spam"
    assert len(emails_about(report)) == 1


# SSVC.


def test_record_triage_stores_inputs_and_decision(intake_staff: Any) -> None:
    report, _token = submit()
    actions.record_triage(report.pk, inputs=TRIAGE, actor=intake_staff)
    report = reload(report)
    assert (report.triage_inputs, report.triage_decision) == (TRIAGE, "coordinate")
    event = AuditEvent.objects.filter(name="intake:report:triaged").get()
    assert event.data == {"inputs": TRIAGE, "decision": "coordinate"}
    actions.record_triage(report.pk, inputs={**TRIAGE, "report_public": "yes"}, actor=intake_staff)
    assert reload(report).triage_decision == "decline"


def test_record_triage_refuses_bad_inputs_and_closed_reports(coordinator: Any) -> None:
    report, _token = submit()
    with pytest.raises(InvalidInput) as refused:
        actions.record_triage(report.pk, inputs={**TRIAGE, "utility": "huge"}, actor=coordinator)
    assert refused.value.field == "utility"
    accepted, _token = walk_to("accepted", coordinator)
    with pytest.raises(Conflict):
        actions.record_triage(accepted.pk, inputs=TRIAGE, actor=coordinator)


# Tracking tokens.


def test_revoked_token_opens_nothing(intake_staff: Any, coordinator: Any) -> None:
    report, token = walk_to("needs_info", coordinator)
    actions.revoke_tracking_token(report.pk, actor=intake_staff)
    assert reload(report).tracking_token_revoked_at is not None
    assert audit_names(report)[-1] == "intake:tracking_token:revoked"
    with pytest.raises(NotFound):
        queries.report_for_token(token)
    with pytest.raises(NotFound):
        actions.provide_information(report.pk, answer="hello", actor=None, token=token)
    with pytest.raises(Conflict):
        actions.revoke_tracking_token(report.pk, actor=intake_staff)


def test_a_report_without_a_token_has_none_to_revoke(reporter: Any, intake_staff: Any) -> None:
    report, _token = submit(reporter)
    with pytest.raises(Conflict):
        actions.revoke_tracking_token(report.pk, actor=intake_staff)


@pytest.mark.parametrize("token", ["", "wrong", "x" * 129, None, 12345])
def test_wrong_or_malformed_tokens_open_nothing(db: None, token: Any) -> None:
    submit()
    with pytest.raises(NotFound):
        queries.report_for_token(token)


def test_another_reports_token_does_not_open_this_one(coordinator: Any) -> None:
    report, _token = walk_to("needs_info", coordinator)
    _other, other_token = submit()
    with pytest.raises(NotFound):
        actions.provide_information(report.pk, answer="hi", actor=None, token=other_token)
    with pytest.raises(NotFound):
        actions.withdraw_report(report.pk, actor=None, token=other_token)
    with pytest.raises(NotFound):
        actions.withdraw_report(report.pk, actor=None, token="wrong")
    assert reload(report).status == "needs_info"


# Expiry.


def test_unanswered_reports_expire_after_the_configured_days(coordinator: Any, reporter: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        silent, _token = walk_to("needs_info", coordinator)
        answered, token = walk_to("needs_info", coordinator)
    with time_machine.travel(MONDAY + dt.timedelta(days=10), tick=False):
        actions.provide_information(answered.pk, answer="Here it is.", actor=None, token=token)

    assert actions.expire_unanswered(MONDAY + dt.timedelta(days=30) - dt.timedelta(seconds=1)) == []
    with time_machine.travel(MONDAY + dt.timedelta(days=30), tick=False):
        assert actions.expire_unanswered(MONDAY + dt.timedelta(days=30)) == [silent.pk]
        assert actions.expire_unanswered(MONDAY + dt.timedelta(days=30)) == []  # safe to run twice
    silent = reload(silent)
    assert (silent.status, silent.rejection_reason) == ("rejected", RejectionReason.NO_ANSWER)
    event = AuditEvent.objects.filter(name="intake:report:rejected", subject_id=str(silent.pk)).get()
    assert (event.actor_label, event.data["reason"]) == ("system", "no_answer")
    assert "Reason: No answer to a request for information" in emails_about(silent)[-1].body
    assert reload(answered).status == "received"


def test_expiry_days_are_configurable(coordinator: Any, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "NEEDS_INFO_EXPIRY_DAYS": 3}
    with time_machine.travel(MONDAY, tick=False):
        report, _token = walk_to("needs_info", coordinator)
    assert actions.expire_unanswered(MONDAY + dt.timedelta(days=3)) == [report.pk]


def test_the_expiry_task_runs_the_action(coordinator: Any) -> None:
    from kyocho.intake.tasks import expire_unanswered_reports

    with time_machine.travel(MONDAY, tick=False):
        report, _token = walk_to("needs_info", coordinator)
    with time_machine.travel(MONDAY + dt.timedelta(days=31), tick=False):
        assert expire_unanswered_reports.call() == [report.pk]


def test_triage_queue_lists_open_reports_by_due_date_for_staff_only(
    intake_staff: Any, coordinator: Any, reporter: Any
) -> None:
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        later, _token = submit()
    with time_machine.travel(MONDAY, tick=False):
        sooner, _token = submit()
    walk_to("accepted", coordinator)
    assert list(queries.triage_queue(intake_staff)) == [sooner, later]
    assert list(queries.triage_queue(reporter)) == []
    assert list(queries.triage_queue(None)) == []
    assert queries.triage_queue(coordinator).count() == 2
