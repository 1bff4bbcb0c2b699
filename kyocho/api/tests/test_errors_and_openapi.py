"""Each kind of domain error is mapped once, to one JSON shape; the OpenAPI document describes the API."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client, RequestFactory

from kyocho.accounts.models import User
from kyocho.api.main import api
from kyocho.api.tests.helpers import token_client
from kyocho.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed


@pytest.mark.parametrize(
    ("make_error", "status", "body"),
    [
        (
            lambda: InvalidInput("Title is required.", field="title"),
            400,
            {"code": "invalid", "message": "Title is required.", "field": "title"},
        ),
        (lambda: NotFound(), 404, {"code": "not_found", "message": "Not found.", "field": None}),
        (
            lambda: PermissionDenied("Only coordinators can do this."),
            403,
            {"code": "forbidden", "message": "Only coordinators can do this.", "field": None},
        ),
        (
            lambda: Conflict("This token is already revoked."),
            409,
            {"code": "conflict", "message": "This token is already revoked.", "field": None},
        ),
        (
            lambda: TransitionNotAllowed("Case", "closed", "open", []),
            409,
            {
                "code": "transition_not_allowed",
                "message": "Case cannot go from “closed” to “open”; “closed” is final.",
                "field": None,
            },
        ),
    ],
)
def test_each_domain_error_has_its_status_and_shape(
    make_error: Callable[[], DomainError], status: int, body: dict[str, object]
) -> None:
    # Built inside the test, where English is active, not at collection time.
    response = api.on_exception(RequestFactory().get("/api/v1/cases"), make_error())
    assert response.status_code == status
    assert json.loads(response.content) == body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "language"), [("ja", "ja"), ("en-GB,en;q=0.8", "en"), ("ja-JP,ja;q=0.9,en;q=0.5", "ja")]
)
def test_language_follows_accept_language(vendor_member: User, accept: str, language: str) -> None:
    response = token_client(vendor_member).get("/api/v1/cases/999", headers={"Accept-Language": accept})
    assert response.status_code == 404
    assert response["Content-Language"] == language


def test_openapi_document_lists_the_paths_and_token_auth(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == "1"
    assert set(document["paths"]) >= {
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/reports",
        "/api/v1/reports/{report_id}",
    }
    assert set(document["paths"]["/api/v1/tokens"]) == {"get", "post"}
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["TokenAuth"].items()


def test_documentation_page_uses_only_local_assets(client: Client) -> None:
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
