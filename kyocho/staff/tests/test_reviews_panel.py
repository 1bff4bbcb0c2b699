"""The review panel of the staff case page: the answer overview (silent developers are "no response"),
what waits for review, approve / return, and a number of queries that does not grow with the developers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind, Role
from kyocho.cases import actions as cases
from kyocho.cases import review_queries, reviews
from kyocho.cases.models import Answer, Case, Statement
from kyocho.conftest import coordinating_case, make_member, make_organisation
from kyocho.staff import views as staff_views

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]


def developers(count: int, start: int = 0) -> list[Organisation]:
    return [
        make_organisation(f"Developer {n:03d}", OrganisationKind.PRODUCT_DEVELOPER) for n in range(start, start + count)
    ]


def busy_case(coordinator: User, organisations: list[Organisation]) -> Case:
    """Every developer notified and acknowledged, two vulnerabilities with three products each; the even
    developers answered everything and wrote a statement, the odd ones are silent."""
    case = coordinating_case(coordinator, *organisations, title="A library used everywhere")
    vulnerabilities = [
        cases.add_vulnerability(
            case.pk,
            title=title,
            affected=[{"product": f"P{n}", "organisation_id": org.pk} for org in organisations for n in range(3)],
            actor=coordinator,
        )
        for title in ("Overflow", "Injection")
    ]
    for index, participation in enumerate(case.participations.order_by("pk")):
        cases.acknowledge_participation(participation.pk, actor=coordinator)
        if index % 2:
            continue
        for vulnerability in vulnerabilities:
            for n in range(3):
                cases.record_answer(
                    participation.pk, vulnerability_id=vulnerability.pk, product=f"P{n}",
                    status="fixed" if n else "affected", fixed_version="1.1" if n else "", actor=coordinator,
                )  # fmt: skip
        reviews.save_statement(participation.pk, text_ja="", text_en="Fixed.", references=[], actor=coordinator)
    return case


def page_url(case: Case) -> str:
    return f"/staff/cases/{case.reference}/"


def review_url(case: Case) -> str:
    return f"/staff/cases/{case.reference}/reviews/"


def test_the_overview_counts_silent_developers_as_no_response(coordinator: User) -> None:
    case = busy_case(coordinator, developers(4))
    overview = review_queries.answer_overview(coordinator, case)
    assert (overview.developers, overview.silent) == (4, 2)
    assert [row.cells for row in overview.rows] == [[0, 2, 0, 4, 6], [0, 2, 0, 4, 6]]  # ui, affected, na, fixed, none
    assert overview.total_cells == [0, 4, 0, 8, 12]
    assert overview.answer_reviews == {"pending": 12} and overview.statement_reviews == {"pending": 2}


def test_the_panel_shows_the_overview_and_what_waits(client_for: ClientFor, coordinator: User) -> None:
    case = busy_case(coordinator, developers(3))
    page = client_for(coordinator).get(page_url(case)).content.decode()
    assert "Answers and statements" in page and "No response" in page and "Unknown" not in page
    assert "3 developers notified, 1 without any answer" in page
    assert "12 waiting for review, 0 approved, 0 returned" in page
    waiting = page.split("Waiting for review")[1].split('id="conversations"')[0]  # the review panel only
    assert "Developer 000" in waiting and "Developer 002" in waiting and "Developer 001" not in waiting
    assert page.count('value="return_answer"') == 12 and page.count('value="return_statement"') == 2


def test_approve_and_return_from_the_panel(client_for: ClientFor, coordinator: User) -> None:
    case = busy_case(coordinator, developers(1))
    client = client_for(coordinator)
    first, second = Answer.objects.order_by("pk")[:2]
    done = client.post(review_url(case), {"action": "approve_answer", "id": first.pk, "page": "1"})
    assert done.status_code == 302 and done["Location"] == page_url(case) + "?reviews=1#reviews"
    refused = client.post(review_url(case), {"action": "return_answer", "id": second.pk, "comment": "  "})
    assert refused["Location"] == page_url(case) + "#reviews"
    client.post(
        review_url(case), {"action": "return_statement", "id": Statement.objects.get().pk, "comment": "Add a link."}
    )
    page = client.get(page_url(case)).content.decode()
    assert "Answer approved." in page and "A comment for the developer is required." in page
    assert "Statement returned to the developer with your comment." in page
    assert [row.review_status for row in Answer.objects.order_by("pk")[:2]] == ["approved", "pending"]
    assert Statement.objects.get().review_status == "returned"
    assert (
        "5 waiting for review, 1 approved, 0 returned" in page
        and "0 waiting for review, 0 approved, 1 returned" in page
    )


def test_an_answer_of_another_case_is_404_here(client_for: ClientFor, coordinator: User) -> None:
    case = busy_case(coordinator, developers(1))
    elsewhere = busy_case(coordinator, developers(1, start=10))
    other_answer = Answer.objects.filter(participation__case=elsewhere).first()
    assert other_answer is not None
    client = client_for(coordinator)
    for data in ({"action": "approve_answer", "id": other_answer.pk}, {"action": "approve_statement", "id": "x"}):
        assert client.post(review_url(case), data).status_code == 404
    assert Answer.objects.get(pk=other_answer.pk).review_status == "pending"


def test_intake_staff_see_the_panel_without_buttons_and_cannot_review(
    client_for: ClientFor, coordinator: User, intake_staff: User
) -> None:
    case = busy_case(coordinator, developers(1))
    client = client_for(intake_staff)
    page = client.get(page_url(case)).content.decode()
    assert "Answers and statements" in page and "Return with comment" not in page
    client.post(review_url(case), {"action": "approve_answer", "id": Answer.objects.first().pk})  # type: ignore[union-attr]
    assert "Only coordinators can do this." in client.get(page_url(case)).content.decode()
    assert not Answer.objects.filter(review_status="approved").exists()


def test_others_get_404(client_for: ClientFor, coordinator: User, vendor_member: User, partner: User) -> None:
    case = busy_case(coordinator, developers(1))
    answer = Answer.objects.first()
    assert answer is not None
    for outsider in (vendor_member, partner):
        assert (
            client_for(outsider).post(review_url(case), {"action": "approve_answer", "id": answer.pk}).status_code
            == 404
        )
    assert Answer.objects.get(pk=answer.pk).review_status == "pending"


def test_the_queue_is_paged_by_developer(client_for: ClientFor, coordinator: User, settings: Any) -> None:
    case = busy_case(coordinator, developers(2 * review_queries.REVIEW_PAGE + 2))  # half of them answered
    shown, groups = review_queries.review_queue(coordinator, case, page=2)
    assert shown.paginator.num_pages == 2 and len(groups) == 1
    assert [len(group.answers) for group in groups] == [6] and groups[0].statement is not None
    page = client_for(coordinator).get(page_url(case) + "?reviews=2").content.decode()
    assert "Page 2 of 2" in page and 'rel="prev"' in page


def panel_queries(coordinator: User, case: Case) -> int:
    request = RequestFactory().get(page_url(case))
    request.user = coordinator
    with CaptureQueriesContext(connection) as queries:
        staff_views._reviews_panel(request, case)
    return len(queries)


def test_the_panel_reads_in_the_same_number_of_queries_for_2_or_12_developers(coordinator: User) -> None:
    small = busy_case(coordinator, developers(2))
    large = busy_case(coordinator, developers(12, start=100))
    coordinator = User.objects.get(pk=coordinator.pk)  # a fresh object: memberships read once for each
    assert panel_queries(coordinator, small) == panel_queries(User.objects.get(pk=coordinator.pk), large)


def test_a_lead_reviews_from_the_panel_too(
    client_for: ClientFor, coordinator: User, coordinator_team: Organisation
) -> None:
    lead = make_member("second-lead@example.org", coordinator_team, Role.LEAD)
    case = busy_case(coordinator, developers(1))
    answer = Answer.objects.first()
    assert answer is not None
    client_for(lead).post(review_url(case), {"action": "approve_answer", "id": answer.pk})
    assert Answer.objects.get(pk=answer.pk).reviewed_by == lead
