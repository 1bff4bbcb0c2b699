"""Coordinators' key checks on the staff registration page: record the fingerprint the developer read
out, and accept a key whose user ids name none of the developer's contacts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kyocho.staff.views import staff_page
from kyocho.vendors import key_actions
from kyocho.vendors.key_web import key_of, run_key_change


def _back(registration_id: int) -> HttpResponse:
    return redirect(reverse("staff:registration", args=[registration_id]) + "#keys")


@staff_page
@require_POST
def verify_key(request: HttpRequest, registration_id: int, key_id: int) -> HttpResponse:
    key = key_of(request.user, registration_id, key_id)
    fingerprint = request.POST.get("fingerprint", "")
    run_key_change(
        request,
        lambda: key_actions.verify_key_fingerprint(key.pk, fingerprint=fingerprint, actor=request.user),
        _("The fingerprint matches; the check is recorded."),
    )
    return _back(registration_id)


@staff_page
@require_POST
def accept_key(request: HttpRequest, registration_id: int, key_id: int) -> HttpResponse:
    key = key_of(request.user, registration_id, key_id)
    run_key_change(
        request,
        lambda: key_actions.accept_key_without_matching_uid(key.pk, actor=request.user),
        _("The key was accepted for this developer."),
    )
    return _back(registration_id)
