"""Template helpers for showing developers' OpenPGP keys the same way on the portal and staff pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.roles import Role
from kyocho.core.clock import now
from kyocho.vendors.key_queries import matches_a_contact
from kyocho.vendors.models import PublicKey, Registration

register = template.Library()
BLOCK = 4  # people read fingerprints aloud four characters at a time


@register.filter
def fingerprint_blocks(fingerprint: str) -> str:
    """``ABCD EF01 …``: the form in which a fingerprint is compared over the phone."""
    return " ".join(fingerprint[i : i + BLOCK] for i in range(0, len(fingerprint), BLOCK))


def why_unusable(key: PublicKey) -> str:
    """Empty when kyocho may encrypt to ``key``, otherwise the reason it may not (the same rules as
    ``key_queries.usable_keys``)."""
    if key.revoked_at is not None:
        return _("Revoked")
    if key.expires_at is not None and key.expires_at <= now():
        return _("Expired")
    if not key.accepted_without_matching_uid and not matches_a_contact(key):
        return _("No user id names a contact; a coordinator must accept this key")
    return ""


@register.filter
def unusable_reason(key: PublicKey) -> str:
    return why_unusable(key)


@register.filter
def needs_acceptance(key: PublicKey) -> bool:
    """A coordinator's acceptance would make the key usable: no user id names a contact."""
    return not key.accepted_without_matching_uid and not matches_a_contact(key)


@register.simple_tag
def manages_keys(user: Any, registration: Registration) -> bool:
    """Whether ``user`` may add, revoke and remove the developer's keys (the actions check it again)."""
    own_admin = registration.organisation_id in permissions.organisation_ids(user, Role.VENDOR_ADMIN)
    return own_admin or permissions.is_coordinator(user)
