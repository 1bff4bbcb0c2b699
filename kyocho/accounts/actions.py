"""Users, organisations, memberships and API tokens. The only writers of these rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.models import ApiToken, Membership, Organisation, User
from kyocho.accounts.roles import ROLES_BY_KIND, OrganisationKind, Role
from kyocho.audit.actions import record
from kyocho.core.actions import lock, required_text
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound
from kyocho.core.ids import hash_token, new_secret_token

TOKEN_PREFIX = "kyt_"  # noqa: S105 - a visible marker, not a secret


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput(_("Enter a valid email address."), field="email") from error
    return email


def create_user(
    email: str, *, actor: Any, password: str | None = None, display_name: str = "", language: str = "ja"
) -> User:
    """A new account. ``actor`` None means the system itself (CLI bootstrap, demo seeding)."""
    email = _clean_email(email)
    if language not in {"ja", "en"}:
        raise InvalidInput(_("Choose Japanese or English."), field="language")
    if password is not None:
        try:
            validate_password(password)
        except ValidationError as error:
            raise InvalidInput(" ".join(error.messages), field="password") from error
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise Conflict(_("An account with this email address already exists."), field="email")
        user = User.objects.create_user(email, password, display_name=display_name.strip(), preferred_language=language)
        record("accounts:user:created", actor=actor, subject=user, data={"email": email})
    return user


def create_organisation(name: str, *, kind: str, actor: Any, name_en: str = "") -> Organisation:
    name = required_text(name, "name", _("Name"), max_length=200)
    if kind not in OrganisationKind.values:
        raise InvalidInput(_("Unknown organisation kind."), field="kind")
    if actor is not None:
        permissions.require(permissions.is_coordinator(actor))
    with transaction.atomic():
        if Organisation.objects.filter(kind=kind, name=name).exists():
            raise Conflict(_("An organisation of this kind with this name already exists."), field="name")
        organisation = Organisation.objects.create(name=name, name_en=name_en.strip(), kind=kind)
        record(
            "accounts:organisation:created",
            actor=actor,
            subject=organisation,
            data={"name": name, "kind": kind},
        )
    return organisation


def add_member(organisation_id: int, *, user_id: int, role: str, actor: Any) -> Membership:
    """Give a user a role in an organisation; the role must fit the organisation's kind."""
    with transaction.atomic():
        organisation = lock(Organisation, organisation_id)
        if actor is not None:
            permissions.require(_may_manage_members(actor, organisation))
        if role not in ROLES_BY_KIND[organisation.kind]:
            raise InvalidInput(_("This role does not exist in an organisation of this kind."), field="role")
        user = lock(User, user_id)
        try:
            with transaction.atomic():
                membership = Membership.objects.create(user=user, organisation=organisation, role=role)
        except IntegrityError as error:
            raise Conflict(_("This person already has this role here.")) from error
        record(
            "accounts:membership:added",
            actor=actor,
            subject=organisation,
            data={"user": user.pk, "role": role},
        )
    permissions.forget_memberships(user)
    return membership


def _may_manage_members(actor: Any, organisation: Organisation) -> bool:
    if organisation.kind == OrganisationKind.PRODUCT_DEVELOPER and organisation.pk in permissions.organisation_ids(
        actor, Role.VENDOR_ADMIN
    ):
        return True
    return permissions.is_lead(actor)


def create_api_token(user_id: int, *, name: str, actor: Any) -> tuple[ApiToken, str]:
    """A new token for the actor itself; the secret is returned once and only its hash is kept."""
    name = required_text(name, "name", _("Token name"), max_length=100)
    with transaction.atomic():
        user = lock(User, user_id)
        permissions.require(actor is not None and actor.pk == user.pk)
        secret = TOKEN_PREFIX + new_secret_token()
        token = ApiToken.objects.create(user=user, name=name, prefix=secret[:12], token_hash=hash_token(secret))
        record("accounts:api_token:created", actor=actor, subject=user, data={"token": token.pk, "name": name})
    return token, secret


def revoke_api_token(token_id: int, *, actor: Any) -> ApiToken:
    with transaction.atomic():
        token = lock(ApiToken, token_id)
        if actor is None or actor.pk != token.user_id:
            raise NotFound()  # someone else's token is not even there
        if token.revoked_at is not None:
            raise Conflict(_("This token is already revoked."))
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
        record("accounts:api_token:revoked", actor=actor, subject=token.user, data={"token": token.pk})
    return token


# Writing last_used_at on every call would turn each read into a write; a minute is precise enough.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def note_token_used(token_id: int) -> None:
    """Bookkeeping, not a change of domain state: no audit event (it would log every API call).
    One conditional update, so concurrent calls cannot race."""
    at = now()
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - LAST_USED_PRECISION), pk=token_id
    ).update(last_used_at=at)
