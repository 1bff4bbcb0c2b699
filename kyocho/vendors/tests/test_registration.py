"""Registration, its review by coordinators, and terms versions."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.accounts import permissions
from kyocho.accounts.models import User
from kyocho.accounts.roles import Role
from kyocho.audit.models import AuditEvent
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from kyocho.vendors import actions, queries
from kyocho.vendors.models import Contact, Product, Registration, TermsAcceptance
from kyocho.vendors.tests.gpgkeys import MadeKeys
from kyocho.vendors.tests.helpers import (
    TERMS,
    apply,
    audit_names,
    emails_about,
    listed,
    publish_terms,
    reload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms(lead: User) -> Any:
    return publish_terms(lead)


def applicant(registration: Registration) -> User:
    assert registration.applicant is not None
    return User.objects.get(pk=registration.applicant.pk)


def test_application_creates_developer_account_contacts_products_and_terms_acceptance(terms: Any) -> None:
    registration = apply()
    person = applicant(registration)
    assert registration.status == "applied"
    assert registration.organisation.name == "株式会社サンプル"
    assert registration.organisation.name_en == "Sample Corp."
    assert registration.organisation.kind == "product_developer"
    assert registration.keywords == ["router", "VPN", "firmware"]
    assert (Role.VENDOR_ADMIN, registration.organisation.pk) in permissions.memberships(person)
    assert Contact.objects.get(registration=registration, responsible=True).email == "psirt@sample.example"
    product = Product.objects.get(registration=registration)
    assert product.purl == "pkg:generic/sample/router"
    acceptance = TermsAcceptance.objects.get(registration=registration)
    assert (acceptance.terms.version, acceptance.accepted_by) == (TERMS, person)
    assert audit_names(registration) == ["vendors:terms:accepted", "vendors:registration:applied"]
    [email] = emails_about(registration)
    assert email.to == "applicant@sample.example"
    assert email.purpose == "vendors:registration_received"
    assert "株式会社サンプル" in email.subject


def test_signed_in_person_applies_with_their_account(terms: Any, reporter: User) -> None:
    registration = apply(reporter, email="")
    assert registration.applicant == reporter
    assert registration.organisation.pk in permissions.organisation_ids(reporter, Role.VENDOR_ADMIN)


def test_staff_cannot_apply_as_developer(terms: Any, coordinator: User) -> None:
    with pytest.raises(InvalidInput):
        apply(coordinator)


def test_application_needs_published_terms() -> None:
    with pytest.raises(Conflict, match="no registration terms"):
        apply()


def test_application_must_accept_the_current_terms(terms: Any, lead: User) -> None:
    publish_terms(lead, "2026-02")
    with pytest.raises(InvalidInput) as error:
        apply()  # accepted 2026-01, current is 2026-02
    assert error.value.field == "terms_version"
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"registration_type": "premium"}, "registration_type"),
        ({"contacts": []}, "contacts"),
        ({"contacts": [{"name": "A", "email": "not-an-address", "responsible": True}]}, "contacts.0.email"),
        ({"contacts": [{"name": "A", "email": "a@x.example"}]}, "contacts"),  # nobody responsible
        (
            {
                "contacts": [
                    {"name": "A", "email": "a@x.example", "responsible": True},
                    {"name": "B", "email": "a@x.example"},
                ]
            },
            "contacts",
        ),
        ({"phone": "call me"}, "phone"),
        ({"website": "ftp://x"}, "website"),
        ({"products": [{"name": "X", "cpe": "cpe:/a:vendor:product"}]}, "products.0.cpe"),
        ({"products": [{"name": "X", "cpe": "cpe:2.3:a:vendor:product"}]}, "products.0.cpe"),
        ({"products": [{"name": "X", "purl": "npm/left-pad"}]}, "products.0.purl"),
        ({"products": [{"name": "", "purl": "pkg:npm/left-pad"}]}, "products.0.name"),
        ({"listed_publicly": "maybe"}, "listed_publicly"),
        ({"keywords": ["k" * 101]}, "keywords"),
    ],
)
def test_bad_applications_are_refused_with_the_field(terms: Any, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        apply(**overrides)
    assert error.value.field == field
    assert not Registration.objects.exists()
    assert not User.objects.filter(email="applicant@sample.example").exists()


def test_purl_is_stored_in_canonical_form(terms: Any) -> None:
    registration = apply(products=[{"name": "Lib", "purl": "pkg:NPM/%40scope/lib@1.0"}])
    assert Product.objects.get(registration=registration).purl == "pkg:npm/%40scope/lib@1.0"


def test_same_developer_name_twice_is_a_conflict(terms: Any) -> None:
    apply()
    with pytest.raises(Conflict):
        apply(email="someone-else@sample.example")


def test_an_unusable_key_refuses_the_whole_application(terms: Any, gpg_keys: MadeKeys) -> None:
    with pytest.raises(InvalidInput) as error:
        apply(public_key=gpg_keys.sign_only)
    assert error.value.field == "public_key"
    assert not Registration.objects.exists()
    assert not User.objects.filter(email="applicant@sample.example").exists()


def test_the_applicants_key_is_checked_by_gpg_and_stored_by_the_key_action(terms: Any, gpg_keys: MadeKeys) -> None:
    registration = apply(public_key=gpg_keys.ed25519)
    key = registration.keys.get()
    assert key.fingerprint == gpg_keys.ed25519_fingerprint
    assert key.user_ids == [{"name": "Ed Developer", "email": "security@vendor.example"}]
    assert AuditEvent.objects.filter(name="vendors:key:added", subject_id=str(key.pk)).exists()


# Review.


def test_coordinator_asks_developer_answers_coordinator_approves(terms: Any, coordinator: User) -> None:
    registration = apply()
    person = applicant(registration)
    actions.request_registration_info(registration.pk, reason="Which products do you ship?", actor=coordinator)
    assert reload(registration).status == "needs_info"
    actions.answer_registration_request(registration.pk, answer="Routers only.", actor=person)
    assert reload(registration).status == "applied"
    actions.approve_registration(registration.pk, actor=coordinator)
    registration = reload(registration)
    assert registration.status == "listed"
    assert registration.listed_at is not None
    assert audit_names(registration)[-3:] == [
        "vendors:registration:information_requested",
        "vendors:registration:information_provided",
        "vendors:registration:approved",
    ]
    assert [e.purpose for e in emails_about(registration)] == [
        "vendors:registration_received",
        "vendors:registration_information_requested",
        "vendors:registration_answered",
        "vendors:registration_approved",
    ]
    assert "Which products do you ship?" in emails_about(registration)[1].body


def test_reject_needs_a_reason_and_tells_the_applicant(terms: Any, coordinator: User) -> None:
    registration = apply()
    with pytest.raises(InvalidInput) as error:
        actions.reject_registration(registration.pk, reason=" ", actor=coordinator)
    assert error.value.field == "reason"
    actions.reject_registration(registration.pk, reason="Not a product developer.", actor=coordinator)
    assert reload(registration).status == "rejected"
    assert "vendors:registration:rejected" in audit_names(registration)
    assert "Not a product developer." in emails_about(registration)[-1].body


def test_request_info_needs_a_question(terms: Any, coordinator: User) -> None:
    registration = apply()
    with pytest.raises(InvalidInput):
        actions.request_registration_info(registration.pk, reason="", actor=coordinator)


def test_withdraw_by_the_developer(terms: Any) -> None:
    registration = apply()
    actions.withdraw_registration(registration.pk, actor=applicant(registration))
    assert reload(registration).status == "withdrawn"
    assert "vendors:registration:withdrawn" in audit_names(registration)
    assert emails_about(registration)[-1].purpose == "vendors:registration_withdrawn"


@pytest.mark.parametrize(
    "step",
    [
        lambda r, c, a: actions.approve_registration(r.pk, actor=c),
        lambda r, c, a: actions.reject_registration(r.pk, reason="no", actor=c),
        lambda r, c, a: actions.request_registration_info(r.pk, reason="?", actor=c),
        lambda r, c, a: actions.answer_registration_request(r.pk, answer="!", actor=a),
    ],
)
def test_closed_registrations_do_not_move(terms: Any, coordinator: User, step: Any) -> None:
    registration = apply()
    actions.reject_registration(registration.pk, reason="no", actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        step(registration, coordinator, applicant(registration))


def test_answer_without_a_question_is_refused(terms: Any) -> None:
    registration = apply()
    with pytest.raises(TransitionNotAllowed):
        actions.answer_registration_request(registration.pk, answer="hello", actor=applicant(registration))


def test_listed_developer_cannot_be_approved_again(lead: User, coordinator: User) -> None:
    registration = listed(lead, coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.approve_registration(registration.pk, actor=coordinator)


def test_review_is_for_coordinators(terms: Any, intake_staff: User, vendor_member: User) -> None:
    registration = apply()
    with pytest.raises(PermissionDenied):  # intake staff see registrations but do not decide
        actions.approve_registration(registration.pk, actor=intake_staff)
    with pytest.raises(NotFound):
        actions.approve_registration(registration.pk, actor=vendor_member)
    with pytest.raises(PermissionDenied):  # the applicant sees it, but cannot approve itself
        actions.approve_registration(registration.pk, actor=applicant(registration))
    with pytest.raises(NotFound):
        actions.approve_registration(registration.pk, actor=None)


def test_other_developers_cannot_withdraw_or_answer(terms: Any, other_vendor_member: User) -> None:
    registration = apply()
    with pytest.raises(NotFound):
        actions.withdraw_registration(registration.pk, actor=other_vendor_member)
    with pytest.raises(NotFound):
        actions.answer_registration_request(registration.pk, answer="x", actor=other_vendor_member)
    with pytest.raises(NotFound):
        actions.approve_registration(999_999, actor=other_vendor_member)


# Terms versions.


def test_publishing_terms_is_for_leads(coordinator: User) -> None:
    with pytest.raises(PermissionDenied):
        publish_terms(coordinator)


def test_terms_need_both_texts_and_a_new_version(lead: User) -> None:
    with pytest.raises(InvalidInput) as error:
        actions.publish_terms("v1", text_ja="規約", text_en="", actor=lead)
    assert error.value.field == "text_en"
    publish_terms(lead, "v1")
    with pytest.raises(Conflict):
        publish_terms(lead, "v1")


def test_new_terms_ask_listed_developers_and_staff_see_who_has_not_accepted(lead: User, coordinator: User) -> None:
    registration = listed(lead, coordinator)
    person = applicant(registration)
    assert list(queries.without_current_terms(coordinator)) == []
    terms = publish_terms(lead, "2026-02")
    assert emails_about(registration)[-1].purpose == "vendors:registration_terms_updated"
    assert list(queries.without_current_terms(coordinator)) == [registration]
    assert queries.pending_terms_for(person) == [registration]
    assert list(queries.without_current_terms(person)) == []  # not for developers
    actions.accept_terms(registration.pk, terms_version=terms.version, actor=person)
    assert list(queries.without_current_terms(coordinator)) == []
    assert queries.pending_terms_for(person) == []
    with pytest.raises(Conflict):
        actions.accept_terms(registration.pk, terms_version=terms.version, actor=person)


def test_accepting_old_terms_is_refused(lead: User, coordinator: User) -> None:
    registration = listed(lead, coordinator)
    publish_terms(lead, "2026-02")
    with pytest.raises(InvalidInput):
        actions.accept_terms(registration.pk, terms_version=TERMS, actor=applicant(registration))
