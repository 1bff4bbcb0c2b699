"""Participant portal: each role sees its own reports and its organisation's cases, and nothing else (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kyocho.accounts.actions import create_user
from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions as cases
from kyocho.conftest import PASSWORD, coordinating_case, make_member, submit_test_report
from kyocho.intake.actions import accept_report, request_information

ClientFor = Callable[..., Client]


@pytest.fixture
def report(reporter: User) -> Any:
    return submit_test_report(reporter=reporter, product_name="Example Router")


@pytest.fixture
def two_vendor_case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Any:
    return coordinating_case(coordinator, vendor_org, other_vendor_org, title="Shared library overflow")


def test_signed_out_visitors_are_sent_to_sign_in(client_for: ClientFor, report: Any) -> None:
    for url in ["/portal/", f"/portal/reports/{report.reference}/"]:
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_reporter_sees_own_report(client_for: ClientFor, reporter: User, report: Any) -> None:
    client = client_for(reporter)
    home = client.get("/portal/").content.decode()
    assert report.reference in home
    assert "No case is shared with you yet." in home
    detail = client.get(f"/portal/reports/{report.reference}/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Stored cross-site scripting in the admin page." in html
    assert "We aim to decide by" in html
    assert "JST" in html


def assert_hidden(client: Client, detail_url: str, reference: str) -> None:
    """Neither listed on the portal's start page nor opened: the detail page answers 404."""
    assert reference not in client.get("/portal/").content.decode()
    assert client.get(detail_url).status_code == 404


def test_another_reporter_gets_404(client_for: ClientFor, report: Any) -> None:
    stranger = create_user("stranger@example.net", actor=None, password=PASSWORD)
    assert_hidden(client_for(stranger), f"/portal/reports/{report.reference}/", report.reference)


def test_vendor_sees_a_case_it_was_notified_of_with_only_its_own_participation(
    client_for: ClientFor, vendor_member: User, two_vendor_case: Any, vendor_org: Organisation
) -> None:
    client = client_for(vendor_member)
    assert two_vendor_case.reference in client.get("/portal/").content.decode()
    response = client.get(f"/portal/cases/{two_vendor_case.reference}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Shared library overflow" in html
    assert vendor_org.name in html
    assert "Example Vendor B" not in html  # the other developer in the case stays hidden
    assert "Target disclosure date" in html


def test_vendor_not_in_the_case_gets_404(
    client_for: ClientFor, coordinator: User, vendor_org: Organisation, other_vendor_member: User
) -> None:
    case = coordinating_case(coordinator, vendor_org)
    assert_hidden(client_for(other_vendor_member), f"/portal/cases/{case.reference}/", case.reference)


def test_vendor_only_identified_does_not_see_the_case_yet(
    client_for: ClientFor, coordinator: User, vendor_org: Organisation, vendor_member: User
) -> None:
    case = cases.open_case(title="Not yet notified", actor=coordinator)
    cases.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    assert_hidden(client_for(vendor_member), f"/portal/cases/{case.reference}/", case.reference)


def test_a_second_member_of_the_same_vendor_sees_the_case(
    client_for: ClientFor, coordinator: User, vendor_org: Organisation
) -> None:
    case = coordinating_case(coordinator, vendor_org)
    colleague = make_member("second@vendor-a.example", vendor_org, "vendor_admin")
    assert client_for(colleague).get(f"/portal/cases/{case.reference}/").status_code == 200


@pytest.mark.parametrize("role", ["partner", "committee_member"])
def test_members_without_shared_cases_see_empty_states_and_404(
    client_for: ClientFor, two_vendor_case: Any, role: str, request: Any
) -> None:
    client = client_for(request.getfixturevalue(role))
    home = client.get("/portal/").content.decode()
    assert "You have not submitted a report with this account." in home
    assert "No case is shared with you yet." in home
    assert client.get(f"/portal/cases/{two_vendor_case.reference}/").status_code == 404


def test_vendor_cannot_open_a_report(client_for: ClientFor, vendor_member: User, report: Any) -> None:
    assert client_for(vendor_member).get(f"/portal/reports/{report.reference}/").status_code == 404


def test_staff_are_sent_to_their_dashboard(client_for: ClientFor, coordinator: User) -> None:
    response = client_for(coordinator).get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


@pytest.mark.parametrize("url", ["/portal/reports/KYR-NONE-XIST/", "/portal/cases/KYC-NONE-XIST/"])
def test_unknown_references_are_404(client_for: ClientFor, reporter: User, url: str) -> None:
    assert client_for(reporter).get(url).status_code == 404


@pytest.mark.parametrize("language", ["ja", "en"])
def test_pages_follow_the_language_cookie(
    client_for: ClientFor, vendor_member: User, two_vendor_case: Any, language: str
) -> None:
    client = client_for(vendor_member, language)
    for url in ["/portal/", f"/portal/cases/{two_vendor_case.reference}/"]:
        html = client.get(url).content.decode()
        assert f'<html lang="{language}">' in html, url
        assert f'value="{language}" lang="{language}" aria-pressed="true"' in html, url


def test_reporter_follows_an_accepted_report_into_its_case_milestones(
    client_for: ClientFor, reporter: User, coordinator: User, vendor_org: Organisation, report: Any
) -> None:
    accept_report(report.pk, actor=coordinator, case_title="Stored XSS in Example Router")
    report.refresh_from_db()
    participation = cases.add_participant(report.case_id, organisation_id=vendor_org.pk, actor=coordinator)
    cases.notify_participant(participation.pk, actor=coordinator)
    client = client_for(reporter)
    detail = client.get(f"/portal/reports/{report.reference}/").content.decode()
    assert f'href="/portal/cases/{report.case.reference}/"' in detail
    assert "Start date (起算日)" in detail
    assert "JST" in detail
    case_page = client.get(f"/portal/cases/{report.case.reference}/")
    assert case_page.status_code == 200
    assert "Target disclosure date" in case_page.content.decode()
    assert vendor_org.name not in case_page.content.decode()  # reporters see milestones, not the developers


def test_reporter_sees_the_questions_about_their_report(
    client_for: ClientFor, reporter: User, coordinator: User, report: Any
) -> None:
    request_information(report.pk, question="Which firmware build?", actor=coordinator)
    html = client_for(reporter).get(f"/portal/reports/{report.reference}/").content.decode()
    assert "Which firmware build?" in html
    assert "Needs information" in html
