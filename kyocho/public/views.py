from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    """The public front page. Published advisories are filled in by the publishing step; none yet."""
    context = {"advisories": [], "triage_business_days": settings.KYOCHO["TRIAGE_BUSINESS_DAYS"]}
    return render(request, "public/index.html", context)
