"""Reading inbound mail. Held mail may hold any case's details, so only coordinators read it; for
anyone else it does not exist (NotFound)."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from typing import Any

from django.db.models import QuerySet

from kyocho.accounts import permissions
from kyocho.cases import mail
from kyocho.cases.models import Message as CaseMessage
from kyocho.cases.models import ReplyToken
from kyocho.cases.replies import CASE_REFERENCE
from kyocho.core.errors import NotFound
from kyocho.intake.models import Report
from kyocho.messaging.models import InboundMail
from kyocho.messaging.pgpmime import UnreadableMessage, open_message
from kyocho.messaging.workflow import InboundStatus

SHOWN_HEADERS = (
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Date",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "Auto-Submitted",
    "Content-Type",
)
TEXT_LIMIT = 200_000  # characters shown of one mail; the whole mail can be downloaded


def may_read_inbound(actor: Any) -> bool:
    return permissions.is_coordinator(actor)


def inbound_mail(actor: Any, *, status: str = "") -> QuerySet[InboundMail]:
    """Newest first, without the raw bytes (a list never needs them)."""
    if not may_read_inbound(actor):
        raise NotFound()
    rows = InboundMail.objects.defer("raw").order_by("-received_at", "-pk")
    return rows.filter(status=status) if status else rows


def held_count(actor: Any) -> int:
    return InboundMail.objects.filter(status=InboundStatus.HELD).count() if may_read_inbound(actor) else 0


def get_inbound_mail(actor: Any, mail_id: Any) -> InboundMail:
    if not may_read_inbound(actor):
        raise NotFound()
    try:
        return InboundMail.objects.get(pk=mail_id)
    except (InboundMail.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


@dataclass(frozen=True)
class MailView:
    """What a coordinator reads of one mail: headers and text, never HTML."""

    headers: list[tuple[str, str]]
    text: str
    problem: str = ""  # why the text is shown as it arrived (it could not be decrypted)
    attachments: list[tuple[str, str, int]] = field(default_factory=list)  # name, type, size


def read_mail(inbound: InboundMail) -> MailView:
    """Decrypted when it was encrypted to us; as it arrived otherwise. Signatures are not judged here
    (the status sorting recorded is shown instead): no sender is known for a held mail."""
    raw = bytes(inbound.raw)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [(name, _text(value)) for name in SHOWN_HEADERS for value in _values(parsed, name)]
    try:
        opened = open_message(raw, sender_keys=[])
    except UnreadableMessage as error:
        return MailView(headers, _as_received(parsed)[:TEXT_LIMIT], problem=error.message)
    except Exception:  # a mail the email package cannot take apart is shown as bytes
        return MailView(headers, raw.decode("utf-8", errors="replace")[:TEXT_LIMIT])
    attachments = [(part.filename or "—", part.content_type, len(part.data)) for part in opened.attachments]
    return MailView(headers, opened.text[:TEXT_LIMIT], attachments=attachments)


def suggested_case(inbound: InboundMail) -> str:
    """The case a held mail seems to be about: its reply token's case, else a reference in its subject."""
    for address in inbound.envelope_to:
        token = mail.token_of_address(address)
        row = ReplyToken.objects.select_related("thread__case").filter(token=token).first() if token else None
        if row is not None:
            return row.thread.case.reference
    found = CASE_REFERENCE.search(inbound.subject)
    return found.group(0) if found else ""


def _values(message: Message, name: str) -> list[Any]:
    try:
        return list(message.get_all(name, []))
    except Exception:  # a malformed header is left out of the view
        return []


def _text(value: Any) -> str:
    try:
        return " ".join(str(value).split())
    except Exception:  # undecodable header
        return "?"


def _as_received(parsed: Message) -> str:
    part = parsed.get_body(preferencelist=("plain",)) if isinstance(parsed, EmailMessage) else None
    try:
        return str(part.get_content()) if part is not None else ""
    except Exception:  # an undecodable part: nothing to show but the download
        return ""


@dataclass(frozen=True)
class Related:
    kind: str  # "case" or "report": what the mail became, for a link
    reference: str


def related_to(inbound: InboundMail) -> Related | None:
    """The case (of the message it became) or the report it became."""
    label, _colon, pk = inbound.related.partition(":")
    if label == "cases.message":
        message = CaseMessage.objects.select_related("thread__case").filter(pk=pk).first()
        return Related("case", message.thread.case.reference) if message is not None else None
    if label == "intake.report":
        report = Report.objects.filter(pk=pk).first()
        return Related("report", report.reference) if report is not None else None
    return None
