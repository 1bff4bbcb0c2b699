"""The developer portal in the API (PSIRT tooling) and the coordinator's review: developer A never sees
or changes anything of developer B, nor learns that B is in the case (404)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kyocho.accounts.models import Organisation, User
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.cases import actions as cases
from kyocho.cases import reviews
from kyocho.cases.models import Answer, Case, Participation, Statement
from kyocho.conftest import coordinating_case, submit_test_report
from kyocho.disclosure import actions as disclosure
from kyocho.disclosure.models import ExtensionRequest
from kyocho.disclosure.tests.helpers import everyone_consents, in_days
from kyocho.intake.actions import accept_report

pytestmark = pytest.mark.django_db

VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Case:
    case = coordinating_case(coordinator, vendor_org, other_vendor_org, title="Overflow in the shared parser")
    cases.add_vulnerability(
        case.pk,
        title="Heap overflow",
        cwe="CWE-122",
        cvss31_vector=VECTOR,
        affected=[
            {"product": "Router X", "versions": "< 2.1", "organisation_id": vendor_org.pk},
            {"product": "Camera Secret-Name", "organisation_id": other_vendor_org.pk},
        ],
        actor=coordinator,
    )
    return case


@pytest.fixture
def mine(case: Case, vendor_org: Organisation) -> Participation:
    return case.participations.get(organisation=vendor_org)


@pytest.fixture
def theirs(case: Case, other_vendor_org: Organisation) -> Participation:
    return case.participations.get(organisation=other_vendor_org)


@pytest.fixture
def psirt(vendor_member: User) -> Client:
    return token_client(vendor_member)


def base(case: Case, participation: Participation) -> str:
    return f"/api/v1/cases/{case.pk}/participations/{participation.pk}"


def cell(case: Case, **fields: Any) -> dict[str, Any]:
    return {"vulnerability_id": case.vulnerabilities.get().pk, "product": "Router X", **fields}


def put(client: Client, url: str, body: Any) -> Any:
    return client.put(url, body, content_type="application/json")


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def test_the_case_as_a_developer_sees_it(psirt: Client, case: Case, mine: Participation, theirs: Participation) -> None:
    body = json_of(psirt.get(f"/api/v1/cases/{case.pk}/details"))
    assert body["reference"] == case.reference and body["start_date"] is not None
    (vulnerability,) = body["vulnerabilities"]
    assert vulnerability["cvss31"] == {"vector": VECTOR, "base_score": 9.8, "severity": "critical"}
    assert vulnerability["affected"] == [
        {"product": "Router X", "versions": "< 2.1", "organisation_id": mine.organisation_id}
    ]
    (developer,) = body["developers"]
    assert developer["participation_id"] == mine.pk and developer["can_acknowledge"] and not developer["may_answer"]
    assert developer["answers"] == [
        {"vulnerability_id": vulnerability["id"], "product": "Router X", "status": "no_response", "answer": None}
    ]
    assert body["reporters"] == [] and body["embargo"] is None
    assert "Secret-Name" not in str(body) and "Vendor B" not in str(body)


def test_acknowledge_answer_and_write_a_statement(psirt: Client, case: Case, mine: Participation) -> None:
    acknowledged = json_of(post(psirt, f"{base(case, mine)}/acknowledge"))
    assert acknowledged["status"] == "acknowledged" and acknowledged["may_answer"]
    answers = put(
        psirt,
        f"{base(case, mine)}/answers",
        {
            "answers": [
                cell(case, status="fixed", fixed_version="2.1"),
                cell(case, product="Router Y", status="not_affected", justification="component_not_present"),
            ]
        },
    )
    assert answers.status_code == 200
    assert [(a["product"], a["status"], a["review_status"]) for a in json_of(answers)] == [
        ("Router X", "fixed", "pending"),
        ("Router Y", "not_affected", "pending"),
    ]
    statement = put(
        psirt,
        f"{base(case, mine)}/statement",
        {"text_en": "Fixed in 2.1.", "references": ["https://vendor-a.example/sa"]},
    )
    assert json_of(statement)["review_status"] == "pending" and Statement.objects.get().text_en == "Fixed in 2.1."
    details = json_of(psirt.get(f"/api/v1/cases/{case.pk}/details"))
    assert {c["product"]: c["status"] for c in details["developers"][0]["answers"]} == {
        "Router X": "fixed",
        "Router Y": "not_affected",
    }
    assert details["developers"][0]["statement"]["references"] == ["https://vendor-a.example/sa"]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ([{"status": "fixed"}], "answers.0.fixed_version"),
        ([{"status": "affected"}, {"status": "not_affected"}], "answers.1.justification"),
        ([{"status": "not_affected", "justification": "nope"}], "answers.0.justification"),
        ([{"status": "affected", "fixed_version": "1"}], "answers.0.fixed_version"),
    ],
)
def test_a_refused_cell_names_itself_and_nothing_is_saved(
    psirt: Client, case: Case, mine: Participation, vendor_member: User, answers: list[dict[str, Any]], field: str
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    response = put(psirt, f"{base(case, mine)}/answers", {"answers": [cell(case, **a) for a in answers]})
    assert response.status_code == 400
    assert json_of(response)["field"] == field
    assert not Answer.objects.exists()


def test_bad_requests(psirt: Client, case: Case, mine: Participation, vendor_member: User) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    unknown_status = put(psirt, f"{base(case, mine)}/answers", {"answers": [cell(case, status="maybe")]})
    assert unknown_status.status_code == 400 and json_of(unknown_status)["field"] == "answers.0.status"
    empty = put(psirt, f"{base(case, mine)}/statement", {"text_ja": "", "text_en": ""})
    assert (empty.status_code, json_of(empty)["field"]) == (400, "text_ja")
    bad_url = put(psirt, f"{base(case, mine)}/statement", {"text_en": "x", "references": ["ftp://x.example/"]})
    assert (bad_url.status_code, json_of(bad_url)["field"]) == (400, "references")
    other_case = put(
        psirt,
        f"{base(case, mine)}/answers",
        {"answers": [{"vulnerability_id": 999_999, "product": "P", "status": "affected"}]},
    )
    assert other_case.status_code == 404


def test_conflicts(psirt: Client, case: Case, mine: Participation, vendor_member: User) -> None:
    early = put(psirt, f"{base(case, mine)}/answers", {"answers": [cell(case, status="affected")]})
    assert early.status_code == 409 and "before answering" in json_of(early)["message"]
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    assert post(psirt, f"{base(case, mine)}/acknowledge").status_code == 409  # already acknowledged
    put(psirt, f"{base(case, mine)}/answers", {"answers": [cell(case, status="fixed", fixed_version="2")]})
    back = put(
        psirt,
        f"{base(case, mine)}/answers",
        {"answers": [cell(case, status="not_affected", justification="component_not_present")]},
    )
    assert back.status_code == 409 and json_of(back)["code"] == "transition_not_allowed"


def test_developer_a_cannot_see_or_change_developer_b(
    psirt: Client, case: Case, theirs: Participation, other_vendor_member: User
) -> None:
    cases.acknowledge_participation(theirs.pk, actor=other_vendor_member)
    answer = cases.record_answer(
        theirs.pk,
        vulnerability_id=case.vulnerabilities.get().pk,
        product="Camera Secret-Name",
        status="affected",
        actor=other_vendor_member,
    )
    statement = reviews.save_statement(
        theirs.pk, text_ja="", text_en="B's words", references=[], actor=other_vendor_member
    )
    missing = f"/api/v1/cases/{case.pk}/participations/999999"
    for url in (base(case, theirs), missing):
        responses = [
            post(psirt, f"{url}/acknowledge"),
            put(
                psirt,
                f"{url}/answers",
                {"answers": [cell(case, product="Camera Secret-Name", status="fixed", fixed_version="9")]},
            ),
            put(psirt, f"{url}/statement", {"text_en": "overwritten"}),
        ]
        assert [r.status_code for r in responses] == [404, 404, 404]
        assert {json_of(r)["message"] for r in responses} == {"Not found."}  # B's presence and absence look alike
    for url in (f"/api/v1/answers/{answer.pk}/review", f"/api/v1/statements/{statement.pk}/review"):
        assert post(psirt, url, {"approve": True}).status_code == 404
    assert Answer.objects.get().status == "affected" and Statement.objects.get().text_en == "B's words"


def test_a_participation_of_another_case_is_404(
    psirt: Client, case: Case, coordinator: User, vendor_org: Organisation
) -> None:
    elsewhere = coordinating_case(coordinator, vendor_org)
    other = elsewhere.participations.get()
    assert post(psirt, f"/api/v1/cases/{case.pk}/participations/{other.pk}/acknowledge").status_code == 404


def test_a_developer_outside_the_case_gets_404(
    case: Case, coordinator: User, vendor_org: Organisation, other_vendor_member: User
) -> None:
    solo = coordinating_case(coordinator, vendor_org)
    client = token_client(other_vendor_member)
    assert client.get(f"/api/v1/cases/{solo.pk}/details").status_code == 404
    assert post(client, f"{base(solo, solo.participations.get())}/acknowledge").status_code == 404


def test_partners_see_every_developer_but_change_nothing(
    case: Case, coordinator: User, partner: User, partner_org: Organisation, mine: Participation
) -> None:
    cases.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    client = token_client(partner)
    body = json_of(client.get(f"/api/v1/cases/{case.pk}/details"))
    assert sorted(d["organisation"] for d in body["developers"]) == ["Example Vendor A", "Example Vendor B"]
    assert len(body["vulnerabilities"][0]["affected"]) == 2
    response = post(client, f"{base(case, mine)}/acknowledge")
    assert response.status_code == 403


def test_reporters_are_not_given_the_developer_details(
    coordinator: User, intake_staff: User, reporter: User, vendor_org: Organisation
) -> None:
    report = submit_test_report(reporter=reporter)
    accepted = accept_report(report.pk, actor=intake_staff, case_title="Reported")
    assert accepted.case is not None
    response = token_client(reporter).get(f"/api/v1/cases/{accepted.case.pk}/details")
    assert response.status_code == 403


def test_the_reporter_is_named_only_when_they_agreed(
    coordinator: User, intake_staff: User, vendor_org: Organisation, vendor_member: User
) -> None:
    for share, credit in ((True, "name"), (True, "anonymous"), (False, "name")):
        report = submit_test_report(
            reporter_name=f"Finder {credit}",
            reporter_email=f"{credit}@finder.example",
            share_contact_with_developer=share,
            credit=credit,
        )
        accepted = accept_report(report.pk, actor=intake_staff, case_title="Reported")
        assert accepted.case is not None
        participation = cases.add_participant(accepted.case.pk, organisation_id=vendor_org.pk, actor=coordinator)
        cases.notify_participant(participation.pk, actor=coordinator)
        body = json_of(token_client(vendor_member).get(f"/api/v1/cases/{accepted.case.pk}/details"))
        expected = (
            [{"name": "Finder name", "organisation": "", "email": "name@finder.example"}]
            if share and credit == "name"
            else []
        )
        assert body["reporters"] == expected


def test_ask_for_a_later_date(
    psirt: Client, case: Case, mine: Participation, vendor_member: User, coordinator: User
) -> None:
    url = f"/api/v1/cases/{case.pk}/extension-requests"
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    assert post(psirt, url, {"requested_end_at": "2099-01-01T10:00:00+09:00", "reason": "x"}).status_code == 409
    embargo = disclosure.propose_embargo(case.pk, end_at=in_days(30), reason="45 days", actor=coordinator)
    everyone_consents(embargo, coordinator)
    disclosure.activate_embargo(embargo.pk, actor=coordinator)
    too_early = post(psirt, url, {"requested_end_at": in_days(1).isoformat(), "reason": "x"})
    assert (too_early.status_code, json_of(too_early)["field"]) == (400, "requested_end_at")
    no_reason = post(psirt, url, {"requested_end_at": "2099-01-01T10:00:00+09:00", "reason": " "})
    assert (no_reason.status_code, json_of(no_reason)["field"]) == (400, "reason")
    done = post(psirt, url, {"requested_end_at": "2099-01-01T10:00:00+09:00", "reason": "Hardware revision."})
    assert done.status_code == 201 and json_of(done)["status"] == "pending"
    assert ExtensionRequest.objects.get().organisation_id == mine.organisation_id
    details = json_of(psirt.get(f"/api/v1/cases/{case.pk}/details"))
    assert details["embargo"]["status"] == "active" and len(details["extension_requests"]) == 1
    assert (
        post(
            token_client(coordinator), url, {"requested_end_at": "2099-01-01T10:00:00+09:00", "reason": "x"}
        ).status_code
        == 403
    )


# --- the coordinator's review --------------------------------------------------------------------------


def test_pending_reviews_and_decisions(case: Case, mine: Participation, coordinator: User, vendor_member: User) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    answer = cases.record_answer(
        mine.pk,
        vulnerability_id=case.vulnerabilities.get().pk,
        product="Router X",
        status="affected",
        actor=vendor_member,
    )
    statement = reviews.save_statement(mine.pk, text_ja="修正済み", text_en="", references=[], actor=vendor_member)
    staff = token_client(coordinator)
    answers = json_of(staff.get(f"/api/v1/cases/{case.pk}/reviews/answers"))
    assert answers["count"] == 1 and answers["items"][0]["organisation"] == "Example Vendor A"
    assert answers["items"][0]["vulnerability"] == "Heap overflow"
    statements = json_of(staff.get(f"/api/v1/cases/{case.pk}/reviews/statements"))
    assert [item["id"] for item in statements["items"]] == [statement.pk]

    no_comment = post(staff, f"/api/v1/answers/{answer.pk}/review", {"approve": False, "comment": ""})
    assert (no_comment.status_code, json_of(no_comment)["field"]) == (400, "comment")
    returned = json_of(
        post(staff, f"/api/v1/answers/{answer.pk}/review", {"approve": False, "comment": "Which versions?"})
    )
    assert (returned["review_status"], returned["review_comment"]) == ("returned", "Which versions?")
    again = post(staff, f"/api/v1/answers/{answer.pk}/review", {"approve": True})
    assert again.status_code == 409
    approved = json_of(post(staff, f"/api/v1/statements/{statement.pk}/review", {"approve": True}))
    assert approved["review_status"] == "approved"
    assert json_of(staff.get(f"/api/v1/cases/{case.pk}/reviews/answers"))["count"] == 0


def test_review_endpoints_are_for_coordinators(
    case: Case, mine: Participation, coordinator: User, vendor_member: User, intake_staff: User
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    answer = cases.record_answer(
        mine.pk,
        vulnerability_id=case.vulnerabilities.get().pk,
        product="Router X",
        status="affected",
        actor=vendor_member,
    )
    developer = token_client(vendor_member)
    assert developer.get(f"/api/v1/cases/{case.pk}/reviews/answers").status_code == 404
    assert (
        post(developer, f"/api/v1/answers/{answer.pk}/review", {"approve": True}).status_code == 403
    )  # its own answer
    assert post(token_client(intake_staff), f"/api/v1/answers/{answer.pk}/review", {"approve": True}).status_code == 403
    assert post(token_client(coordinator), "/api/v1/answers/999999/review", {"approve": True}).status_code == 404
    assert Answer.objects.get().review_status == "pending"
