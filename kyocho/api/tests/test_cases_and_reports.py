"""Cases and reports through the API: only what ``queries`` let the caller see; the rest is 404."""

from __future__ import annotations

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.cases import actions as cases
from kyocho.conftest import coordinating_case, submit_test_report

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases"
REPORTS = "/api/v1/reports"


def test_coordinator_lists_every_case(coordinator: User, vendor_org: Organisation) -> None:
    first = coordinating_case(coordinator, vendor_org)
    second = coordinating_case(coordinator)
    body = json_of(token_client(coordinator).get(CASES))
    assert body["count"] == 2
    assert [case["reference"] for case in body["items"]] == [second.reference, first.reference]
    assert body["items"][1]["status"] == "coordinating"


def test_case_detail_for_a_coordinator_lists_every_developer(
    coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation
) -> None:
    case = coordinating_case(coordinator, vendor_org, other_vendor_org)
    body = json_of(token_client(coordinator).get(f"{CASES}/{case.pk}"))
    assert body["reference"] == case.reference
    assert body["start_date"] is not None
    assert sorted(p["organisation"] for p in body["participants"]) == ["Example Vendor A", "Example Vendor B"]
    assert {p["status"] for p in body["participants"]} == {"notified"}


def test_developer_sees_only_its_own_participation(
    coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation, vendor_member: User
) -> None:
    case = coordinating_case(coordinator, vendor_org, other_vendor_org)
    body = json_of(token_client(vendor_member).get(f"{CASES}/{case.pk}"))
    assert [p["organisation_id"] for p in body["participants"]] == [vendor_org.pk]


def test_vendor_cannot_see_another_vendors_case(
    coordinator: User, vendor_org: Organisation, other_vendor_member: User
) -> None:
    case = coordinating_case(coordinator, vendor_org)
    client = token_client(other_vendor_member)
    assert json_of(client.get(CASES))["count"] == 0
    response = client.get(f"{CASES}/{case.pk}")
    assert response.status_code == 404
    assert json_of(response)["code"] == "not_found"


def test_invisible_and_missing_cases_answer_alike(
    coordinator: User, vendor_org: Organisation, other_vendor_member: User
) -> None:
    """No enumeration: a case that exists but is hidden looks exactly like one that does not exist."""
    case = coordinating_case(coordinator, vendor_org)
    client = token_client(other_vendor_member)
    hidden = client.get(f"{CASES}/{case.pk}")
    missing = client.get(f"{CASES}/{case.pk + 1000}")
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)


def test_a_developer_identified_but_not_yet_notified_sees_nothing(
    coordinator: User, vendor_org: Organisation, vendor_member: User
) -> None:
    case = coordinating_case(coordinator)
    cases.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    assert token_client(vendor_member).get(f"{CASES}/{case.pk}").status_code == 404


def test_cases_paginate(coordinator: User) -> None:
    made = [coordinating_case(coordinator) for _ in range(3)]
    page = json_of(token_client(coordinator).get(CASES, {"limit": 1, "offset": 1}))
    assert page["count"] == 3
    assert [case["id"] for case in page["items"]] == [made[1].pk]


@pytest.mark.parametrize(
    ("query", "field"), [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"offset": -1}, "offset")]
)
def test_page_bounds_are_400_naming_the_field(coordinator: User, query: dict[str, int], field: str) -> None:
    response = token_client(coordinator).get(CASES, query)
    assert response.status_code == 400
    assert json_of(response)["field"] == field


def test_a_non_numeric_case_id_is_400(coordinator: User) -> None:
    response = token_client(coordinator).get(f"{CASES}/KYC-1234")
    assert response.status_code == 400
    assert json_of(response)["field"] == "case_id"


def test_intake_staff_sees_every_report(intake_staff: User, reporter: User) -> None:
    submit_test_report(reporter=reporter, product_name="Router A")
    submit_test_report(product_name="Router B")
    body = json_of(token_client(intake_staff).get(REPORTS))
    assert [report["product_name"] for report in body["items"]] == ["Router B", "Router A"]


def test_reporter_sees_only_own_reports(reporter: User, vendor_member: User) -> None:
    mine = submit_test_report(reporter=reporter, product_name="Mine")
    theirs = submit_test_report(reporter=vendor_member, product_name="Theirs")
    client = token_client(reporter)
    assert [r["id"] for r in json_of(client.get(REPORTS))["items"]] == [mine.pk]
    detail = json_of(client.get(f"{REPORTS}/{mine.pk}"))
    assert (detail["status"], detail["description"]) == ("received", "Stored cross-site scripting in the admin page.")
    assert client.get(f"{REPORTS}/{theirs.pk}").status_code == 404


def test_developers_see_no_reports(vendor_member: User, reporter: User) -> None:
    report = submit_test_report(reporter=reporter, product_name="Router")
    client = token_client(vendor_member)
    assert json_of(client.get(REPORTS))["count"] == 0
    assert client.get(f"{REPORTS}/{report.pk}").status_code == 404
