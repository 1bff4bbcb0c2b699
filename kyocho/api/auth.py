"""Who is calling the API: a personal token (``Authorization: Bearer kyt_…``) or a signed-in browser.

Either way the caller acts with the user's own roles. A request that carries an Authorization header
is judged by it alone: a wrong token is 401 even when a session cookie is also present.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from kyocho.accounts.actions import TOKEN_PREFIX, note_token_used
from kyocho.accounts.middleware import must_set_up_mfa_first
from kyocho.accounts.queries import active_token_for_secret


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX):
            return None
        found = active_token_for_secret(token)
        if found is None:
            return None
        note_token_used(found.pk)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class BrowserSessionAuth(APIKeyCookie):
    """The signed-in person of the web interface; unsafe methods need the CSRF token, as on pages.

    Members who must use MFA but have not set it up are refused here too (RequireMfaMiddleware
    already sends them to the MFA setup; this holds should the middleware ever let one through).
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise HttpError(403, _("The CSRF token is missing or wrong: reload the page and try again."))
        return self.authenticate(request, None)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None if must_set_up_mfa_first(request.user) else request.user

    def _get_key(self, request: HttpRequest) -> str | None:  # the session middleware has read it
        return None


class AnonymousCaller:
    """Lets a request without credentials through as the anonymous user, for the few endpoints open to
    everyone (listed after the real schemes). A request that sends an Authorization header is judged by
    it alone, so a wrong token stays 401 instead of quietly becoming anonymous."""

    def __call__(self, request: HttpRequest) -> Any:
        if "Authorization" in request.headers:
            return None
        return AnonymousUser()


def signed_in_with_token(request: HttpRequest) -> bool:
    return getattr(request, "api_token", None) is not None
