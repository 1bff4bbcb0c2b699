"""Finder-facing pages: the report forms, the acknowledgement, the coordinator's key, and the
tracking page a tracking link opens (signed-in reporters see the same page in the portal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kyocho.cases import conversation_queries as convo
from kyocho.cases import conversations
from kyocho.core import attachments
from kyocho.core.errors import DomainError, InvalidInput, NotFound
from kyocho.core.ratelimit import RateLimited, hit
from kyocho.intake import actions, tracking
from kyocho.intake.models import Report
from kyocho.intake.queries import information_requests, report_for_token
from kyocho.intake.workflow import OPEN_STATES, ReportStatus
from kyocho.messaging import openpgp
from kyocho.public.conversation_web import MessageForm, requested_before, thread_page
from kyocho.public.forms import KIND_BY_SLUG, ReportForm
from kyocho.public.web import not_found_as_404

ACKNOWLEDGEMENT_KEY = "kyocho_report_acknowledgement"  # session: shown once, then gone
CASE_FORM_PREFIX = "case"  # the case conversation's form, beside the report conversation's on one page


@require_safe
def choose(request: HttpRequest) -> HttpResponse:
    armored, fingerprint = openpgp.coordinator_public_key()
    return render(request, "public/report_choose.html", {"fingerprint": fingerprint, "has_key": bool(armored)})


@require_safe
def coordinator_key(request: HttpRequest) -> HttpResponse:
    armored, _fingerprint = openpgp.coordinator_public_key()
    if not armored:
        raise Http404()
    response = HttpResponse(armored, content_type="application/pgp-keys")
    response["Content-Disposition"] = 'attachment; filename="kyocho-coordinator.asc"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest, slug: str) -> HttpResponse:
    kind = KIND_BY_SLUG.get(slug)
    if kind is None:
        raise Http404()
    form = ReportForm(request.POST or None, request.FILES or None, kind=kind)
    if request.user.is_authenticated:
        form.fields["reporter_email"].required = False  # the account's address is used
    if request.method == "POST":
        try:
            _count_submission(request)
        except RateLimited as error:
            return _rate_limited(request, error)
        if form.is_valid():
            try:
                report, token = actions.submit_report(
                    kind=kind,
                    fields=form.submission(),
                    actor=request.user,
                    language=get_language() or settings.LANGUAGE_CODE,
                    files=form.cleaned_data["attachments"],
                    suspected_spam=form.caught_bot,
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                request.session[ACKNOWLEDGEMENT_KEY] = {"reference": report.reference, "token": token or ""}
                return redirect("public:report_received")
    armored, fingerprint = openpgp.coordinator_public_key()
    context = {"form": form, "kind": kind, "fingerprint": fingerprint, "has_key": bool(armored)}
    return render(request, "public/report_form.html", context, status=400 if form.errors else 200)


def _count_submission(request: HttpRequest) -> None:
    limits = settings.KYOCHO
    window = limits["REPORT_LIMIT_WINDOW_SECONDS"]
    hit("report:ip", request.META.get("REMOTE_ADDR", ""), limit=limits["REPORT_LIMIT_PER_IP"], window_seconds=window)
    email = str(request.POST.get("reporter_email", "")).strip().lower()
    if email:
        hit("report:email", email, limit=limits["REPORT_LIMIT_PER_EMAIL"], window_seconds=window)


def _rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
    response = render(request, "public/rate_limited.html", {"message": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


@never_cache
@require_safe
def report_received(request: HttpRequest) -> HttpResponse:
    """Shown once after submitting: the tracking link exists nowhere else (only its hash is stored)."""
    acknowledgement = request.session.pop(ACKNOWLEDGEMENT_KEY, None)
    if not acknowledgement:
        return redirect("public:report_choose")
    token = acknowledgement["token"]
    link = request.build_absolute_uri(reverse("public:track", args=[token])) if token else ""
    return render(
        request, "public/report_received.html", {"reference": acknowledgement["reference"], "tracking_link": link}
    )


# The tracking page. Both ways in (tracking link, account) share the page and its three forms.

Act = Callable[..., Any]


@never_cache
@require_http_methods(["GET", "POST"])
@not_found_as_404
def track(request: HttpRequest, token: str) -> HttpResponse:
    report = report_for_token(token)
    here = reverse("public:track", args=[token])
    return reporter_page(request, report, here=here, token=token, download=lambda pk: f"{here}attachments/{pk}/")


@never_cache
@require_safe
@not_found_as_404
def track_attachment(request: HttpRequest, token: str, attachment_id: int) -> HttpResponse:
    return download(tracking.get_attachment(report_for_token(token), attachment_id))


@never_cache
@require_safe
@not_found_as_404
def track_case_attachment(request: HttpRequest, token: str, attachment_id: int) -> HttpResponse:
    """A file of the case conversation, for the holder of the report's tracking link."""
    thread = convo.reporter_thread(report_for_token(token))
    if thread is None:
        raise NotFound()
    return download(convo.attachment_in(thread, attachment_id))


def reporter_page(
    request: HttpRequest, report: Report, *, here: str, token: str | None, download: Callable[[int], str]
) -> HttpResponse:
    if request.method == "POST":
        try:
            done = _reporter_action(request, report, token)
        except DomainError as error:
            if error.http_status == 404:
                raise
            messages.error(request, error.message)
        else:
            messages.success(request, done)
        return redirect(here)
    context = {
        "report": report,
        "timeline": tracking.timeline(report),
        "questions": information_requests(report),
        "thread": tracking.messages(report),
        "files": [(file, download(file.pk)) for file in tracking.attachments(report)],
        "milestones": tracking.milestones(report, request.user),
        "is_open": report.status in OPEN_STATES,
        "here": here,
        "case_conversation": _case_conversation(request, report, token, here=here),
    }
    return render(request, "public/track.html", context)


def _case_conversation(request: HttpRequest, report: Report, token: str | None, *, here: str) -> dict[str, Any] | None:
    """The reporter thread of the case the report was accepted into, as its reporter reads it (a tracking
    link holder is the report's reporter); None before the report is in a case. The thread itself is
    opened by the first message in it, from either side."""
    if not (report.status == ReportStatus.ACCEPTED and report.case_id):
        return None
    thread = convo.reporter_thread(report)
    page = None
    if thread is not None:
        if token is None:
            try:  # by account: whoever opens the page must belong to the thread (staff who are not coordinators do not)
                thread = convo.get_thread(request.user, thread.pk)
            except NotFound:
                return None
        page = thread_page(thread, convo.Reader.reporter(report), requested_before(request))
        if token is None and page.newest:
            conversations.mark_read(thread.pk, actor=request.user)
    form = MessageForm(prefix=CASE_FORM_PREFIX)
    return {"page": page, "form": form, "attachment_base": f"{here}case-attachments/"}


def _reporter_action(request: HttpRequest, report: Report, token: str | None) -> str:
    action = request.POST.get("action")
    actor = request.user
    if action == "answer":
        actions.provide_information(report.pk, answer=request.POST.get("answer", ""), actor=actor, token=token)
        return _("Thank you. Your answer has been sent to the intake desk.")
    if action == "message":
        actions.post_report_message(report.pk, body=request.POST.get("body", ""), actor=actor, token=token)
        return _("Your message has been sent.")
    if action == "case_message":
        form = MessageForm(request.POST, request.FILES, prefix=CASE_FORM_PREFIX)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise InvalidInput(f"{form[field].label}: {errors[0]}", field=field)
        conversations.post_reporter_message(
            report.pk,
            body=form.cleaned_data["body"],
            actor=actor,
            token=token,
            attachments=form.cleaned_data["attachments"],
        )
        return _("Your message has been sent to the coordinators of the case.")
    if action == "withdraw":
        actions.withdraw_report(report.pk, actor=actor, token=token)
        return _("Your report has been withdrawn.")
    raise Http404()


def download(attachment: Any) -> HttpResponse:
    """Always a download of opaque bytes: never rendered by the browser, whatever it contains."""
    response = HttpResponse(attachments.read_file(attachment.stored_name), content_type="application/octet-stream")
    response["Content-Disposition"] = _content_disposition(attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
