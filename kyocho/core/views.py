from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kyocho.accounts.permissions import is_staff_member
from kyocho.core import health


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a person lands after signing in: staff to the dashboard, everyone else to the portal."""
    return redirect("staff:dashboard" if is_staff_member(request.user) else "portal:home")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: 200 when the database answers and the worker and the
    scheduler beat recently, 503 otherwise."""
    document, healthy = health.report()
    return JsonResponse(document, status=200 if healthy else 503)
