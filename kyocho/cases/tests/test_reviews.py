"""Statements, the coordinator's review of answers and statements, and what may be published."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.cases import actions, review_queries, reviews
from kyocho.cases.models import Answer, Statement
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from kyocho.messaging.models import OutboundEmail

pytestmark = pytest.mark.django_db

STATEMENT: dict[str, Any] = {
    "text_ja": "影響はありません。",
    "text_en": "Not affected.",
    "references": ["https://vendor-a.example/psirt/1"],
}


@pytest.fixture
def vulnerability(coordinator, case, vendor_org):
    return actions.add_vulnerability(
        case.pk,
        title="Stored XSS",
        affected=[{"product": "Router X", "versions": "< 2.1", "organisation_id": vendor_org.pk}],
        actor=coordinator,
    )


@pytest.fixture
def acknowledged(participation, vendor_member):
    return actions.acknowledge_participation(participation.pk, actor=vendor_member)


@pytest.fixture
def answer(acknowledged, vulnerability, vendor_member) -> Answer:
    return answer_as(acknowledged, vulnerability, vendor_member, "affected")


@pytest.fixture
def statement(acknowledged, vendor_member) -> Statement:
    return reviews.save_statement(acknowledged.pk, **STATEMENT, actor=vendor_member)


def answer_as(participation, vulnerability, actor, status, **details) -> Answer:
    return actions.record_answer(
        participation.pk, vulnerability_id=vulnerability.pk, product="Router X", status=status, actor=actor, **details
    )


def fresh(row: Any) -> Any:
    row.refresh_from_db()
    return row


# --- statements ------------------------------------------------------------------------------------


def test_a_developer_writes_a_statement_waiting_for_review(acknowledged, vendor_member) -> None:
    with audited() as names:
        saved = reviews.save_statement(
            acknowledged.pk,
            text_ja=" 修正版を公開しました。 ",
            text_en="",
            references=["https://vendor-a.example/a", " https://vendor-a.example/a ", "", "http://vendor-a.example/b"],
            actor=vendor_member,
        )
    assert names == ["case:statement:saved"]
    assert (saved.text_ja, saved.text_en, saved.review_status) == ("修正版を公開しました。", "", "pending")
    assert saved.references == ["https://vendor-a.example/a", "http://vendor-a.example/b"]
    assert saved.updated_by == vendor_member
    data = last_event("case:statement:saved").data
    assert (data["languages"], data["references"], data["review_from"]) == (["ja"], 2, None)


def test_references_may_come_as_lines_of_text(acknowledged, vendor_member) -> None:
    saved = reviews.save_statement(
        acknowledged.pk,
        text_ja="",
        text_en="Fixed in 2.1.",
        references="https://vendor-a.example/a\r\n\r\nhttps://vendor-a.example/b\n",
        actor=vendor_member,
    )
    assert saved.references == ["https://vendor-a.example/a", "https://vendor-a.example/b"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text_ja": "", "text_en": "  "}, "text_ja"),
        ({"text_ja": "x" * 10_001}, "text_ja"),
        ({"text_en": "x" * 10_001}, "text_en"),
        ({"text_ja": 3}, "text_ja"),
        ({"references": ["ftp://vendor-a.example/a"]}, "references"),
        ({"references": ["javascript:alert(1)"]}, "references"),
        ({"references": ["vendor-a.example/advisory"]}, "references"),
        ({"references": ["https://vendor-a.example/" + "a" * 2000]}, "references"),
        ({"references": [f"https://vendor-a.example/{n}" for n in range(21)]}, "references"),
        ({"references": [{"url": "https://vendor-a.example/"}]}, "references"),
        ({"references": 5}, "references"),
    ],
)
def test_statement_bad_input(acknowledged, vendor_member, fields, field) -> None:
    with audited() as names, pytest.raises(InvalidInput) as refused:
        reviews.save_statement(acknowledged.pk, **{**STATEMENT, **fields}, actor=vendor_member)
    assert refused.value.field == field
    assert names == [] and not Statement.objects.exists()


def test_developer_writes_a_statement_only_after_acknowledging(participation, vendor_member) -> None:
    with pytest.raises(Conflict, match="before answering"):
        reviews.save_statement(participation.pk, **STATEMENT, actor=vendor_member)


def test_a_coordinator_writes_a_statement_on_behalf_of_a_notified_developer(participation, coordinator) -> None:
    assert reviews.save_statement(participation.pk, **STATEMENT, actor=coordinator).updated_by == coordinator


def test_nobody_writes_a_statement_for_an_identified_developer(coordinator, case, other_vendor_org) -> None:
    identified = actions.add_participant(case.pk, organisation_id=other_vendor_org.pk, actor=coordinator)
    with pytest.raises(Conflict, match="not been notified"):
        reviews.save_statement(identified.pk, **STATEMENT, actor=coordinator)


def test_statement_permissions(
    coordinator, case, acknowledged, other_vendor_member, intake_staff, partner, partner_org, reporter
) -> None:
    """Another developer, and whoever cannot see the case, learn nothing (404); those who see it, 403."""
    actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    for stranger in (other_vendor_member, reporter, None):
        with pytest.raises(NotFound):
            reviews.save_statement(acknowledged.pk, **STATEMENT, actor=stranger)
    for onlooker in (intake_staff, partner):
        with pytest.raises(PermissionDenied):
            reviews.save_statement(acknowledged.pk, **STATEMENT, actor=onlooker)
    with pytest.raises(NotFound):
        reviews.save_statement(999_999, **STATEMENT, actor=coordinator)


def test_saving_the_same_statement_again_changes_nothing(statement, acknowledged, vendor_member) -> None:
    with audited() as names:
        again = reviews.save_statement(acknowledged.pk, **STATEMENT, actor=vendor_member)
    assert names == [] and again.pk == statement.pk and again.updated_at == statement.updated_at


def test_changing_an_approved_statement_sends_it_back_to_review(
    statement, acknowledged, vendor_member, coordinator
) -> None:
    reviews.review_statement(statement.pk, approve=True, actor=coordinator)
    assert reviews.save_statement(acknowledged.pk, **STATEMENT, actor=vendor_member).review_status == "approved"
    changed = reviews.save_statement(acknowledged.pk, **{**STATEMENT, "text_en": "Fixed."}, actor=vendor_member)
    assert (changed.review_status, changed.text_en) == ("pending", "Fixed.")
    assert last_event("case:statement:saved").data["review_from"] == "approved"


def test_a_returned_statement_sent_again_unchanged_goes_back_to_review(
    statement, acknowledged, vendor_member, coordinator
) -> None:
    reviews.review_statement(statement.pk, approve=False, comment="Please add the advisory link.", actor=coordinator)
    again = reviews.save_statement(acknowledged.pk, **STATEMENT, actor=vendor_member)
    assert again.review_status == "pending"
    assert again.review_comment == "Please add the advisory link."  # what was asked stays readable
    assert last_event("case:statement:saved").data["review_from"] == "returned"


# --- answers go back to review when changed ------------------------------------------------------------


def test_changing_an_approved_answer_sends_it_back_to_review(
    answer, acknowledged, vulnerability, vendor_member, coordinator
) -> None:
    reviews.review_answer(answer.pk, approve=True, actor=coordinator)
    with audited() as names:
        unchanged = answer_as(acknowledged, vulnerability, vendor_member, "affected")
    assert names == [] and unchanged.review_status == "approved"
    fixed = answer_as(acknowledged, vulnerability, vendor_member, "fixed", fixed_version="2.1")
    assert fixed.review_status == "pending"
    assert last_event("case:answer:recorded").data["review_from"] == "approved"


def test_correcting_the_fixed_version_is_an_edit_reviewed_again(
    acknowledged, vulnerability, vendor_member, coordinator
) -> None:
    fixed = answer_as(acknowledged, vulnerability, vendor_member, "fixed", fixed_version="2.1")
    reviews.review_answer(fixed.pk, approve=False, comment="Is it 2.1.0 or 2.1.1?", actor=coordinator)
    corrected = answer_as(acknowledged, vulnerability, vendor_member, "fixed", fixed_version="2.1.1")
    assert (corrected.status, corrected.fixed_version, corrected.review_status) == ("fixed", "2.1.1", "pending")
    data = last_event("case:answer:recorded").data
    assert (data["from"], data["to"], data["review_from"]) == ("fixed", "fixed", "returned")


def test_a_returned_answer_sent_again_unchanged_goes_back_to_review(
    answer, acknowledged, vulnerability, vendor_member, coordinator
) -> None:
    reviews.review_answer(answer.pk, approve=False, comment="Are you sure?", actor=coordinator)
    assert answer_as(acknowledged, vulnerability, vendor_member, "affected").review_status == "pending"


# --- review transitions ---------------------------------------------------------------------------------


def test_approving_an_answer(answer, coordinator) -> None:
    with audited() as names:
        approved = reviews.review_answer(answer.pk, approve=True, comment=" Thanks ", actor=coordinator)
    assert names == ["case:answer:approved"]
    assert (approved.review_status, approved.review_comment, approved.reviewed_by) == (
        "approved",
        "Thanks",
        coordinator,
    )
    assert approved.reviewed_at is not None
    assert not OutboundEmail.objects.filter(purpose="case:review_returned").exists()


def test_returning_an_answer_with_a_comment(answer, coordinator) -> None:
    with audited() as names:
        returned = reviews.review_answer(answer.pk, approve=False, comment="Which versions?", actor=coordinator)
    assert names[0] == "case:answer:returned"
    assert (fresh(returned).review_status, returned.review_comment) == ("returned", "Which versions?")
    assert last_event("case:answer:returned").data["comment"] == "Which versions?"


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_returning_without_a_comment_is_refused(answer, statement, coordinator, comment) -> None:
    for review, row in ((reviews.review_answer, answer), (reviews.review_statement, statement)):
        with audited() as names, pytest.raises(InvalidInput) as refused:
            review(row.pk, approve=False, comment=comment, actor=coordinator)  # type: ignore[operator]
        assert refused.value.field == "comment" and names == []
        assert fresh(row).review_status == "pending"


def test_the_decision_must_be_yes_or_no(answer, coordinator) -> None:
    with pytest.raises(InvalidInput) as refused:
        reviews.review_answer(answer.pk, approve="yes", actor=coordinator)  # type: ignore[arg-type]
    assert refused.value.field == "approve"


@pytest.mark.parametrize(
    ("first", "then"),
    [(True, True), (True, False), (False, True), (False, False)],
    ids=["approved-approved", "approved-returned", "returned-approved", "returned-returned"],
)
def test_forbidden_review_transitions(answer, statement, coordinator, first, then) -> None:
    """A reviewed item is reviewed again only after the developer changed it (back to pending)."""
    for review, row in ((reviews.review_answer, answer), (reviews.review_statement, statement)):
        review(row.pk, approve=first, comment="First look", actor=coordinator)  # type: ignore[operator]
        with audited() as names, pytest.raises(TransitionNotAllowed):
            review(row.pk, approve=then, comment="Second look", actor=coordinator)  # type: ignore[operator]
        assert names == []
        assert fresh(row).review_comment == "First look"


def test_review_permissions(
    coordinator,
    case,
    answer,
    statement,
    vendor_member,
    other_vendor_member,
    intake_staff,
    partner,
    partner_org,
    reporter,
) -> None:
    actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    for review, row in ((reviews.review_answer, answer), (reviews.review_statement, statement)):
        for stranger in (other_vendor_member, reporter, None):
            with pytest.raises(NotFound):
                review(row.pk, approve=True, actor=stranger)  # type: ignore[operator]
        for onlooker in (vendor_member, intake_staff, partner):
            with pytest.raises(PermissionDenied):
                review(row.pk, approve=True, actor=onlooker)  # type: ignore[operator]
        with pytest.raises(NotFound):
            review(999_999, approve=True, actor=coordinator)  # type: ignore[operator]
        with pytest.raises(NotFound):
            review("x", approve=True, actor=coordinator)  # type: ignore[operator,arg-type]
        assert fresh(row).review_status == "pending"


def test_the_lead_reviews_too(answer, lead) -> None:
    assert reviews.review_answer(answer.pk, approve=True, actor=lead).review_status == "approved"


# --- many answers at once -------------------------------------------------------------------------------


def test_many_answers_at_once(acknowledged, vulnerability, vendor_member, coordinator, case) -> None:
    second = actions.add_vulnerability(case.pk, title="CSRF", actor=coordinator)
    saved = reviews.record_answers(
        acknowledged.pk,
        answers=[
            {"vulnerability_id": vulnerability.pk, "product": "Router X", "status": "fixed", "fixed_version": "2.1"},
            {
                "vulnerability_id": second.pk,
                "product": "Router X",
                "status": "not_affected",
                "justification": "component_not_present",
            },
        ],
        actor=vendor_member,
    )
    assert [row.status for row in saved] == ["fixed", "not_affected"]


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        ({"product": "Router X", "status": "fixed"}, "answers.1"),
        ({"vulnerability_id": 0, "product": "Router X", "status": "affected", "note": "x"}, "answers.1"),
        ({"vulnerability_id": 0, "product": "Router X", "status": "fixed"}, "answers.1.fixed_version"),
        (
            {"vulnerability_id": 0, "product": "Router X", "status": "not_affected", "justification": "nope"},
            "answers.1.justification",
        ),
        ("affected", "answers.1"),
    ],
)
def test_many_answers_all_or_none(acknowledged, vulnerability, vendor_member, cell, field) -> None:
    good = {"vulnerability_id": vulnerability.pk, "product": "Router X", "status": "affected"}
    if isinstance(cell, dict) and cell.get("vulnerability_id") == 0:
        cell = {**cell, "vulnerability_id": vulnerability.pk}
    with pytest.raises(InvalidInput) as refused:
        reviews.record_answers(acknowledged.pk, answers=[good, cell], actor=vendor_member)
    assert refused.value.field == field
    assert not Answer.objects.exists()


@pytest.mark.parametrize("answers", [[], None, {"vulnerability_id": 1}, [{}] * 501])
def test_many_answers_needs_a_list(acknowledged, vendor_member, answers) -> None:
    with pytest.raises(InvalidInput) as refused:
        reviews.record_answers(acknowledged.pk, answers=answers, actor=vendor_member)
    assert refused.value.field == "answers"


def test_many_answers_for_another_developer(acknowledged, vulnerability, other_vendor_member) -> None:
    with pytest.raises(NotFound):
        reviews.record_answers(
            acknowledged.pk,
            answers=[{"vulnerability_id": vulnerability.pk, "product": "Router X", "status": "affected"}],
            actor=other_vendor_member,
        )


# --- what may be published ------------------------------------------------------------------------------


def test_only_approved_answers_and_statements_may_be_published(
    coordinator, case, acknowledged, vulnerability, vendor_member, answer, statement, intake_staff, vendor_org
) -> None:
    other = answer_as(
        acknowledged, actions.add_vulnerability(case.pk, title="CSRF", actor=coordinator), vendor_member, "affected"
    )
    assert review_queries.publishable(case) == review_queries.Publishable(answers=[], statements=[])
    reviews.review_answer(answer.pk, approve=True, actor=coordinator)
    reviews.review_answer(other.pk, approve=False, comment="Check again", actor=coordinator)
    reviews.review_statement(statement.pk, approve=True, actor=coordinator)
    published = review_queries.approved_for_publication(coordinator, case.pk)
    assert [row.pk for row in published.answers] == [answer.pk]
    assert [row.pk for row in published.statements] == [statement.pk]
    assert review_queries.approved_for_publication(intake_staff, case.pk).answers == published.answers
    # A change after approval takes it out again until it is approved anew.
    answer_as(acknowledged, vulnerability, vendor_member, "fixed", fixed_version="2.1")
    assert review_queries.publishable(case).answers == []


def test_what_may_be_published_is_for_staff(case, vendor_member, partner) -> None:
    for actor in (vendor_member, partner, None):
        with pytest.raises(NotFound):
            review_queries.approved_for_publication(actor, case.pk)
