"""Reading reports, scoped to the actor: intake and coordinators see all, a reporter only their own,
and whoever holds a report's tracking link that one report."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kyocho.accounts import permissions
from kyocho.core.errors import NotFound
from kyocho.core.ids import hash_token
from kyocho.intake.models import InformationRequest, Report
from kyocho.intake.workflow import OPEN_STATES

TOKEN_MAX_LENGTH = 128


def visible_reports(actor: Any) -> QuerySet[Report]:
    if permissions.is_staff_member(actor):
        return Report.objects.all()
    if getattr(actor, "is_authenticated", False):
        return Report.objects.filter(reporter=actor)
    return Report.objects.none()


def get_report(actor: Any, report_id: int | str) -> Report:
    try:
        return visible_reports(actor).get(pk=report_id)
    except (Report.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def get_report_by_reference(actor: Any, reference: str) -> Report:
    """The report with this public reference (what people see and links carry, never the row id)."""
    report = visible_reports(actor).filter(reference=reference).first()
    if report is None:
        raise NotFound()
    return report


def report_for_token(token: Any) -> Report:
    """The report a tracking link opens. A wrong, malformed or revoked token is NotFound, like any
    report one may not see. The lookup is by SHA-256 of the token: the token itself is never stored."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_LENGTH:
        raise NotFound()
    report = Report.objects.filter(
        tracking_token_hash=hash_token(token), tracking_token_revoked_at__isnull=True
    ).first()
    if report is None:
        raise NotFound()
    return report


def triage_queue(actor: Any) -> QuerySet[Report]:
    """Open reports, the most urgent triage target first; empty for anyone but intake and coordinators."""
    if not permissions.is_staff_member(actor):
        return Report.objects.none()
    return Report.objects.filter(status__in=OPEN_STATES).order_by("triage_due_at", "pk")


def information_requests(report: Report) -> QuerySet[InformationRequest]:
    """The questions and answers of a report the caller already obtained through a scoped query."""
    return report.information_requests.order_by("asked_at", "pk")


def triage_list(
    actor: Any,
    *,
    status: str = "",
    kind: str = "",
    overdue: bool = False,
    text: str = "",
    at: Any = None,
) -> QuerySet[Report]:
    """The staff report list with its filters: open reports unless a status is chosen, spam only when
    asked for by name, ``overdue`` open reports past their triage target at ``at``, and ``text`` found
    in the product, the developer or the description. Empty for anyone but intake and coordinators."""
    if not permissions.is_staff_member(actor):
        return Report.objects.none()
    reports = Report.objects.filter(status=status) if status else Report.objects.filter(status__in=OPEN_STATES)
    if kind:
        reports = reports.filter(kind=kind)
    if overdue:
        reports = reports.filter(status__in=OPEN_STATES, triage_due_at__lt=at)
    for word in text.split():
        reports = reports.filter(
            Q(product_name__icontains=word) | Q(developer_name__icontains=word) | Q(description__icontains=word)
        )
    return reports.order_by("triage_due_at", "pk")
