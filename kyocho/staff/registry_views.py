"""The coordinators' registry pages: review applications, see a developer (and suspend it from
pre-notification), recent contact and key changes, terms versions, and the vendor list import.
Reads go through ``vendors.queries``; every change is a domain action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyocho.accounts.permissions import is_lead
from kyocho.audit.queries import events_for
from kyocho.core.errors import DomainError, InvalidInput
from kyocho.disclosure import actions as disclosure
from kyocho.disclosure.queries import suspension_in_force
from kyocho.public.registry_views import run_posted_change
from kyocho.staff.views import staff_page
from kyocho.vendors import actions, importer, queries
from kyocho.vendors.models import Registration

LIST_ROWS = 200
UPLOAD_LIMIT = importer.MAX_BYTES


def _until(text: str) -> dt.datetime | None:
    """A ``datetime-local`` value in the display time zone, or None for "until lifted"."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        naive = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(_("Enter a date and time."), field="until") from error
    from zoneinfo import ZoneInfo

    return naive.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


Decision = Callable[[Registration, Any, Any], object]
DECISIONS: dict[str, tuple[Decision, Any]] = {
    "approve": (
        lambda r, data, actor: actions.approve_registration(r.pk, actor=actor, note=data.get("note", "")),
        gettext_lazy("The developer is now listed."),
    ),
    "request_info": (
        lambda r, data, actor: actions.request_registration_info(r.pk, reason=data.get("note", ""), actor=actor),
        gettext_lazy("The question was sent."),
    ),
    "reject": (
        lambda r, data, actor: actions.reject_registration(r.pk, reason=data.get("note", ""), actor=actor),
        gettext_lazy("The application was rejected."),
    ),
    "suspend": (
        lambda r, data, actor: disclosure.suspend_from_prenotification(
            r.organisation_id, reason=data.get("reason", ""), until=_until(data.get("until", "")), actor=actor
        ),
        gettext_lazy("The developer is suspended from pre-notification."),
    ),
    "lift": (
        lambda r, data, actor: disclosure.lift_suspension(
            r.organisation_id, reason=data.get("reason", ""), actor=actor
        ),
        gettext_lazy("The suspension was lifted."),
    ),
}


@staff_page
def registry(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    context = {
        "queue": queries.review_queue(request.user),
        "registrations": queries.registrations(request.user, status=status or None)[:LIST_ROWS],
        "status": status,
    }
    return render(request, "staff/registry.html", context)


@staff_page
def registration_detail(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = queries.registration(registration_id, request.user)
    if request.method == "POST":
        run_posted_change(request, DECISIONS, registration)
        return redirect("staff:registration", registration.pk)
    context = {
        "registration": registration,
        "contacts": registration.contacts.order_by("-responsible", "name"),
        "products": queries.products_with_sboms(registration),
        "keys": registration.keys.order_by("-created_at"),
        "acceptances": registration.terms_acceptances.select_related("terms", "accepted_by"),
        "suspension": suspension_in_force(registration.organisation_id),
        "is_lead": is_lead(request.user),
        "events": events_for(registration),
    }
    return render(request, "staff/registration_detail.html", context)


@staff_page
def registry_changes(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/registry_changes.html", {"events": queries.recent_registry_changes(request.user)})


TERMS_DECISIONS: dict[str, tuple[Any, Any]] = {
    "publish": (
        lambda data, actor: actions.publish_terms(
            data.get("version", ""), text_ja=data.get("text_ja", ""), text_en=data.get("text_en", ""), actor=actor
        ),
        gettext_lazy("The new terms are published; listed developers are asked to accept them."),
    ),
}


@staff_page
def terms(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        run_posted_change(request, TERMS_DECISIONS)
        return redirect("staff:registry_terms")
    context = {
        "current": queries.current_terms(),
        "missing": queries.without_current_terms(request.user),
        "is_lead": is_lead(request.user),
    }
    return render(request, "staff/registry_terms.html", context)


@staff_page
def import_list(request: HttpRequest) -> HttpResponse:
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None or upload.size is None or upload.size > UPLOAD_LIMIT:
                raise InvalidInput(_("Choose a CSV or JSON file (at most 20 MB)."), field="file")
            run = importer.dry_run if request.POST.get("dry_run") else importer.run
            result = run(upload.read(), actor=request.user, filename=upload.name or "")
        except DomainError as error:
            messages.error(request, error.message)
    context = {"result": result, "is_lead": is_lead(request.user), "columns": importer.COLUMNS}
    return render(request, "staff/registry_import.html", context)
