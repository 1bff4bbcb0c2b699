"""A developer registers in a real browser, in Japanese and in English."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.accounts.models import User
from kyocho.messaging.models import OutboundEmail
from kyocho.vendors.models import Registration
from kyocho.vendors.tests.helpers import publish_terms

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("browser_locale", "language"), [("ja-JP", "ja"), ("en-US", "en")])
def test_registration_in_both_languages(page: Any, lead: User, browser_locale: str, language: str) -> None:
    publish_terms(lead)
    page.goto("/developers/register/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".terms-text").inner_text().strip() == ("規約" if language == "ja" else "Terms text")
    page.locator("#id_name").fill("ブラウザ株式会社")
    page.locator("#id_name_en").fill("Browser KK")
    page.locator("#id_registration_type_1").check()  # individual
    page.locator("#id_responsible_name").fill("Rin")
    page.locator("#id_responsible_email").fill("rin@browser.example")
    page.locator("#id_keywords").fill("browser; engine")
    page.locator("#id_products").fill("Engine | 3.x | cpe:2.3:a:browser:engine:*:*:*:*:*:*:*:* | pkg:npm/engine")
    page.locator("#id_applicant_email").fill("rin@browser.example")
    page.locator("#id_password").fill("a long enough passphrase 1")
    page.locator("#id_accept_terms").check()
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/developers/register/received/")
    registration = Registration.objects.get(organisation__name="ブラウザ株式会社")
    assert registration.registration_type == "individual"
    assert registration.keywords == ["browser", "engine"]
    assert registration.products.get().purl == "pkg:npm/engine"
    assert registration.contacts.get().language == language
    email = OutboundEmail.objects.get(purpose="vendors:registration_received")
    assert (email.to, email.language) == ("rin@browser.example", language)


def test_refused_form_keeps_the_input_and_names_the_problem(page: Any, lead: User) -> None:
    publish_terms(lead)
    page.goto("/developers/register/")
    page.locator("#id_name").fill("Typo KK")
    page.locator("#id_registration_type_0").check()
    page.locator("#id_responsible_name").fill("Tom")
    page.locator("#id_responsible_email").fill("tom@typo.example")
    page.locator("#id_products").fill("Lib | | | npm/lib")
    page.locator("#id_applicant_email").fill("tom@typo.example")
    page.locator("#id_password").fill("a long enough passphrase 1")
    page.locator("#id_accept_terms").check()
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert "package URL" in page.locator(".form-errors, .errorlist").first.inner_text()
    assert page.locator("#id_name").input_value() == "Typo KK"
    assert not Registration.objects.exists()
