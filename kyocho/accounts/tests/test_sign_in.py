"""Signing in, up and out through allauth inside kyocho's layout: MFA step, throttling, password hashing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kyocho.accounts.models import User
from kyocho.accounts.permissions import memberships
from kyocho.accounts.tests.signing_in import confirm_password, sign_in, sign_in_with_totp
from kyocho.conftest import PASSWORD, give_totp, totp_code

WRONG_PASSWORD = "not the password at all 99"
# ACCOUNT_RATE_LIMITS["login_failed"] allows 5 failures per account in 5 minutes.
FAILURES_ALLOWED_PER_ACCOUNT = 5


def test_staff_sign_in_asks_for_the_totp_code_then_opens_the_dashboard(client: Client, coordinator: User) -> None:
    secret = give_totp(coordinator)
    response = sign_in(client, coordinator.email, PASSWORD)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/staff/").status_code == 302  # not signed in until the second factor is given
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert 'class="site-header"' in page
    assert "Two-Factor Authentication" in page

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("home")
    assert client.get("/home/")["Location"] == reverse("staff:dashboard")
    assert client.get("/staff/").status_code == 200


def test_a_wrong_totp_code_does_not_sign_in(client: Client, coordinator: User) -> None:
    give_totp(coordinator)
    sign_in(client, coordinator.email, PASSWORD)
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_refused(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator.email, WRONG_PASSWORD)
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failed_sign_ins_are_throttled_even_with_the_right_password(client: Client, reporter: User) -> None:
    for _attempt in range(FAILURES_ALLOWED_PER_ACCOUNT):
        assert "Too many failed" not in sign_in(client, reporter.email, WRONG_PASSWORD).content.decode()
    response = sign_in(client, reporter.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttling_is_per_account(client: Client, reporter: User, vendor_member: User) -> None:
    for _attempt in range(FAILURES_ALLOWED_PER_ACCOUNT + 1):
        sign_in(client, reporter.email, WRONG_PASSWORD)
    assert sign_in(client, vendor_member.email, PASSWORD).status_code == 302


def test_passwords_are_hashed_with_argon2(reporter: User) -> None:
    from kyocho import settings as project_settings

    # Tests hash with a cheaper Argon2 (kyocho/conftest.py); the project's own setting is read directly.
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert reporter.password.startswith("argon2$argon2id$")
    assert reporter.check_password(PASSWORD)
    assert not reporter.check_password(WRONG_PASSWORD)


def test_sign_up_makes_a_reporter_who_needs_no_second_factor(client: Client) -> None:
    page = client.get(reverse("account_signup")).content.decode()
    assert "Create a finder account" in page
    response = client.post(
        reverse("account_signup"),
        {"email": "new.finder@example.net", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.finder@example.net")
    assert user.password.startswith("argon2$")
    assert memberships(user) == frozenset()
    assert client.get("/portal/").status_code == 200


def test_sign_up_refuses_a_weak_password(client: Client) -> None:
    response = client.post(
        reverse("account_signup"), {"email": "weak@example.net", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 200
    assert "field--invalid" in response.content.decode()
    assert not User.objects.filter(email="weak@example.net").exists()


def test_password_reset_mails_a_link(client: Client, reporter: User) -> None:
    assert client.get(reverse("account_reset_password")).status_code == 200
    response = client.post(reverse("account_reset_password"), {"email": reporter.email})
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[reporter.email]]


def test_sign_out_is_a_post(client: Client, reporter: User) -> None:
    client.force_login(reporter)
    page = client.get(reverse("account_logout")).content.decode()
    assert 'class="site-header"' in page
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "url_name",
    ["mfa_index", "mfa_view_recovery_codes", "mfa_add_webauthn", "mfa_deactivate_totp", "account_change_password"],
)
def test_mfa_and_account_pages_render_inside_the_layout(client: Client, coordinator: User, url_name: str) -> None:
    secret = give_totp(coordinator)
    _give_recovery_codes(coordinator)
    sign_in_with_totp(client, coordinator.email, PASSWORD, secret)
    confirm_password(client, PASSWORD)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="manage-nav"' in html
    assert 'href="#main"' in html


def _give_recovery_codes(user: User) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(user)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ja", "パスワードをお忘れですか"), ("en", "Forgot your password?")],
)
def test_sign_in_page_follows_the_language_cookie(db: Any, language: str, expected: str) -> None:
    client = Client()
    client.cookies["kyocho_language"] = language
    html = client.get(reverse("account_login")).content.decode()
    assert f'<html lang="{language}">' in html
    assert expected in html
