"""A developer's own registration in the portal: follow the review, answer questions, accept new terms,
keep contacts, products and details current. Every change is a ``vendors.actions`` call; another
developer's registration is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from kyocho.core.errors import NotFound
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
            keywords=data.get("keywords", ""),
            listed_publicly=data.get("listed_publicly") == "on",
        ),
        gettext_lazy("Saved."),
    ),
    "add_contact": (
        lambda r, data, actor: actions.add_contact(
            r.pk,
            fields={
                "name": data.get("name"),
                "email": data.get("email"),
                "phone": data.get("phone"),
                "responsible": data.get("responsible") == "on",
                "language": data.get("language") or "ja",
            },
            actor=actor,
        ),
        gettext_lazy("Contact added."),
    ),
    "remove_contact": (
        lambda r, data, actor: actions.remove_contact(_child_id(r.contacts, data), actor=actor),
        gettext_lazy("Contact removed."),
    ),
    "add_product": (
        lambda r, data, actor: products.add_product(
            r.pk, **{k: data.get(k, "") for k in ("name", "versions", "cpe", "purl")}, actor=actor
        ),
        gettext_lazy("Product added."),
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
    if request.method == "POST":
        run_posted_change(request, CHANGES, registration)
        return redirect("portal:registration", registration.pk)
    terms = queries.current_terms()
    context = {
        "registration": registration,
        "contacts": registration.contacts.order_by("-responsible", "name"),
        "products": registration.products.order_by("name"),
        "keys": registration.keys.order_by("-created_at"),
        "terms": terms,
        "needs_terms": registration in queries.pending_terms_for(request.user),
        "keywords": "; ".join(registration.keywords),
    }
    return render(request, "portal/registration_detail.html", context)
