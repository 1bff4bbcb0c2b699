"""The registry through the JSON API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kyocho.accounts.models import User
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.vendors.models import Registration
from kyocho.vendors.tests.helpers import TERMS, listed, publish_terms

pytestmark = pytest.mark.django_db

BODY: dict[str, Any] = {
    "name": "Api Vendor",
    "registration_type": "general",
    "terms_version": TERMS,
    "contacts": [{"name": "Ada", "email": "ada@api.example", "responsible": True}],
    "keywords": ["sdk"],
    "products": [{"name": "SDK", "purl": "pkg:pypi/api-sdk"}],
    "applicant_email": "ada@api.example",
    "password": "a long enough passphrase 1",
    "language": "en",
}


def anonymous() -> Client:
    return Client(headers={"Accept-Language": "en"})


def test_anyone_applies_and_gets_the_registration_back(lead: User) -> None:
    publish_terms(lead)
    response = anonymous().post("/api/v1/vendor-registrations", BODY, content_type="application/json")
    assert response.status_code == 201, response.content
    data = json_of(response)
    assert (data["name"], data["status"], data["products"][0]["purl"]) == ("Api Vendor", "applied", "pkg:pypi/api-sdk")
    assert data["contacts"][0]["responsible"] is True


def test_bad_purl_is_a_400_naming_the_field(lead: User) -> None:
    publish_terms(lead)
    body = {**BODY, "products": [{"name": "SDK", "purl": "pypi/api-sdk"}]}
    response = anonymous().post("/api/v1/vendor-registrations", body, content_type="application/json")
    assert response.status_code == 400
    assert "products.0.purl" in response.content.decode()
    assert not Registration.objects.exists()


def test_current_terms_are_public(lead: User) -> None:
    assert anonymous().get("/api/v1/vendor-terms/current").status_code == 404
    publish_terms(lead)
    assert json_of(anonymous().get("/api/v1/vendor-terms/current"))["version"] == TERMS


def test_review_and_maintenance_with_scoping(lead: User, coordinator: User) -> None:
    mine = listed(lead, coordinator)
    theirs = listed(lead, coordinator, name="Other KK", email="o@other.example")
    assert mine.applicant is not None
    client = token_client(User.objects.get(pk=mine.applicant.pk))
    listing = json_of(client.get("/api/v1/vendor-registrations"))
    assert [item["id"] for item in listing["items"]] == [mine.pk]
    assert client.get(f"/api/v1/vendor-registrations/{theirs.pk}").status_code == 404
    assert (
        client.patch(
            f"/api/v1/vendor-registrations/{theirs.pk}", {"phone": "+81 3-0000-0000"}, content_type="application/json"
        ).status_code
        == 404
    )
    changed = client.patch(
        f"/api/v1/vendor-registrations/{mine.pk}", {"keywords": ["x", "y"]}, content_type="application/json"
    )
    assert json_of(changed)["keywords"] == ["x", "y"]
    product = client.post(
        f"/api/v1/vendor-registrations/{mine.pk}/products", {"name": "P"}, content_type="application/json"
    )
    assert product.status_code == 201
    assert client.delete(f"/api/v1/vendor-products/{json_of(product)['id']}").status_code == 204
    # Review is for coordinators: the developer sees its registration, so 403, not 404.
    refused = client.post(
        f"/api/v1/vendor-registrations/{mine.pk}/reject", {"note": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_coordinator_reviews_through_the_api(lead: User, coordinator: User) -> None:
    from kyocho.vendors.tests.helpers import apply

    publish_terms(lead)
    registration = apply()
    client = token_client(coordinator)
    url = f"/api/v1/vendor-registrations/{registration.pk}"
    assert client.post(f"{url}/reject", {"note": ""}, content_type="application/json").status_code == 400
    asked = client.post(f"{url}/request-info", {"note": "Which products?"}, content_type="application/json")
    assert json_of(asked)["status"] == "needs_info"
    assert client.post(f"{url}/approve", {}, content_type="application/json").status_code == 409
    assert registration.applicant is not None
    developer = token_client(User.objects.get(pk=registration.applicant.pk))
    assert developer.post(f"{url}/approve", {}, content_type="application/json").status_code == 403
    answered = developer.post(f"{url}/answer", {"note": "Routers."}, content_type="application/json")
    assert json_of(answered)["status"] == "applied"
    assert json_of(client.post(f"{url}/approve", {}, content_type="application/json"))["status"] == "listed"
