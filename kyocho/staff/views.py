from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kyocho.accounts.permissions import is_staff_member
from kyocho.cases.queries import visible_cases
from kyocho.intake.queries import visible_reports


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not is_staff_member(request.user):
        raise Http404
    context = {
        "reports": visible_reports(request.user).order_by("-received_at")[:50],
        "cases": visible_cases(request.user).order_by("-updated_at")[:50],
    }
    return render(request, "staff/dashboard.html", context)
