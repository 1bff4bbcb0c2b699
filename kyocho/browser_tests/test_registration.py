"""A developer registers in a real browser, in Japanese and in English."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.accounts.models import User
from kyocho.conftest import PASSWORD
from kyocho.messaging.models import OutboundEmail
from kyocho.vendors.models import Registration
from kyocho.vendors.tests.helpers import publish_terms

pytestmark = pytest.mark.browser


def fill(page: Any, **values: str) -> None:
    """Type into the registration form's fields by their ids (the labels change with the language)."""
    for name, value in values.items():
        page.locator(f"#id_{name}").fill(value)


def submit(page: Any, registration_type: str) -> None:
    page.locator(f"#id_registration_type_{0 if registration_type == 'general' else 1}").check()
    page.locator("#id_accept_terms").check()
    page.locator("form.form button[type=submit]").click()


@pytest.mark.parametrize(("browser_locale", "language"), [("ja-JP", "ja"), ("en-US", "en")])
def test_registration_in_both_languages(page: Any, lead: User, browser_locale: str, language: str) -> None:
    publish_terms(lead)
    page.goto("/developers/register/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".terms-text").inner_text().strip() == ("規約" if language == "ja" else "Terms text")
    fill(
        page,
        name="ブラウザ株式会社",
        name_en="Browser KK",
        responsible_name="Rin",
        responsible_email="rin@browser.example",
        keywords="browser; engine",
        products="Engine | 3.x | cpe:2.3:a:browser:engine:*:*:*:*:*:*:*:* | pkg:npm/engine",
        applicant_email="rin@browser.example",
        password=PASSWORD,
    )
    submit(page, "individual")
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
    fill(
        page,
        name="Typo KK",
        responsible_name="Tom",
        responsible_email="tom@typo.example",
        products="Lib | | | npm/lib",
        applicant_email="tom@typo.example",
        password=PASSWORD,
    )
    submit(page, "general")
    page.wait_for_load_state()
    assert "package URL" in page.locator(".form-errors, .errorlist").first.inner_text()
    assert page.locator("#id_name").input_value() == "Typo KK"
    assert not Registration.objects.exists()
