from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kyocho.cases.queries import visible_cases
from kyocho.intake.queries import visible_reports


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A participant's start page: my reports, and my organisation's cases."""
    context = {
        "reports": visible_reports(request.user).order_by("-received_at")[:50],
        "cases": visible_cases(request.user).order_by("-updated_at")[:50],
    }
    return render(request, "portal/home.html", context)
