"""Inbound mail for coordinators: the held queue (and recent mail), one mail's headers and text (always
as text, never as HTML), and what can be done with a held mail: file it into a case conversation,
send it to the intake queue, or close it with a note. Reads through ``messaging.queries``, changes
through ``messaging.inbound``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyocho.audit.queries import events_for
from kyocho.cases.conversation_queries import threads_for
from kyocho.cases.queries import get_case_by_reference
from kyocho.cases.replies import FILEABLE_KINDS
from kyocho.core.errors import InvalidInput, NotFound
from kyocho.messaging import inbound, queries
from kyocho.messaging.models import InboundMail
from kyocho.messaging.workflow import InboundStatus
from kyocho.public.registry_views import run_posted_change
from kyocho.staff.views import staff_page

LIST_ROWS = 200


class MailFilters(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("Held for staff")),
            ("all", gettext_lazy("All recent mail")),
            *InboundStatus.choices,
        ],
    )


@staff_page
def inbound_list(request: HttpRequest) -> HttpResponse:
    filters = MailFilters(request.GET or None)
    chosen = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    status = "" if chosen == "all" else chosen or InboundStatus.HELD
    rows = [(mail, inbound.hold_reason(mail)) for mail in queries.inbound_mail(request.user, status=status)[:LIST_ROWS]]
    return render(request, "staff/inbound/list.html", {"filters": filters, "rows": rows})


def _thread_id(data: QueryDict) -> int:
    value = data.get("thread_id", "").strip()
    if not value.isdigit():
        raise InvalidInput(_("Choose a thread."), field="thread_id")
    return int(value)


def _with_attachments(data: QueryDict) -> bool:
    return data.get("with_attachments") == "on"


CHANGES: dict[str, tuple[Any, Any]] = {
    "file": (
        lambda mail, data, actor: inbound.file_inbound_into_thread(
            mail.pk, thread_id=_thread_id(data), actor=actor, with_attachments=_with_attachments(data)
        ),
        gettext_lazy("The mail was filed into the conversation."),
    ),
    "intake": (
        lambda mail, data, actor: inbound.send_inbound_to_intake(
            mail.pk, actor=actor, with_attachments=_with_attachments(data)
        ),
        gettext_lazy("The mail is now a report in the intake queue."),
    ),
    "handled": (
        lambda mail, data, actor: inbound.mark_inbound_handled(mail.pk, note=data.get("note", ""), actor=actor),
        gettext_lazy("The mail was marked as handled."),
    ),
}


@staff_page
def inbound_detail(request: HttpRequest, mail_id: int) -> HttpResponse:
    mail = queries.get_inbound_mail(request.user, mail_id)
    if request.method == "POST":
        run_posted_change(request, CHANGES, mail)
        return redirect("staff:inbound_mail", mail_id=mail.pk)
    context = {
        "mail": mail,
        "view": queries.read_mail(mail),
        "reason": inbound.hold_reason(mail),
        "related": queries.related_to(mail),
        "events": events_for(mail),
        "is_held": mail.status == InboundStatus.HELD,
        **_filing(request, mail),
    }
    return render(request, "staff/inbound/detail.html", context)


def _filing(request: HttpRequest, mail: InboundMail) -> dict[str, Any]:
    """The case to file into (asked for, else the one the mail seems to be about) and its private threads."""
    reference = request.GET.get("case", "").strip().upper() or queries.suggested_case(mail)
    if not reference or mail.status != InboundStatus.HELD:
        return {"case_reference": reference, "threads": [], "case": None}
    try:
        case = get_case_by_reference(request.user, reference)
    except NotFound:
        return {"case_reference": reference, "threads": [], "case": None, "case_missing": True}
    threads = [thread for thread in threads_for(request.user, case) if thread.kind in FILEABLE_KINDS]
    return {"case_reference": reference, "threads": threads, "case": case}


@staff_page
def inbound_raw(request: HttpRequest, mail_id: int) -> HttpResponse:
    """The mail exactly as it arrived, as a download (never displayed by the browser)."""
    mail = queries.get_inbound_mail(request.user, mail_id)
    response = HttpResponse(bytes(mail.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="kyocho-inbound-{mail.pk}.eml"'
    return response
