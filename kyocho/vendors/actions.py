"""The only writers of the registry (製品開発者リスト, PRODUCT.md §3): registration and its review,
terms versions and their acceptance, a listed developer's own data.

Who may do what:
- anyone applies; a signed-in person applies with their account, anyone else gets a new account;
  either way the applicant becomes vendor admin of the new developer organisation;
- coordinators review: ask for more information, approve, reject;
- the developer's vendor admins answer questions, withdraw, accept terms and keep their data current;
  its vendor members can see but not change (PermissionDenied); anyone else gets NotFound;
- lead coordinators publish terms versions and import vendor lists.
Every change writes an audit event; the applicant hears by email of every review decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.accounts import actions as accounts
from kyocho.accounts import permissions
from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind, Role
from kyocho.audit.actions import record
from kyocho.core.actions import lock, required_text
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound
from kyocho.messaging.actions import enqueue_from_template
from kyocho.vendors import queries
from kyocho.vendors.models import Contact, Product, Registration, TermsAcceptance, TermsVersion
from kyocho.vendors.validation import (
    ContactInput,
    ProductInput,
    clean_bool,
    clean_contact,
    clean_contacts,
    clean_keywords,
    clean_name,
    clean_phone,
    clean_products,
    clean_registration_type,
    clean_website,
)
from kyocho.vendors.workflow import REGISTRATION, RegistrationStatus

CLOSED = frozenset({RegistrationStatus.REJECTED, RegistrationStatus.WITHDRAWN})
REASON_LIMIT = 5_000
TERMS_TEXT_LIMIT = 200_000


@dataclass(frozen=True)
class DeveloperInput:
    """What the registry knows about a developer, cleaned: from the form, the API or an imported row."""

    name: str
    name_en: str
    registration_type: str
    contacts: list[ContactInput]
    keywords: list[str] = field(default_factory=list)
    products: list[ProductInput] = field(default_factory=list)
    phone: str = ""
    website: str = ""
    listed_publicly: bool = False


def clean_developer(fields: Mapping[str, Any]) -> DeveloperInput:
    return DeveloperInput(
        name=clean_name(fields.get("name"), "name", _("Organisation name")),
        name_en=clean_name(fields.get("name_en"), "name_en", _("Organisation name (English)"), required=False),
        registration_type=clean_registration_type(fields.get("registration_type")),
        contacts=clean_contacts(fields.get("contacts")),
        keywords=clean_keywords(fields.get("keywords")),
        products=clean_products(fields.get("products")),
        phone=clean_phone(fields.get("phone")),
        website=clean_website(fields.get("website")),
        listed_publicly=clean_bool(fields.get("listed_publicly", False), "listed_publicly"),
    )


# Registration and review.


def apply_for_registration(
    fields: Mapping[str, Any],
    *,
    actor: Any,
    terms_version: str,
    applicant_email: str = "",
    applicant_name: str = "",
    password: str | None = None,
    language: str = "ja",
) -> Registration:
    """A developer applies. ``terms_version`` is the version the applicant read and accepted: it must be
    the current one. Without a signed-in ``actor`` an account is made for ``applicant_email``."""
    developer = clean_developer(fields)
    armored_key = str(fields.get("public_key") or "").strip()
    signed_in = actor if getattr(actor, "is_authenticated", False) else None
    if signed_in is not None and permissions.is_staff_member(signed_in):
        raise InvalidInput(_("Coordinator accounts cannot apply as a developer; sign out first."))
    with transaction.atomic():
        terms = _current_terms_matching(terms_version)
        applicant = signed_in or accounts.create_user(
            applicant_email, actor=None, password=password, display_name=applicant_name, language=language
        )
        organisation = _new_developer_organisation(developer)
        accounts.add_member(organisation.pk, user_id=applicant.pk, role=Role.VENDOR_ADMIN, actor=None)
        permissions.forget_memberships(applicant)  # the signed-in user object cached its roles above
        registration = _create_registration(organisation, developer, applicant=applicant)
        if armored_key:
            _add_key_of_application(registration, armored_key, applicant)
        _accept(registration, terms, applicant)
        record(
            "vendors:registration:applied",
            actor=applicant,
            subject=registration,
            data={"organisation": organisation.pk, "name": developer.name, "terms": terms.version},
        )
        _notify_applicant(registration, "registration_received", actor=applicant)
    return registration


def request_registration_info(registration_id: int, *, reason: str, actor: Any) -> Registration:
    reason = required_text(reason, "reason", _("Question"), max_length=REASON_LIMIT)
    return _review(registration_id, RegistrationStatus.NEEDS_INFO, "information_requested", actor=actor, note=reason)


def approve_registration(registration_id: int, *, actor: Any, note: str = "") -> Registration:
    return _review(registration_id, RegistrationStatus.LISTED, "approved", actor=actor, note=note.strip())


def reject_registration(registration_id: int, *, reason: str, actor: Any) -> Registration:
    reason = required_text(reason, "reason", _("Reason"), max_length=REASON_LIMIT)
    return _review(registration_id, RegistrationStatus.REJECTED, "rejected", actor=actor, note=reason)


def answer_registration_request(registration_id: int, *, answer: str, actor: Any) -> Registration:
    """The developer answers the coordinator's question; the application goes back for review."""
    answer = required_text(answer, "answer", _("Answer"), max_length=REASON_LIMIT)
    with transaction.atomic():
        registration = lock_registration_for_change(registration_id, actor, open_only=False)
        _move(registration, RegistrationStatus.APPLIED)
        record("vendors:registration:information_provided", actor=actor, subject=registration, data={"answer": answer})
        registration.save(update_fields=["status"])
        _notify_applicant(registration, "registration_answered", actor=actor, note=answer)
    return registration


def withdraw_registration(registration_id: int, *, actor: Any, reason: str = "") -> Registration:
    """The developer leaves the registry (or withdraws its application)."""
    with transaction.atomic():
        registration = lock_registration_for_change(registration_id, actor, open_only=False)
        _move(registration, RegistrationStatus.WITHDRAWN)
        record(
            "vendors:registration:withdrawn", actor=actor, subject=registration, data={"reason": reason.strip()[:500]}
        )
        registration.save(update_fields=["status"])
        _notify_applicant(registration, "registration_withdrawn", actor=actor)
    return registration


def _review(registration_id: int, target: str, verb: str, *, actor: Any, note: str) -> Registration:
    with transaction.atomic():
        registration = lock(Registration, registration_id)
        _require_visible(registration, actor)
        permissions.require(permissions.is_coordinator(actor))
        _move(registration, target)
        registration.review_note = note
        if target == RegistrationStatus.LISTED:
            registration.listed_at = now()
        record(f"vendors:registration:{verb}", actor=actor, subject=registration, data={"note": note})
        registration.save(update_fields=["status", "review_note", "listed_at"])
        _notify_applicant(registration, f"registration_{verb}", actor=actor, note=note)
    return registration


def _move(registration: Registration, target: str) -> None:
    REGISTRATION.check(registration.status, target)
    registration.status = target


def _current_terms_matching(version: str) -> TermsVersion:
    terms = queries.current_terms()
    if terms is None:
        raise Conflict(_("Registration is not open yet: no registration terms have been published."))
    if (version or "").strip() != terms.version:
        raise InvalidInput(
            _("Read and accept the current registration terms (version %(version)s).") % {"version": terms.version},
            field="terms_version",
        )
    return terms


def _new_developer_organisation(developer: DeveloperInput) -> Organisation:
    if Organisation.objects.filter(kind=OrganisationKind.PRODUCT_DEVELOPER, name=developer.name).exists():
        raise Conflict(_("A developer with this name is already registered."), field="name")
    return accounts.create_organisation(
        developer.name, kind=OrganisationKind.PRODUCT_DEVELOPER, name_en=developer.name_en, actor=None
    )


def _unregistered(organisation: Organisation) -> Organisation:
    if organisation.kind != OrganisationKind.PRODUCT_DEVELOPER:
        raise InvalidInput(_("Only a product developer can be registered."), field="organisation")
    if Registration.objects.filter(organisation=organisation).exists():
        raise Conflict(_("This developer is already registered."), field="organisation")
    return organisation


def _create_registration(
    organisation: Organisation, developer: DeveloperInput, *, applicant: User | None, status: str = "applied"
) -> Registration:
    at = now()
    registration = Registration.objects.create(
        organisation=organisation,
        status=status,
        registration_type=developer.registration_type,
        website=developer.website,
        phone=developer.phone,
        keywords=developer.keywords,
        listed_publicly=developer.listed_publicly,
        applied_at=at,
        listed_at=at if status == RegistrationStatus.LISTED else None,
        applicant=applicant,
    )
    Contact.objects.bulk_create(Contact(registration=registration, **vars(c)) for c in developer.contacts)
    Product.objects.bulk_create(Product(registration=registration, **vars(p)) for p in developer.products)
    return registration


def _notify_applicant(registration: Registration, template: str, *, actor: Any, note: str = "") -> None:
    applicant = registration.applicant
    if applicant is None or not applicant.is_active:
        return
    enqueue_from_template(
        template,
        {"organisation": registration.organisation, "note": note, "registration": registration},
        to=applicant.email,
        language=applicant.preferred_language,
        purpose=f"vendors:{template}",
        actor=actor,
        related=registration,
    )


# OpenPGP keys: an applicant's key goes through the same action as any later key.


def _add_key_of_application(registration: Registration, armored: str, applicant: Any) -> None:
    from kyocho.vendors.key_actions import add_public_key

    try:
        add_public_key(registration.pk, armored=armored, actor=applicant)
    except InvalidInput as error:
        error.field = "public_key"  # the application form's name for the key
        raise


# Terms versions.


def publish_terms(version: str, *, text_ja: str, text_en: str, actor: Any) -> TermsVersion:
    """A new version of the registration terms; every listed developer is asked to accept it.
    ``actor`` None is the operator at the command line."""
    if actor is not None:
        permissions.require(permissions.is_lead(actor))
    version = required_text(version, "version", _("Version"), max_length=32)
    text_ja = required_text(text_ja, "text_ja", _("Terms (Japanese)"), max_length=TERMS_TEXT_LIMIT)
    text_en = required_text(text_en, "text_en", _("Terms (English)"), max_length=TERMS_TEXT_LIMIT)
    with transaction.atomic():
        if TermsVersion.objects.filter(version=version).exists():
            raise Conflict(_("A terms version with this name already exists."), field="version")
        terms = TermsVersion.objects.create(version=version, text_ja=text_ja, text_en=text_en, published_at=now())
        listed = list(Registration.objects.filter(status=RegistrationStatus.LISTED).select_related("organisation"))
        record("vendors:terms:published", actor=actor, subject=terms, data={"version": version, "asked": len(listed)})
        for registration in listed:
            _ask_to_accept(registration, terms, actor=actor)
    return terms


def _ask_to_accept(registration: Registration, terms: TermsVersion, *, actor: Any) -> None:
    admins = User.objects.filter(
        memberships__organisation=registration.organisation_id, memberships__role=Role.VENDOR_ADMIN, is_active=True
    )
    for admin in admins:
        enqueue_from_template(
            "registration_terms_updated",
            {"organisation": registration.organisation, "terms": terms},
            to=admin.email,
            language=admin.preferred_language,
            purpose="vendors:registration_terms_updated",
            actor=actor,
            related=registration,
        )


def accept_terms(registration_id: int, *, terms_version: str, actor: Any) -> TermsAcceptance:
    with transaction.atomic():
        registration = lock_registration_for_change(registration_id, actor, open_only=False)
        terms = _current_terms_matching(terms_version)
        if registration.terms_acceptances.filter(terms=terms).exists():
            raise Conflict(_("These terms are already accepted."))
        acceptance = _accept(registration, terms, actor)
    return acceptance


def _accept(registration: Registration, terms: TermsVersion, person: Any) -> TermsAcceptance:
    record("vendors:terms:accepted", actor=person, subject=registration, data={"version": terms.version})
    return TermsAcceptance.objects.create(registration=registration, terms=terms, accepted_at=now(), accepted_by=person)


# A developer's own data.


def update_registration_details(
    registration_id: int,
    *,
    actor: Any,
    phone: str | None = None,
    website: str | None = None,
    keywords: str | Iterable[str] | None = None,
    listed_publicly: bool | None = None,
) -> Registration:
    """Change the given details (None leaves one as it is); the audit event keeps old and new values."""
    changes: dict[str, Any] = {}
    if phone is not None:
        changes["phone"] = clean_phone(phone)
    if website is not None:
        changes["website"] = clean_website(website)
    if keywords is not None:
        changes["keywords"] = clean_keywords(keywords)
    if listed_publicly is not None:
        changes["listed_publicly"] = clean_bool(listed_publicly, "listed_publicly")
    with transaction.atomic():
        registration = lock_registration_for_change(registration_id, actor)
        changed = {k: v for k, v in changes.items() if getattr(registration, k) != v}
        if not changed:
            return registration
        record(
            "vendors:registration:updated",
            actor=actor,
            subject=registration,
            data={k: {"old": getattr(registration, k), "new": v} for k, v in changed.items()},
        )
        for name, value in changed.items():
            setattr(registration, name, value)
        registration.save(update_fields=list(changed))
    return registration


def add_contact(registration_id: int, *, fields: Mapping[str, Any], actor: Any) -> Contact:
    clean = clean_contact(fields)
    with transaction.atomic():
        registration = lock_registration_for_change(registration_id, actor)
        if registration.contacts.filter(email=clean.email).exists():
            raise Conflict(_("This address is already a contact."), field="contact.email")
        if clean.responsible:
            _hand_over_responsibility(registration)
        contact = Contact.objects.create(registration=registration, **vars(clean))
        record("vendors:contact:added", actor=actor, subject=registration, data={"contact": contact.pk, **vars(clean)})
    return contact


def update_contact(contact_id: int, *, fields: Mapping[str, Any], actor: Any) -> Contact:
    clean = clean_contact(fields)
    with transaction.atomic():
        contact = lock(Contact, contact_id)
        registration = lock_registration_for_change(contact.registration_id, actor)
        if registration.contacts.filter(email=clean.email).exclude(pk=contact.pk).exists():
            raise Conflict(_("This address is already a contact."), field="contact.email")
        if contact.responsible and not clean.responsible:
            raise InvalidInput(_("Make another contact the person responsible first."), field="contact.responsible")
        if clean.responsible and not contact.responsible:
            _hand_over_responsibility(registration)
        old = {name: getattr(contact, name) for name in vars(clean)}
        record(
            "vendors:contact:changed",
            actor=actor,
            subject=registration,
            data={"contact": contact.pk, "old": old, "new": vars(clean)},
        )
        for name, value in vars(clean).items():
            setattr(contact, name, value)
        contact.save()
    return contact


def remove_contact(contact_id: int, *, actor: Any) -> None:
    with transaction.atomic():
        contact = lock(Contact, contact_id)
        registration = lock_registration_for_change(contact.registration_id, actor)
        if contact.responsible:
            raise Conflict(_("The person responsible cannot be removed; make another contact responsible first."))
        record(
            "vendors:contact:removed",
            actor=actor,
            subject=registration,
            data={"contact": contact.pk, "name": contact.name, "email": contact.email},
        )
        contact.delete()


def _hand_over_responsibility(registration: Registration) -> None:
    """There is one person responsible: naming a new one releases the old one."""
    registration.contacts.filter(responsible=True).update(responsible=False)


# Bulk import (vendors.importer cleans the rows; this writes them, inside the importer's transaction).


def import_developer(
    developer: DeveloperInput, *, actor: Any, organisation: Organisation | None = None
) -> Registration:
    """A developer from an existing vendor list, listed at once (it was reviewed where it came from).
    ``organisation``: a developer organisation kyocho already has but that is not registered yet."""
    if actor is not None:
        permissions.require(permissions.is_lead(actor))
    with transaction.atomic():
        organisation = _unregistered(organisation) if organisation else _new_developer_organisation(developer)
        registration = _create_registration(organisation, developer, applicant=None, status=RegistrationStatus.LISTED)
        record(
            "vendors:registration:imported",
            actor=actor,
            subject=registration,
            data={"organisation": organisation.pk, "name": developer.name},
        )
    return registration


# Who may touch a registration.


def _require_visible(registration: Registration, actor: Any) -> None:
    if not queries.may_see_registration(actor, registration):
        raise NotFound()


def lock_registration_for_change(registration_id: int, actor: Any, *, open_only: bool = True) -> Registration:
    """The registration locked for a change of its data, the one rule for every registry writer
    (details, contacts, products, SBOMs, keys): see ``require_manager``; and a rejected or withdrawn
    registration changes no more (Conflict). ``open_only=False`` is for the moves that the
    transition table checks instead."""
    registration = lock(Registration, registration_id)
    require_manager(registration, actor)
    if open_only and registration.status in CLOSED:
        raise Conflict(_("This registration is closed."))
    return registration


def require_manager(registration: Registration, actor: Any) -> None:
    """Its developer's vendor admins and coordinators manage a registration; the developer's other
    members see it but may not change it (PermissionDenied); anyone else does not see it (NotFound)."""
    _require_visible(registration, actor)
    permissions.require(
        permissions.is_coordinator(actor)
        or registration.organisation_id in permissions.organisation_ids(actor, Role.VENDOR_ADMIN),
        _("Only the developer's administrators can change its registration."),
    )
