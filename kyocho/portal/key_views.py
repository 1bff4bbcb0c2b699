"""The developer's OpenPGP keys and security.txt in the portal. The panel itself is included in the
registration page; these views take its forms. Another developer's keys are a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kyocho.core.errors import DomainError, NotFound
from kyocho.public.registry_views import run_posted_change
from kyocho.public.web import not_found_as_404
from kyocho.vendors import actions, key_actions
from kyocho.vendors.key_queries import visible_registration
from kyocho.vendors.key_web import key_of, posted_text
from kyocho.vendors.models import Registration
from kyocho.vendors.securitytxt import SignatureStatus, prefill_from_security_txt

# POST "action" → (what it does, what the person is told), as in ``registry_views``.
KEY_CHANGES = {
    "revoke": (
        lambda key, data, actor: key_actions.revoke_public_key(key.pk, actor=actor),
        gettext_lazy("The key was revoked; it will not be used again."),
    ),
    "remove": (
        lambda key, data, actor: key_actions.remove_public_key(key.pk, actor=actor),
        gettext_lazy("The key was removed."),
    ),
}
SECURITY_TXT_CHANGES = {
    "add_contact": (
        lambda registration, data, actor: actions.add_contact(
            registration.pk,
            fields={
                "name": data.get("email", "").split("@")[0],
                "email": data.get("email"),
                "language": data.get("language") or "ja",
            },
            actor=actor,
        ),
        gettext_lazy("The address was added as a contact."),
    ),
}


def _back_to(registration: Registration, anchor: str) -> HttpResponse:
    return redirect(reverse("portal:registration", args=[registration.pk]) + f"#{anchor}")


def _refused(request: HttpRequest, registration: Registration, **context: Any) -> HttpResponse:
    """The keys page again, the refusal next to the field and the input kept."""
    context = {"registration": registration, "keys": registration.keys.order_by("-created_at"), **context}
    return render(request, "portal/keys/page.html", context, status=400)


@login_required
@not_found_as_404
@require_POST
def add_key(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = visible_registration(request.user, registration_id)
    text = request.POST.get("armored", "")
    try:
        text = posted_text(request, "armored", "key_file")
        key = key_actions.add_public_key(registration.pk, armored=text, actor=request.user)
    except NotFound:
        raise
    except DomainError as error:
        return _refused(request, registration, key_error=error.message, key_text=text)
    messages.success(request, _("Key %(fingerprint)s added.") % {"fingerprint": key.fingerprint})
    return _back_to(registration, "keys")


@login_required
@not_found_as_404
@require_POST
def key_change(request: HttpRequest, registration_id: int, key_id: int) -> HttpResponse:
    registration = visible_registration(request.user, registration_id)
    run_posted_change(request, KEY_CHANGES, key_of(request.user, registration.pk, key_id))
    return _back_to(registration, "keys")


@login_required
@not_found_as_404
@require_POST
def security_txt(request: HttpRequest, registration_id: int) -> HttpResponse:
    """Read a pasted or uploaded security.txt (action "read"), or add one address it lists as a
    contact (action "add_contact")."""
    registration = visible_registration(request.user, registration_id)
    if request.POST.get("action") in SECURITY_TXT_CHANGES:
        run_posted_change(request, SECURITY_TXT_CHANGES, registration)
        return _back_to(registration, "contacts-heading")
    text = request.POST.get("text", "")
    known_keys = [key.armored for key in registration.keys.filter(revoked_at__isnull=True)]
    try:
        text = posted_text(request, "text", "file")
        found = prefill_from_security_txt(text, known_keys=known_keys)
    except DomainError as error:
        return _refused(request, registration, securitytxt_error=error.message, securitytxt_text=text)
    contacts = {email.lower() for email in registration.contacts.values_list("email", flat=True)}
    new_emails = [email for email in found.emails if email.lower() not in contacts]
    context = {
        "registration": registration,
        "found": found,
        "new_emails": new_emails,
        "signature_label": SignatureStatus(found.signature).label,
    }
    return render(request, "portal/keys/security_txt.html", context)
