"""Case conversations for the tooling of developers and partners: my threads in a case with their unread
counts, a page of messages, posting (``multipart/form-data``: a ``body`` field and any number of
``attachments`` files, with the limits of the pages), marking read, and attachment downloads. A thread
the caller does not belong to is 404, like one that does not exist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from kyocho.api.pagination import Page
from kyocho.cases import conversation_queries as convo
from kyocho.cases import conversations, queries
from kyocho.cases.models import Thread
from kyocho.cases.workflow import MessageSource
from kyocho.core.attachments import read_uploaded
from kyocho.public.report_views import download

router = Router(tags=["conversations"])


class ThreadOut(Schema):
    id: int
    case_id: int
    kind: str = Field(..., description="developer, partner, reporter, all_participants or product")
    name: str = Field(..., description="What the thread is called, in the caller's language.")
    title: str
    participants_visible: bool = Field(
        ..., description="In group threads: whether developers see each other's names (else “another developer”)."
    )
    unread: int = Field(..., description="Messages by others the caller has not read.")
    created_at: dt.datetime

    @staticmethod
    def resolve_name(thread: Thread) -> str:
        return convo.thread_name(thread)


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int
    kind: str = Field(..., description="What the content was recognised as: pdf, png, jpeg, gif, zip, pcap, text …")
    sha256: str


class MessageOut(Schema):
    id: int
    thread_id: int
    author: str = Field(..., description="The author as the caller may know them.")
    mine: bool
    body: str = Field(..., description="Markdown source.")
    html: str = Field(..., description="The body rendered and sanitised.")
    posted_at: dt.datetime
    source: str = Field(..., description="web, api or email")
    signature: str = Field(
        ..., description="For mail: verified, unknown_key, bad or unsigned; empty for messages written in kyocho."
    )
    attachments: list[AttachmentOut]


class MessagePageOut(Schema):
    items: list[MessageOut]
    older: int | None = Field(..., description="Pass as ``before`` for the next, older page; null on the last.")


class PageIn(Schema):
    before: int | None = Field(None, ge=1, description="The id of the oldest message already read.")
    limit: int = Field(50, ge=1, le=convo.MAX_PAGE)


def _out(view: convo.MessageView) -> dict[str, Any]:
    message = view.message
    return {
        "id": message.pk,
        "thread_id": message.thread_id,
        "author": view.author_label,
        "mine": view.mine,
        "body": message.body,
        "html": str(view.html),
        "posted_at": message.posted_at,
        "source": message.source,
        "signature": message.signature,
        "attachments": list(message.attachments.all()),
    }


@router.get("/cases/{case_id}/threads", response=list[ThreadOut], summary="My threads in a case")
@paginate(Page)
def list_threads(request: HttpRequest, case_id: int) -> QuerySet[Thread]:
    case = queries.get_case(request.auth, case_id)  # type: ignore[attr-defined]
    return convo.threads_for(request.auth, case)  # type: ignore[attr-defined]


@router.get("/threads/{thread_id}", response=ThreadOut, summary="One thread, with its unread count")
def get_thread(request: HttpRequest, thread_id: int) -> Thread:
    found = convo.get_thread(request.auth, thread_id)  # type: ignore[attr-defined]
    return convo.threads_for(request.auth, found.case).get(pk=found.pk)  # type: ignore[attr-defined]


@router.get("/threads/{thread_id}/messages", response=MessagePageOut, summary="A page of messages, newest first")
def list_messages(request: HttpRequest, thread_id: int, page: Query[PageIn]) -> dict[str, Any]:
    views = convo.messages(request.auth, thread_id, before=page.before, limit=page.limit + 1)  # type: ignore[attr-defined]
    older = views[page.limit - 1].message.pk if len(views) > page.limit else None
    return {"items": [_out(view) for view in views[: page.limit]], "older": older}


@router.post(
    "/threads/{thread_id}/messages",
    response={201: MessageOut},
    summary="Write in a thread",
    description=(
        "multipart/form-data: ``body`` (Markdown) and zero or more ``attachments`` files (PDF, PNG, JPEG, GIF, "
        "ZIP, pcap or plain text, recognised by their content; the number and size limits of the pages apply). "
        "The thread's other parties are told by email."
    ),
)
def post_message(
    request: HttpRequest,
    thread_id: int,
    body: Form[str],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    actor = request.auth  # type: ignore[attr-defined]
    uploads = read_uploaded(attachments or [])
    message = conversations.post_message(
        thread_id, body=body, actor=actor, attachments=uploads, source=MessageSource.API
    )
    return Status(201, _out(convo.view_of(message, convo.Reader.of(actor, message.thread))))


@router.post("/threads/{thread_id}/read", response={204: None}, summary="Mark everything in the thread read")
def mark_read(request: HttpRequest, thread_id: int) -> Status[None]:
    conversations.mark_read(thread_id, actor=request.auth)  # type: ignore[attr-defined]
    return Status(204, None)


@router.get(
    "/threads/{thread_id}/attachments/{attachment_id}",
    response={200: bytes},
    summary="Download an attachment (application/octet-stream)",
    openapi_extra={"responses": {200: {"content": {"application/octet-stream": {}}}}},
)
def get_attachment(request: HttpRequest, thread_id: int, attachment_id: int) -> HttpResponse:
    return download(convo.get_attachment(request.auth, thread_id, attachment_id))  # type: ignore[attr-defined]
