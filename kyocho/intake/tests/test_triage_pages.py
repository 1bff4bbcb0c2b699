"""The intake desk's pages: the report list and its filters, the triage clock, each transition through
the report page (refusals shown as messages), the SSVC form and duplicate suggestions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from kyocho.accounts.models import User
from kyocho.intake import actions
from kyocho.intake.models import Report
from kyocho.intake.tests.helpers import TRIAGE, audit_names, live_case, reload, submit
from kyocho.messaging.models import OutboundEmail
from kyocho.staff.triage_views import business_days_left

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]
JST = ZoneInfo("Asia/Tokyo")
MONDAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=JST)
LIST = "/staff/reports/"


def page_of(reference: str) -> str:
    return f"/staff/reports/{reference}/"


def transition(client: Client, report: Report, name: str, data: dict[str, Any] | None = None) -> str:
    """Post a transition, follow the redirect back to the report page and return that page."""
    response = client.post(f"{page_of(report.reference)}{name}/", data or {}, follow=True)
    assert response.redirect_chain[-1][0] == page_of(report.reference)
    return response.content.decode()


@pytest.fixture
def desk(client_for: ClientFor, intake_staff: User) -> Client:
    return client_for(intake_staff)


# The list.


def test_the_list_shows_open_reports_but_not_spam(desk: Client, intake_staff: User) -> None:
    waiting, _token = submit(product_name="Visible Router")
    spam, _token = submit(product_name="Spam Router")
    actions.mark_spam(spam.pk, actor=intake_staff)
    page = desk.get(LIST).content.decode()
    assert waiting.reference in page
    assert spam.reference not in page
    assert spam.reference in desk.get(LIST, {"status": "spam"}).content.decode()


def test_filters_by_kind_status_and_text(desk: Client, intake_staff: User) -> None:
    router, _token = submit(product_name="Example Router", developer_name="Example Networks")
    site, _token = submit(
        kind="web_application", product_name="Shop", developer_name="", site_url="https://shop.example/"
    )
    camera, _token = submit(
        product_name="Camera", developer_name="Lens Co", description="Hard-coded password in the telnet daemon."
    )
    actions.request_information(camera.pk, question="Which model?", actor=intake_staff)

    def shown(**filters: Any) -> set[str]:
        page = desk.get(LIST, filters).content.decode()
        return {report.reference for report in (router, site, camera) if report.reference in page}

    assert shown() == {router.reference, site.reference, camera.reference}
    assert shown(kind="web_application") == {site.reference}
    assert shown(status="needs_info") == {camera.reference}
    assert shown(q="networks") == {router.reference}  # developer
    assert shown(q="telnet") == {camera.reference}  # description
    assert shown(q="shop") == {site.reference}  # product


def test_overdue_filter_and_highlight(desk: Client) -> None:
    with time_machine.travel(MONDAY - dt.timedelta(days=14), tick=False):
        late, _token = submit(product_name="Late Router")
    with time_machine.travel(MONDAY, tick=False):
        fresh, _token = submit(product_name="Fresh Router")
        page = desk.get(LIST, {"overdue": "on"}).content.decode()
        assert late.reference in page and fresh.reference not in page
        assert "row--overdue" in page and "Overdue" in page


def test_htmx_gets_only_the_rows(desk: Client) -> None:
    submit(product_name="Example Router")
    partial = desk.get(LIST, headers={"HX-Request": "true"}).content.decode()
    assert 'id="report-rows"' in partial
    assert "<html" not in partial


@pytest.mark.parametrize("role", ["vendor_member", "reporter", "partner"])
def test_only_staff_see_the_pages(client_for: ClientFor, role: str, request: Any) -> None:
    person = request.getfixturevalue(role)
    report, _token = submit(person if role == "reporter" else None)
    client = client_for(person)
    assert client.get(LIST).status_code == 404
    assert client.post(f"{page_of(report.reference)}spam/").status_code == 404
    assert reload(report).status == "received"


# The triage clock.


def test_business_days_left_follow_the_japanese_calendar() -> None:
    friday = dt.datetime(2026, 5, 1, 9, 0, tzinfo=JST)  # before Golden Week: 5/3–5/6 are holidays
    assert business_days_left(dt.datetime(2026, 5, 7, 9, 0, tzinfo=JST), friday) == 1
    assert business_days_left(friday, friday) == 0
    assert business_days_left(friday, dt.datetime(2026, 5, 7, 9, 0, tzinfo=JST)) == -1


def test_the_report_page_shows_the_clock_with_zone(desk: Client) -> None:
    with time_machine.travel(MONDAY, tick=False):
        report, _token = submit()
        page = desk.get(page_of(report.reference)).content.decode()
    assert "2026-06-08 09:00 JST" in page
    assert "5 business days left" in page


def test_the_clock_stops_once_decided(desk: Client, intake_staff: User) -> None:
    with time_machine.travel(MONDAY - dt.timedelta(days=30), tick=False):
        report, _token = submit()
        actions.accept_report(report.pk, actor=intake_staff)
    assert "Overdue" not in desk.get(page_of(report.reference)).content.decode()


# Transitions through the page.


def test_request_information(desk: Client) -> None:
    report, _token = submit()
    page = transition(desk, report, "request-information", {"question": "Which firmware build?"})
    assert "The question was sent to the reporter." in page
    assert reload(report).status == "needs_info"
    assert audit_names(report)[-1] == "intake:report:information_requested"


def test_a_refusal_is_shown_as_a_message(desk: Client) -> None:
    report, _token = submit()
    page = transition(desk, report, "request-information", {"question": "  "})
    assert "Question is required." in page
    assert reload(report).status == "received"


def test_accept_into_a_new_case(desk: Client) -> None:
    report, _token = submit()
    page = transition(desk, report, "accept", {"target": "new", "case_title": "RT-500 admin XSS"})
    report = reload(report)
    assert report.status == "accepted"
    assert report.case is not None and report.case.title == "RT-500 admin XSS"
    assert f"accepted into case {report.case.reference}" in page


def test_accept_into_an_existing_case(desk: Client, coordinator: User) -> None:
    case = live_case(coordinator)
    report, _token = submit()
    transition(desk, report, "accept", {"target": "existing", "case_id": str(case.pk)})
    assert reload(report).case == case


def test_accept_into_an_existing_case_needs_one_chosen(desk: Client) -> None:
    report, _token = submit()
    page = transition(desk, report, "accept", {"target": "existing", "case_id": ""})
    assert "Choose a case." in page
    assert reload(report).status == "received"


def test_reject_with_reason_and_note(desk: Client) -> None:
    report, _token = submit()
    page = transition(desk, report, "reject", {"reason": "out_of_scope", "note": "Report it to the site operator."})
    report = reload(report)
    assert (report.status, report.rejection_reason, report.rejection_note) == (
        "rejected",
        "out_of_scope",
        "Report it to the site operator.",
    )
    assert "The report was not accepted." in page


def test_mark_duplicate(desk: Client, coordinator: User) -> None:
    case = live_case(coordinator)
    report, _token = submit()
    page = transition(desk, report, "duplicate", {"case_id": str(case.pk)})
    assert reload(report).duplicate_of == case
    assert f"duplicate of {case.reference}" in page


def test_spam(desk: Client) -> None:
    report, _token = submit()
    transition(desk, report, "spam")
    assert reload(report).status == "spam"


def test_a_second_decision_is_refused_with_a_message(desk: Client) -> None:
    report, _token = submit()
    transition(desk, report, "spam")
    page = transition(desk, report, "accept", {"target": "new"})
    assert 'class="message message--error"' in page
    assert reload(report).status == "spam"


def test_unknown_transition_is_404(desk: Client) -> None:
    report, _token = submit()
    assert desk.post(f"{page_of(report.reference)}approve/").status_code == 404


def test_transitions_only_by_post(desk: Client) -> None:
    report, _token = submit()
    assert desk.get(f"{page_of(report.reference)}spam/").status_code == 405


# SSVC.


def test_ssvc_form_records_and_shows_the_decision(desk: Client) -> None:
    report, _token = submit()
    page = desk.get(page_of(report.reference)).content.decode()
    assert 'type="radio"' in page and "Has the reporter already told the developer" in page
    page = transition(desk, report, "triage", TRIAGE)
    assert "SSVC decision recorded: Coordinate." in page
    assert '<strong class="badge">Coordinate</strong>' in page
    assert reload(report).triage_decision == "coordinate"


def test_ssvc_form_with_a_missing_input_says_which(desk: Client) -> None:
    report, _token = submit()
    page = transition(desk, report, "triage", {**TRIAGE, "utility": ""})
    assert "Utility" in page
    assert reload(report).triage_decision == ""


# Duplicate suggestions.


def test_suggestions_with_one_click_duplicate(desk: Client, coordinator: User) -> None:
    case = live_case(coordinator)
    earlier, _token = submit(product_name="Example Router RT-500")
    actions.accept_report(earlier.pk, case_id=case.pk, actor=coordinator)
    report, _token = submit(product_name="example router rt500", description="Something else entirely.")
    page = desk.get(page_of(report.reference)).content.decode()
    assert earlier.reference in page and case.reference in page
    assert "same product" in page
    assert "Mark duplicate of this case" in page
    transition(desk, report, "duplicate", {"case_id": str(case.pk)})
    assert reload(report).duplicate_of == case


def test_the_demo_shows_a_recorded_triage(desk: Client) -> None:
    from kyocho import demo

    demo.seed()
    waiting = Report.objects.get(product_name=demo.WAITING_REPORT["product_name"])
    assert (waiting.status, waiting.triage_decision) == ("received", "coordinate")
    assert "SSVC Coordinator Triage" in desk.get(page_of(waiting.reference)).content.decode()


# The conversation with the reporter.


def test_staff_write_to_the_reporter_and_read_the_answer(desk: Client) -> None:
    report, token = submit()
    page = transition(desk, report, "message", {"body": "Which firmware build did you test?"})
    assert "The message was sent to the reporter." in page
    assert "Which firmware build did you test?" in page
    assert "intake:report:message_posted" in audit_names(report)
    assert OutboundEmail.objects.filter(to=report.reporter_email, purpose__contains="message").exists()
    actions.post_report_message(report.pk, body="Build 1.2.3-rc4", actor=None, token=token)
    assert "Build 1.2.3-rc4" in desk.get(page_of(report.reference)).content.decode()


def test_an_empty_message_is_refused_with_a_message(desk: Client) -> None:
    report, _token = submit()
    page = transition(desk, report, "message", {"body": "   "})
    assert report.messages.count() == 0
    assert "message" in page.lower()


def test_a_vendor_cannot_write_to_the_reporter(client_for: ClientFor, vendor_member: User) -> None:
    report, _token = submit()
    response = client_for(vendor_member).post(f"{page_of(report.reference)}message/", {"body": "hello"})
    assert response.status_code == 404
    assert report.messages.count() == 0
