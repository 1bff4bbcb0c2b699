"""Reports: anyone may submit one (anonymous callers are rate-limited per address); the intake desk
triages them. Every change goes through ``intake.actions``; triage endpoints answer 404 to anyone who
is not intake staff or a coordinator, as the staff pages do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Router, Status
from ninja.pagination import paginate

from kyocho.accounts.permissions import is_staff_member
from kyocho.api.auth import AnonymousCaller, BrowserSessionAuth, TokenAuth
from kyocho.api.intake_schemas import (
    AcceptIn,
    DuplicateIn,
    QuestionIn,
    RejectIn,
    ReportAcknowledgementOut,
    ReportIn,
    TriagedReportOut,
    TriageIn,
)
from kyocho.api.pagination import Page
from kyocho.api.schemas import ReportDetailOut, ReportOut
from kyocho.core.errors import NotFound
from kyocho.core.ratelimit import hit
from kyocho.intake import actions, queries
from kyocho.intake.models import Report

router = Router(tags=["reports"])
triage = Router(tags=["triage"])


@router.get("", response=list[ReportOut], summary="Reports you may see, newest first")
@paginate(Page)
def list_reports(request: HttpRequest) -> QuerySet[Report]:
    return queries.visible_reports(request.auth).order_by("-received_at", "-pk")  # type: ignore[attr-defined]


@router.get("/{report_id}", response=ReportDetailOut, summary="One report")
def get_report(request: HttpRequest, report_id: int) -> Report:
    return queries.get_report(request.auth, report_id)  # type: ignore[attr-defined]


@router.post(
    "",
    response={201: ReportAcknowledgementOut},
    auth=[TokenAuth(), BrowserSessionAuth(), AnonymousCaller()],
    summary="Submit a vulnerability report (no account needed)",
    description=(
        "The same fields and checks as the report forms. Without credentials the answer carries the "
        "tracking link, shown this once only; anonymous submissions are limited per client address "
        "(429 with Retry-After)."
    ),
)
def submit_report(request: HttpRequest, payload: ReportIn) -> Status[dict[str, Any]]:
    caller = request.auth  # type: ignore[attr-defined]
    if not caller.is_authenticated:
        limit_anonymous_submissions(request)
    report, token = actions.submit_report(
        kind=payload.kind, fields=payload.submitted_fields(), actor=caller, language=get_language() or "en"
    )
    return Status(
        201,
        {
            "id": report.pk,
            "reference": report.reference,
            "status": report.status,
            "triage_due_at": report.triage_due_at,
            "tracking_link": f"{settings.SITE_URL}/track/{token}/" if token else None,
            "tracking_token": token,
        },
    )


def limit_anonymous_submissions(request: HttpRequest) -> None:
    hit(
        "api:report",
        request.META.get("REMOTE_ADDR") or "unknown",
        limit=settings.KYOCHO["API_REPORT_RATE_LIMIT"],
        window_seconds=settings.KYOCHO["API_REPORT_RATE_WINDOW_SECONDS"],
    )


def intake_desk(request: HttpRequest) -> Any:
    """The caller, if intake staff or a coordinator; to anyone else the triage endpoints do not exist."""
    caller = request.auth  # type: ignore[attr-defined]
    if not is_staff_member(caller):
        raise NotFound()
    return caller


def _triaged(report: Report) -> Report:
    report.refresh_from_db()
    return report


@triage.post("/{report_id}/request-information", response=TriagedReportOut, summary="Ask the reporter a question")
def request_information(request: HttpRequest, report_id: int, payload: QuestionIn) -> Report:
    actor = intake_desk(request)
    return _triaged(actions.request_information(report_id, question=payload.question, actor=actor))


@triage.post("/{report_id}/accept", response=TriagedReportOut, summary="Accept into a new or an existing case")
def accept(request: HttpRequest, report_id: int, payload: AcceptIn) -> Report:
    actor = intake_desk(request)
    report = actions.accept_report(report_id, actor=actor, case_id=payload.case_id, case_title=payload.case_title)
    return _triaged(report)


@triage.post("/{report_id}/reject", response=TriagedReportOut, summary="Do not accept, with a reason")
def reject(request: HttpRequest, report_id: int, payload: RejectIn) -> Report:
    actor = intake_desk(request)
    return _triaged(actions.reject_report(report_id, reason=payload.reason, note=payload.note, actor=actor))


@triage.post("/{report_id}/duplicate", response=TriagedReportOut, summary="Defer to the case that handles it")
def duplicate(request: HttpRequest, report_id: int, payload: DuplicateIn) -> Report:
    actor = intake_desk(request)
    return _triaged(actions.mark_duplicate(report_id, case_id=payload.case_id, actor=actor))


@triage.post("/{report_id}/triage", response=TriagedReportOut, summary="Record the SSVC Coordinator Triage")
def record_triage(request: HttpRequest, report_id: int, payload: TriageIn) -> Report:
    actor = intake_desk(request)
    return _triaged(actions.record_triage(report_id, inputs=payload.model_dump(), actor=actor))


@triage.post("/{report_id}/spam", response=TriagedReportOut, summary="Set aside as spam (no reply is sent)")
def spam(request: HttpRequest, report_id: int) -> Report:
    actor = intake_desk(request)
    return _triaged(actions.mark_spam(report_id, actor=actor))


router.add_router("", triage)
