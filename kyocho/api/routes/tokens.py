from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from kyocho.accounts import actions
from kyocho.accounts.models import ApiToken
from kyocho.accounts.queries import tokens_of
from kyocho.api.auth import signed_in_with_token
from kyocho.api.pagination import Page
from kyocho.api.schemas import NewTokenOut, TokenIn, TokenOut
from kyocho.core.errors import PermissionDenied

router = Router(tags=["tokens"])


@router.get("", response=list[TokenOut], summary="Your API tokens, revoked ones included")
@paginate(Page)
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    return tokens_of(request.auth)  # type: ignore[attr-defined]


@router.post("", response={201: NewTokenOut}, summary="Create a token (the secret is in this answer only)")
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    # A leaked token must not be able to mint others that outlive its revocation.
    if signed_in_with_token(request):
        raise PermissionDenied(_("Create tokens while signed in to the web interface, not with another token."))
    token, secret = actions.create_api_token(request.auth.pk, name=payload.name, actor=request.auth)  # type: ignore[attr-defined]
    return Status(201, {**TokenOut.from_orm(token).dict(), "secret": secret})


@router.delete("/{token_id}", response=TokenOut, summary="Revoke one of your tokens")
def revoke_token(request: HttpRequest, token_id: int) -> ApiToken:
    return actions.revoke_api_token(token_id, actor=request.auth)  # type: ignore[attr-defined]
