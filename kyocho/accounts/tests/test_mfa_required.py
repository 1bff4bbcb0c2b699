"""RequireMfaMiddleware: every role but reporter must set up MFA before using any page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kyocho.accounts.middleware import has_authenticator
from kyocho.accounts.tests.signing_in import sign_in, sign_in_for_mfa_setup
from kyocho.conftest import PASSWORD, give_totp, totp_code

ACTIVATE_TOTP = reverse("mfa_activate_totp")
PAGES_BEHIND_MFA = [
    "/",
    "/home/",
    "/staff/",
    "/portal/",
    "/staff/reports/KYR-XXXX-XXXX/",
    "/api/",
    "/accounts/email/",
    "/accounts/password/change/",
]
MEMBER_ROLES = ["coordinator", "lead", "intake_staff", "vendor_member", "partner", "committee_member"]


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_member_without_authenticator_is_sent_to_totp_setup_from_every_page(
    client: Any, role: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(role))
    for path in PAGES_BEHIND_MFA:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == ACTIVATE_TOTP, path


def test_posts_are_refused_too(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    response = client.post("/staff/", {})
    assert response["Location"] == ACTIVATE_TOTP


def test_setup_page_explains_why_and_shows_the_qr_code(client: Any, vendor_member: Any) -> None:
    sign_in_for_mfa_setup(client, vendor_member.email, PASSWORD)
    response = client.get(ACTIVATE_TOTP)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your role requires two-factor authentication" in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert 'class="site-header"' in html  # inside kyocho's layout


def test_after_sign_in_a_member_confirms_the_password_then_sets_up_totp(client: Any, partner: Any) -> None:
    response = sign_in(client, partner.email, PASSWORD)
    assert response["Location"] == reverse("home")
    assert client.get("/home/")["Location"] == ACTIVATE_TOTP
    response = client.get(ACTIVATE_TOTP)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"]).content.decode()
    assert "Confirm your password once more, then set up your authenticator app." in page


@pytest.mark.parametrize(
    "url_name", ["account_logout", "account_reauthenticate", "mfa_index", "account_reset_password"]
)
def test_pages_needed_to_sign_out_or_set_up_stay_open(client: Any, coordinator: Any, url_name: str) -> None:
    client.force_login(coordinator)
    assert client.get(reverse(url_name)).status_code == 200


def test_static_files_and_language_switch_stay_open(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    assert client.get("/static/kyocho/kyocho.css").status_code == 200
    response = client.post(reverse("set_language"), {"language": "ja", "next": "/staff/"})
    assert response.status_code == 302
    assert response.cookies["kyocho_language"].value == "ja"


def test_activating_totp_opens_the_pages(client: Any, coordinator: Any) -> None:
    sign_in_for_mfa_setup(client, coordinator.email, PASSWORD)
    client.get(ACTIVATE_TOTP)  # puts the proposed secret in the session, as the browser would
    secret = client.session["mfa.totp.secret"]
    response = client.post(ACTIVATE_TOTP, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert has_authenticator(coordinator)
    assert client.get("/staff/").status_code == 200


def test_a_wrong_code_activates_nothing(client: Any, coordinator: Any) -> None:
    sign_in_for_mfa_setup(client, coordinator.email, PASSWORD)
    client.get(ACTIVATE_TOTP)
    response = client.post(ACTIVATE_TOTP, {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not has_authenticator(coordinator)
    assert client.get("/staff/")["Location"] == ACTIVATE_TOTP


def test_recovery_codes_alone_do_not_count(client: Any, coordinator: Any) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(coordinator)
    client.force_login(coordinator)
    assert client.get("/staff/")["Location"] == ACTIVATE_TOTP


def test_member_with_authenticator_goes_through(client: Any, vendor_member: Any) -> None:
    give_totp(vendor_member)
    client.force_login(vendor_member)
    assert client.get("/portal/").status_code == 200


def test_reporter_needs_no_authenticator(client: Any, reporter: Any) -> None:
    client.force_login(reporter)
    assert client.get("/portal/").status_code == 200
    assert client.get("/").status_code == 200


def test_signed_out_visitors_are_not_redirected(client: Any) -> None:
    assert client.get("/").status_code == 200
