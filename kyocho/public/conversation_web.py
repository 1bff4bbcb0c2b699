"""What the conversation pages of every audience share: the message form, a page of a thread with its
"older" link, and posting from a form. Staff (``staff/conversation_views.py``), the portal
(``portal/conversation_views.py``) and the reporter's tracking page use these; reads go through
``cases.conversation_queries`` and every change through ``cases.conversations``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kyocho.cases import conversation_queries as convo
from kyocho.cases import conversations
from kyocho.cases.models import Case, Message, Thread
from kyocho.core.errors import DomainError, NotFound
from kyocho.public.forms import MultipleFileField, attachments_help, read_uploads
from kyocho.public.registry_views import show_domain_error

PAGE_SIZE = 30


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("You can use Markdown."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()

    def clean_attachments(self) -> list[Any]:
        return read_uploads(self.cleaned_data["attachments"])


@dataclass(frozen=True)
class ThreadPage:
    """One page of a thread as a template shows it."""

    rows: list[convo.MessageView]
    older: int | None  # the ``before`` of the next, older page; None on the oldest page
    newest: bool  # this is the first page (the newest messages)


def requested_before(request: HttpRequest) -> int | None:
    """The ``?before=`` of an "older" link; anything but a positive number shows the newest messages."""
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def thread_page(thread: Thread, reader: convo.Reader, before: int | None) -> ThreadPage:
    rows = convo.page_of(thread, reader, before=before, limit=PAGE_SIZE + 1)
    older = rows[PAGE_SIZE - 1].message.pk if len(rows) > PAGE_SIZE else None
    return ThreadPage(rows=rows[:PAGE_SIZE], older=older, newest=before is None)


def post_from_form(
    request: HttpRequest, form: MessageForm, post: Callable[[str, list[Any]], Message], *, here: str
) -> HttpResponse | None:
    """Post the form's message with ``post(body, uploads)``: a redirect to ``here`` when it was posted,
    None when the form (now carrying the refusal next to its field) is to be shown again. What the actor
    may not see stays a 404."""
    if not form.is_valid():
        return None
    try:
        post(form.cleaned_data["body"], form.cleaned_data["attachments"])
    except NotFound:
        raise
    except DomainError as error:
        show_domain_error(form, error, {})
        return None
    messages.success(request, gettext("Your message was posted."))
    return redirect(here)


def thread_view(
    request: HttpRequest,
    case: Case,
    thread_id: int,
    *,
    here: str,
    case_url: str,
    staff: bool = False,
    **extra: Any,
) -> HttpResponse:
    """A thread's page (staff and portal alike): the form to write in it, a page of messages, and the
    thread read up to its newest message when that page is shown."""
    thread = convo.get_thread_in_case(request.user, case, thread_id)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST":

        def post(body: str, uploads: list[Any]) -> Message:
            return conversations.post_message(thread.pk, body=body, actor=request.user, attachments=uploads)

        if (posted := post_from_form(request, form, post, here=here)) is not None:
            return posted
    before = requested_before(request)
    page = thread_page(thread, convo.Reader.of(request.user, thread), before)
    if before is None:
        conversations.mark_read(thread.pk, actor=request.user)
    context = {
        "case": case,
        "thread": thread,
        "thread_name": convo.thread_name(thread),
        "is_group": thread.kind in convo.GROUP_KINDS,
        "participants": convo.participant_names(request.user, thread),
        "page": page,
        "form": form,
        "here": here,
        "case_url": case_url,
        "attachment_base": f"{here}attachments/",
        "staff": staff,
        **extra,
    }
    return render(request, "conversations/thread.html", context, status=400 if form.errors else 200)
