"""Users, organisations, memberships and API tokens. The only writers of these rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.models import ApiToken, Membership, Organisation, User
from kyocho.accounts.roles import ROLES_BY_KIND, OrganisationKind, Role
from kyocho.audit.actions import Entry, record, record_many
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
    _check_language(language)
    if password is not None:
        try:
            validate_password(password)
        except ValidationError as error:
            raise InvalidInput(" ".join(error.messages), field="password") from error
    with transaction.atomic():
        _refuse_taken([email])
        user = User.objects.create_user(email, password, display_name=display_name.strip(), preferred_language=language)
        record("accounts:user:created", actor=actor, subject=user, data={"email": email})
    return user


def create_users(people: Iterable[tuple[str, str, str]], *, actor: Any) -> list[User]:
    """Accounts without a password yet, from (email, name, language), checked like ``create_user`` and
    written together: giving a notification's hundreds of contacts portal access (each sets a password
    through the reset link). All or none."""
    people = [(_clean_email(email), name.strip(), _check_language(language)) for email, name, language in people]
    emails = [email for email, _name, _language in people]
    if len(set(emails)) != len(emails):
        raise InvalidInput(_("The same email address is given twice."), field="email")
    with transaction.atomic():
        _refuse_taken(emails)
        users = [User(email=email, display_name=name, preferred_language=language) for email, name, language in people]
        for user in users:
            user.set_unusable_password()
        User.objects.bulk_create(users)
        record_many(Entry("accounts:user:created", actor, user, {"email": user.email}) for user in users)
    return users


def _check_language(language: str) -> str:
    if language not in {"ja", "en"}:
        raise InvalidInput(_("Choose Japanese or English."), field="language")
    return language


def _refuse_taken(emails: list[str]) -> None:
    if User.objects.annotate(address=Lower("email")).filter(address__in=emails).exists():
        raise Conflict(_("An account with this email address already exists."), field="email")


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
    return add_memberships([(organisation_id, user_id)], role=role, actor=actor)[0]


def add_memberships(pairs: Iterable[tuple[int, int]], *, role: str, actor: Any) -> list[Membership]:
    """Give each (organisation, user) the role, like ``add_member`` for each, written together: all or none."""
    pairs = list(pairs)
    with transaction.atomic():
        organisations = {
            organisation.pk: organisation
            for organisation in Organisation.objects.select_for_update().filter(pk__in={o for o, _u in pairs})
        }
        users = {user.pk: user for user in User.objects.select_for_update().filter(pk__in={u for _o, u in pairs})}
        if len(organisations) != len({o for o, _u in pairs}) or len(users) != len({u for _o, u in pairs}):
            raise NotFound()
        for organisation in organisations.values():
            if actor is not None:
                permissions.require(_may_manage_members(actor, organisation))
            if role not in ROLES_BY_KIND[organisation.kind]:
                raise InvalidInput(_("This role does not exist in an organisation of this kind."), field="role")
        memberships = [Membership(user=users[u], organisation=organisations[o], role=role) for o, u in pairs]
        try:
            with transaction.atomic():
                Membership.objects.bulk_create(memberships)
        except IntegrityError as error:
            raise Conflict(_("This person already has this role here.")) from error
        record_many(
            Entry(
                "accounts:membership:added", actor, membership.organisation, {"user": membership.user_id, "role": role}
            )
            for membership in memberships
        )
    for user in users.values():
        permissions.forget_memberships(user)
    return memberships


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
