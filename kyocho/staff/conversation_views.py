"""Coordinators' conversation pages: a thread's page, opening threads (one per party, or a product
thread with its developers), showing or hiding a group thread's participant list, the developer list of
the case page's conversations panel (htmx), and attachment downloads. Reads through
``conversation_queries``; every change through ``conversations``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kyocho.cases import conversation_queries as convo
from kyocho.cases import conversations
from kyocho.cases.models import Case, ThreadKind
from kyocho.cases.queries import get_case_by_reference, visible_participations
from kyocho.core.errors import DomainError
from kyocho.public.conversation_web import thread_view
from kyocho.public.registry_views import show_domain_error
from kyocho.public.report_views import download
from kyocho.staff.conversation_panel import developer_list
from kyocho.staff.views import staff_page


def _thread_url(case: Case, thread_id: int) -> str:
    return reverse("staff:thread", args=[case.reference, thread_id])


def _case_conversations_url(case: Case) -> str:
    return reverse("staff:case", args=[case.reference]) + "#conversations"


@staff_page
@never_cache
@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, reference: str, thread_id: int) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    return thread_view(
        request,
        case,
        thread_id,
        here=_thread_url(case, thread_id),
        case_url=reverse("staff:case", args=[case.reference]),
        staff=True,
        participants_url=reverse("staff:thread_participants", args=[case.reference, thread_id]),
    )


@staff_page
@require_POST
def open_thread(request: HttpRequest, reference: str) -> HttpResponse:
    """Open (or go to) the one thread of a party: all participants, a report's finder, a developer, a partner."""
    case = get_case_by_reference(request.user, reference)
    organisation: Any = request.POST.get("organisation_id") or None  # the action checks the ids
    report: Any = request.POST.get("report_id") or None
    try:
        opened = conversations.open_thread(
            case.pk,
            kind=request.POST.get("kind", ""),
            organisation_id=organisation,
            report_id=report,
            actor=request.user,
        )
    except DomainError as error:
        if error.http_status == 404:
            raise
        messages.error(request, error.message)
        return redirect(_case_conversations_url(case))
    return redirect(_thread_url(case, opened.pk))


class ProductThreadForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title (the product, for example)"), max_length=200)
    organisation_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Developers in this thread"), widget=forms.CheckboxSelectMultiple
    )


@staff_page
@require_http_methods(["GET", "POST"])
def new_product_thread(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    form = ProductThreadForm(request.POST or None)
    developers = visible_participations(request.user, case)
    choice = form.fields["organisation_ids"]
    assert isinstance(choice, forms.MultipleChoiceField)
    choice.choices = [(str(p.organisation_id), p.organisation.name) for p in developers]
    if request.method == "POST" and form.is_valid():
        try:
            opened = conversations.open_thread(
                case.pk,
                kind=ThreadKind.PRODUCT,
                title=form.cleaned_data["title"],
                organisation_ids=form.cleaned_data["organisation_ids"],
                actor=request.user,
            )
        except DomainError as error:
            if error.http_status == 404:
                raise
            show_domain_error(form, error, {})
        else:
            messages.success(request, _("The product thread was opened."))
            return redirect(_thread_url(case, opened.pk))
    context = {"case": case, "form": form}
    return render(request, "staff/product_thread.html", context, status=400 if form.errors else 200)


@staff_page
@require_POST
def thread_participants(request: HttpRequest, reference: str, thread_id: int) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    shown = convo.get_thread_in_case(request.user, case, thread_id)
    visible = request.POST.get("visible") == "yes"
    try:
        conversations.set_participants_visible(shown.pk, visible=visible, actor=request.user)
    except DomainError as error:
        if error.http_status == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Developers in this thread now see each other's names.")
            if visible
            else _("Developers in this thread now see each other only as “another developer”."),
        )
    return redirect(_thread_url(case, shown.pk))


@staff_page
@require_safe
def developer_threads(request: HttpRequest, reference: str) -> HttpResponse:
    """The developer list of the conversations panel, searched or paged in place (htmx) or as a page."""
    case = get_case_by_reference(request.user, reference)
    if not getattr(request, "htmx", False):
        query = request.GET.urlencode()
        return redirect(
            reverse("staff:case", args=[case.reference]) + (f"?{query}" if query else "") + "#conversations"
        )
    context: dict[str, Any] = {"case": case, "conversations": developer_list(request, case)}
    return render(request, "staff/case/conversation_developers.html", context)


@staff_page
@never_cache
@require_safe
def thread_attachment(request: HttpRequest, reference: str, thread_id: int, attachment_id: int) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    shown = convo.get_thread_in_case(request.user, case, thread_id)
    return download(convo.attachment_in(shown, attachment_id))
