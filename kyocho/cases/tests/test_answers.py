"""Investigation answers per (vulnerability, product), and the derived no_response."""

from __future__ import annotations

import pytest

from kyocho.cases import actions, queries
from kyocho.cases.models import Answer
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed

pytestmark = pytest.mark.django_db


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


def answer(participation, vulnerability, actor, status, **details):
    return actions.record_answer(
        participation.pk, vulnerability_id=vulnerability.pk, product="Router X", status=status, actor=actor, **details
    )


def test_first_answer_creates_the_row(acknowledged, vulnerability, vendor_member) -> None:
    with audited() as names:
        row = answer(acknowledged, vulnerability, vendor_member, "affected")
    assert names == ["case:answer:recorded"]
    assert (row.status, row.product, row.updated_by) == ("affected", "Router X", vendor_member)
    assert last_event("case:answer:recorded").data["from"] is None


@pytest.mark.parametrize(
    ("status", "details"),
    [
        ("under_investigation", {}),
        ("affected", {}),
        ("not_affected", {"justification": "component_not_present"}),
        ("fixed", {"fixed_version": "2.1.0"}),
    ],
)
def test_first_answer_may_be_any_status(acknowledged, vulnerability, vendor_member, status, details) -> None:
    assert answer(acknowledged, vulnerability, vendor_member, status, **details).status == status


def test_later_answers_follow_the_table(acknowledged, vulnerability, vendor_member) -> None:
    answer(acknowledged, vulnerability, vendor_member, "under_investigation")
    answer(acknowledged, vulnerability, vendor_member, "affected")
    fixed = answer(acknowledged, vulnerability, vendor_member, "fixed", fixed_version=" 2.1.0 ")
    assert (fixed.status, fixed.fixed_version) == ("fixed", "2.1.0")
    assert last_event("case:answer:recorded").data | {"organisation": 0, "vulnerability": 0} == {
        "organisation": 0,
        "vulnerability": 0,
        "product": "Router X",
        "from": "affected",
        "to": "fixed",
        "review_from": None,
    }
    with audited() as names, pytest.raises(TransitionNotAllowed):
        answer(acknowledged, vulnerability, vendor_member, "not_affected", justification="component_not_present")
    assert names == []
    assert Answer.objects.get().status == "fixed"


def test_changing_status_clears_the_details_of_the_old_one(acknowledged, vulnerability, vendor_member) -> None:
    answer(acknowledged, vulnerability, vendor_member, "not_affected", justification="vulnerable_code_not_present")
    back = answer(acknowledged, vulnerability, vendor_member, "affected")
    assert (back.justification, back.fixed_version) == ("", "")


@pytest.mark.parametrize(
    ("status", "details", "field"),
    [
        ("not_affected", {}, "justification"),
        ("not_affected", {"justification": "we think so"}, "justification"),
        ("fixed", {}, "fixed_version"),
        ("fixed", {"fixed_version": "x" * 101}, "fixed_version"),
        ("affected", {"justification": "component_not_present"}, "justification"),
        ("affected", {"fixed_version": "2.1"}, "fixed_version"),
        ("no_response", {}, "status"),  # derived, never recorded
        ("maybe", {}, "status"),
    ],
)
def test_answer_bad_input(acknowledged, vulnerability, vendor_member, status, details, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        answer(acknowledged, vulnerability, vendor_member, status, **details)
    assert refused.value.field == field


def test_answer_needs_a_product(acknowledged, vulnerability, vendor_member) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.record_answer(
            acknowledged.pk, vulnerability_id=vulnerability.pk, product=" ", status="affected", actor=vendor_member
        )
    assert refused.value.field == "product"


def test_answer_for_a_vulnerability_of_another_case(coordinator, acknowledged, vendor_member, vendor_org) -> None:
    other_case = actions.open_case(title="other", actor=coordinator)
    elsewhere = actions.add_vulnerability(other_case.pk, title="elsewhere", actor=coordinator)
    with pytest.raises(NotFound):
        answer(acknowledged, elsewhere, vendor_member, "affected")
    with pytest.raises(InvalidInput):
        actions.record_answer(
            acknowledged.pk,
            vulnerability_id="x",  # type: ignore[arg-type]
            product="p",
            status="affected",
            actor=vendor_member,
        )


def test_developer_answers_only_after_acknowledging(participation, vulnerability, vendor_member) -> None:
    with pytest.raises(Conflict, match="before answering"):
        answer(participation, vulnerability, vendor_member, "affected")


def test_coordinator_may_note_an_answer_of_a_notified_developer(coordinator, participation, vulnerability) -> None:
    assert answer(participation, vulnerability, coordinator, "affected").updated_by == coordinator


def test_nobody_answers_for_an_identified_developer(coordinator, case, other_vendor_org, vulnerability) -> None:
    identified = actions.add_participant(case.pk, organisation_id=other_vendor_org.pk, actor=coordinator)
    with pytest.raises(Conflict, match="not been notified"):
        answer(identified, vulnerability, coordinator, "affected")


def test_answer_permissions(acknowledged, vulnerability, other_vendor_member, intake_staff) -> None:
    with pytest.raises(NotFound):
        answer(acknowledged, vulnerability, other_vendor_member, "affected")
    with pytest.raises(PermissionDenied):
        answer(acknowledged, vulnerability, intake_staff, "affected")


# --- the matrix with the derived no_response ----------------------------------------------------


def test_answer_matrix_derives_no_response(
    coordinator, case, acknowledged, vulnerability, vendor_member, other_vendor_org, other_vendor_member
) -> None:
    other = actions.add_participant(case.pk, organisation_id=other_vendor_org.pk, actor=coordinator)
    second = actions.add_vulnerability(case.pk, title="CSRF", actor=coordinator)
    answer(acknowledged, vulnerability, vendor_member, "affected")
    # An identified developer has not been asked: it is not in the matrix yet.
    cells = {
        (c.participation.pk, c.vulnerability.pk, c.product): c.status for c in queries.answer_matrix(coordinator, case)
    }
    assert cells == {
        (acknowledged.pk, vulnerability.pk, "Router X"): "affected",
        (acknowledged.pk, second.pk, ""): "no_response",
    }
    actions.notify_participant(other.pk, actor=coordinator)
    cells = {
        (c.participation.pk, c.vulnerability.pk, c.product): c.status for c in queries.answer_matrix(coordinator, case)
    }
    assert cells[(other.pk, vulnerability.pk, "")] == "no_response"
    assert cells[(other.pk, second.pk, "")] == "no_response"
    # Each developer sees only its own rows.
    own = queries.answer_matrix(vendor_member, case)
    assert {cell.participation.pk for cell in own} == {acknowledged.pk}
    theirs = queries.answer_matrix(other_vendor_member, case)
    assert {cell.participation.pk for cell in theirs} == {other.pk}
    assert all(cell.answer is None for cell in theirs)


def test_answer_matrix_hidden_from_those_who_cannot_see_the_case(case, committee_member, reporter) -> None:
    for actor in (committee_member, reporter, None):
        with pytest.raises(NotFound):
            queries.answer_matrix(actor, case)
