"""The intake desk's triage in a real browser: the list in Japanese and English, the htmx filter,
asking for information, accepting into a new case and recording the SSVC decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kyocho.accounts.models import User
from kyocho.conftest import give_totp, submit_test_report
from kyocho.intake.models import Report

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(intake_staff: User, sign_in: Callable[[User], None]) -> User:
    give_totp(intake_staff)
    sign_in(intake_staff)
    return intake_staff


@pytest.mark.parametrize(("browser_locale", "language"), [("ja-JP", "ja"), ("en-US", "en")])
def test_the_queue_in_both_languages(page: Any, desk: User, language: str) -> None:
    report = submit_test_report(product_name="Example Router")
    page.goto("/staff/reports/")
    assert page.locator("html").get_attribute("lang") == language
    row = page.locator("#report-rows tbody tr")
    assert row.count() == 1
    assert report.reference in row.inner_text()
    if language == "en":
        assert page.get_by_role("heading", level=1).inner_text() == "Reports"
        assert "business days left" in row.inner_text()


def test_filter_narrows_the_list_without_a_reload(page: Any, desk: User) -> None:
    router = submit_test_report(product_name="Example Router")
    camera = submit_test_report(product_name="Example Camera")
    page.goto("/staff/reports/")
    assert page.locator("#report-rows tbody tr").count() == 2
    page.get_by_label("Search product, developer, description").fill("camera")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**q=camera**")
    rows = page.locator("#report-rows tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert camera.reference in rows.inner_text()
    assert router.reference not in page.content()


def test_request_information(page: Any, desk: User) -> None:
    report = submit_test_report()
    page.goto(f"/staff/reports/{report.reference}/")
    page.get_by_label("Question", exact=True).fill("Which firmware build did you test?")
    page.get_by_role("button", name="Send the question").click()
    page.get_by_text("The question was sent to the reporter.").wait_for()
    assert Report.objects.get(pk=report.pk).status == "needs_info"
    assert page.locator(".page-head .badge").first.inner_text() == "Needs information"


def test_accept_into_a_new_case(page: Any, desk: User) -> None:
    report = submit_test_report(product_name="Example Router")
    page.goto(f"/staff/reports/{report.reference}/")
    page.get_by_text("Accept", exact=True).click()  # opens the <details>
    page.get_by_label("Title of the new case").fill("Admin XSS in Example Router")
    page.get_by_role("button", name="Accept the report").click()
    page.get_by_text("The report was accepted into case").wait_for()
    report.refresh_from_db()
    assert report.status == "accepted"
    assert report.case is not None and report.case.title == "Admin XSS in Example Router"
    assert page.get_by_role("link", name=report.case.reference).count() >= 1


def test_ssvc_decision_is_shown(page: Any, desk: User) -> None:
    report = submit_test_report()
    page.goto(f"/staff/reports/{report.reference}/")
    for choice in ("ssvc-report_public-no", "ssvc-supplier_contacted-yes", "ssvc-report_credibility-credible"):
        page.locator(f"#{choice}").check()
    for choice in ("ssvc-supplier_cardinality-multiple", "ssvc-supplier_engagement-active"):
        page.locator(f"#{choice}").check()
    page.locator("#ssvc-utility-super_effective").check()
    page.locator("#ssvc-public_safety_impact-minimal").check()
    page.get_by_role("button", name="Record the triage decision").click()
    page.get_by_text("SSVC decision recorded: Coordinate.").wait_for()
    assert page.locator(".ssvc-decision").inner_text().endswith("Coordinate")
    assert Report.objects.get(pk=report.pk).triage_decision == "coordinate"
