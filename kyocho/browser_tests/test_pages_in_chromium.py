"""The three audiences' pages in a real browser: Debian's chromium driven by Playwright.

Fixtures (browser, page, sign_in) are in kyocho/conftest.py; every request outside the live server
is refused and fails the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from kyocho.accounts.models import Organisation, User
from kyocho.conftest import PASSWORD, coordinating_case, give_totp, submit_test_report, totp_code

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(settings.DATA_DIR) / "screenshots"
BROWSER_SECONDS = 6  # from reading a code to the server checking it, on a loaded CI machine


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fill_sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form.form").get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("browser_locale", ["ja-JP"])
def test_front_page_switches_between_japanese_and_english(page: Any) -> None:
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="English").get_attribute("aria-pressed") == "true"
    assert page.get_by_role("heading", level=1).inner_text() == "Vulnerability advisories"
    screenshot(page, "front-page")
    page.get_by_role("button", name="日本語").click()
    page.wait_for_function("document.documentElement.lang === 'ja'")
    assert page.get_by_role("button", name="日本語").get_attribute("aria-pressed") == "true"


def test_skip_link_is_the_first_stop_and_moves_to_the_content(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # shown on focus, not left off-screen
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_staff_sign_in_with_the_totp_step(page: Any, coordinator: User) -> None:
    secret = give_totp(coordinator)
    fill_sign_in(page, coordinator.email)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("Code").fill(totp_code(secret, seconds_needed=BROWSER_SECONDS))
    page.locator("form.form").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"


def test_member_without_authenticator_must_set_one_up_first(page: Any, vendor_member: User) -> None:
    fill_sign_in(page, vendor_member.email)
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert page.get_by_role("alert").filter(has_text="Your role requires two-factor authentication").is_visible()
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()

    page.goto("/portal/")  # every other page leads back to the setup
    page.wait_for_url("**/accounts/2fa/totp/activate/")

    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret, seconds_needed=BROWSER_SECONDS))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    page.goto("/portal/")
    assert page.get_by_role("heading", level=1).inner_text() == "My portal"


def test_staff_dashboard_lists_a_report_and_a_case(
    page: Any, sign_in: Any, coordinator: User, vendor_org: Organisation, reporter: User
) -> None:
    report = submit_test_report(reporter=reporter, product_name="Example Router")
    case = coordinating_case(coordinator, vendor_org, title="Stored XSS in Example Router admin page")
    give_totp(coordinator)
    sign_in(coordinator)
    page.goto("/staff/")
    queue = page.get_by_role("region", name="Triage queue")
    assert queue.get_by_role("link", name=report.reference).is_visible()
    assert "JST" in queue.inner_text()
    cases = page.get_by_role("region", name="Cases")
    assert cases.get_by_role("link", name=case.reference).is_visible()
    screenshot(page, "staff-dashboard")
    cases.get_by_role("link", name=case.reference).click()
    page.wait_for_url(f"**/staff/cases/{case.reference}/")
    assert page.get_by_text("case:participant:notified").is_visible()


def test_vendor_member_cannot_open_the_staff_dashboard(page: Any, sign_in: Any, vendor_member: User) -> None:
    give_totp(vendor_member)
    sign_in(vendor_member)
    response = page.goto("/staff/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"


def test_reporter_sees_their_report_in_the_portal(page: Any, sign_in: Any, reporter: User) -> None:
    report = submit_test_report(reporter=reporter, product_name="Example Camera")
    sign_in(reporter)
    page.goto("/portal/")
    page.get_by_role("link", name=report.reference).click()
    page.wait_for_url(f"**/portal/reports/{report.reference}/")
    assert "Example Camera" in page.get_by_role("heading", level=1).inner_text()
