"""API callers for the API tests: a personal token, or a signed-in browser."""

from __future__ import annotations

from typing import Any

from django.test import Client

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import User
from kyocho.conftest import give_totp


def bearer(user: User, name: str = "test tool") -> dict[str, str]:
    _token, secret = accounts.create_api_token(user.pk, name=name, actor=user)
    return {"Authorization": f"Bearer {secret}"}


def token_client(user: User, language: str = "en") -> Client:
    return Client(headers={**bearer(user), "Accept-Language": language})


def browser_client(user: User, *, mfa: bool = True, enforce_csrf: bool = False) -> Client:
    if mfa:
        give_totp(user)
    client = Client(enforce_csrf_checks=enforce_csrf, headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def json_of(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.json()
