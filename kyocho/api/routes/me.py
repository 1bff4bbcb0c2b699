from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from kyocho.accounts import permissions
from kyocho.accounts.queries import organisations_by_id
from kyocho.api.schemas import MeOut

router = Router(tags=["me"])


@router.get("", response=MeOut, summary="Who the token or session acts as")
def me(request: HttpRequest) -> dict[str, object]:
    user = request.auth  # type: ignore[attr-defined]
    roles_by_organisation: dict[int, list[str]] = {}
    for role, organisation_id in sorted(permissions.memberships(user)):
        roles_by_organisation.setdefault(organisation_id, []).append(role)
    organisations = organisations_by_id(roles_by_organisation)
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "language": user.preferred_language,
        "roles": sorted(permissions.roles(user)),
        "organisations": [
            {
                "id": organisation.pk,
                "name": organisation.name,
                "name_en": organisation.name_en,
                "kind": organisation.kind,
                "roles": roles_by_organisation[organisation.pk],
            }
            for organisation in organisations
        ],
    }
