"""The only writers of ``PublicKey`` rows: adding, verifying, accepting, revoking, removing keys, and
the expiry warnings.

Who may do what: a developer's vendor admins manage their own organisation's keys; coordinators
manage every developer's keys and alone record out-of-band fingerprint checks and accept keys whose
user ids name none of the developer's contacts. Anyone else gets NotFound, as if the developer did
not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.models import User
from kyocho.accounts.roles import COORDINATOR_ROLES
from kyocho.audit.actions import record
from kyocho.core.actions import lock
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound
from kyocho.messaging.actions import enqueue_from_template
from kyocho.vendors.actions import lock_registration_for_change, require_manager
from kyocho.vendors.key_queries import matches_a_contact, visible_registration
from kyocho.vendors.keys import KeyInfo, validate_public_key
from kyocho.vendors.models import PublicKey
from kyocho.vendors.queries import may_see_registration

_NOT_HEX = re.compile(r"[^0-9A-F]")


def add_public_key(registration_id: int, *, armored: str, actor: Any) -> PublicKey:
    """Store a checked key for the developer. The same key sent again (say with a later expiry date)
    replaces the stored copy and keeps its verification."""
    # Permission first (outsiders learn nothing), then gpg, outside the transaction: no lock held
    # while it runs. The permission is checked again under the lock.
    require_manager(visible_registration(actor, registration_id), actor)
    info = validate_public_key(armored)
    with transaction.atomic():
        registration = lock_registration_for_change(registration_id, actor)
        key = PublicKey.objects.filter(registration=registration, fingerprint=info.fingerprint).first()
        if key is not None and key.revoked_at is not None:
            raise Conflict(_("This key was revoked here; a revoked key cannot be added again."), field="key")
        event = "vendors:key:added" if key is None else "vendors:key:updated"
        key = _store(key or PublicKey(registration=registration), info, armored)
        matching = matches_a_contact(key)
        record(event, actor=actor, subject=key, data={**_facts(key), "matches_contact": matching})
    return key


def verify_key_fingerprint(key_id: int, *, fingerprint: str, actor: Any) -> PublicKey:
    """A coordinator records that the developer confirmed ``fingerprint`` out of band (phone, in
    person); the fingerprint read to them must be the stored one."""
    with transaction.atomic():
        key = _lock_key(key_id, actor)
        _require_coordinator(actor)
        if _NOT_HEX.sub("", (fingerprint or "").upper()) != key.fingerprint:
            raise InvalidInput(
                _("This fingerprint is not the key's fingerprint; check it with the developer again."),
                field="fingerprint",
            )
        return _change(key, "verified", actor=actor, verified_at=now(), verified_by=actor)


def accept_key_without_matching_uid(key_id: int, *, actor: Any) -> PublicKey:
    """A coordinator lets kyocho encrypt to a key whose user ids name none of the developer's contacts."""
    with transaction.atomic():
        key = _lock_key(key_id, actor)
        _require_coordinator(actor)
        if key.accepted_without_matching_uid:
            raise Conflict(_("This key has already been accepted."))
        if matches_a_contact(key):
            raise Conflict(_("This key's user ids already name a contact; it needs no acceptance."))
        _require_not_revoked(key)
        return _change(key, "accepted_without_matching_uid", actor=actor, accepted_without_matching_uid=True)


def revoke_public_key(key_id: int, *, actor: Any) -> PublicKey:
    """Stop using a key (lost, compromised, replaced); the row stays, so its history stays readable."""
    with transaction.atomic():
        key = _lock_key(key_id, actor)
        require_manager(key.registration, actor)
        _require_not_revoked(key)
        return _change(key, "revoked", actor=actor, revoked_at=now())


def remove_public_key(key_id: int, *, actor: Any) -> None:
    """Delete a key added by mistake; the audit event keeps its fingerprint."""
    with transaction.atomic():
        key = _lock_key(key_id, actor)
        require_manager(key.registration, actor)
        record("vendors:key:removed", actor=actor, subject=key, data=_facts(key))
        key.delete()


def warn_expiring_keys(at: dt.datetime | None = None) -> int:
    """Warn once about each key expiring within KEY_EXPIRY_WARNING_DAYS: an email to each of the
    developer's contacts and one to each coordinator. Safe to run twice. Returns the keys warned."""
    at = at or now()
    horizon = at + dt.timedelta(days=settings.KYOCHO["KEY_EXPIRY_WARNING_DAYS"])
    due = PublicKey.objects.filter(
        revoked_at__isnull=True, expiry_warned_at__isnull=True, expires_at__gt=at, expires_at__lte=horizon
    ).values_list("pk", flat=True)
    return sum(_warn_about_expiry(key_id, at) for key_id in list(due))


def _warn_about_expiry(key_id: int, at: dt.datetime) -> bool:
    with transaction.atomic():
        key = lock(PublicKey, key_id)
        if key.expiry_warned_at is not None or key.revoked_at is not None:  # another run got here first
            return False
        _change(key, "expiry_warned", actor=None, expiry_warned_at=at)
        context = {"key": key, "developer": key.registration.organisation}
        for contact in key.registration.contacts.all():
            _email(contact.email, contact.language, "key_expiring", context, key)
        for coordinator in coordinators():
            _email(coordinator.email, coordinator.preferred_language, "key_expiring_staff", context, key)
    return True


def coordinators() -> list[User]:
    return list(User.objects.filter(is_active=True, memberships__role__in=COORDINATOR_ROLES).distinct().order_by("pk"))


def _email(to: str, language: str, template: str, context: dict[str, Any], key: PublicKey) -> None:
    enqueue_from_template(
        template, context, to=to, language=language, purpose=f"vendors:{template}", actor=None, related=key
    )


# Shared steps.


def _store(key: PublicKey, info: KeyInfo, armored: str) -> PublicKey:
    key.fingerprint = info.fingerprint
    key.armored = armored.strip() + "\n"
    key.user_ids = [{"name": uid.name, "email": uid.email.lower()} for uid in info.user_ids]
    key.algorithm = info.algorithm[:50]
    key.created_at = info.created
    if key.expires_at != info.expires:
        key.expiry_warned_at = None  # a new expiry date deserves its own warning
    key.expires_at = info.expires
    key.save()
    return key


def _change(key: PublicKey, verb: str, *, actor: Any, **fields: Any) -> PublicKey:
    """Set ``fields`` on the locked key, audit ``vendors:key:<verb>`` and save just those fields."""
    for name, value in fields.items():
        setattr(key, name, value)
    record(f"vendors:key:{verb}", actor=actor, subject=key, data=_facts(key))
    key.save(update_fields=list(fields))
    return key


def _facts(key: PublicKey) -> dict[str, Any]:
    return {"fingerprint": key.fingerprint, "developer": key.registration.organisation_id, "expires": key.expires_at}


def _lock_key(key_id: int, actor: Any) -> PublicKey:
    key = lock(PublicKey, key_id)
    if not may_see_registration(actor, key.registration):
        raise NotFound()
    return key


def _require_coordinator(actor: Any) -> None:
    permissions.require(permissions.is_coordinator(actor), _("Only a coordinator can do this."))


def _require_not_revoked(key: PublicKey) -> None:
    if key.revoked_at is not None:
        raise Conflict(_("This key has been revoked."))
