"""The coordinator's and intake desk's pages. Read-only for now; every read goes through queries."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kyocho.accounts.permissions import is_staff_member
from kyocho.audit.queries import events_for
from kyocho.cases.models import Case
from kyocho.cases.queries import active_cases, get_case_by_reference, visible_participations
from kyocho.intake.queries import triage_queue
from kyocho.public.web import View, not_found_as_404

DASHBOARD_ROWS = 100


def staff_page(view: View) -> View:
    """Signed in, and staff: anyone else gets the same 404 as for a page that does not exist."""

    @login_required
    @not_found_as_404
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_member(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@staff_page
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "reports": triage_queue(request.user)[:DASHBOARD_ROWS],
        "cases": active_cases(request.user)[:DASHBOARD_ROWS],
    }
    return render(request, "staff/dashboard.html", context)


# The case page is made of panels: each is (template, context function) and reads only through queries.
# A panel's context function takes (request, case) and returns what its template needs; keep its number
# of queries independent of the number of developers (``kyocho bench case-page`` counts them).
CasePanel = tuple[str, Callable[[HttpRequest, Case], dict[str, Any]]]


def _participants_panel(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {"participations": visible_participations(request.user, case)}


def _audit_panel(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {"events": events_for(case)}


def _notify_panel(request: HttpRequest, case: Case) -> dict[str, Any]:
    from kyocho.staff.notify_views import notify_panel  # that module builds on this one

    return notify_panel(request, case)


CASE_PANELS: list[CasePanel] = [
    ("staff/case/participants.html", _participants_panel),
    ("staff/includes/candidates_panel.html", lambda request, case: {}),
    ("staff/case/notify.html", _notify_panel),
    ("staff/case/audit.html", _audit_panel),
]


@staff_page
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    context: dict[str, Any] = {"case": case}
    panels = []
    for template, build in CASE_PANELS:
        context.update(build(request, case))
        panels.append(template)
    return render(request, "staff/case_detail.html", {**context, "panels": panels})
