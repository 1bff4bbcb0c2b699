"""The JSON API at ``/api/v1/``: OpenAPI at ``openapi.json``, its documentation page at ``docs``
(served from local files: no CDN)."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from kyocho.api import candidates, notify, vendors
from kyocho.api.auth import BrowserSessionAuth, TokenAuth
from kyocho.api.errors import install_error_handlers
from kyocho.api.routes import (
    cases,
    conversations,
    developer,
    inbound,
    me,
    participants,
    reports,
    tokens,
    vulnerabilities,
)

DESCRIPTION = (
    "kyocho's JSON API for the tooling of product developers and partner coordinators. "
    "Authenticate with a personal token: `Authorization: Bearer kyt_…`. "
    "A token acts with the roles of the person who created it."
)


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="kyocho API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api",
        auth=[TokenAuth(), BrowserSessionAuth()],
        docs=Swagger(settings={"persistAuthorization": False}),
    )
    install_error_handlers(api)
    api.add_router("/me", me.router)
    api.add_router("/tokens", tokens.router)
    api.add_router("/cases", cases.router)
    api.add_router("/participations", participants.router)
    api.add_router("/inbound-mail", inbound.router)
    api.add_router("", conversations.router)
    api.add_router("", candidates.router)
    api.add_router("", notify.router)
    api.add_router("/reports", reports.router)
    api.add_router("", vendors.router)
    api.add_router("", vulnerabilities.router)
    api.add_router("", developer.router)
    api.add_router("", developer.review_router)
    return api


api = build_api()
