"""Who may call the API: a live personal token, or a signed-in browser with MFA set up."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import ApiToken, User
from kyocho.api.auth import BrowserSessionAuth
from kyocho.api.tests.helpers import bearer, browser_client, json_of
from kyocho.conftest import give_totp

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def assert_unauthorized(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    body = json_of(response)
    assert body["code"] == "unauthorized"
    assert "Bearer" in body["message"]
    assert response["WWW-Authenticate"] == "Bearer"  # type: ignore[index]


def test_no_credentials_is_401(client: Client) -> None:
    assert_unauthorized(client.get(ME))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kyt_not-a-token-anyone-was-given",
        "Bearer not-even-our-prefix",
        "Bearer ",
        "Token kyt_whatever",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_unknown_or_malformed_token_is_401(client: Client, vendor_member: User, header: str) -> None:
    bearer(vendor_member)  # a real token exists, but not this one
    assert_unauthorized(client.get(ME, headers={"Authorization": header}))


def test_a_live_token_acts_as_its_user(client: Client, vendor_member: User) -> None:
    response = client.get(ME, headers=bearer(vendor_member))
    assert response.status_code == 200
    assert json_of(response)["email"] == vendor_member.email


def test_revoked_token_is_401(client: Client, vendor_member: User) -> None:
    token, secret = accounts.create_api_token(vendor_member.pk, name="ci", actor=vendor_member)
    accounts.revoke_api_token(token.pk, actor=vendor_member)
    assert_unauthorized(client.get(ME, headers={"Authorization": f"Bearer {secret}"}))


def test_token_of_a_deactivated_user_is_401(client: Client, vendor_member: User) -> None:
    headers = bearer(vendor_member)
    User.objects.filter(pk=vendor_member.pk).update(is_active=False)
    assert_unauthorized(client.get(ME, headers=headers))


def test_last_used_is_written_at_most_once_a_minute(client: Client, vendor_member: User) -> None:
    start = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        headers = bearer(vendor_member)
        token = ApiToken.objects.get(user=vendor_member)
        assert token.last_used_at is None
        client.get(ME, headers=headers)
        token.refresh_from_db()
        assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        client.get(ME, headers=headers)
        token.refresh_from_db()
        assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        client.get(ME, headers=headers)
        token.refresh_from_db()
        assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_signed_in_browser_may_read(vendor_member: User) -> None:
    response = browser_client(vendor_member).get(ME)
    assert response.status_code == 200
    assert json_of(response)["email"] == vendor_member.email


def test_browser_of_a_member_without_mfa_is_sent_to_set_it_up(vendor_member: User) -> None:
    response = browser_client(vendor_member, mfa=False).get(ME)
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp"))


def test_session_auth_itself_refuses_a_member_without_mfa(vendor_member: User, reporter: User) -> None:
    """Should the MFA middleware ever let such a session through, the API still does not."""
    request = RequestFactory().get(ME)
    request.user = vendor_member
    assert BrowserSessionAuth()(request) is None
    give_totp(vendor_member)
    assert BrowserSessionAuth()(request) == vendor_member
    request.user = reporter
    assert BrowserSessionAuth()(request) == reporter


def test_browser_of_a_reporter_needs_no_mfa(reporter: User) -> None:
    assert browser_client(reporter, mfa=False).get(ME).status_code == 200


def test_browser_writes_need_the_csrf_token(vendor_member: User) -> None:
    client = browser_client(vendor_member, enforce_csrf=True)
    refused = client.post("/api/v1/tokens", {"name": "laptop"}, content_type="application/json")
    assert refused.status_code == 403
    assert json_of(refused)["code"] == "forbidden"

    client.get("/api/v1/docs")  # a page that hands out the CSRF token, as any form page does
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/tokens", {"name": "laptop"}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201


def test_a_wrong_token_is_401_even_with_a_session(vendor_member: User) -> None:
    client = browser_client(vendor_member)
    assert_unauthorized(client.get(ME, headers={"Authorization": "Bearer kyt_wrong"}))
