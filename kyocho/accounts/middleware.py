"""MFA is mandatory for every role but reporters (issue: foundation, PRODUCT.md §1).

A signed-in member without an authenticator is sent to set one up before anything else; the
sign-in flow itself (allauth) asks for the second factor once one exists.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kyocho.accounts.permissions import needs_mfa

# Paths a member may reach before setting up MFA: the sign-in and MFA pages, assets, language, health.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz", "/api/")


class RequireMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and needs_mfa(user)
            and not has_authenticator(user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def has_authenticator(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.RECOVERY_CODES).exists()
