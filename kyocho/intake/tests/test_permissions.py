"""Who may do what to a report, and every transition the actions must refuse.

Anyone who cannot see a report gets NotFound; the reporter, who can see it, gets PermissionDenied
for the desk's actions, and the desk gets PermissionDenied for the reporter's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kyocho.core.errors import NotFound, PermissionDenied, TransitionNotAllowed
from kyocho.intake import actions, queries
from kyocho.intake.tests.helpers import TRIAGE, audit_names, live_case, reload, submit, walk_to

STAFF_ACTIONS: dict[str, Callable[..., object]] = {
    "request_information": lambda report, actor, case: actions.request_information(
        report.pk, question="Which build?", actor=actor
    ),
    "accept_report": lambda report, actor, case: actions.accept_report(report.pk, actor=actor),
    "accept_into_case": lambda report, actor, case: actions.accept_report(report.pk, actor=actor, case_id=case.pk),
    "reject_report": lambda report, actor, case: actions.reject_report(
        report.pk, reason="not_a_vulnerability", note="", actor=actor
    ),
    "mark_duplicate": lambda report, actor, case: actions.mark_duplicate(report.pk, case_id=case.pk, actor=actor),
    "mark_spam": lambda report, actor, case: actions.mark_spam(report.pk, actor=actor),
    "record_triage": lambda report, actor, case: actions.record_triage(report.pk, inputs=TRIAGE, actor=actor),
    "revoke_tracking_token": lambda report, actor, case: actions.revoke_tracking_token(report.pk, actor=actor),
}
OUTSIDERS = ["vendor_member", "partner", "committee_member", "other_reporter", "nobody", "anonymous"]


@pytest.fixture
def outsider(request: pytest.FixtureRequest, db: None) -> Any:
    from kyocho.accounts import actions as accounts

    name = request.param
    if name == "nobody":
        return None
    if name == "anonymous":
        return AnonymousUser()
    if name == "other_reporter":
        return accounts.create_user("someone-else@example.net", actor=None)
    return request.getfixturevalue(name)


@pytest.mark.parametrize("action", STAFF_ACTIONS)
@pytest.mark.parametrize("outsider", OUTSIDERS, indirect=True)
def test_outsiders_cannot_even_find_a_report(outsider: Any, coordinator: Any, action: str) -> None:
    report, _token = submit()
    with pytest.raises(NotFound):
        STAFF_ACTIONS[action](report, outsider, live_case(coordinator))
    assert audit_names(reload(report)) == ["intake:report:received"]


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_the_reporter_sees_their_report_but_cannot_triage_it(reporter: Any, coordinator: Any, action: str) -> None:
    report, _token = submit(reporter)
    with pytest.raises(PermissionDenied):
        STAFF_ACTIONS[action](report, reporter, live_case(coordinator))
    assert reload(report).status == "received"


def test_intake_staff_may_do_every_triage_action(intake_staff: Any, coordinator: Any) -> None:
    for action in STAFF_ACTIONS:
        report, _token = submit()
        STAFF_ACTIONS[action](report, intake_staff, live_case(coordinator))


REPORTER_ACTIONS: dict[str, Callable[..., object]] = {
    "provide_information": lambda report, actor, token: actions.provide_information(
        report.pk, answer="Build 7", actor=actor, token=token
    ),
    "withdraw_report": lambda report, actor, token: actions.withdraw_report(report.pk, actor=actor, token=token),
}


@pytest.mark.parametrize("action", REPORTER_ACTIONS)
@pytest.mark.parametrize("outsider", OUTSIDERS, indirect=True)
def test_only_the_reporter_answers_or_withdraws(outsider: Any, reporter: Any, intake_staff: Any, action: str) -> None:
    report, _token = submit(reporter)
    actions.request_information(report.pk, question="Which build?", actor=intake_staff)
    with pytest.raises(NotFound):
        REPORTER_ACTIONS[action](report, outsider, None)
    with pytest.raises(PermissionDenied):
        REPORTER_ACTIONS[action](report, intake_staff, None)
    assert reload(report).status == "needs_info"


@pytest.mark.parametrize("action", REPORTER_ACTIONS)
def test_staff_holding_no_token_cannot_act_for_an_anonymous_reporter(coordinator: Any, action: str) -> None:
    report, _token = walk_to("needs_info", coordinator)
    with pytest.raises(PermissionDenied):
        REPORTER_ACTIONS[action](report, coordinator, None)


def test_staff_see_every_report_and_outsiders_none(
    coordinator: Any, intake_staff: Any, vendor_member: Any, partner: Any, reporter: Any
) -> None:
    report, _token = submit()
    assert queries.get_report(intake_staff, report.pk) == report
    assert queries.get_report(coordinator, report.pk) == report
    for outsider in (vendor_member, partner, reporter, None):
        with pytest.raises(NotFound):
            queries.get_report(outsider, report.pk)


# Forbidden transitions, through the actions.

FINAL_STATES = ["accepted", "rejected", "duplicate", "withdrawn", "spam"]
TRANSITIONS = ["request_information", "accept_report", "reject_report", "mark_duplicate", "mark_spam"]


@pytest.mark.parametrize("action", TRANSITIONS)
@pytest.mark.parametrize("status", FINAL_STATES)
def test_a_decided_report_cannot_move(coordinator: Any, status: str, action: str) -> None:
    report, _token = walk_to(status, coordinator)
    with pytest.raises(TransitionNotAllowed) as refused:
        STAFF_ACTIONS[action](report, coordinator, live_case(coordinator))
    assert refused.value.http_status == 409
    assert reload(report).status == status


@pytest.mark.parametrize("action", REPORTER_ACTIONS)
@pytest.mark.parametrize("status", FINAL_STATES)
def test_a_decided_report_cannot_be_answered_or_withdrawn(coordinator: Any, status: str, action: str) -> None:
    report, token = walk_to(status, coordinator)
    with pytest.raises(TransitionNotAllowed):
        REPORTER_ACTIONS[action](report, None, token)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("needs_info", "request_information"),  # one open question at a time
        ("needs_info", "accept_report"),  # the answer comes first
        ("needs_info", "mark_duplicate"),
    ],
)
def test_waiting_for_information_refuses(coordinator: Any, status: str, action: str) -> None:
    report, _token = walk_to(status, coordinator)
    with pytest.raises(TransitionNotAllowed):
        STAFF_ACTIONS[action](report, coordinator, live_case(coordinator))


def test_nothing_to_answer_while_not_asked(db: None) -> None:
    report, token = submit()
    with pytest.raises(TransitionNotAllowed):
        actions.provide_information(report.pk, answer="unprompted", actor=None, token=token)


def test_a_withdrawn_report_cannot_be_accepted_and_opens_no_case(coordinator: Any) -> None:
    from kyocho.cases.models import Case

    report, _token = walk_to("withdrawn", coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.accept_report(report.pk, actor=coordinator, case_title="Should not exist")
    assert not Case.objects.filter(title="Should not exist").exists()


def test_unknown_report_ids_are_not_found(coordinator: Any) -> None:
    for report_id in (999_999, "abc", None):
        with pytest.raises(NotFound):
            actions.mark_spam(report_id, actor=coordinator)  # type: ignore[arg-type]
