"""Signing in through allauth's own forms in tests, as a person would.

``force_login`` skips what allauth records about the sign-in (when, how), which its MFA pages check.
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from kyocho.conftest import totp_code


def sign_in(client: Client, email: str, password: str) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def confirm_password(client: Client, password: str) -> None:
    """allauth asks for the password again before an authenticator is added or changed."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()


def sign_in_for_mfa_setup(client: Client, email: str, password: str) -> None:
    sign_in(client, email, password)
    confirm_password(client, password)


def sign_in_with_totp(client: Client, email: str, password: str, secret: str) -> Any:
    response = sign_in(client, email, password)
    assert response["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
