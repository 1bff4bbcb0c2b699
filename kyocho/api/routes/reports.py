from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from kyocho.api.pagination import Page
from kyocho.api.schemas import ReportDetailOut, ReportOut
from kyocho.intake import queries
from kyocho.intake.models import Report

router = Router(tags=["reports"])


@router.get("", response=list[ReportOut], summary="Reports you may see, newest first")
@paginate(Page)
def list_reports(request: HttpRequest) -> QuerySet[Report]:
    return queries.visible_reports(request.auth).order_by("-received_at", "-pk")  # type: ignore[attr-defined]


@router.get("/{report_id}", response=ReportDetailOut, summary="One report")
def get_report(request: HttpRequest, report_id: int) -> Report:
    return queries.get_report(request.auth, report_id)  # type: ignore[attr-defined]
