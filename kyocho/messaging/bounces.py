"""Mail written by machines: delivery status notifications (bounces) and other automatic mail.

``read_bounce`` recognises RFC 3464 delivery status notifications (``multipart/report;
report-type=delivery-status``) and, cheaply, the common non-standard bounces (qmail, older Exim,
Microsoft's plain-text notices): mail from a mailer daemon, or with an empty envelope sender, that
quotes the returned message's headers. What it finds is the Message-ID of the mail kyocho sent.

``is_automatic`` says whether a mail must never be answered (RFC 3834 section 2: auto-submitted mail,
bounces, mailing lists), so that an acknowledgement cannot start a loop between two robots.
Pure functions: no database, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.utils import parseaddr

MESSAGE_ID_LINE = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
SMTP_REPLY = re.compile(r"\b[45]\d\d[ -][^\r\n]{3,}|\b[45]\.\d{1,3}\.\d{1,3}\b[^\r\n]*")
DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status|failure|has failed)|mail delivery|returned mail|failure notice|"
    r"delivery notification|could not be delivered|non.?delivery",
    re.IGNORECASE,
)
LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post", "X-Mailing-List")
REASON_LIMIT = 500


@dataclass(frozen=True)
class Bounce:
    message_ids: list[str]  # the returned message's Message-ID candidates, best first
    failed: bool  # False for a notice that only reports a delay or a success
    reason: str


def read_bounce(message: Message, *, null_sender: bool = False) -> Bounce | None:
    """The bounce ``message`` is, or None when it is not one. ``null_sender``: the envelope sender was
    empty (``MAIL FROM:<>``), as it is for every bounce (RFC 5321 section 4.5.5)."""
    if message.get_content_type() == "multipart/report" and _param(message, "report-type") == "delivery-status":
        return _standard_bounce(message)
    if _from_a_daemon(message, null_sender):
        return _plain_bounce(message)
    return None


def is_automatic(message: Message, *, null_sender: bool = False, own_addresses: frozenset[str] = frozenset()) -> bool:
    """True for mail that no one should answer automatically (RFC 3834): auto-submitted, a bounce,
    list traffic, bulk mail, or mail that claims to come from kyocho itself."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header(message, "Precedence").lower() in {"bulk", "list", "junk", "auto_reply"}:
        return True
    if any(_header(message, name) for name in LIST_HEADERS):
        return True
    if _header(message, "X-Auto-Response-Suppress") or _header(message, "X-Autoreply"):
        return True
    sender = parseaddr(_header(message, "From"))[1].lower()
    if sender in own_addresses:
        return True
    return null_sender or read_bounce(message) is not None


def _standard_bounce(message: Message) -> Bounce:
    recipients: list[tuple[str, str]] = []  # (action, reason) of each recipient the report speaks of
    ids: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in {"message/delivery-status", "message/global-delivery-status"}:
            recipients += [(_header(b, "Action").lower(), _recipient_reason(b)) for b in _status_blocks(part)]
        elif kind in {"message/rfc822", "message/global"}:
            ids += _returned_ids(part)
        elif kind in {"text/rfc822-headers", "message/global-headers"}:
            ids += _ids_in_headers(_text_of(part))
    actions = [action for action, _reason in recipients if action]
    failed = "failed" in actions or not actions  # a report that names no action is taken as a failure
    reasons = [reason for action, reason in recipients if reason and action == "failed"] or [
        reason for _action, reason in recipients if reason
    ]
    ids += _ids_in_text(message)
    return Bounce(_unique(ids, own=_header(message, "Message-ID")), failed, _short(reasons[0] if reasons else ""))


def _plain_bounce(message: Message) -> Bounce | None:
    ids = _unique(_ids_in_text(message), own=_header(message, "Message-ID"))
    if not ids:
        return None
    text = "\n".join(_text_of(part) for part in message.walk() if part.get_content_maintype() == "text")
    found = SMTP_REPLY.search(text)
    return Bounce(ids, True, _short(found.group(0) if found else _header(message, "Subject")))


def _from_a_daemon(message: Message, null_sender: bool) -> bool:
    local = parseaddr(_header(message, "From"))[1].partition("@")[0].lower()
    null_sender = null_sender or _header(message, "Return-Path") == "<>"  # what IMAP mail keeps of the envelope
    return bool(BOUNCE_SUBJECT.search(_header(message, "Subject"))) and (local in DAEMONS or null_sender)


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # message/global-delivery-status may arrive as text: parse its blocks of fields ourselves.
    text = payload if isinstance(payload, str) else ""
    return [HeaderParser().parsestr(chunk) for chunk in re.split(r"\r?\n\r?\n", text.strip()) if chunk.strip()]


def _recipient_reason(block: Message) -> str:
    status = _header(block, "Status")
    diagnostic = _header(block, "Diagnostic-Code").partition(";")[2].strip() or _header(block, "Diagnostic-Code")
    recipient = _header(block, "Final-Recipient").partition(";")[2].strip()
    words = " ".join(word for word in (status, diagnostic) if word)
    return f"{recipient}: {words}" if recipient and words else words


def _returned_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    returned = payload[0] if isinstance(payload, list) and payload else None
    if isinstance(returned, Message):
        found = _header(returned, "Message-ID")
        return [found] if found else []
    return _ids_in_headers(payload if isinstance(payload, str) else "")


def _ids_in_headers(text: str) -> list[str]:
    found = _header(HeaderParser().parsestr(text, headersonly=True), "Message-ID")
    return [found] if found else []


def _ids_in_text(message: Message) -> list[str]:
    """Message-ID lines quoted anywhere in the text parts (where plain bounces put the returned headers)."""
    ids: list[str] = []
    for part in message.walk():
        if part.get_content_maintype() == "text" or part.get_content_type() == "message/delivery-status":
            ids += MESSAGE_ID_LINE.findall(_text_of(part))
    return ids


def _text_of(part: Message) -> str:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data.decode(part.get_content_charset() or "utf-8", errors="replace")
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def _unique(ids: list[str], *, own: str) -> list[str]:
    clean = [found.strip() for found in ids if found and found.strip()]
    return [found for found in dict.fromkeys(clean) if found != own.strip()]


def _header(message: Message, name: str) -> str:
    """A header as one line of text; "" when missing or unreadable (machine mail is often malformed)."""
    try:
        value = message.get(name)
    except Exception:  # the email package raises various errors for broken headers
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _param(message: Message, name: str) -> str:
    value = message.get_param(name)
    return value.lower() if isinstance(value, str) else ""


def _short(text: str) -> str:
    return " ".join(text.split())[:REASON_LIMIT]
