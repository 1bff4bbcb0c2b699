"""The intake desk's pages: the report list with filters and the triage clock, and a report's page
with every triage transition, the SSVC Coordinator Triage form and duplicate suggestions.

Reads go through ``intake.queries`` (and ``cases.queries`` for the cases to choose from); every change
through ``intake.actions``. A refused change comes back to the report page as a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kyocho.audit.queries import events_for
from kyocho.cases.queries import active_cases
from kyocho.cases.workflow import CaseStatus
from kyocho.core.clock import display_zone, is_business_day, now
from kyocho.core.errors import DomainError, InvalidInput
from kyocho.intake import actions, ssvc, tracking
from kyocho.intake.duplicates import suggest_duplicates
from kyocho.intake.models import Report
from kyocho.intake.queries import get_report_by_reference, information_requests, triage_list
from kyocho.intake.workflow import OPEN_STATES, RejectionReason, ReportKind, ReportStatus
from kyocho.staff.views import staff_page

LIST_ROWS = 200

# What each SSVC input asks, in plain words, beside its radio buttons.
SSVC_HELP = {
    "report_public": gettext_lazy("Is the vulnerability already public (advisory, blog post, talk, exploit)?"),
    "supplier_contacted": gettext_lazy("Has the reporter already told the developer (the supplier)?"),
    "report_credibility": gettext_lazy("Does the report hold together: plausible, specific, reproducible?"),
    "supplier_cardinality": gettext_lazy("Is one developer affected, or several (a library, a protocol)?"),
    "supplier_engagement": gettext_lazy("Is the developer answering and working on a fix?"),
    "utility": gettext_lazy(
        "How useful is the exploit to an attacker: laborious to use, efficient, or automatable at scale "
        "with a valuable target (super effective)?"
    ),
    "public_safety_impact": gettext_lazy("Could exploitation harm people's safety, health or essential services?"),
}


class ListFilters(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Open (received or needs information)")), *ReportStatus.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All kinds")), *ReportKind.choices]
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    q = forms.CharField(label=gettext_lazy("Search product, developer, description"), required=False, max_length=200)


def business_days_left(due: dt.datetime, at: dt.datetime) -> int:
    """Business days on the Japanese calendar from ``at``'s local date to ``due``'s; negative once past."""
    zone = display_zone()
    start, end = at.astimezone(zone).date(), due.astimezone(zone).date()
    step = 1 if end >= start else -1
    count, day = 0, start
    while day != end:
        day += dt.timedelta(days=step)
        if is_business_day(day):
            count += step
    if step < 0 and count == 0 and due < at:
        return -1  # past the hour on a later day that is no business day
    return count


def triage_clock(report: Report, at: dt.datetime) -> dict[str, Any]:
    waiting = report.status in OPEN_STATES
    return {
        "due": report.triage_due_at,
        "days_left": business_days_left(report.triage_due_at, at),
        "overdue": waiting and report.triage_due_at < at,
        "running": waiting,
    }


@staff_page
def report_list(request: HttpRequest) -> HttpResponse:
    filters = ListFilters(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    at = now()
    reports = triage_list(
        request.user,
        status=chosen.get("status", ""),
        kind=chosen.get("kind", ""),
        overdue=chosen.get("overdue", False),
        text=chosen.get("q", ""),
        at=at,
    )[:LIST_ROWS]
    rows = [(report, triage_clock(report, at)) for report in reports]
    context = {"filters": filters, "rows": rows}
    template = "staff/triage/report_rows.html" if getattr(request, "htmx", False) else "staff/triage/report_list.html"
    return render(request, template, context)


@staff_page
def report_detail(request: HttpRequest, reference: str) -> HttpResponse:
    report = get_report_by_reference(request.user, reference)
    live = [case for case in active_cases(request.user) if case.status in {CaseStatus.OPEN, CaseStatus.COORDINATING}]
    context = {
        "report": report,
        "clock": triage_clock(report, now()),
        "is_open": report.status in OPEN_STATES,
        "questions": information_requests(report),
        "events": events_for(report),
        "suggestions": suggest_duplicates(request.user, report),
        "live_cases": live,
        "rejection_reasons": rejection_reasons(report),
        "ssvc_points": ssvc_form(report),
        "thread": tracking.messages(report),
        "attachments": tracking.attachments(report),
    }
    return render(request, "staff/report_detail.html", context)


def rejection_reasons(report: Report) -> list[tuple[str, str]]:
    """ "No answer" only fits a report that is waiting for one."""
    waiting = report.status == ReportStatus.NEEDS_INFO
    return [
        (value, str(label)) for value, label in RejectionReason.choices if value != RejectionReason.NO_ANSWER or waiting
    ]


def ssvc_form(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "label": point.label,
            "help": SSVC_HELP[name],
            "choices": point.choices.choices,
            "chosen": report.triage_inputs.get(name, ""),
        }
        for name, point in ssvc.DECISION_POINTS.items()
    ]


# Triage transitions: each takes the report, the posted form and the actor, and says what was done.

Transition = Callable[[Report, QueryDict, Any], str]


def _case_id(data: QueryDict, *, required: bool) -> int | None:
    value = data.get("case_id", "").strip()
    if not value:
        if required:
            raise InvalidInput(_("Choose a case."), field="case_id")
        return None
    if not value.isdigit():
        raise InvalidInput(_("Choose a case."), field="case_id")
    return int(value)


def _request_information(report: Report, data: QueryDict, actor: Any) -> str:
    actions.request_information(report.pk, question=data.get("question", ""), actor=actor)
    return _("The question was sent to the reporter.")


def _accept(report: Report, data: QueryDict, actor: Any) -> str:
    case_id = _case_id(data, required=False) if data.get("target") == "existing" else None
    if data.get("target") == "existing" and case_id is None:
        raise InvalidInput(_("Choose a case."), field="case_id")
    title = data.get("case_title", "").strip() if case_id is None else None
    accepted = actions.accept_report(report.pk, actor=actor, case_id=case_id, case_title=title or None)
    assert accepted.case is not None
    return _("The report was accepted into case %(case)s.") % {"case": accepted.case.reference}


def _reject(report: Report, data: QueryDict, actor: Any) -> str:
    actions.reject_report(report.pk, reason=data.get("reason", ""), note=data.get("note", ""), actor=actor)
    return _("The report was not accepted.")


def _duplicate(report: Report, data: QueryDict, actor: Any) -> str:
    marked = actions.mark_duplicate(report.pk, case_id=_case_id(data, required=True), actor=actor)  # type: ignore[arg-type]
    assert marked.duplicate_of is not None
    return _("The report was marked as a duplicate of %(case)s.") % {"case": marked.duplicate_of.reference}


def _spam(report: Report, data: QueryDict, actor: Any) -> str:
    actions.mark_spam(report.pk, actor=actor)
    return _("The report was set aside as spam.")


def _triage(report: Report, data: QueryDict, actor: Any) -> str:
    inputs = {name: data.get(name, "") for name in ssvc.DECISION_POINTS}
    triaged = actions.record_triage(report.pk, inputs=inputs, actor=actor)
    return _("SSVC decision recorded: %(decision)s.") % {"decision": triaged.get_triage_decision_display()}


def _message(report: Report, data: QueryDict, actor: Any) -> str:
    actions.post_report_message(report.pk, body=data.get("body", ""), actor=actor)
    return _("The message was sent to the reporter.")


TRANSITIONS: dict[str, Transition] = {
    "message": _message,
    "request-information": _request_information,
    "accept": _accept,
    "reject": _reject,
    "duplicate": _duplicate,
    "spam": _spam,
    "triage": _triage,
}


@staff_page
@require_POST
def report_transition(request: HttpRequest, reference: str, transition: str) -> HttpResponse:
    if transition not in TRANSITIONS:
        raise Http404
    report = get_report_by_reference(request.user, reference)
    try:
        done = TRANSITIONS[transition](report, request.POST, request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("staff:report", reference=report.reference)
