from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kyocho.accounts.permissions import is_staff_member


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a person lands after signing in: staff to the dashboard, everyone else to the portal."""
    return redirect("staff:dashboard" if is_staff_member(request.user) else "portal:home")
