"""Coordinators' key checks on the staff registration page: record the fingerprint the developer read
out, and accept a key whose user ids name none of the developer's contacts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kyocho.public.registry_views import run_posted_change
from kyocho.staff.views import staff_page
from kyocho.vendors import key_actions
from kyocho.vendors.key_web import key_of

# POST "action" → (what it does, what the coordinator is told); each gets the key and the form data.
KEY_CHECKS = {
    "verify": (
        lambda key, data, actor: key_actions.verify_key_fingerprint(
            key.pk, fingerprint=data.get("fingerprint", ""), actor=actor
        ),
        gettext_lazy("The fingerprint matches; the check is recorded."),
    ),
    "accept": (
        lambda key, data, actor: key_actions.accept_key_without_matching_uid(key.pk, actor=actor),
        gettext_lazy("The key was accepted for this developer."),
    ),
}


@staff_page
@require_POST
def key_check(request: HttpRequest, registration_id: int, key_id: int) -> HttpResponse:
    run_posted_change(request, KEY_CHECKS, key_of(request.user, registration_id, key_id))
    return redirect(reverse("staff:registration", args=[registration_id]) + "#keys")
