"""A listed developer keeps its own data; nobody else can see or change it."""

from __future__ import annotations

import pytest

from kyocho.accounts.models import User
from kyocho.accounts.roles import Role
from kyocho.conftest import make_member
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.vendors import actions, products, queries
from kyocho.vendors.models import Registration
from kyocho.vendors.tests.helpers import audit_names, listed, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration(lead: User, coordinator: User) -> Registration:
    return listed(lead, coordinator)


@pytest.fixture
def admin(registration: Registration) -> User:
    assert registration.applicant is not None
    return User.objects.get(pk=registration.applicant.pk)


@pytest.fixture
def other(lead: User, coordinator: User) -> tuple[Registration, User]:
    """Developer B, listed too, with its own admin."""
    registration = listed(lead, coordinator, name="Other Vendor", email="admin@other.example")
    assert registration.applicant is not None
    return registration, User.objects.get(pk=registration.applicant.pk)


def test_admin_updates_details_and_the_change_is_audited_with_old_and_new(
    registration: Registration, admin: User, coordinator: User
) -> None:
    actions.update_registration_details(
        registration.pk, actor=admin, phone="+81 6-0000-0000", keywords=["camera"], listed_publicly=False
    )
    registration = reload(registration)
    assert (registration.phone, registration.keywords, registration.listed_publicly) == (
        "+81 6-0000-0000",
        ["camera"],
        False,
    )
    assert audit_names(registration)[-1] == "vendors:registration:updated"
    [change] = queries.recent_registry_changes(coordinator)
    assert change.data["keywords"] == {"old": ["router", "VPN", "firmware"], "new": ["camera"]}


def test_no_change_writes_no_event(registration: Registration, admin: User) -> None:
    before = audit_names(registration)
    actions.update_registration_details(registration.pk, actor=admin, phone=registration.phone)
    assert audit_names(registration) == before


def test_contacts_added_changed_removed_and_shown_to_coordinators(
    registration: Registration, admin: User, coordinator: User
) -> None:
    contact = actions.add_contact(
        registration.pk, fields={"name": "New Lead", "email": "lead@sample.example", "responsible": True}, actor=admin
    )
    # One person responsible: the new one replaces the old.
    assert list(registration.contacts.filter(responsible=True)) == [contact]
    actions.update_contact(
        contact.pk, fields={"name": "New Lead", "email": "lead2@sample.example", "responsible": True}, actor=admin
    )
    old = registration.contacts.get(email="support@sample.example")
    actions.remove_contact(old.pk, actor=admin)
    names = [event.name for event in queries.recent_registry_changes(coordinator)]
    assert names == ["vendors:contact:removed", "vendors:contact:changed", "vendors:contact:added"]
    assert list(queries.recent_registry_changes(admin)) == []  # staff only


def test_the_person_responsible_stays(registration: Registration, admin: User) -> None:
    responsible = registration.contacts.get(responsible=True)
    with pytest.raises(Conflict):
        actions.remove_contact(responsible.pk, actor=admin)
    with pytest.raises(InvalidInput):
        actions.update_contact(
            responsible.pk, fields={"name": "X", "email": responsible.email, "responsible": False}, actor=admin
        )


def test_contact_addresses_are_unique_and_valid(registration: Registration, admin: User) -> None:
    with pytest.raises(Conflict):
        actions.add_contact(registration.pk, fields={"name": "Dup", "email": "psirt@sample.example"}, actor=admin)
    with pytest.raises(InvalidInput) as error:
        actions.add_contact(registration.pk, fields={"name": "Bad", "email": "nope"}, actor=admin)
    assert error.value.field == "contact.email"


def test_products_added_and_removed(registration: Registration, admin: User) -> None:
    product = products.add_product(registration.pk, name="Cam", purl="pkg:pypi/Sample-Cam", cpe="", actor=admin)
    assert product.purl == "pkg:pypi/sample-cam"  # canonical purl: pypi names are lower case
    with pytest.raises(InvalidInput):
        products.add_product(registration.pk, name="Cam", cpe="cpe:2.3:x:a:b", actor=admin)
    products.remove_product(product.pk, actor=admin)
    assert audit_names(registration)[-2:] == ["vendors:product:added", "vendors:product:removed"]


def test_vendor_member_sees_but_cannot_change(registration: Registration) -> None:
    member = make_member("member@sample.example", registration.organisation, Role.VENDOR_MEMBER)
    assert queries.registration(registration.pk, member) == registration
    with pytest.raises(PermissionDenied):
        actions.update_registration_details(registration.pk, actor=member, phone="+81 1")


def test_developer_a_can_neither_see_nor_change_developer_b(
    registration: Registration, admin: User, other: tuple[Registration, User]
) -> None:
    theirs, _their_admin = other
    contact = theirs.contacts.first()
    product = theirs.products.first()
    assert contact is not None and product is not None
    with pytest.raises(NotFound):
        queries.registration(theirs.pk, admin)
    with pytest.raises(NotFound):
        queries.registration_of_organisation(theirs.organisation_id, admin)
    assert list(queries.registrations(admin)) == [registration]
    for change in (
        lambda: actions.update_registration_details(theirs.pk, actor=admin, phone="+81 1"),
        lambda: actions.add_contact(theirs.pk, fields={"name": "X", "email": "x@x.example"}, actor=admin),
        lambda: actions.update_contact(contact.pk, fields={"name": "X", "email": "x@x.example"}, actor=admin),
        lambda: actions.remove_contact(contact.pk, actor=admin),
        lambda: products.add_product(theirs.pk, name="X", actor=admin),
        lambda: products.remove_product(product.pk, actor=admin),
        lambda: actions.withdraw_registration(theirs.pk, actor=admin),
        lambda: actions.accept_terms(theirs.pk, terms_version="2026-01", actor=admin),
    ):
        with pytest.raises(NotFound):
            change()


def test_withdrawn_registration_cannot_be_edited(registration: Registration, admin: User) -> None:
    actions.withdraw_registration(registration.pk, actor=admin)
    with pytest.raises(Conflict):
        products.add_product(registration.pk, name="X", actor=admin)


def test_public_list_shows_only_listed_developers_that_agreed(
    registration: Registration, admin: User, lead: User, coordinator: User
) -> None:
    listed(lead, coordinator, name="Quiet Vendor", email="q@quiet.example", listed_publicly=False)
    assert [r.organisation.name for r in queries.public_developers()] == ["株式会社サンプル"]
    actions.update_registration_details(registration.pk, actor=admin, listed_publicly=False)
    assert list(queries.public_developers()) == []


def test_review_queue_is_staff_only(lead: User, coordinator: User, registration: Registration, admin: User) -> None:
    from kyocho.vendors.tests.helpers import apply

    waiting = apply(name="Waiting Vendor", email="w@wait.example")
    assert list(queries.review_queue(coordinator)) == [waiting]
    assert list(queries.review_queue(admin)) == []
