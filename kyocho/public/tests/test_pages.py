"""The public front page and what every page shares: layout landmarks, language switch, local assets only."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kyocho.accounts.models import Organisation, User
from kyocho.accounts.tests.signing_in import sign_in_for_mfa_setup
from kyocho.conftest import PASSWORD, coordinating_case, submit_test_report

ClientFor = Callable[..., Client]
# Any address that leaves the server: scheme-relative or absolute http(s) in src, href or action.
EXTERNAL = re.compile(r'(?:src|href|action)="(?:https?:)?//', re.IGNORECASE)


def test_front_page_explains_the_process(client_for: ClientFor) -> None:
    response = client_for(None).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vulnerability advisories" in html
    assert "How coordinated disclosure works" in html
    assert "decides within 5 business days" in html
    assert "No advisory has been published yet." in html
    assert "Developers we cannot reach" in html
    assert reverse("account_signup") in html


def test_triage_target_on_the_front_page_follows_the_setting(client_for: ClientFor, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "TRIAGE_BUSINESS_DAYS": 7}
    assert "decides within 7 business days" in client_for(None).get("/").content.decode()


def test_signed_in_visitors_are_not_offered_an_account(client_for: ClientFor, reporter: User) -> None:
    html = client_for(reporter).get("/").content.decode()
    assert reverse("account_signup") not in html
    assert "Sign out" in html
    assert reverse("portal:home") in html


def test_staff_see_the_dashboard_in_the_navigation(client_for: ClientFor, coordinator: User) -> None:
    html = client_for(coordinator).get("/").content.decode()
    assert f'href="{reverse("staff:dashboard")}"' in html
    assert f'href="{reverse("portal:home")}"' not in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_language_from_the_cookie(client_for: ClientFor, language: str) -> None:
    html = client_for(None, language).get("/").content.decode()
    assert f'<html lang="{language}">' in html
    assert f'value="{language}" lang="{language}" aria-pressed="true"' in html


@pytest.mark.parametrize(("header", "language"), [("ja,en;q=0.5", "ja"), ("en-GB,en;q=0.8", "en")])
def test_language_from_the_browser(db: Any, header: str, language: str) -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE=header).get("/").content.decode()
    assert f'<html lang="{language}">' in html


def test_switching_language_returns_to_the_same_page_signed_out(client_for: ClientFor) -> None:
    client = client_for(None, "ja")
    page = client.get("/accounts/login/?next=/portal/").content.decode()
    assert 'name="next" value="/accounts/login/?next=/portal/"' in page
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/?next=/portal/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/portal/"
    assert response.cookies["kyocho_language"].value == "en"
    assert '<html lang="en">' in client.get(response["Location"]).content.decode()


def test_every_page_has_landmarks_and_a_skip_link(client_for: ClientFor) -> None:
    html = client_for(None).get("/").content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<header class="site-header">' in html
    assert '<nav class="main-nav" aria-label="Main">' in html
    assert '<footer class="site-footer">' in html
    assert "Times are shown in the Asia/Tokyo time zone." in html


def test_unknown_pages_answer_404_inside_the_layout(client_for: ClientFor) -> None:
    response = client_for(None).get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert '<main id="main"' in response.content.decode()


def test_htmx_is_served_locally(client_for: ClientFor) -> None:
    html = client_for(None).get("/").content.decode()
    script = re.search(r'<script src="([^"]*htmx[^"]*)"', html)
    assert script is not None
    assert script.group(1).startswith("/static/")
    assert client_for(None).get(script.group(1)).status_code == 200


def test_no_page_refers_to_another_host(
    client_for: ClientFor, coordinator: User, vendor_org: Organisation, reporter: User
) -> None:
    report = submit_test_report(reporter=reporter)
    case = coordinating_case(coordinator, vendor_org)
    anonymous = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/no-such-page/"]
    pages: list[tuple[Client, str]] = [(client_for(None), url) for url in anonymous]
    staff = client_for(coordinator)
    pages += [
        (staff, url) for url in ["/staff/", f"/staff/reports/{report.reference}/", f"/staff/cases/{case.reference}/"]
    ]
    pages += [(staff, url) for url in ["/accounts/2fa/", "/accounts/logout/"]]
    participant = client_for(reporter)
    pages += [(participant, url) for url in ["/portal/", f"/portal/reports/{report.reference}/"]]
    for client, url in pages:
        html = client.get(url).content.decode()
        assert EXTERNAL.search(html) is None, (url, EXTERNAL.findall(html))


def test_totp_setup_page_refers_to_no_other_host(db: Any, partner: User) -> None:
    client = Client()
    sign_in_for_mfa_setup(client, partner.email, PASSWORD)
    html = client.get(reverse("mfa_activate_totp")).content.decode()
    assert "data:image/svg+xml;base64," in html
    assert EXTERNAL.search(html) is None
