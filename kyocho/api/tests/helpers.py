"""Building API callers and cases for the API tests, through the real actions."""

from __future__ import annotations

from typing import Any

from django.test import Client

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions as cases
from kyocho.cases.models import Case
from kyocho.conftest import give_totp


def bearer(user: User, name: str = "test tool") -> dict[str, str]:
    _token, secret = accounts.create_api_token(user.pk, name=name, actor=user)
    return {"Authorization": f"Bearer {secret}"}


def token_client(user: User) -> Client:
    return Client(headers=bearer(user))


def browser_client(user: User, *, mfa: bool = True, enforce_csrf: bool = False) -> Client:
    if mfa:
        give_totp(user)
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def case_notifying(
    coordinator: User, *developers: Organisation, identified_only: tuple[Organisation, ...] = ()
) -> Case:
    """A case whose ``developers`` were notified; ``identified_only`` ones are in it but not told yet."""
    case = cases.open_case(title="Buffer overflow in the login form", actor=coordinator)
    for developer in developers:
        participation = cases.add_participant(case.pk, organisation_id=developer.pk, actor=coordinator)
        cases.notify_participant(participation.pk, actor=coordinator)
    for developer in identified_only:
        cases.add_participant(case.pk, organisation_id=developer.pk, actor=coordinator)
    return case


def json_of(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.json()
