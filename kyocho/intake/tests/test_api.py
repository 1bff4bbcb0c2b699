"""Reports through the API: submission (anonymous or with a token), its validation and rate limit, and
the intake desk's triage endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from kyocho.accounts.models import User
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.intake.models import Report
from kyocho.intake.queries import report_for_token
from kyocho.intake.tests.helpers import SOFTWARE_REPORT, TRIAGE, audit_names, emails_about, live_case, submit

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"
SUBMISSION = {"kind": "software", **SOFTWARE_REPORT}


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Limits live in the cache, which outlives a test's database transaction."""
    cache.clear()


def anonymous(address: str = "192.0.2.10") -> Client:
    return Client(headers={"Accept-Language": "en"}, REMOTE_ADDR=address)


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, body if body is not None else {}, content_type="application/json")


# Submission.


def test_anonymous_submission_is_acknowledged_with_a_tracking_link() -> None:
    response = post(anonymous(), REPORTS, SUBMISSION)
    assert response.status_code == 201
    body = json_of(response)
    report = Report.objects.get(reference=body["reference"])
    assert body["id"] == report.pk
    assert body["status"] == "received"
    assert body["tracking_link"].endswith(f"/track/{body['tracking_token']}/")
    assert report_for_token(body["tracking_token"]) == report
    assert report.reporter is None and report.language == "en"
    assert audit_names(report) == ["intake:report:received"]
    (acknowledgement,) = emails_about(report)
    assert acknowledgement.purpose == "report:acknowledgement"
    assert body["tracking_token"] in acknowledgement.body


def test_submission_with_a_token_belongs_to_the_account(reporter: User) -> None:
    body = json_of(post(token_client(reporter), REPORTS, {**SUBMISSION, "reporter_email": None}))
    report = Report.objects.get(reference=body["reference"])
    assert report.reporter == reporter
    assert report.reporter_email == reporter.email  # the account's address stands in
    assert body["tracking_link"] is None and body["tracking_token"] is None


def test_the_report_is_stored_in_the_callers_language() -> None:
    client = Client(headers={"Accept-Language": "ja"}, REMOTE_ADDR="192.0.2.11")
    body = json_of(post(client, REPORTS, SUBMISSION))
    assert Report.objects.get(reference=body["reference"]).language == "ja"


def test_a_wrong_token_is_refused_not_taken_as_anonymous() -> None:
    client = Client(headers={"Authorization": "Bearer kyt_wrong", "Accept-Language": "en"})
    assert post(client, REPORTS, SUBMISSION).status_code == 401
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reporter_email": "not an address"}, "reporter_email"),
        ({"reporter_email": None}, "reporter_email"),
        ({"product_name": "  "}, "product_name"),
        ({"product_name": "x" * 301}, "product_name"),
        ({"developer_name": "two\nlines"}, "developer_name"),
        ({"description": None}, "description"),
        ({"description": "x" * 20_001}, "description"),
        ({"reproduction": "nul\x00byte"}, "reproduction"),
        ({"credit": "name", "reporter_name": ""}, "reporter_name"),
        ({"reporter_pgp_key": "not a key"}, "reporter_pgp_key"),
        ({"found_lawfully": False}, "found_lawfully"),
        ({"kind": "web_application"}, "site_url"),
        ({"kind": "web_application", "site_url": "javascript:alert(1)"}, "site_url"),
        ({"kind": "self_report", "developer_name": ""}, "developer_name"),
    ],
)
def test_domain_validation_names_the_field(change: dict[str, Any], field: str) -> None:
    response = post(anonymous(), REPORTS, {**SUBMISSION, **change})
    assert response.status_code == 400
    body = json_of(response)
    assert (body["code"], body["field"]) == ("invalid", field)
    assert body["message"]
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "hardware"}, "kind"),
        ({"credit": "famous"}, "credit"),
        ({"found_lawfully": "yes"}, "found_lawfully"),
        ({"share_contact_with_developer": 1}, "share_contact_with_developer"),
        ({"product_name": 42}, "product_name"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_malformed_submissions_are_refused_before_anything_is_stored(change: dict[str, Any], field: str) -> None:
    response = post(anonymous(), REPORTS, {**SUBMISSION, **change})
    assert response.status_code == 400
    assert json_of(response)["field"] == field
    assert not Report.objects.exists()


def test_a_body_that_is_not_json_is_refused() -> None:
    response = anonymous().post(REPORTS, "kind=software", content_type="application/json")
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_anonymous_submissions_are_rate_limited_per_address(settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "API_REPORT_RATE_LIMIT": 2, "API_REPORT_RATE_WINDOW_SECONDS": 60}
    client = anonymous("198.51.100.7")
    assert [post(client, REPORTS, SUBMISSION).status_code for _ in range(2)] == [201, 201]
    refused = post(client, REPORTS, SUBMISSION)
    assert refused.status_code == 429
    assert json_of(refused)["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Report.objects.count() == 2
    # Another address has its own allowance; so do callers with a token.
    assert post(anonymous("198.51.100.8"), REPORTS, SUBMISSION).status_code == 201


def test_bad_submissions_count_against_the_limit(settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "API_REPORT_RATE_LIMIT": 1, "API_REPORT_RATE_WINDOW_SECONDS": 60}
    client = anonymous("198.51.100.9")
    assert post(client, REPORTS, {**SUBMISSION, "description": None}).status_code == 400
    assert post(client, REPORTS, SUBMISSION).status_code == 429


def test_submissions_with_a_token_are_not_limited_per_address(settings: Any, reporter: User) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "API_REPORT_RATE_LIMIT": 1, "API_REPORT_RATE_WINDOW_SECONDS": 60}
    client = token_client(reporter)
    assert [post(client, REPORTS, SUBMISSION).status_code for _ in range(3)] == [201, 201, 201]


# Triage.


def test_request_information(intake_staff: User) -> None:
    report, _token = submit()
    response = post(
        token_client(intake_staff), f"{REPORTS}/{report.pk}/request-information", {"question": "Which build?"}
    )
    assert response.status_code == 200
    body = json_of(response)
    assert (body["status"], body["info_request"]) == ("needs_info", "Which build?")
    assert audit_names(report)[-1] == "intake:report:information_requested"


def test_a_question_is_required(intake_staff: User) -> None:
    report, _token = submit()
    response = post(token_client(intake_staff), f"{REPORTS}/{report.pk}/request-information", {"question": " "})
    assert response.status_code == 400
    assert json_of(response)["field"] == "question"


def test_accept_into_a_new_case(coordinator: User) -> None:
    report, _token = submit()
    body = json_of(post(token_client(coordinator), f"{REPORTS}/{report.pk}/accept", {"case_title": "RT-500 XSS"}))
    assert body["status"] == "accepted"
    report.refresh_from_db()
    assert report.case is not None and report.case.title == "RT-500 XSS"
    assert body["case_id"] == report.case.pk
    assert audit_names(report)[-1] == "intake:report:accepted"


def test_accept_into_an_existing_case(coordinator: User) -> None:
    case = live_case(coordinator)
    report, _token = submit()
    body = json_of(post(token_client(coordinator), f"{REPORTS}/{report.pk}/accept", {"case_id": case.pk}))
    assert body["case_id"] == case.pk


def test_accept_twice_is_a_conflict(coordinator: User) -> None:
    report, _token = submit()
    client = token_client(coordinator)
    post(client, f"{REPORTS}/{report.pk}/accept")
    response = post(client, f"{REPORTS}/{report.pk}/accept")
    assert response.status_code == 409
    assert json_of(response)["code"] == "transition_not_allowed"


def test_reject_with_reason_and_note(intake_staff: User) -> None:
    report, _token = submit()
    url = f"{REPORTS}/{report.pk}/reject"
    body = json_of(post(token_client(intake_staff), url, {"reason": "out_of_scope", "note": "A web site."}))
    assert (body["status"], body["rejection_reason"], body["rejection_note"]) == (
        "rejected",
        "out_of_scope",
        "A web site.",
    )
    assert audit_names(report)[-1] == "intake:report:rejected"


def test_reject_needs_a_known_reason(intake_staff: User) -> None:
    report, _token = submit()
    response = post(token_client(intake_staff), f"{REPORTS}/{report.pk}/reject", {"reason": "boring"})
    assert (response.status_code, json_of(response)["field"]) == (400, "reason")


def test_mark_duplicate(coordinator: User) -> None:
    case = live_case(coordinator)
    report, _token = submit()
    body = json_of(post(token_client(coordinator), f"{REPORTS}/{report.pk}/duplicate", {"case_id": case.pk}))
    assert (body["status"], body["duplicate_of_id"]) == ("duplicate", case.pk)
    assert audit_names(report)[-1] == "intake:report:duplicate"


def test_record_triage_computes_the_decision(intake_staff: User) -> None:
    report, _token = submit()
    body = json_of(post(token_client(intake_staff), f"{REPORTS}/{report.pk}/triage", TRIAGE))
    assert body["triage_decision"] == "coordinate"
    assert body["triage_inputs"] == TRIAGE
    assert audit_names(report)[-1] == "intake:report:triaged"


def test_triage_inputs_are_checked(intake_staff: User) -> None:
    report, _token = submit()
    response = post(token_client(intake_staff), f"{REPORTS}/{report.pk}/triage", {**TRIAGE, "utility": "huge"})
    assert (response.status_code, json_of(response)["field"]) == (400, "utility")


def test_mark_spam(intake_staff: User) -> None:
    report, _token = submit()
    body = json_of(post(token_client(intake_staff), f"{REPORTS}/{report.pk}/spam"))
    assert body["status"] == "spam"
    assert audit_names(report)[-1] == "intake:report:spam"


TRIAGE_CALLS = [
    ("request-information", {"question": "Which build?"}),
    ("accept", {}),
    ("reject", {"reason": "out_of_scope"}),
    ("triage", TRIAGE),
    ("spam", {}),
]


@pytest.mark.parametrize(("action", "body"), TRIAGE_CALLS)
@pytest.mark.parametrize("role", ["vendor_member", "reporter", "partner"])
def test_only_the_intake_desk_triages(action: str, body: dict[str, Any], role: str, request: Any) -> None:
    """Not even the reporter, who can see the report, learns the endpoint exists."""
    person = request.getfixturevalue(role)
    report, _token = submit(person if role == "reporter" else None)
    response = post(token_client(person), f"{REPORTS}/{report.pk}/{action}", body)
    assert response.status_code == 404
    assert Report.objects.get(pk=report.pk).status == "received"


def test_duplicate_by_a_vendor_is_404(coordinator: User, vendor_member: User) -> None:
    case = live_case(coordinator)
    report, _token = submit()
    response = post(token_client(vendor_member), f"{REPORTS}/{report.pk}/duplicate", {"case_id": case.pk})
    assert response.status_code == 404


def test_anonymous_callers_cannot_triage() -> None:
    report, _token = submit()
    assert post(anonymous(), f"{REPORTS}/{report.pk}/spam").status_code == 401


def test_triage_of_a_missing_report_is_404(intake_staff: User) -> None:
    assert post(token_client(intake_staff), f"{REPORTS}/999999/spam").status_code == 404


def test_openapi_documents_intake_and_triage() -> None:
    paths = json_of(Client().get("/api/v1/openapi.json"))["paths"]
    assert "post" in paths["/api/v1/reports"]
    for action in ("request-information", "accept", "reject", "duplicate", "triage", "spam"):
        assert "post" in paths[f"/api/v1/reports/{{report_id}}/{action}"], action
