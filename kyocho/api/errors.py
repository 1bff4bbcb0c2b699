"""Every API error has one shape, ``{"code", "message", "field"}``, and each kind is mapped once here.

Domain errors carry their own status (InvalidInput 400, NotFound 404, PermissionDenied 403,
Conflict and TransitionNotAllowed 409); request validation is 400 with the fields at fault.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kyocho.core.errors import DomainError, NotFound
from kyocho.core.ratelimit import RateLimited

CODE_BY_STATUS = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}
# Where a request value came from; the rest of pydantic's location is the field's path.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field, **extra}


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def domain_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, exc.http_status, error_body(exc.code, exc.message, exc.field))

    def rate_limited(request: HttpRequest, exc: Any) -> HttpResponse:
        response = domain_error(request, exc)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        problems = [{"field": field_of(error.get("loc", ())), "message": error.get("msg", "")} for error in exc.errors]
        fields = [problem["field"] for problem in problems if problem["field"]]
        message = _("The request is not valid: check %(fields)s.") % {"fields": ", ".join(fields) or _("the body")}
        return respond(request, 400, error_body("invalid", message, fields[0] if fields else None, errors=problems))

    def not_authenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        message = _("Send a valid API token (Authorization: Bearer kyt_…) or sign in.")
        response = respond(request, 401, error_body("unauthorized", message))
        response["WWW-Authenticate"] = "Bearer"
        return response

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, exc.status_code, error_body(CODE_BY_STATUS.get(exc.status_code, "error"), exc.message))

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return domain_error(request, NotFound())

    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(RateLimited, rate_limited)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, not_authenticated)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)


def field_of(location: Any) -> str | None:
    """``("body", "payload", "name")`` → ``name``; ``("query", "limit")`` → ``limit``."""
    parts = [str(part) for part in location]
    if parts and parts[0] in _SOURCES:
        source, parts = parts[0], parts[1:]
        if source == "body" and len(parts) > 1:
            parts = parts[1:]  # the name of the endpoint's body argument
    return ".".join(parts) or None
