"""The coordinator's and intake desk's pages. Read-only for now; every read goes through queries."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kyocho.accounts.permissions import is_staff_member
from kyocho.audit.queries import events_for
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


@staff_page
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    context = {
        "case": case,
        "participations": visible_participations(request.user, case),
        "events": events_for(case),
    }
    return render(request, "staff/case_detail.html", context)
