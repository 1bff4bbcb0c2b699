"""The three report forms in Chromium, in Japanese and English: a validation message appears next to
its field, then the report goes through and the tracking link opens the tracking page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from kyocho.intake.models import Report

pytestmark = pytest.mark.browser

REQUIRED_MESSAGE = {"en-US": "This field is required.", "ja-JP": "このフィールドは必須です。"}
EXTRA_REQUIRED = {
    "software": {},
    "web": {"site_url": "https://shop.example.jp/"},
    "self": {"developer_name": "Example Networks"},
}


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    cache.clear()


def fill(page: Any, name: str, value: str) -> None:
    page.locator(f"[name={name}]").fill(value)


@pytest.mark.parametrize("browser_locale", ["en-US", "ja-JP"])
@pytest.mark.parametrize("slug", ["software", "web", "self"])
def test_report_form_shows_errors_by_the_field_then_acknowledges_and_tracks(
    page: Any, slug: str, browser_locale: str
) -> None:
    page.goto("/report/")
    page.locator(f'a[href="/report/{slug}/"]').click()
    page.wait_for_url(f"**/report/{slug}/")
    assert page.locator("html").get_attribute("lang") == browser_locale[:2]
    fill(page, "reporter_name", "Hanako Finder")
    fill(page, "reporter_email", "hanako@finder.example")
    fill(page, "description", "The admin page reflects the Host header into a script.")
    for name, value in EXTRA_REQUIRED[slug].items():
        fill(page, name, value)
    page.locator("[name=found_lawfully]").check()
    page.locator("form.form button[type=submit]").click()  # the product is missing
    product = page.locator("#field-product_name")
    assert REQUIRED_MESSAGE[browser_locale] in product.locator(".errorlist").inner_text()
    assert page.locator("#field-description .errorlist").count() == 0
    assert not Report.objects.exists()

    fill(page, "product_name", "Example Router RT-500")
    page.locator("[name=found_lawfully]").check()  # the page came back: tick again if it was not kept
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/report/received/")
    report = Report.objects.get()
    assert page.locator("#tracking-id").inner_text() == report.reference
    page.locator("#tracking-link").click()
    page.wait_for_url("**/track/**")
    assert report.reference in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("#timeline li").count() == 1


def test_tracking_page_conversation_in_the_browser(page: Any) -> None:
    page.goto("/report/software/")
    fill(page, "reporter_name", "Hanako Finder")
    fill(page, "reporter_email", "hanako@finder.example")
    fill(page, "product_name", "Example Router")
    fill(page, "description", "Broken.")
    page.locator("[name=found_lawfully]").check()
    page.locator("form.form button[type=submit]").click()
    page.locator("#tracking-link").click()
    page.wait_for_url("**/track/**")
    fill(page, "body", "Any news?")
    page.get_by_role("button", name="Send the message").click()
    page.wait_for_url("**/track/**")
    assert page.get_by_text("Your message has been sent.").is_visible()
    assert page.get_by_text("Any news?").is_visible()
