from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from kyocho.api.pagination import Page
from kyocho.api.schemas import CaseDetailOut, CaseOut
from kyocho.cases import queries
from kyocho.cases.models import Case

router = Router(tags=["cases"])


@router.get("", response=list[CaseOut], summary="Cases you may see, newest first")
@paginate(Page)
def list_cases(request: HttpRequest) -> QuerySet[Case]:
    return queries.visible_cases(request.auth).order_by("-created_at", "-pk")  # type: ignore[attr-defined]


@router.get("/{case_id}", response=CaseDetailOut, summary="One case and the developers you may see in it")
def get_case(request: HttpRequest, case_id: int) -> Case:
    return queries.get_case(request.auth, case_id)  # type: ignore[attr-defined]
