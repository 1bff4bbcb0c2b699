from __future__ import annotations

import pytest
from django.test import Client

from kyocho.accounts.models import ApiToken, Organisation, User
from kyocho.accounts.roles import Role
from kyocho.api.tests.helpers import bearer, browser_client, json_of, token_client
from kyocho.audit.queries import events_for
from kyocho.conftest import make_member

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/tokens"


def test_me_lists_roles_and_organisations(vendor_member: User, vendor_org: Organisation) -> None:
    from kyocho.accounts import actions as accounts

    accounts.add_member(vendor_org.pk, user_id=vendor_member.pk, role=Role.VENDOR_ADMIN, actor=None)
    body = json_of(token_client(vendor_member).get("/api/v1/me"))
    assert body["email"] == "psirt@vendor-a.example"
    assert body["roles"] == ["vendor_admin", "vendor_member"]
    assert body["organisations"] == [
        {
            "id": vendor_org.pk,
            "name": "Example Vendor A",
            "name_en": "",
            "kind": "product_developer",
            "roles": ["vendor_admin", "vendor_member"],
        }
    ]


def test_me_of_a_reporter_has_no_roles(reporter: User) -> None:
    body = json_of(token_client(reporter).get("/api/v1/me"))
    assert (body["roles"], body["organisations"]) == ([], [])


def test_tokens_lists_only_mine(vendor_member: User, other_vendor_member: User) -> None:
    headers = bearer(vendor_member, name="first")
    bearer(vendor_member, name="second")
    bearer(other_vendor_member, name="not mine")
    body = json_of(Client(headers=headers).get(TOKENS))
    assert body["count"] == 2
    assert [token["name"] for token in body["items"]] == ["second", "first"]
    assert all("secret" not in token and "token_hash" not in token for token in body["items"])
    assert body["items"][1]["prefix"].startswith("kyt_")


def test_creating_a_token_shows_the_secret_once(vendor_member: User) -> None:
    client = browser_client(vendor_member)
    response = client.post(TOKENS, {"name": "release pipeline"}, content_type="application/json")
    assert response.status_code == 201
    created = json_of(response)
    assert created["secret"].startswith("kyt_") and created["secret"].startswith(created["prefix"])
    token = ApiToken.objects.get(pk=created["id"])
    assert created["secret"] not in (token.token_hash, token.prefix)  # only its hash is stored
    assert [event.name for event in events_for(vendor_member)][-1] == "accounts:api_token:created"

    listed = json_of(client.get(TOKENS))["items"]
    assert "secret" not in listed[0]
    assert Client(headers={"Authorization": f"Bearer {created['secret']}"}).get("/api/v1/me").status_code == 200


def test_a_token_cannot_create_tokens(vendor_member: User) -> None:
    response = token_client(vendor_member).post(TOKENS, {"name": "more"}, content_type="application/json")
    assert response.status_code == 403
    assert json_of(response)["code"] == "forbidden"
    assert ApiToken.objects.filter(user=vendor_member).count() == 1


def test_blank_token_name_is_400_naming_the_field(vendor_member: User) -> None:
    response = browser_client(vendor_member).post(TOKENS, {"name": "   "}, content_type="application/json")
    assert response.status_code == 400
    assert json_of(response) == {"code": "invalid", "message": "Token name is required.", "field": "name"}


def test_missing_token_name_is_400_naming_the_field(vendor_member: User) -> None:
    response = browser_client(vendor_member).post(TOKENS, {}, content_type="application/json")
    assert response.status_code == 400
    body = json_of(response)
    assert (body["code"], body["field"]) == ("invalid", "name")
    assert "name" in body["message"]
    assert body["errors"][0]["field"] == "name"


def test_malformed_json_is_400(vendor_member: User) -> None:
    response = browser_client(vendor_member).post(TOKENS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert json_of(response)["code"] == "invalid"


def test_revoking_my_token(vendor_member: User) -> None:
    client = browser_client(vendor_member)
    created = json_of(client.post(TOKENS, {"name": "old"}, content_type="application/json"))
    response = client.delete(f"{TOKENS}/{created['id']}")
    assert response.status_code == 200
    assert json_of(response)["revoked_at"] is not None
    assert [event.name for event in events_for(vendor_member)][-1] == "accounts:api_token:revoked"
    assert Client(headers={"Authorization": f"Bearer {created['secret']}"}).get("/api/v1/me").status_code == 401


def test_revoking_twice_is_409(vendor_member: User) -> None:
    client = token_client(vendor_member)
    token_id = ApiToken.objects.get(user=vendor_member).pk
    other = bearer(vendor_member, name="second")
    assert client.delete(f"{TOKENS}/{token_id}").status_code == 200
    again = Client(headers=other).delete(f"{TOKENS}/{token_id}")
    assert again.status_code == 409
    assert json_of(again)["code"] == "conflict"


def test_someone_elses_token_is_404(vendor_member: User, other_vendor_member: User) -> None:
    bearer(other_vendor_member)
    theirs = ApiToken.objects.get(user=other_vendor_member)
    response = token_client(vendor_member).delete(f"{TOKENS}/{theirs.pk}")
    assert response.status_code == 404
    assert json_of(response)["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_unknown_token_id_is_404(vendor_member: User) -> None:
    assert token_client(vendor_member).delete(f"{TOKENS}/999999").status_code == 404


def test_token_list_paginates(coordinator_team: Organisation) -> None:
    user = make_member("many@example.org", coordinator_team, Role.COORDINATOR)
    headers = bearer(user, name="token 0")
    for number in range(1, 5):
        bearer(user, name=f"token {number}")
    page = json_of(Client(headers=headers).get(TOKENS, {"limit": 2, "offset": 1}))
    assert page["count"] == 5
    assert [token["name"] for token in page["items"]] == ["token 3", "token 2"]
