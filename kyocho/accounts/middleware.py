"""MFA is mandatory for every role but reporters (PRODUCT.md §1, ARCHITECTURE.md: auth).

A signed-in member without an authenticator is sent to set one up before anything else; the
sign-in flow itself (allauth) asks for the second factor once one exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kyocho.accounts.permissions import needs_mfa

# What a member may reach before an authenticator exists: signing in and out, confirming the password
# (allauth asks before adding an authenticator), the MFA pages, password reset and email confirmation
# links, assets, the language switch and the health check. Not the API (a session without MFA must not
# use it: API clients authenticate with tokens, not sessions), not email or password changes.
_OPEN_BEFORE_MFA = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/accounts/2fa/",
    "/accounts/password/reset/",
    "/accounts/confirm-email/",
    "/static/",
    "/i18n/",
    "/healthz",
)


class RequireMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if must_set_up_mfa_first(request.user) and not request.path.startswith(_OPEN_BEFORE_MFA):
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def must_set_up_mfa_first(user: Any) -> bool:
    """A signed-in member (every role but reporter) without a TOTP app or security key yet."""
    return bool(getattr(user, "is_authenticated", False) and needs_mfa(user) and not has_authenticator(user))


def has_authenticator(user: object) -> bool:
    """A TOTP app or a security key; recovery codes alone are only a fallback for those."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.RECOVERY_CODES).exists()
