"""Participants' conversation pages: a thread of a case the participant takes part in, and its
attachments. Whoever does not belong to the thread gets a 404 (conversation_queries decides)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kyocho.cases import conversation_queries as convo
from kyocho.cases.queries import get_case_by_reference
from kyocho.core.errors import NotFound
from kyocho.intake.queries import get_report_by_reference
from kyocho.public.conversation_web import thread_view
from kyocho.public.report_views import download
from kyocho.public.web import not_found_as_404


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@not_found_as_404
def thread(request: HttpRequest, reference: str, thread_id: int) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    return thread_view(
        request,
        case,
        thread_id,
        here=reverse("portal:thread", args=[case.reference, thread_id]),
        case_url=reverse("portal:case", args=[case.reference]),
    )


@login_required
@never_cache
@require_safe
@not_found_as_404
def thread_attachment(request: HttpRequest, reference: str, thread_id: int, attachment_id: int) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    return download(convo.attachment_in(convo.get_thread_in_case(request.user, case, thread_id), attachment_id))


@login_required
@never_cache
@require_safe
@not_found_as_404
def report_case_attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    """A file of the case conversation shown on the reporter's page of a report (by account)."""
    report = get_report_by_reference(request.user, reference)
    shown = convo.reporter_thread(report)
    if shown is None:
        raise NotFound()
    return download(convo.get_attachment(request.user, shown.pk, attachment_id))
