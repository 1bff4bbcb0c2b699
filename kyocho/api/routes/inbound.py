"""Inbound mail for the coordinators' tooling: what arrived and what became of it, and the held mail
(unreadable or unsorted) filed into a thread, sent to intake or closed with a note — the held-mail
page's actions. Coordinators only: to anyone else these do not exist (404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from kyocho.api.pagination import Page
from kyocho.core.errors import InvalidInput
from kyocho.messaging import inbound, queries
from kyocho.messaging.models import InboundMail
from kyocho.messaging.workflow import InboundStatus

router = Router(tags=["inbound mail"])


class InboundMailOut(Schema):
    id: int
    received_at: dt.datetime
    via: str = Field(..., description="smtp, lmtp or imap")
    envelope_from: str
    envelope_to: list[str]
    from_address: str = Field(..., description="The From header's address, as the sender wrote it (untrusted).")
    subject: str = Field(..., description="As the sender wrote it (untrusted): show it as text.")
    message_id: str
    status: str
    signature: str = Field(..., description="verified, unknown_key, bad or unsigned; empty before sorting")
    error: str = Field(..., description="Why it is held.")
    related: str = Field(..., description="What it became, e.g. cases.message:12.")
    sorted_at: dt.datetime | None
    handled_note: str
    handled_by_email: str | None = Field(None, description="The coordinator who filed or closed it.")


class AttachmentOut(Schema):
    name: str
    content_type: str
    size: int


class InboundMailReadOut(InboundMailOut):
    headers: list[tuple[str, str]] = Field(..., description="The headers worth reading, as (name, value).")
    text: str = Field(..., description="The text, decrypted when it was encrypted to the coordinator key; never HTML.")
    problem: str = Field(..., description="Why the text is shown as it arrived (it could not be decrypted).")
    attachments: list[AttachmentOut]
    suggested_case: str = Field(..., description="The case it seems to be about (reply token or subject), or empty.")


class FileIn(Schema):
    thread_id: int
    with_attachments: bool = True


class IntakeIn(Schema):
    with_attachments: bool = True


class HandledIn(Schema):
    note: str = Field(..., description="What was done, e.g. “asked the sender to send it again”.")


@router.get("", response=list[InboundMailOut], summary="Inbound mail, newest first (filter: ?status=held)")
@paginate(Page)
def list_inbound_mail(request: HttpRequest, status: str = "") -> Any:
    if status and status not in InboundStatus.values:
        raise InvalidInput(
            _("Unknown status; use one of: %(known)s.") % {"known": ", ".join(InboundStatus.values)}, field="status"
        )
    return queries.inbound_mail(request.auth, status=status).select_related("handled_by")  # type: ignore[attr-defined]


@router.get("/{mail_id}", response=InboundMailReadOut, summary="One mail with its headers and text")
def get_inbound_mail(request: HttpRequest, mail_id: int) -> dict[str, Any]:
    return _read(queries.get_inbound_mail(request.auth, mail_id))  # type: ignore[attr-defined]


@router.post("/{mail_id}/file", response=InboundMailReadOut, summary="File a held mail into a case conversation")
def file_into_thread(request: HttpRequest, mail_id: int, payload: FileIn) -> dict[str, Any]:
    caller = request.auth  # type: ignore[attr-defined]
    mail = inbound.file_inbound_into_thread(
        mail_id, thread_id=payload.thread_id, actor=caller, with_attachments=payload.with_attachments
    )
    return _read(queries.get_inbound_mail(caller, mail.pk))


@router.post("/{mail_id}/intake", response=InboundMailReadOut, summary="Send a held mail to the intake queue")
def send_to_intake(request: HttpRequest, mail_id: int, payload: IntakeIn) -> dict[str, Any]:
    caller = request.auth  # type: ignore[attr-defined]
    mail = inbound.send_inbound_to_intake(mail_id, actor=caller, with_attachments=payload.with_attachments)
    return _read(queries.get_inbound_mail(caller, mail.pk))


@router.post("/{mail_id}/handled", response=InboundMailReadOut, summary="Close a held mail with a note")
def mark_handled(request: HttpRequest, mail_id: int, payload: HandledIn) -> dict[str, Any]:
    caller = request.auth  # type: ignore[attr-defined]
    mail = inbound.mark_inbound_handled(mail_id, note=payload.note, actor=caller)
    return _read(queries.get_inbound_mail(caller, mail.pk))


def _read(mail: InboundMail) -> dict[str, Any]:
    view = queries.read_mail(mail)
    return {
        **InboundMailOut.from_orm(mail).model_dump(),
        "headers": view.headers,
        "text": view.text,
        "problem": view.problem,
        "attachments": [{"name": n, "content_type": t, "size": s} for n, t, s in view.attachments],
        "suggested_case": queries.suggested_case(mail),
    }
