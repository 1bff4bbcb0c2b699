"""Reading accounts: a person's own tokens and organisations, and the token behind an API secret."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from kyocho.accounts.models import ApiToken, Organisation
from kyocho.core.ids import hash_token


def active_token_for_secret(secret: str) -> ApiToken | None:
    """The unrevoked token of an active user whose secret this is; None for anything else."""
    return (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    """A person's own tokens, revoked ones included, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def organisations_by_id(ids: Iterable[int]) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=list(ids)).order_by("name")
