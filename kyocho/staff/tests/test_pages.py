"""Staff pages: dashboard (triage queue, cases), report and case detail. Staff only; 404 for anyone else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from kyocho.accounts.models import Organisation, User
from kyocho.conftest import coordinating_case, submit_test_report
from kyocho.intake.actions import accept_report, request_information

ClientFor = Callable[..., Client]
NOT_STAFF = ["vendor_member", "partner", "committee_member", "reporter"]
STAFF = ["coordinator", "lead", "intake_staff"]


@pytest.fixture
def report(reporter: User) -> Any:
    return submit_test_report(reporter=reporter, product_name="Example Router")


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation) -> Any:
    return coordinating_case(coordinator, vendor_org, title="Stored XSS in Example Router")


def staff_urls(report: Any, case: Any) -> list[str]:
    return ["/staff/", f"/staff/reports/{report.reference}/", f"/staff/cases/{case.reference}/"]


@pytest.mark.parametrize("role", STAFF)
def test_staff_open_every_staff_page(client_for: ClientFor, report: Any, case: Any, role: str, request: Any) -> None:
    client = client_for(request.getfixturevalue(role))
    for url in staff_urls(report, case):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", NOT_STAFF)
def test_everyone_else_gets_404(client_for: ClientFor, report: Any, case: Any, role: str, request: Any) -> None:
    client = client_for(request.getfixturevalue(role))
    for url in staff_urls(report, case):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Example Router" not in response.content.decode()  # neither the report nor the case shows


def test_signed_out_visitors_are_sent_to_sign_in(client_for: ClientFor) -> None:
    response = client_for(None).get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_dashboard_lists_the_triage_queue_with_zone(client_for: ClientFor, coordinator: User, report: Any) -> None:
    html = client_for(coordinator).get("/staff/").content.decode()
    assert report.reference in html
    assert "Software product" in html
    assert "Example Router" in html
    assert "Received" in html
    assert report.triage_due_at.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m-%d %H:%M JST") in html
    assert "row--overdue" not in html


def test_overdue_reports_are_marked(client_for: ClientFor, coordinator: User, report: Any) -> None:
    client = client_for(coordinator)
    with time_machine.travel(report.triage_due_at + dt.timedelta(minutes=1)):
        html = client.get("/staff/").content.decode()
    assert "row--overdue" in html
    assert "Overdue" in html


def test_dashboard_lists_active_cases_with_their_dates(client_for: ClientFor, coordinator: User, case: Any) -> None:
    html = client_for(coordinator).get("/staff/").content.decode()
    assert case.reference in html
    assert "Stored XSS in Example Router" in html
    assert "Coordinating" in html
    assert f'datetime="{_utc(case.start_date)}"' in html
    assert f'datetime="{_utc(case.target_disclosure_at)}"' in html


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def test_empty_dashboard_says_so(client_for: ClientFor, coordinator: User) -> None:
    html = client_for(coordinator).get("/staff/").content.decode()
    assert "No report is waiting for triage." in html
    assert "No active case." in html


def test_report_detail_shows_the_report_and_its_audit_trail(
    client_for: ClientFor, coordinator: User, report: Any
) -> None:
    html = client_for(coordinator).get(f"/staff/reports/{report.reference}/").content.decode()
    assert "Stored cross-site scripting in the admin page." in html
    assert report.reporter_email in html
    assert "intake:report:received" in html
    assert "Audit trail" in html


def test_case_detail_shows_developers_and_audit_trail(
    client_for: ClientFor, coordinator: User, case: Any, vendor_org: Organisation
) -> None:
    html = client_for(coordinator).get(f"/staff/cases/{case.reference}/").content.decode()
    assert vendor_org.name in html
    assert "Notified" in html
    assert "case:case:opened" in html
    assert "case:participant:notified" in html
    assert coordinator.email in html  # the actor of each event


def test_case_without_developers_says_so(client_for: ClientFor, coordinator: User) -> None:
    from kyocho.cases.actions import open_case

    case = open_case(title="Fresh case", actor=coordinator)
    html = client_for(coordinator).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "No product developer has been identified yet." in html


@pytest.mark.parametrize("url", ["/staff/reports/KYR-NONE-XIST/", "/staff/cases/KYC-NONE-XIST/"])
def test_unknown_references_are_404(client_for: ClientFor, coordinator: User, url: str) -> None:
    assert client_for(coordinator).get(url).status_code == 404


@pytest.mark.parametrize("language", ["ja", "en"])
def test_pages_follow_the_language_cookie(
    client_for: ClientFor, coordinator: User, report: Any, case: Any, language: str
) -> None:
    client = client_for(coordinator, language)
    for url in staff_urls(report, case):
        html = client.get(url).content.decode()
        assert f'<html lang="{language}">' in html, url
        assert f'value="{language}" lang="{language}" aria-pressed="true"' in html, url


def test_an_accepted_report_leaves_the_queue_and_links_its_case(
    client_for: ClientFor, coordinator: User, intake_staff: User, report: Any
) -> None:
    accept_report(report.pk, actor=intake_staff)
    report.refresh_from_db()
    client = client_for(coordinator)
    dashboard = client.get("/staff/").content.decode()
    assert report.reference not in dashboard
    assert "No report is waiting for triage." in dashboard
    assert "Example Router" in dashboard  # the new case, titled after the product
    detail = client.get(f"/staff/reports/{report.reference}/").content.decode()
    assert "intake:report:accepted" in detail
    assert f'href="/staff/cases/{report.case.reference}/"' in detail


def test_questions_to_the_reporter_show_on_the_report(client_for: ClientFor, coordinator: User, report: Any) -> None:
    request_information(report.pk, question="Which firmware build?", actor=coordinator)
    client = client_for(coordinator)
    assert "Needs information" in client.get("/staff/").content.decode()  # still waiting in the queue
    detail = client.get(f"/staff/reports/{report.reference}/").content.decode()
    assert "Which firmware build?" in detail
    assert "Not answered yet." in detail


def test_the_case_page_shows_the_newest_events_and_the_trail_page_all_of_them(
    client_for: ClientFor, coordinator: User, case: Any
) -> None:
    from kyocho.cases import actions as cases
    from kyocho.staff.views import AUDIT_PAGE_EVENTS, CASE_PAGE_EVENTS

    for n in range(CASE_PAGE_EVENTS + 5):
        cases.update_case_details(case.pk, summary=f"Summary {n}", actor=coordinator)
    client = client_for(coordinator)
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert page.count("<code>case:case:updated</code>") == CASE_PAGE_EVENTS
    assert f'href="/staff/cases/{case.reference}/audit/"' in page
    trail = client.get(f"/staff/cases/{case.reference}/audit/").content.decode()
    assert trail.count("<code>case:case:updated</code>") == CASE_PAGE_EVENTS + 5
    assert "<code>case:case:opened</code>" in trail
    assert AUDIT_PAGE_EVENTS > CASE_PAGE_EVENTS + 10  # one page here; paging is Django's Paginator


def test_the_audit_trail_page_is_staff_only(client_for: ClientFor, vendor_member: User, case: Any) -> None:
    assert client_for(vendor_member).get(f"/staff/cases/{case.reference}/audit/").status_code == 404


def test_the_developer_list_is_paged_and_filtered_by_status(
    client_for: ClientFor, coordinator: User, monkeypatch: Any
) -> None:
    from kyocho.cases import actions as cases
    from kyocho.conftest import make_organisation
    from kyocho.staff import views

    monkeypatch.setattr(views, "DEVELOPERS_PER_PAGE", 2)
    developers = [make_organisation(f"Developer {n}", "product_developer") for n in range(3)]
    case = coordinating_case(coordinator, *developers)
    cases.acknowledge_participation(case.participations.get(organisation=developers[2]).pk, actor=coordinator)
    client = client_for(coordinator)
    url = f"/staff/cases/{case.reference}/"

    def developer_panel(response: Any) -> str:
        return response.content.decode().split('id="participants-heading"')[1].split("</section>")[0]

    first = developer_panel(client.get(url))
    assert ">Developer 0<" in first and ">Developer 1<" in first and ">Developer 2<" not in first
    assert "Page 1 of 2" in first and "All (3)" in first and "Notified (2)" in first and "Acknowledged (1)" in first
    second = developer_panel(client.get(url, {"developers": 2}))
    assert ">Developer 2<" in second and ">Developer 0<" not in second
    acknowledged = developer_panel(client.get(url, {"developer_status": "acknowledged"}))
    assert ">Developer 2<" in acknowledged and ">Developer 0<" not in acknowledged and "Page 1 of" not in acknowledged
