"""The participant portal: reporters, product developers and partner coordinators see their part.

What each may see is decided by the queries (visible_reports, visible_cases, visible_participations);
anything else is a 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kyocho.accounts.permissions import is_staff_member
from kyocho.cases.developer_queries import developer_todo
from kyocho.cases.queries import visible_cases
from kyocho.intake.queries import get_report_by_reference, visible_reports
from kyocho.intake.tracking import get_attachment
from kyocho.portal.case_views import case_detail
from kyocho.public.report_views import download, reporter_page
from kyocho.public.web import not_found_as_404
from kyocho.vendors.queries import pending_terms_for

PORTAL_ROWS = 100
__all__ = [
    "case_detail",
    "home",
    "report_attachment",
    "report_detail",
]  # case_detail: the case page lives in case_views


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A participant's start page: my reports, and my organisation's cases. Staff work from the dashboard."""
    if is_staff_member(request.user):
        return redirect("staff:dashboard")
    context = {
        "reports": visible_reports(request.user).order_by("-received_at")[:PORTAL_ROWS],
        "cases": visible_cases(request.user).order_by("-created_at")[:PORTAL_ROWS],
        "pending_terms": pending_terms_for(request.user),
        "todo": developer_todo(request.user),
    }
    return render(request, "portal/home.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@not_found_as_404
def report_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The reporter's page of a report: the same page a tracking link opens, reached by account."""
    report = get_report_by_reference(request.user, reference)
    here = reverse("portal:report", args=[reference])
    return reporter_page(request, report, here=here, token=None, download=lambda pk: f"{here}attachments/{pk}/")


@login_required
@never_cache
@require_safe
@not_found_as_404
def report_attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    """Staff and the reporter (by account) download a report's attachments here."""
    report = get_report_by_reference(request.user, reference)
    return download(get_attachment(report, attachment_id))
