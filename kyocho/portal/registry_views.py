"""A developer's own registration in the portal: follow the review, answer questions, accept new terms,
keep contacts, products and details current. Every change is a ``vendors.actions`` call; another
developer's registration is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from kyocho.core.errors import DomainError, NotFound
from kyocho.public.registry_views import run_posted_change
from kyocho.public.web import not_found_as_404
from kyocho.vendors import actions, products, queries
from kyocho.vendors.models import Registration

# POST "action" → (what it does, what the person is told). Each gets the registration and the form data.
Change = Callable[[Registration, Any, Any], object]
CHANGES: dict[str, tuple[Change, Any]] = {
    "answer": (
        lambda r, data, actor: actions.answer_registration_request(r.pk, answer=data.get("answer", ""), actor=actor),
        gettext_lazy("Your answer was sent to the coordinators."),
    ),
    "accept_terms": (
        lambda r, data, actor: actions.accept_terms(r.pk, terms_version=data.get("terms_version", ""), actor=actor),
        gettext_lazy("Thank you for accepting the terms."),
    ),
    "details": (
        lambda r, data, actor: actions.update_registration_details(
            r.pk,
            actor=actor,
            phone=data.get("phone", ""),
            website=data.get("website", ""),
            keywords=data.get("keywords", ""),
            listed_publicly=data.get("listed_publicly") == "on",
        ),
        gettext_lazy("Saved."),
    ),
    "add_contact": (
        lambda r, data, actor: actions.add_contact(
            r.pk,
            fields=_contact_fields(data),
            actor=actor,
        ),
        gettext_lazy("Contact added."),
    ),
    "update_contact": (
        lambda r, data, actor: actions.update_contact(
            _child_id(r.contacts, data), fields=_contact_fields(data), actor=actor
        ),
        gettext_lazy("Contact saved."),
    ),
    "remove_contact": (
        lambda r, data, actor: actions.remove_contact(_child_id(r.contacts, data), actor=actor),
        gettext_lazy("Contact removed."),
    ),
    "add_product": (
        lambda r, data, actor: products.add_product(r.pk, **_product_fields(data), actor=actor),
        gettext_lazy("Product added."),
    ),
    "update_product": (
        lambda r, data, actor: products.update_product(
            _child_id(r.products, data), **_product_fields(data), actor=actor
        ),
        gettext_lazy("Product saved."),
    ),
    "remove_product": (
        lambda r, data, actor: products.remove_product(_child_id(r.products, data), actor=actor),
        gettext_lazy("Product removed."),
    ),
    "withdraw": (
        lambda r, data, actor: actions.withdraw_registration(r.pk, actor=actor, reason=data.get("reason", "")),
        gettext_lazy("The registration was withdrawn."),
    ),
}


def _contact_fields(data: Any) -> dict[str, Any]:
    return {
        "name": data.get("name"),
        "email": data.get("email"),
        "phone": data.get("phone"),
        "responsible": data.get("responsible") == "on",
        "language": data.get("language") or "ja",
    }


def _product_fields(data: Any) -> dict[str, str]:
    return {field: data.get(field, "") for field in ("name", "versions", "cpe", "purl")}


def _child_id(related: Any, data: Any) -> int:
    """The id of a contact or product, checked to belong to this registration (else NotFound)."""
    try:
        return int(related.get(pk=int(data.get("id", ""))).pk)
    except (ValueError, related.model.DoesNotExist) as error:
        raise NotFound() from error


@login_required
def registry_home(request: HttpRequest) -> HttpResponse:
    """The actor's registrations; with exactly one, straight to it."""
    own = list(queries.own_registrations(request.user))
    if len(own) == 1:
        return redirect("portal:registration", own[0].pk)
    return render(request, "portal/registry_home.html", {"registrations": own})


@login_required
@not_found_as_404
def registration_detail(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = queries.registration(registration_id, request.user)
    if request.method == "POST" and request.POST.get("action") == "upload_sbom":
        return _upload_sbom(request, registration)
    if request.method == "POST":
        run_posted_change(request, CHANGES, registration)
        return redirect("portal:registration", registration.pk)
    return _page(request, registration)


def _page(request: HttpRequest, registration: Registration, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "registration": registration,
        "contacts": registration.contacts.order_by("-responsible", "name"),
        "products": queries.products_with_sboms(registration),
        "keys": registration.keys.order_by("-created_at"),
        "terms": queries.current_terms(),
        "needs_terms": registration in queries.pending_terms_for(request.user),
        "keywords": "; ".join(registration.keywords),
        **extra,
    }
    return render(request, "portal/registration_detail.html", context, status=status)


def _upload_sbom(request: HttpRequest, registration: Registration) -> HttpResponse:
    """Store the posted SBOM; a refusal shows the page again with the message by the product's file field."""
    product_id = _child_id(registration.products, request.POST)
    upload = request.FILES.get("sbom")
    try:
        products.upload_sbom(
            product_id,
            product_version=request.POST.get("product_version", ""),
            data=upload.read() if upload is not None else b"",
            filename=(upload.name or "") if upload is not None else "",
            actor=request.user,
        )
    except NotFound:
        raise
    except DomainError as error:
        return _page(request, registration, status=error.http_status, sbom_error=error.message, sbom_product=product_id)
    messages.success(request, gettext("SBOM uploaded."))
    return redirect(reverse("portal:registration", args=[registration.pk]) + f"#product-{product_id}")
