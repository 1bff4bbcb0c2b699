"""The key actions: who may add, verify, accept, revoke and remove keys, and the expiry warnings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import Role
from kyocho.audit.models import AuditEvent
from kyocho.conftest import make_member
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.core.scheduler import JOBS
from kyocho.messaging.models import OutboundEmail
from kyocho.vendors import actions, key_actions
from kyocho.vendors.key_queries import keys_of, usable_keys
from kyocho.vendors.models import PublicKey, Registration
from kyocho.vendors.tests.gpgkeys import MadeKeys, gpg_keys

__all__ = ["gpg_keys"]  # the session fixture, imported so pytest finds it


def register(organisation: Organisation, *contact_emails: str) -> Registration:
    """The existing developer listed through the registry's import action; the first contact is the
    person responsible."""
    contacts = [
        {"name": email.split("@")[0], "email": email, "responsible": n == 0, "language": "en"}
        for n, email in enumerate(contact_emails)
    ]
    developer = actions.clean_developer(
        {"name": organisation.name, "registration_type": "general", "contacts": contacts}
    )
    return actions.import_developer(developer, actor=None, organisation=organisation)


@pytest.fixture
def registration(vendor_org: Organisation) -> Registration:
    return register(vendor_org, "PSIRT@vendor.example", "security@vendor.example")


@pytest.fixture
def vendor_admin(vendor_org: Organisation) -> User:
    return make_member("admin@vendor-a.example", vendor_org, Role.VENDOR_ADMIN)


@pytest.fixture
def rsa_key(registration: Registration, vendor_admin: User, gpg_keys: MadeKeys) -> PublicKey:
    return key_actions.add_public_key(registration.pk, armored=gpg_keys.rsa, actor=vendor_admin)


@pytest.fixture
def stranger_key(registration: Registration, vendor_admin: User, gpg_keys: MadeKeys) -> PublicKey:
    return key_actions.add_public_key(registration.pk, armored=gpg_keys.stranger, actor=vendor_admin)


def events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(name=name))


def reload(key: PublicKey) -> PublicKey:
    return PublicKey.objects.get(pk=key.pk)


# Adding.


def test_vendor_admin_adds_a_key_naming_a_contact(rsa_key: PublicKey, registration: Registration) -> None:
    assert rsa_key.fingerprint == rsa_key.fingerprint.upper() and len(rsa_key.fingerprint) == 40
    assert rsa_key.user_ids == [{"name": "RSA Developer", "email": "psirt@vendor.example"}]
    assert rsa_key.algorithm == "RSA 3072 + RSA 3072"
    assert rsa_key.expires_at is not None and rsa_key.created_at < rsa_key.expires_at
    assert "BEGIN PGP PUBLIC KEY BLOCK" in rsa_key.armored
    assert list(usable_keys(registration)) == [rsa_key]
    (event,) = events("vendors:key:added")
    assert event.data["fingerprint"] == rsa_key.fingerprint
    assert event.data["matches_contact"] is True


def test_coordinator_adds_a_key(registration: Registration, coordinator: User, gpg_keys: MadeKeys) -> None:
    key = key_actions.add_public_key(registration.pk, armored=gpg_keys.ed25519, actor=coordinator)
    assert key.fingerprint == gpg_keys.ed25519_fingerprint
    assert events("vendors:key:added")[0].actor == coordinator


def test_a_refused_key_stores_nothing(registration: Registration, vendor_admin: User, gpg_keys: MadeKeys) -> None:
    with pytest.raises(InvalidInput) as caught:
        key_actions.add_public_key(registration.pk, armored=gpg_keys.sign_only, actor=vendor_admin)
    assert caught.value.field == "key"
    assert not PublicKey.objects.exists()
    assert not events("vendors:key:added")


def test_the_same_key_again_updates_the_stored_copy(
    rsa_key: PublicKey, registration: Registration, vendor_admin: User, gpg_keys: MadeKeys
) -> None:
    again = key_actions.add_public_key(registration.pk, armored=gpg_keys.rsa, actor=vendor_admin)
    assert again.pk == rsa_key.pk
    assert PublicKey.objects.count() == 1
    assert len(events("vendors:key:updated")) == 1


def test_keys_cannot_be_added_to_a_closed_registration(
    registration: Registration, vendor_admin: User, gpg_keys: MadeKeys
) -> None:
    actions.withdraw_registration(registration.pk, actor=vendor_admin)
    with pytest.raises(Conflict):
        key_actions.add_public_key(registration.pk, armored=gpg_keys.rsa, actor=vendor_admin)


@pytest.mark.parametrize("who", ["vendor_member", "intake_staff"])
def test_members_who_are_not_key_managers_cannot_add_keys(
    who: str, registration: Registration, gpg_keys: MadeKeys, request: Any
) -> None:
    with pytest.raises(PermissionDenied):
        key_actions.add_public_key(registration.pk, armored=gpg_keys.rsa, actor=request.getfixturevalue(who))
    assert not PublicKey.objects.exists()


@pytest.mark.parametrize("who", ["other_vendor_member", "partner", "reporter", "nobody"])
def test_outsiders_cannot_find_the_developer(
    who: str, registration: Registration, gpg_keys: MadeKeys, request: Any
) -> None:
    actor = None if who == "nobody" else request.getfixturevalue(who)
    for armored in (gpg_keys.rsa, "not a key"):  # a bad key is not judged before permission
        with pytest.raises(NotFound):
            key_actions.add_public_key(registration.pk, armored=armored, actor=actor)
    with pytest.raises(NotFound):
        keys_of(actor, registration.pk)


def test_an_unknown_registration_is_not_found(coordinator: User, gpg_keys: MadeKeys) -> None:
    with pytest.raises(NotFound):
        key_actions.add_public_key(999_999, armored=gpg_keys.rsa, actor=coordinator)


def test_developers_see_only_their_own_keys(
    rsa_key: PublicKey, registration: Registration, vendor_member: User, other_vendor_member: User
) -> None:
    assert list(keys_of(vendor_member, registration.pk)) == [rsa_key]
    with pytest.raises(NotFound):
        key_actions.revoke_public_key(rsa_key.pk, actor=other_vendor_member)
    with pytest.raises(NotFound):
        key_actions.verify_key_fingerprint(rsa_key.pk, fingerprint=rsa_key.fingerprint, actor=other_vendor_member)


# A key naming no contact.


def test_a_key_naming_no_contact_waits_for_a_coordinator(
    stranger_key: PublicKey, registration: Registration, coordinator: User
) -> None:
    assert events("vendors:key:added")[0].data["matches_contact"] is False
    assert list(usable_keys(registration)) == []
    key_actions.accept_key_without_matching_uid(stranger_key.pk, actor=coordinator)
    assert list(usable_keys(registration)) == [stranger_key]
    assert events("vendors:key:accepted_without_matching_uid")[0].actor == coordinator


def test_a_contact_added_later_makes_the_key_usable(
    stranger_key: PublicKey, registration: Registration, coordinator: User
) -> None:
    actions.add_contact(
        registration.pk, fields={"name": "Someone", "email": "Someone@Elsewhere.example"}, actor=coordinator
    )
    assert list(usable_keys(registration)) == [stranger_key]


def test_only_coordinators_accept_keys(stranger_key: PublicKey, vendor_admin: User, intake_staff: User) -> None:
    for actor in (vendor_admin, intake_staff):
        with pytest.raises(PermissionDenied):
            key_actions.accept_key_without_matching_uid(stranger_key.pk, actor=actor)
    assert not reload(stranger_key).accepted_without_matching_uid


def test_accepting_twice_or_a_matching_key_is_refused(
    stranger_key: PublicKey, rsa_key: PublicKey, coordinator: User
) -> None:
    key_actions.accept_key_without_matching_uid(stranger_key.pk, actor=coordinator)
    with pytest.raises(Conflict):
        key_actions.accept_key_without_matching_uid(stranger_key.pk, actor=coordinator)
    with pytest.raises(Conflict):
        key_actions.accept_key_without_matching_uid(rsa_key.pk, actor=coordinator)


# Verifying the fingerprint out of band.


def test_coordinator_records_the_out_of_band_check(rsa_key: PublicKey, coordinator: User) -> None:
    spaced = " ".join(rsa_key.fingerprint[i : i + 4] for i in range(0, 40, 4)).lower()
    with time_machine.travel(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC), tick=False):
        key_actions.verify_key_fingerprint(rsa_key.pk, fingerprint=spaced, actor=coordinator)
    key = reload(rsa_key)
    assert key.verified_by == coordinator
    assert key.verified_at == dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    assert events("vendors:key:verified")[0].data["fingerprint"] == rsa_key.fingerprint


def test_a_different_fingerprint_is_not_recorded(rsa_key: PublicKey, coordinator: User) -> None:
    with pytest.raises(InvalidInput) as caught:
        key_actions.verify_key_fingerprint(rsa_key.pk, fingerprint="0" * 40, actor=coordinator)
    assert caught.value.field == "fingerprint"
    assert reload(rsa_key).verified_at is None


def test_developers_cannot_verify_their_own_key(rsa_key: PublicKey, vendor_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        key_actions.verify_key_fingerprint(rsa_key.pk, fingerprint=rsa_key.fingerprint, actor=vendor_admin)


# Revoking and removing.


def test_revoked_key_is_no_longer_usable_and_cannot_come_back(
    rsa_key: PublicKey, registration: Registration, vendor_admin: User, gpg_keys: MadeKeys, coordinator: User
) -> None:
    key_actions.revoke_public_key(rsa_key.pk, actor=vendor_admin)
    assert reload(rsa_key).revoked_at is not None
    assert list(usable_keys(registration)) == []
    assert len(events("vendors:key:revoked")) == 1
    with pytest.raises(Conflict):
        key_actions.revoke_public_key(rsa_key.pk, actor=coordinator)
    with pytest.raises(Conflict):
        key_actions.add_public_key(registration.pk, armored=gpg_keys.rsa, actor=vendor_admin)


def test_a_vendor_member_cannot_revoke_or_remove(rsa_key: PublicKey, vendor_member: User) -> None:
    with pytest.raises(PermissionDenied):
        key_actions.revoke_public_key(rsa_key.pk, actor=vendor_member)
    with pytest.raises(PermissionDenied):
        key_actions.remove_public_key(rsa_key.pk, actor=vendor_member)


def test_removing_a_key_keeps_its_fingerprint_in_the_audit(rsa_key: PublicKey, coordinator: User) -> None:
    key_actions.remove_public_key(rsa_key.pk, actor=coordinator)
    assert not PublicKey.objects.exists()
    assert events("vendors:key:removed")[0].data["fingerprint"] == rsa_key.fingerprint


def test_expired_keys_are_not_usable(rsa_key: PublicKey, registration: Registration) -> None:
    assert rsa_key.expires_at is not None
    assert list(usable_keys(registration, at=rsa_key.expires_at - dt.timedelta(seconds=1))) == [rsa_key]
    assert list(usable_keys(registration, at=rsa_key.expires_at)) == []


# Expiry warnings.


def sent(purpose: str) -> list[str]:
    return sorted(OutboundEmail.objects.filter(purpose=purpose).values_list("to", flat=True))


def test_expiring_key_is_warned_about_once(rsa_key: PublicKey, coordinator: User, lead: User) -> None:
    assert rsa_key.expires_at is not None
    at = rsa_key.expires_at - dt.timedelta(days=10)
    assert key_actions.warn_expiring_keys(at) == 1
    assert sent("vendors:key_expiring") == ["psirt@vendor.example", "security@vendor.example"]  # as cleaned
    assert sent("vendors:key_expiring_staff") == sorted([coordinator.email, lead.email])
    body = OutboundEmail.objects.filter(purpose="vendors:key_expiring").first()
    assert body is not None and rsa_key.fingerprint in body.body
    assert reload(rsa_key).expiry_warned_at == at
    assert len(events("vendors:key:expiry_warned")) == 1
    assert key_actions.warn_expiring_keys(at + dt.timedelta(hours=1)) == 0
    assert OutboundEmail.objects.count() == 4


def test_keys_far_from_expiry_or_revoked_are_not_warned_about(
    rsa_key: PublicKey, vendor_admin: User, settings: Any
) -> None:
    assert rsa_key.expires_at is not None
    assert key_actions.warn_expiring_keys(rsa_key.expires_at - dt.timedelta(days=31)) == 0
    settings.KYOCHO = {**settings.KYOCHO, "KEY_EXPIRY_WARNING_DAYS": 40}
    key_actions.revoke_public_key(rsa_key.pk, actor=vendor_admin)
    assert key_actions.warn_expiring_keys(rsa_key.expires_at - dt.timedelta(days=31)) == 0
    assert not OutboundEmail.objects.exists()


def test_the_warning_window_is_configurable(rsa_key: PublicKey, settings: Any) -> None:
    assert rsa_key.expires_at is not None
    settings.KYOCHO = {**settings.KYOCHO, "KEY_EXPIRY_WARNING_DAYS": 40}
    assert key_actions.warn_expiring_keys(rsa_key.expires_at - dt.timedelta(days=31)) == 1


def test_the_scheduler_runs_the_warnings() -> None:
    assert any(job.function == "kyocho.vendors.key_actions.warn_expiring_keys" for job in JOBS)
