"""The coordinator's and intake desk's pages. Read-only for now; every read goes through queries."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from kyocho.accounts.permissions import is_coordinator, is_staff_member
from kyocho.audit.queries import events_for
from kyocho.cases.followup_queries import escalated_developers, unreachable_candidates
from kyocho.cases.models import Case
from kyocho.cases.queries import active_cases, get_case_by_reference, visible_participations
from kyocho.cases.review_queries import answer_overview, review_queue
from kyocho.cases.workflow import ParticipationStatus
from kyocho.intake.queries import triage_queue
from kyocho.messaging.queries import held_count, may_read_inbound
from kyocho.public.web import View, not_found_as_404
from kyocho.staff.conversation_panel import conversations_panel
from kyocho.staff.vulnerability_panel import vulnerabilities_panel

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
        "escalated": escalated_developers(request.user)[:DASHBOARD_ROWS],
        "unreachable": unreachable_candidates(request.user)[:DASHBOARD_ROWS],
        # None hides the link: only coordinators read inbound mail.
        "held_mail": held_count(request.user) if may_read_inbound(request.user) else None,
    }
    return render(request, "staff/dashboard.html", context)


# The case page is made of panels: each is (template, context function) and reads only through queries.
# A panel's context function takes (request, case) and returns what its template needs; keep its number
# of queries independent of the number of developers (``kyocho bench case-page`` counts them).
CasePanel = tuple[str, Callable[[HttpRequest, Case], dict[str, Any]]]


DEVELOPERS_PER_PAGE = 50


def _participants_panel(request: HttpRequest, case: Case) -> dict[str, Any]:
    """A page of the case's developers, filtered by status, with how many are in each status."""
    rows = visible_participations(request.user, case)
    counts = dict(rows.order_by().values_list("status").annotate(number=Count("pk")).values_list("status", "number"))
    status = request.GET.get("developer_status", "")
    if status in ParticipationStatus.values:
        rows = rows.filter(status=status)
    return {
        "participant_page": Paginator(rows, DEVELOPERS_PER_PAGE).get_page(request.GET.get("developers")),
        "participant_counts": [
            (choice, label, counts[choice]) for choice, label in ParticipationStatus.choices if choice in counts
        ],
        "participant_total": sum(counts.values()),
        "participant_status": status,
    }


CASE_PAGE_EVENTS = 50
AUDIT_PAGE_EVENTS = 200


def _reviews_panel(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The answer overview and a page of the developers whose answers or statement wait for review."""
    page, developers = review_queue(request.user, case, page=request.GET.get("reviews"))
    return {
        "answer_overview": answer_overview(request.user, case),
        "review_page": page,
        "review_developers": developers,
        "can_review": is_coordinator(request.user),
        "review_action": reverse("staff:review", args=[case.reference]),
    }


def _audit_panel(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The newest events; the whole trail has a page of its own (a big case has thousands)."""
    return {"events": events_for(case).order_by("-seq")[:CASE_PAGE_EVENTS], "events_limit": CASE_PAGE_EVENTS}


def _notify_panel(request: HttpRequest, case: Case) -> dict[str, Any]:
    from kyocho.staff.notify_views import notify_panel  # that module builds on this one

    return notify_panel(request, case)


CASE_PANELS: list[CasePanel] = [
    ("staff/case/participants.html", _participants_panel),
    ("staff/includes/candidates_panel.html", lambda request, case: {}),
    ("staff/case/notify.html", _notify_panel),
    ("staff/case/vulnerabilities.html", vulnerabilities_panel),
    ("staff/case/reviews.html", _reviews_panel),
    ("staff/case/conversations.html", conversations_panel),
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


@staff_page
def case_audit(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's whole audit trail, newest first, a page at a time."""
    case = get_case_by_reference(request.user, reference)
    page = Paginator(events_for(case).order_by("-seq"), AUDIT_PAGE_EVENTS).get_page(request.GET.get("page"))
    return render(request, "staff/case_audit.html", {"case": case, "page": page})
