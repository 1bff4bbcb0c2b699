"""The developer portal's case page: what a developer sees and does (confirm receipt, answer, write a
statement, ask for a later date), what partners and reporters see, and that nothing of another
developer ever shows (404 for its ids)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions as cases
from kyocho.cases import reviews
from kyocho.cases.models import Answer, Case, Participation, Statement
from kyocho.conftest import coordinating_case, submit_test_report
from kyocho.disclosure import actions as disclosure
from kyocho.disclosure.models import ExtensionRequest
from kyocho.disclosure.tests.helpers import everyone_consents, in_days
from kyocho.intake.actions import accept_report

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]

VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Case:
    case = coordinating_case(coordinator, vendor_org, other_vendor_org, title="Overflow in the shared parser")
    cases.update_case_details(case.pk, summary="A **heap overflow** in the parser library.", actor=coordinator)
    cases.add_vulnerability(
        case.pk,
        title="Heap overflow when parsing headers",
        description="Long headers overflow a fixed buffer.",
        cwe="CWE-122",
        cvss31_vector=VECTOR,
        affected=[
            {"product": "Router X", "versions": "< 2.1", "organisation_id": vendor_org.pk},
            {"product": "Camera Secret-Name", "versions": "all", "organisation_id": other_vendor_org.pk},
        ],
        actor=coordinator,
    )
    return case


def part(case: Case, organisation: Organisation) -> Participation:
    return case.participations.get(organisation=organisation)


@pytest.fixture
def mine(case: Case, vendor_org: Organisation) -> Participation:
    return part(case, vendor_org)


@pytest.fixture
def theirs(case: Case, other_vendor_org: Organisation, other_vendor_member: User) -> Participation:
    """Vendor B acknowledged, answered and wrote a statement: none of it may show to vendor A."""
    participation = part(case, other_vendor_org)
    cases.acknowledge_participation(participation.pk, actor=other_vendor_member)
    cases.record_answer(
        participation.pk,
        vulnerability_id=case.vulnerabilities.get().pk,
        product="Camera Secret-Name",
        status="affected",
        actor=other_vendor_member,
    )
    reviews.save_statement(
        participation.pk, text_ja="", text_en="B-only statement text", references=[], actor=other_vendor_member
    )
    return participation


def url(case: Case) -> str:
    return f"/portal/cases/{case.reference}/"


def post(client: Client, case: Case, participation: Participation, action: str, **data: Any) -> Any:
    return client.post(url(case), {"action": action, "participation": participation.pk, **data})


def answer_post(client: Client, case: Case, participation: Participation, **data: Any) -> Any:
    vulnerability = case.vulnerabilities.get()
    product = data.get("product", "Router X")
    fields = {
        "vulnerability_id": vulnerability.pk,
        "product": product,
        "form": f"answer:{participation.pk}:{vulnerability.pk}:{product}",
        **data,
    }
    return post(client, case, participation, "answer", **fields)


def html(response: Any) -> str:
    return response.content.decode()


# --- what a developer sees ----------------------------------------------------------------------------


def test_the_details_shared_with_developers(
    client_for: ClientFor, case: Case, mine: Participation, theirs: Participation, vendor_member: User
) -> None:
    page = html(client_for(vendor_member).get(url(case)))
    assert "Overflow in the shared parser" in page
    assert "<strong>heap overflow</strong>" in page  # the summary, as safe Markdown
    assert "Heap overflow when parsing headers" in page and "CWE-122" in page
    assert VECTOR in page and "9.8" in page and "Critical" in page  # the score is computed from the vector
    assert "Router X" in page and "&lt; 2.1" in page
    assert "Start date (起算日)" in page and "Target disclosure date" in page and "JST" in page
    assert "Please confirm that you received the notification" in page


def test_nothing_of_another_developer_shows(
    client_for: ClientFor, case: Case, mine: Participation, theirs: Participation, vendor_member: User
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    page = html(client_for(vendor_member).get(url(case)))
    for secret in ("Example Vendor B", "Camera Secret-Name", "B-only statement text", f'value="{theirs.pk}"'):
        assert secret not in page
    assert "1 developer" not in page and "2 developers" not in page  # not even how many there are


def test_another_developers_participation_is_404(
    client_for: ClientFor, case: Case, mine: Participation, theirs: Participation, vendor_member: User
) -> None:
    """Vendor A posting with vendor B's participation id learns nothing and changes nothing."""
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    client = client_for(vendor_member)
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("acknowledge", {}),
        (
            "answer",
            {
                "vulnerability_id": case.vulnerabilities.get().pk,
                "product": "Camera Secret-Name",
                "status": "fixed",
                "fixed_version": "9",
            },
        ),
        ("statement", {"text_en": "overwritten"}),
        ("extension", {"requested_end_at": "2099-01-01T10:00", "reason": "x"}),
    ]
    for action, data in attempts:
        assert post(client, case, theirs, action, **data).status_code == 404
    assert post(client, case, mine, "acknowledge").status_code != 404
    assert client.post(url(case), {"action": "answer", "participation": "x"}).status_code == 404
    assert Answer.objects.get(participation=theirs).status == "affected"
    assert Statement.objects.get(participation=theirs).text_en == "B-only statement text"


def test_a_developer_not_in_the_case_gets_404_for_posts_too(
    client_for: ClientFor, coordinator: User, vendor_org: Organisation, other_vendor_member: User
) -> None:
    case = coordinating_case(coordinator, vendor_org)
    response = post(client_for(other_vendor_member), case, case.participations.get(), "acknowledge")
    assert response.status_code == 404
    assert case.participations.get().acknowledged_at is None


# --- what a developer does ------------------------------------------------------------------------------


def test_confirm_receipt_then_answer(
    client_for: ClientFor, case: Case, mine: Participation, vendor_member: User
) -> None:
    client = client_for(vendor_member)
    assert "Save the answer" not in html(client.get(url(case)))  # answering opens with the confirmation
    response = post(client, case, mine, "acknowledge")
    assert response.status_code == 302 and response["Location"].endswith(f"#answers-{mine.pk}")
    mine.refresh_from_db()
    assert mine.status == "acknowledged"
    page = html(client.get(url(case)))
    assert "Thank you: receipt confirmed." in page and "Save the answer" in page
    assert "Please confirm that you received" not in page

    response = answer_post(
        client, case, mine, status="fixed", fixed_version="2.1", justification="component_not_present"
    )
    assert response.status_code == 302
    answer = Answer.objects.get(participation=mine)
    # The form carries every field; only the one the status needs is kept.
    assert (answer.status, answer.fixed_version, answer.justification, answer.review_status) == (
        "fixed",
        "2.1",
        "",
        "pending",
    )
    page = html(client.get(url(case)))
    assert "Answer saved. A coordinator will review it." in page and "Waiting for review" in page


def test_an_answer_for_a_product_not_listed(
    client_for: ClientFor, case: Case, mine: Participation, vendor_member: User
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    response = answer_post(client_for(vendor_member), case, mine, product="Router Y", status="under_investigation")
    assert response.status_code == 302
    assert set(Answer.objects.values_list("product", flat=True)) == {"Router Y"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "not_affected", "justification": ""}, "Say why the product is not affected."),
        ({"status": "not_affected", "justification": "trust us"}, "is not one of"),
        ({"status": "fixed", "fixed_version": ""}, "Name the version that fixes it."),
        ({"status": "maybe"}, "is not one of"),
        ({"status": "affected", "product": ""}, "Product is required."),
    ],
)
def test_a_refused_answer_shows_its_reason_beside_the_form(
    client_for: ClientFor, case: Case, mine: Participation, vendor_member: User, data: dict[str, str], message: str
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    response = answer_post(client_for(vendor_member), case, mine, **data)
    assert response.status_code == 400
    page = html(response)
    assert message in page and 'aria-invalid="true"' in page
    assert not Answer.objects.exists()


def test_a_forbidden_answer_change_is_refused_with_the_reason(
    client_for: ClientFor, case: Case, mine: Participation, vendor_member: User
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    client = client_for(vendor_member)
    answer_post(client, case, mine, status="fixed", fixed_version="2.1")
    response = answer_post(client, case, mine, status="not_affected", justification="component_not_present")
    assert response.status_code == 409
    assert "cannot go from" in html(response)
    assert Answer.objects.get().status == "fixed"


def test_a_refusal_for_a_form_not_on_the_page_still_shows(
    client_for: ClientFor, case: Case, mine: Participation, vendor_member: User
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    response = answer_post(client_for(vendor_member), case, mine, status="fixed", form="answer:gone")
    assert response.status_code == 400
    assert 'role="alert"><ul class="errorlist"><li>Name the version that fixes it.' in html(response)


def test_write_a_statement(client_for: ClientFor, case: Case, mine: Participation, vendor_member: User) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    client = client_for(vendor_member)
    response = post(
        client,
        case,
        mine,
        "statement",
        text_ja="修正済みです。",
        text_en="Fixed in 2.1.",
        references="https://vendor-a.example/sa-1\n",
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#statement-{mine.pk}")
    statement = Statement.objects.get(participation=mine)
    assert (statement.text_en, statement.references, statement.review_status) == (
        "Fixed in 2.1.",
        ["https://vendor-a.example/sa-1"],
        "pending",
    )
    assert "https://vendor-a.example/sa-1" in html(client.get(url(case)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text_ja": "", "text_en": " "}, "Write the statement in Japanese, in English or in both."),
        ({"text_en": "Fixed.", "references": "javascript:alert(1)"}, "is not a valid http or https address"),
    ],
)
def test_a_refused_statement_keeps_what_was_written(
    client_for: ClientFor, case: Case, mine: Participation, vendor_member: User, data: dict[str, str], message: str
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    response = post(client_for(vendor_member), case, mine, "statement", **data)
    assert response.status_code == 400
    page = html(response)
    assert message in page and 'aria-invalid="true"' in page
    if data.get("text_en", "").strip():
        assert data["text_en"] in page
    assert not Statement.objects.exists()


def test_returned_items_show_the_coordinators_comment(
    client_for: ClientFor, case: Case, mine: Participation, vendor_member: User, coordinator: User
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    answer = cases.record_answer(
        mine.pk,
        vulnerability_id=case.vulnerabilities.get().pk,
        product="Router X",
        status="affected",
        actor=vendor_member,
    )
    statement = reviews.save_statement(mine.pk, text_ja="", text_en="We are on it.", references=[], actor=vendor_member)
    reviews.review_answer(answer.pk, approve=False, comment="Which versions are affected?", actor=coordinator)
    reviews.review_statement(statement.pk, approve=True, actor=coordinator)
    page = html(client_for(vendor_member).get(url(case)))
    assert "Returned with a comment" in page and "Which versions are affected?" in page
    assert "Approved" in page


def test_ask_for_a_later_date_only_while_a_date_is_agreed(
    client_for: ClientFor,
    case: Case,
    mine: Participation,
    vendor_member: User,
    coordinator: User,
    other_vendor_org: Organisation,
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    client = client_for(vendor_member)
    assert "Request a later disclosure date" not in html(client.get(url(case)))
    refused = post(client, case, mine, "extension", requested_end_at="2099-01-01T10:00", reason="We need more time.")
    assert refused.status_code == 400 and "There is no agreed disclosure date to extend." in html(refused)

    embargo = disclosure.propose_embargo(case.pk, end_at=in_days(30), reason="45 days", actor=coordinator)
    everyone_consents(embargo, coordinator)
    disclosure.activate_embargo(embargo.pk, actor=coordinator)
    page = html(client.get(url(case)))
    assert "Request a later disclosure date" in page and "Active" in page
    bad = post(client, case, mine, "extension", requested_end_at="someday", reason="We need more time.")
    assert bad.status_code == 400 and "Enter a date and time." in html(bad) and "We need more time." in html(bad)
    done = post(
        client,
        case,
        mine,
        "extension",
        requested_end_at="2099-01-01T10:00",
        reason="The fix needs a hardware revision.",
    )
    assert done.status_code == 302
    request = ExtensionRequest.objects.get()
    assert (request.organisation_id, request.status, request.requested_end_at.isoformat()) == (
        mine.organisation_id,
        "pending",
        "2099-01-01T01:00:00+00:00",
    )
    page = html(client.get(url(case)))
    assert "The fix needs a hardware revision." in page and "Pending" in page


def test_an_unknown_action(client_for: ClientFor, case: Case, mine: Participation, vendor_member: User) -> None:
    client = client_for(vendor_member)
    response = post(client, case, mine, "delete_everything")
    assert response.status_code == 302
    assert "Unknown request." in html(client.get(url(case)))


# --- the reporter, shown only when they agreed ----------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "credit", "shown"),
    [(True, "name", True), (True, "anonymous", False), (True, "none", False), (False, "name", False)],
)
def test_the_reporter_is_shown_only_when_they_agreed(
    client_for: ClientFor,
    coordinator: User,
    intake_staff: User,
    vendor_org: Organisation,
    vendor_member: User,
    share: bool,
    credit: str,
    shown: bool,
) -> None:
    report = submit_test_report(
        reporter_name="Sora Finder", reporter_organisation="Finder Labs", reporter_email="sora@finder.example",
        share_contact_with_developer=share, credit=credit,
    )  # fmt: skip
    accepted = accept_report(report.pk, actor=intake_staff, case_title="Reported case")
    assert accepted.case is not None
    participation = cases.add_participant(accepted.case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    cases.notify_participant(participation.pk, actor=coordinator)
    page = html(client_for(vendor_member).get(url(accepted.case)))
    for identity in ("Sora Finder", "Finder Labs", "sora@finder.example"):
        assert (identity in page) is shown
    assert ("has not agreed to share their identity" in page) is not shown


# --- partners and reporters -------------------------------------------------------------------------------


def test_partners_see_every_developer_read_only(
    client_for: ClientFor,
    case: Case,
    theirs: Participation,
    coordinator: User,
    partner: User,
    partner_org: Organisation,
) -> None:
    cases.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    page = html(client_for(partner).get(url(case)))
    assert "Example Vendor A" in page and "Example Vendor B" in page and "2 developers" in page
    assert "Camera Secret-Name" in page and "B-only statement text" in page and "No response" in page
    assert "Save the answer" not in page and "Confirm receipt" not in page
    response = post(client_for(partner), case, theirs, "statement", text_en="partner writes")
    assert response.status_code == 403
    assert "Only the developer" in html(response)


def test_the_reporter_sees_the_milestones_only(
    client_for: ClientFor, coordinator: User, intake_staff: User, reporter: User, vendor_org: Organisation
) -> None:
    report = submit_test_report(reporter=reporter)
    accepted = accept_report(report.pk, actor=intake_staff, case_title="Reported case")
    assert accepted.case is not None
    cases.add_vulnerability(accepted.case.pk, title="Hidden from the reporter", actor=coordinator)
    participation = cases.add_participant(accepted.case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    cases.notify_participant(participation.pk, actor=coordinator)
    page = html(client_for(reporter).get(url(accepted.case)))
    assert "Milestones" in page and "Start date (起算日)" in page
    assert "Hidden from the reporter" not in page and "Example Vendor A" not in page


def test_the_page_in_japanese(client_for: ClientFor, case: Case, mine: Participation, vendor_member: User) -> None:
    page = html(client_for(vendor_member, "ja").get(url(case)))
    assert '<html lang="ja">' in page and "Router X" in page


def test_answering_before_confirming_receipt_says_why(
    client_for: ClientFor, case: Case, mine: Participation, vendor_member: User
) -> None:
    client = client_for(vendor_member)
    for response in (
        answer_post(client, case, mine, status="affected"),
        post(client, case, mine, "statement", text_en="Early words."),
    ):
        assert response.status_code == 409
        assert "Confirm that you received the notification before answering." in html(response)
    assert not Answer.objects.exists() and not Statement.objects.exists()


# --- the portal's start page: what needs the developer's action ------------------------------------------


def test_home_lists_what_needs_my_action(
    client_for: ClientFor,
    case: Case,
    mine: Participation,
    theirs: Participation,
    vendor_member: User,
    coordinator: User,
    other_vendor_member: User,
) -> None:
    client = client_for(vendor_member)
    page = html(client.get("/portal/"))
    assert "Needs your action" in page and "Confirm receipt of the notification" in page and "1 answer missing" in page
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    answer = cases.record_answer(
        mine.pk,
        vulnerability_id=case.vulnerabilities.get().pk,
        product="Router X",
        status="affected",
        actor=vendor_member,
    )
    assert "Needs your action" not in html(client.get("/portal/"))
    reviews.review_answer(answer.pk, approve=False, comment="Please check 2.0 too.", actor=coordinator)
    statement = reviews.save_statement(mine.pk, text_ja="", text_en="On it.", references=[], actor=vendor_member)
    reviews.review_statement(statement.pk, approve=False, comment="Add a link.", actor=coordinator)
    page = html(client.get("/portal/"))
    assert "1 answer returned with a comment" in page and "Statement returned with a comment" in page
    assert "Confirm receipt" not in page
    # Vendor B's own list says nothing of vendor A's work.
    other = html(client_for(other_vendor_member).get("/portal/"))
    assert "returned" not in other and "Needs your action" not in other


def test_the_developers_page_reads_in_the_same_number_of_queries_however_many_developers(
    client_for: ClientFor, coordinator: User, vendor_member: User, vendor_org: Organisation
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kyocho.accounts.roles import OrganisationKind
    from kyocho.conftest import make_organisation

    def queries_for(others: int) -> int:
        organisations = [
            make_organisation(f"Other {others}-{n}", OrganisationKind.PRODUCT_DEVELOPER) for n in range(others)
        ]
        case = coordinating_case(coordinator, vendor_org, *organisations)
        cases.add_vulnerability(
            case.pk, title="Shared", actor=coordinator,
            affected=[{"product": "P", "organisation_id": org.pk} for org in [vendor_org, *organisations]],
        )  # fmt: skip
        cases.acknowledge_participation(case.participations.get(organisation=vendor_org).pk, actor=coordinator)
        client = client_for(vendor_member)
        client.get(url(case))  # sessions, MFA state: the first request's own reads
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(case)).status_code == 200
        return len(captured)

    assert queries_for(1) == queries_for(10)
