"""Reads of developers' OpenPGP keys, scoped to the actor (invisible → NotFound)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from kyocho.core.clock import now
from kyocho.core.errors import NotFound
from kyocho.vendors.models import PublicKey, Registration
from kyocho.vendors.queries import may_see_registration


def visible_registration(actor: Any, registration_id: int) -> Registration:
    try:
        registration = Registration.objects.filter(pk=registration_id).first()
    except (ValueError, TypeError) as error:
        raise NotFound() from error
    if registration is None or not may_see_registration(actor, registration):
        raise NotFound()
    return registration


def keys_of(actor: Any, registration_id: int) -> QuerySet[PublicKey]:
    return visible_registration(actor, registration_id).keys.order_by("-created_at")


def usable_keys(registration: Registration, *, at: dt.datetime | None = None) -> QuerySet[PublicKey]:
    """Keys kyocho may encrypt to: not revoked, not expired, and tied to the developer (a user id
    naming one of its contacts' addresses, or a coordinator's explicit acceptance)."""
    at = at or now()
    current = registration.keys.filter(Q(revoked_at__isnull=True), Q(expires_at__isnull=True) | Q(expires_at__gt=at))
    contact_emails = contact_emails_of(registration)
    # A developer has a handful of keys: matching user ids in Python works the same on every database.
    tied = [key.pk for key in current if is_usable(key, contact_emails, at=at)]
    return current.filter(pk__in=tied)


def is_usable(key: PublicKey, contact_emails: set[str], *, at: dt.datetime) -> bool:
    """The rule of ``usable_keys`` for a key already read (reading many developers' keys at once)."""
    current = key.revoked_at is None and (key.expires_at is None or key.expires_at > at)
    return current and (key.accepted_without_matching_uid or bool(key_emails(key) & contact_emails))


def contact_emails_of(registration: Registration) -> set[str]:
    return {email.lower() for email in registration.contacts.values_list("email", flat=True)}


def key_emails(key: PublicKey) -> set[str]:
    return {str(uid.get("email", "")).lower() for uid in key.user_ids if uid.get("email")}


def matches_a_contact(key: PublicKey) -> bool:
    return bool(key_emails(key) & contact_emails_of(key.registration))
