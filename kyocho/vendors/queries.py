"""Reads of the registry, scoped to the actor: staff see every registration, a developer's members
see their own, anyone else nothing (NotFound). The public sees only names of developers that chose
to be listed."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from kyocho.accounts import permissions
from kyocho.audit.models import AuditEvent
from kyocho.core.errors import NotFound
from kyocho.vendors.models import Product, Registration, Sbom, TermsAcceptance, TermsVersion
from kyocho.vendors.workflow import RegistrationStatus

# Registry changes coordinators should notice: how to reach a developer changed.
REGISTRY_CHANGE_EVENTS = (
    "vendors:contact:added",
    "vendors:contact:changed",
    "vendors:contact:removed",
    "vendors:key:added",
    "vendors:key:removed",
    "vendors:key:revoked",
    "vendors:registration:updated",
    "vendors:registration:withdrawn",
)
# A product's SBOMs: newest version first, the current one before its history.
SBOM_ORDER = ("-product_version", "-current", "-uploaded_at", "-pk")
REVIEW_QUEUE = (RegistrationStatus.APPLIED, RegistrationStatus.NEEDS_INFO)


def current_terms() -> TermsVersion | None:
    return TermsVersion.objects.order_by("-published_at", "-pk").first()


def may_see_registration(actor: Any, registration: Registration) -> bool:
    return permissions.is_staff_member(actor) or registration.organisation_id in permissions.vendor_organisation_ids(
        actor
    )


def _visible(actor: Any) -> QuerySet[Registration]:
    registrations = Registration.objects.select_related("organisation", "applicant")
    if permissions.is_staff_member(actor):
        return registrations
    return registrations.filter(organisation_id__in=permissions.vendor_organisation_ids(actor))


def registration(registration_id: int | str, actor: Any) -> Registration:
    try:
        return _visible(actor).get(pk=registration_id)
    except (Registration.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def product(product_id: int | str, actor: Any) -> Product:
    """A product of a registration the actor may see (else NotFound)."""
    try:
        return Product.objects.select_related("registration").get(pk=product_id, registration__in=_visible(actor))
    except (Product.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def sboms(product: Product) -> QuerySet[Sbom]:
    return product.sboms.order_by(*SBOM_ORDER)


def products_with_sboms(registration: Registration) -> list[Product]:
    """The registration's products by name, each with its SBOMs as ``sbom_list``."""
    ordered = Sbom.objects.order_by(*SBOM_ORDER)
    return list(registration.products.order_by("name").prefetch_related(Prefetch("sboms", ordered, "sbom_list")))


def registration_of_organisation(organisation_id: int, actor: Any) -> Registration:
    try:
        return _visible(actor).get(organisation_id=organisation_id)
    except (Registration.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def registrations(actor: Any, *, status: str | None = None) -> QuerySet[Registration]:
    """Every registration the actor may see, newest application first."""
    found = _visible(actor).order_by("-applied_at", "-pk")
    return found.filter(status=status) if status else found


def review_queue(actor: Any) -> QuerySet[Registration]:
    if not permissions.is_staff_member(actor):
        return Registration.objects.none()
    return _visible(actor).filter(status__in=REVIEW_QUEUE).order_by("applied_at", "pk")


def own_registrations(actor: Any) -> QuerySet[Registration]:
    """The registrations of the developers the actor belongs to (for the portal)."""
    return Registration.objects.select_related("organisation").filter(
        organisation_id__in=permissions.vendor_organisation_ids(actor)
    )


def _accepted(terms: TermsVersion) -> Exists:
    return Exists(TermsAcceptance.objects.filter(registration=OuterRef("pk"), terms=terms))


def without_current_terms(actor: Any) -> QuerySet[Registration]:
    """Listed developers that have not accepted the current terms (staff only)."""
    terms = current_terms()
    if terms is None or not permissions.is_staff_member(actor):
        return Registration.objects.none()
    return (
        _visible(actor)
        .filter(status=RegistrationStatus.LISTED)
        .exclude(_accepted(terms))
        .order_by("organisation__name")
    )


def pending_terms_for(actor: Any) -> list[Registration]:
    """The actor's listed developers still to accept the current terms: the portal shows a banner."""
    terms = current_terms()
    if terms is None:
        return []
    return list(own_registrations(actor).filter(status=RegistrationStatus.LISTED).exclude(_accepted(terms)))


def public_developers() -> QuerySet[Registration]:
    """Listed developers that agreed to be listed publicly; callers show the name only."""
    return (
        Registration.objects.select_related("organisation")
        .filter(status=RegistrationStatus.LISTED, listed_publicly=True)
        .order_by("organisation__name")
    )


def recent_registry_changes(actor: Any, *, limit: int = 100) -> QuerySet[AuditEvent]:
    """Contact, key and detail changes developers made, newest first (staff only)."""
    if not permissions.is_staff_member(actor):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(name__in=REGISTRY_CHANGE_EVENTS).order_by("-seq")[:limit]
