"""Inbound mail: the only writers of ``InboundMail`` (issue 5, items 3 and 4).

Storage comes first, always: ``store_inbound`` keeps the message whole (raw bytes, digest, envelope,
the few headers the lists show) and commits before anything parses its body; the receiver and the
IMAP poller acknowledge a message only after that. Sorting runs afterwards, as a task
(``sort_inbound``), and decides what the mail is:

1. a delivery status notification for mail kyocho sent: the outbox row becomes bounced (and the
   contact attempt it carried, failed) — status ``bounce``;
2. a reply to a reply address whose token names a case party, from one of that party's people:
   decrypted, its signature checked against the party's registered keys, and posted to the
   conversation — status ``threaded``;
3. anything else: a report in the intake queue — status ``intake``.

Whatever cannot be done (the mail cannot be decrypted, a bounce matches nothing we sent, an
attachment is refused, an unexpected error) leaves the mail ``held`` with the reason, for staff to
file into a thread, send to intake, or close with a note. Mail is never dropped.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from functools import partial
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyocho.accounts import permissions
from kyocho.accounts.models import User
from kyocho.audit.actions import record
from kyocho.cases import conversation_queries, conversations, mail, replies
from kyocho.cases.replies import ReplyParty
from kyocho.core.actions import lock, required_text
from kyocho.core.attachments import Upload
from kyocho.core.clock import now
from kyocho.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kyocho.intake import actions as intake
from kyocho.messaging import bounces, openpgp
from kyocho.messaging.actions import record_bounce
from kyocho.messaging.models import InboundMail, OutboundEmail
from kyocho.messaging.pgpmime import OpenedMessage, UnreadableMessage, open_message
from kyocho.messaging.workflow import INBOUND, InboundStatus

logger = logging.getLogger(__name__)

VIA = frozenset({"smtp", "lmtp", "imap"})
SWEEP_LIMIT = 200
# The sweep leaves fresh mail to the task queued when it was stored; it is for tasks that were lost.
SWEEP_AFTER = dt.timedelta(minutes=2)
NOTE_LIMIT = 5_000
# Where a reply address may appear: the envelope first, then what MTAs and clients write down.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")
# What a first copy may have become for a later copy to count as a repeat (a held one is staff's to file).
FILED = (InboundStatus.THREADED, InboundStatus.INTAKE, InboundStatus.BOUNCE)


class HoldReason(models.TextChoices):
    UNDECRYPTABLE = "undecryptable", gettext_lazy("It could not be decrypted with the coordinator key.")
    UNMATCHED_BOUNCE = "unmatched_bounce", gettext_lazy("It is a delivery report for no mail kyocho sent.")
    REFUSED = "refused", gettext_lazy("It could not be filed as it is.")
    FAILED = "failed", gettext_lazy("Sorting it failed unexpectedly.")


class Held(Exception):
    """Sorting stops here: the mail is held with this reason (and a detail for staff)."""

    def __init__(self, reason: HoldReason, detail: str = "") -> None:
        super().__init__(detail or reason.label)
        self.reason, self.detail = reason, detail

    @property
    def stored(self) -> str:
        return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value


def hold_reason(mail: InboundMail) -> tuple[str, str]:
    """(translated reason, detail) of a held mail, from what ``Held.stored`` wrote."""
    code, _colon, detail = mail.error.partition(": ")
    label = HoldReason(code).label if code in HoldReason.values else mail.error
    return str(label), detail if code in HoldReason.values else ""


# --- Storage ---------------------------------------------------------------------------------------


def store_inbound(
    raw: bytes,
    *,
    via: str,
    envelope_from: str = "",
    envelope_to: Sequence[str] = (),
    source_key: str = "",
) -> tuple[InboundMail, bool]:
    """Keep one message whole and commit; sorting is queued for after the commit. Returns the row and
    whether it is new: a ``source_key`` seen before (an IMAP message polled again) stores nothing."""
    if via not in VIA:
        raise InvalidInput(_("Unknown way of receiving mail."), field="via")
    if not isinstance(raw, bytes | bytearray):
        raise InvalidInput(_("A message is bytes."), field="raw")
    raw = bytes(raw)
    if source_key and (existing := InboundMail.objects.filter(source_key=source_key).first()) is not None:
        return existing, False
    try:
        with transaction.atomic():
            stored = InboundMail.objects.create(
                raw=raw,
                sha256=hashlib.sha256(raw).hexdigest(),
                source_key=source_key,
                via=via,
                envelope_from=_line(envelope_from, 320),
                envelope_to=[_line(address, 320) for address in envelope_to],
                received_at=now(),
                **_headers_of_interest(raw),
            )
            record(
                "messaging:inbound:received",
                actor=None,
                subject=stored,
                data={"via": via, "sha256": stored.sha256, "size": len(raw), "source_key": source_key or None},
            )
            mail_id = stored.pk
            transaction.on_commit(lambda: schedule_sorting(mail_id), robust=True)
    except IntegrityError:
        # Another poll stored the same source at the same moment: the unique constraint decided.
        existing = InboundMail.objects.filter(source_key=source_key).first() if source_key else None
        if existing is None:
            raise
        return existing, False
    return stored, True


def _headers_of_interest(raw: bytes) -> dict[str, str]:
    """From, Subject and Message-ID for the lists; blanks when the headers cannot be read."""
    try:
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        return {
            "from_address": _line(parseaddr(_header(headers, "From"))[1], 320),
            "subject": _line(_header(headers, "Subject"), 300),
            "message_id": _line(_header(headers, "Message-ID"), 300),
        }
    except Exception:  # a message is stored whatever its headers look like
        logger.warning("inbound mail: headers unreadable", exc_info=True)
        return {"from_address": "", "subject": "", "message_id": ""}


def _header(message: Message, name: str) -> str:
    values = _all(message, name)
    return _header_value(values[0]) if values else ""


def _all(message: Message, name: str) -> list[Any]:
    try:
        return list(message.get_all(name, []))
    except Exception:  # the email package raises various errors for malformed headers
        return []


def _header_value(value: Any) -> str:
    try:
        return str(value) if value is not None else ""
    except Exception:  # a header that cannot be decoded counts as missing
        return ""


def _line(value: str, limit: int) -> str:
    """One line of text that any database stores: no control characters, at most ``limit`` long."""
    text = "".join(char if char.isprintable() else " " for char in str(value or ""))
    return " ".join(text.split())[:limit]


def schedule_sorting(mail_id: int) -> None:
    """Hand the mail to a worker; if this fails, the periodic sweep sorts it."""
    from kyocho.messaging.tasks import sort_inbound_mail  # the tasks module imports this one

    sort_inbound_mail.enqueue(mail_id)


# --- Sorting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str
    related: str = ""
    signature: str = ""


# A route runs inside the transaction that moves the mail, with the locked row; it returns what the
# mail became or raises (Held, a DomainError) to hold it.
Route = Callable[[InboundMail], Outcome]


def sort_inbound(mail_id: int) -> str:
    """Sort one received mail; returns its status. Safe to run any number of times: only a mail still
    ``received`` is sorted, and the decision is taken again under the row's lock."""
    inbound = InboundMail.objects.filter(pk=mail_id).first()
    if inbound is None or inbound.status != InboundStatus.RECEIVED:
        return inbound.status if inbound is not None else "missing"
    try:
        route = _route(inbound)
    except Held as held:
        route = _raise(held)
    except Exception as error:  # never lose a mail to a bug: hold it with what went wrong
        logger.exception("inbound mail %s could not be sorted", mail_id)
        route = _raise(Held(HoldReason.FAILED, f"{type(error).__name__}: {error}"))
    return _carry_out(inbound.pk, route, actor=None).status


def sort_waiting_mail(at: dt.datetime, *, limit: int = SWEEP_LIMIT) -> dict[str, int]:
    """The sweep: sort whatever is still ``received`` (its task was lost or has not run yet)."""
    tally: dict[str, int] = {}
    waiting = InboundMail.objects.filter(status=InboundStatus.RECEIVED, received_at__lte=at - SWEEP_AFTER)
    for mail_id in waiting.order_by("received_at").values_list("pk", flat=True)[:limit]:
        status = sort_inbound(mail_id)
        tally[status] = tally.get(status, 0) + 1
    return tally


def _raise(held: Held) -> Route:
    def hold(mail: InboundMail) -> Outcome:
        raise held

    return hold


def _route(inbound: InboundMail) -> Route:
    """Decide what the mail is; reads (and runs gpg) outside any transaction, changes nothing."""
    earlier = _earlier_copy(inbound)
    if earlier is not None:
        return partial(_file_copy, earlier)
    raw = bytes(inbound.raw)  # PostgreSQL hands binary columns back as memoryview
    message = email.message_from_bytes(raw, policy=email.policy.default)
    null_sender = _null_sender(inbound)
    bounce = bounces.read_bounce(message, null_sender=null_sender)
    if bounce is not None:
        return partial(_file_bounce, bounce)
    automatic = bounces.is_automatic(message, null_sender=null_sender, own_addresses=_own_addresses())
    party = _reply_party(inbound, message)
    opened = _open(raw, party.sender_keys if party is not None else [])
    if party is not None and _belongs(party, inbound, opened):
        return partial(_post_reply, party, opened, True)
    return partial(_to_intake, opened, _display_name(message), not automatic, True)


def _earlier_copy(inbound: InboundMail) -> InboundMail | None:
    """The mail this one repeats, already filed: an MTA that delivers again after losing our answer, or a
    mailbox holding a message twice, brings the same Message-ID from the same sender with the same
    subject; filing it again would post the reply twice or open a second report."""
    if not inbound.message_id:
        return None
    copies = InboundMail.objects.filter(
        message_id=inbound.message_id,
        from_address=inbound.from_address,
        subject=inbound.subject,
        status__in=FILED,
    )
    return copies.exclude(pk=inbound.pk).order_by("pk").first()


def _file_copy(earlier: InboundMail, inbound: InboundMail) -> Outcome:
    # Kept, like every mail, and pointing at what its first copy became.
    return Outcome(InboundStatus.DUPLICATE, related=earlier.related)


def _belongs(party: ReplyParty, inbound: InboundMail, opened: OpenedMessage) -> bool:
    """A reply from the party, about the token's own case (a subject naming another case is not)."""
    return party.accepts(inbound.from_address, opened.signature) and not party.names_another_case(inbound.subject)


def _null_sender(inbound: InboundMail) -> bool:
    # The receiver knows the envelope; IMAP mail has none (its Return-Path header is read instead).
    return inbound.via != "imap" and inbound.envelope_from.strip() in {"", "<>"}


def _own_addresses() -> frozenset[str]:
    local, domain = mail.mailbox()
    return frozenset({openpgp.coordinator_address().lower(), f"{local}@{domain}".lower()})


def _reply_party(inbound: InboundMail, message: Message) -> ReplyParty | None:
    """The party named by the first reply token among the mail's recipients."""
    for address in _recipients(inbound, message):
        token = mail.token_of_address(address)
        if token:
            return replies.party_of_token(token)
    return None


def _recipients(inbound: InboundMail, message: Message) -> list[str]:
    addresses = list(inbound.envelope_to)
    for name in RECIPIENT_HEADERS:
        values = [_header_value(value) for value in _all(message, name)]
        addresses += [address for _name, address in getaddresses(values) if address]
    return addresses


def _open(raw: bytes, sender_keys: list[str]) -> OpenedMessage:
    try:
        return open_message(raw, sender_keys=sender_keys)
    except UnreadableMessage as error:
        raise Held(HoldReason.UNDECRYPTABLE, error.message) from error


def _display_name(message: Message) -> str:
    return parseaddr(_header(message, "From"))[0]


def _file_bounce(bounce: bounces.Bounce, inbound: InboundMail) -> Outcome:
    sent = OutboundEmail.objects.filter(message_id__in=bounce.message_ids).order_by("pk").first()
    if sent is None:
        raise Held(HoldReason.UNMATCHED_BOUNCE, ", ".join(bounce.message_ids[:3]))
    if bounce.failed:
        # None when the row was bounced before (a second report) or never sent: nothing more to record.
        record_bounce(sent.message_id, reason=bounce.reason or _("Delivery failed."))
    return Outcome(InboundStatus.BOUNCE, related=f"messaging.outboundemail:{sent.pk}")


def _uploads(opened: OpenedMessage, with_attachments: bool) -> list[Upload]:
    if not with_attachments:
        return []
    return [Upload(part.filename or "attachment", part.data) for part in opened.attachments if part.data]


def _post_reply(party: ReplyParty, opened: OpenedMessage, with_attachments: bool, inbound: InboundMail) -> Outcome:
    author_id = party.author_id(inbound.from_address)
    message = conversations.post_message_from_mail(
        party.thread_id,
        body=_fit(opened.text, conversations.MAX_BODY),
        organisation_id=party.organisation_id,
        author=None if author_id is None else _user(author_id),
        signature=opened.signature,
        attachments=_uploads(opened, with_attachments),
        inbound_mail_id=inbound.pk,
    )
    return Outcome(InboundStatus.THREADED, related=f"cases.message:{message.pk}", signature=opened.signature)


def _user(user_id: int) -> User:
    return User.objects.get(pk=user_id)


def _to_intake(
    opened: OpenedMessage, name: str, acknowledge: bool, with_attachments: bool, inbound: InboundMail
) -> Outcome:
    report = intake.submit_report_from_mail(
        reporter_email=inbound.from_address or inbound.envelope_from,
        reporter_name=name,
        subject=inbound.subject,
        text=opened.text,
        acknowledge=acknowledge,
        files=_uploads(opened, with_attachments),
        inbound_mail_id=inbound.pk,
    )
    return Outcome(InboundStatus.INTAKE, related=f"intake.report:{report.pk}", signature=opened.signature)


def _fit(text: str, limit: int) -> str:
    """A long mail (quoted history, usually) is cut to what a message holds; the whole mail stays here."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 2].rstrip() + "\n…"


def _carry_out(mail_id: int, route: Route, *, actor: Any, note: str = "") -> InboundMail:
    """Lock the mail, run ``route`` and record what the mail became, all in one transaction. For the
    system a failing route holds the mail; for staff (``actor``) the failure is theirs to see."""
    with transaction.atomic():
        inbound = lock(InboundMail, mail_id)
        if actor is None and inbound.status != InboundStatus.RECEIVED:
            return inbound  # sorted meanwhile by another worker
        # For staff a failure is theirs to see, so nothing is held for them.
        outcome = _outcome_or_held(inbound, route) if actor is None else route(inbound)
        _move(inbound, outcome, actor=actor, note=note)
    return inbound


def _outcome_or_held(inbound: InboundMail, route: Route) -> Outcome:
    try:
        with transaction.atomic():  # a savepoint: what the route wrote goes if it fails
            return route(inbound)
    except Held as held:
        inbound.error = held.stored
    except DomainError as error:
        inbound.error = Held(HoldReason.REFUSED, error.message).stored
    except Exception as error:  # hold, never lose: a bug must not drop a message
        logger.exception("inbound mail %s could not be filed", inbound.pk)
        inbound.error = Held(HoldReason.FAILED, f"{type(error).__name__}: {error}").stored
    return Outcome(InboundStatus.HELD)


def _move(inbound: InboundMail, outcome: Outcome, *, actor: Any, note: str) -> None:
    INBOUND.check(inbound.status, outcome.status)
    old = inbound.status
    inbound.status = outcome.status
    inbound.related = outcome.related or inbound.related
    inbound.signature = outcome.signature or inbound.signature
    inbound.sorted_at = now()
    if actor is not None:
        inbound.handled_by = actor
        inbound.handled_note = note
    record(
        f"messaging:inbound:{outcome.status}",
        actor=actor,
        subject=inbound,
        data={"from": old, "related": inbound.related or None, "reason": inbound.error or None, "note": note or None},
    )
    inbound.save()


# --- Staff: held mail --------------------------------------------------------------------------------


def _require_coordinator(actor: Any) -> None:
    """Held mail may hold any case's details: coordinators only. Other staff may know the queue exists."""
    if not permissions.is_coordinator(actor):
        if permissions.is_staff_member(actor):
            raise PermissionDenied(_("Only coordinators can do this."))
        raise NotFound()


def file_inbound_into_thread(mail_id: int, *, thread_id: int, actor: Any, with_attachments: bool = True) -> InboundMail:
    """A coordinator files a held mail into a developer's, partner's or the reporter's thread, as written
    by that party (the signature is checked against the party's keys)."""
    _require_coordinator(actor)
    inbound = _held_mail(mail_id, InboundStatus.THREADED)
    party = replies.party_of_thread(conversation_queries.get_thread(actor, thread_id))
    opened = open_message(bytes(inbound.raw), sender_keys=party.sender_keys)  # undecryptable: the error is shown
    return _carry_out(inbound.pk, partial(_post_reply, party, opened, with_attachments), actor=actor)


def send_inbound_to_intake(mail_id: int, *, actor: Any, with_attachments: bool = True) -> InboundMail:
    """A coordinator sends a held mail to the intake queue, as a report from its sender."""
    _require_coordinator(actor)
    inbound = _held_mail(mail_id, InboundStatus.INTAKE)
    raw = bytes(inbound.raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    automatic = bounces.is_automatic(message, null_sender=_null_sender(inbound), own_addresses=_own_addresses())
    opened = open_message(raw, sender_keys=[])
    route = partial(_to_intake, opened, _display_name(message), not automatic, with_attachments)
    return _carry_out(inbound.pk, route, actor=actor)


def mark_inbound_handled(mail_id: int, *, note: str, actor: Any) -> InboundMail:
    """A coordinator closes a held mail with a note saying what was done (e.g. "asked to resend")."""
    _require_coordinator(actor)
    note = required_text(note, "note", _("Note"), max_length=NOTE_LIMIT)
    inbound = _held_mail(mail_id, InboundStatus.HANDLED)
    return _carry_out(inbound.pk, lambda _mail: Outcome(InboundStatus.HANDLED), actor=actor, note=note)


def _held_mail(mail_id: Any, target: str) -> InboundMail:
    """The mail, checked early (the check is repeated under the lock) so that no gpg work is wasted."""
    try:
        inbound = InboundMail.objects.get(pk=mail_id)
    except (InboundMail.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error
    INBOUND.check(inbound.status, target)
    return inbound
