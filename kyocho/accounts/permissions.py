"""Who an actor is: roles and organisations, read once per user object and cached on it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kyocho.accounts.roles import COORDINATOR_ROLES, STAFF_ROLES, VENDOR_ROLES, Role
from kyocho.core.errors import PermissionDenied

_CACHE = "_kyocho_memberships"


def memberships(user: Any) -> frozenset[tuple[str, int]]:
    """(role, organisation id) pairs of an active user; empty for anonymous or inactive users."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = frozenset(user.memberships.values_list("role", "organisation_id"))
        setattr(user, _CACHE, cached)
    return cached


def forget_memberships(user: Any) -> None:
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def roles(user: Any) -> frozenset[str]:
    return frozenset(role for role, _org in memberships(user))


def has_role(user: Any, *wanted: str) -> bool:
    return not roles(user).isdisjoint(wanted)


def is_staff_member(user: Any) -> bool:
    return has_role(user, *STAFF_ROLES)


def is_coordinator(user: Any) -> bool:
    return has_role(user, *COORDINATOR_ROLES)


def is_lead(user: Any) -> bool:
    return has_role(user, Role.LEAD)


def organisation_ids(user: Any, *wanted_roles: str) -> frozenset[int]:
    return frozenset(org for role, org in memberships(user) if role in wanted_roles)


def vendor_organisation_ids(user: Any) -> frozenset[int]:
    return organisation_ids(user, *VENDOR_ROLES)


def partner_organisation_ids(user: Any) -> frozenset[int]:
    return organisation_ids(user, Role.PARTNER)


def needs_mfa(user: Any) -> bool:
    """Every role but reporter must use MFA; a reporter holds no membership."""
    return bool(memberships(user))


def require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("You are not allowed to do this."))
