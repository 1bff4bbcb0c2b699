"""The outbox: the only writers of ``OutboundEmail``.

``enqueue_email`` writes the message in the caller's transaction, so the email exists if and only if
the change that caused it committed. Delivery happens afterwards, outside any transaction: a task
claims the row (pending → sending) with a conditional update, talks to the SMTP relay, and records the
outcome. A temporary failure puts the row back to pending with exponential backoff; nothing is lost
while the relay is down, and ``deliver_due_emails`` (run by the scheduler) picks up whatever is due.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser as email_parser
import email.policy as email_policy
import functools
import logging
import multiprocessing
import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage as DjangoEmailMessage
from django.core.mail import get_connection
from django.core.mail.message import make_msgid
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from kyocho.audit.actions import Entry, record, record_many
from kyocho.core.actions import required_text
from kyocho.core.clock import now
from kyocho.core.errors import InvalidInput
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.openpgp import coordinator_secret_key
from kyocho.messaging.pgpmime import recipient_fingerprint
from kyocho.messaging.rendering import check_language, render_email
from kyocho.messaging.sending import Failure, Parcel, Relay, failure_of, send_parcels, start_helper, wire
from kyocho.messaging.signals import email_outcome
from kyocho.messaging.workflow import EMAIL, EmailStatus

logger = logging.getLogger(__name__)

FIRST_RETRY_DELAY = dt.timedelta(minutes=2)
LONGEST_RETRY_DELAY = dt.timedelta(hours=6)
# A row still "sending" after this long belongs to a worker that died mid-send; it is tried again.
# Longer than any SMTP conversation (EMAIL_TIMEOUT bounds each network step).
STALE_CLAIM_AFTER = dt.timedelta(minutes=15)
DEFAULT_MAX_ATTEMPTS = 8

# Headers the outbox sets itself: a caller adding Cc/Bcc would break "one message, one recipient".
_RESERVED_HEADERS = frozenset({"to", "cc", "bcc", "from", "sender", "subject", "message-id", "date"})
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable ASCII except colon
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]*(:[a-z0-9_]+)*$")


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient, as ``enqueue_emails`` queues it (see ``enqueue_email``)."""

    to: str
    subject: str
    body: str
    purpose: str
    language: str
    headers: Mapping[str, str] | None = None
    html: str = ""
    related: models.Model | None = None
    encrypt_to: str = ""
    key_fingerprint: str = ""


def enqueue_email(
    *,
    to: str,
    subject: str,
    body: str,
    purpose: str,
    language: str,
    actor: Any,
    headers: Mapping[str, str] | None = None,
    html: str = "",
    related: models.Model | None = None,
    encrypt_to: str = "",
    key_fingerprint: str = "",
) -> OutboundEmail:
    """Queue one message to one recipient. Call inside the transaction of the change it reports.

    With ``encrypt_to`` (one ASCII-armoured public key) the message is signed with the coordinator key
    and encrypted to that key alone when it is sent (PGP/MIME); the subject stays readable, so it must
    hold no case details."""
    outgoing = Outgoing(to, subject, body, purpose, language, headers, html, related, encrypt_to, key_fingerprint)
    return enqueue_emails([outgoing], actor=actor)[0]


def enqueue_emails(messages: list[Outgoing], *, actor: Any) -> list[OutboundEmail]:
    """Queue several messages (each to its one recipient) at once: checked like ``enqueue_email``,
    written with one insert and their audit events, delivered together after the commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enqueue_email must be called inside the transaction of the change it reports")
    if not messages:
        return []
    at = now()
    domain = urlparse(settings.SITE_URL).hostname or "localhost"
    emails = OutboundEmail.objects.bulk_create(_outbox_row(message, at, domain) for message in messages)
    record_many(
        Entry(
            "messaging:email:queued",
            actor,
            email,
            {
                "to": email.to,
                "purpose": email.purpose,
                "related": email.related,
                "encrypted_to": email.key_fingerprint or None,
            },
        )
        for email in emails
    )
    _deliver_after_commit([email.pk for email in emails])
    return emails


def _outbox_row(message: Outgoing, at: dt.datetime, domain: str) -> OutboundEmail:
    if message.encrypt_to and "BEGIN PGP PUBLIC KEY BLOCK" not in message.encrypt_to:
        raise InvalidInput(_("The recipient's OpenPGP key is missing or not ASCII-armoured."), field="encrypt_to")
    related = message.related
    return OutboundEmail(
        to=_single_recipient(message.to),
        subject=_subject_line(message.subject),
        body=_body(message.body),
        html=message.html or "",
        language=check_language(message.language),
        headers=_extra_headers(message.headers or {}),
        message_id=make_msgid(domain=domain),
        purpose=_purpose(message.purpose),
        related=f"{related._meta.label_lower}:{related.pk}" if related is not None else "",
        next_attempt_at=at,
        created_at=at,
        encrypt_to=message.encrypt_to,
        key_fingerprint=message.key_fingerprint,
    )


def enqueue_from_template(
    template: str,
    context: Mapping[str, Any],
    *,
    to: str,
    language: str,
    purpose: str,
    actor: Any,
    related: models.Model | None = None,
    headers: Mapping[str, str] | None = None,
    encrypt_to: str = "",
) -> OutboundEmail:
    """``render_email`` then ``enqueue_email``: the usual way to tell someone something. With
    ``encrypt_to`` the message is encrypted to that key when it is a usable one (see ``enqueue_email``)."""
    subject, body = render_email(template, context, language)
    fingerprint = recipient_fingerprint(encrypt_to) if encrypt_to else ""
    return enqueue_email(
        to=to,
        subject=subject,
        body=body,
        purpose=purpose,
        language=language,
        actor=actor,
        related=related,
        headers=headers,
        encrypt_to=encrypt_to if fingerprint else "",
        key_fingerprint=fingerprint,
    )


class _DeliveryBatch:
    """The rows one transaction queued, handed to one task after it commits: one SMTP connection for
    a notification to hundreds of developers instead of one per message."""

    def __init__(self) -> None:
        self.email_ids: list[int] = []

    def __call__(self) -> None:
        if len(self.email_ids) == 1:
            schedule_delivery(self.email_ids[0])
        else:
            schedule_batch_delivery(self.email_ids)


def _deliver_after_commit(email_ids: list[int]) -> None:
    # The batch is found among the transaction's on-commit callbacks, so a batch registered inside a
    # savepoint that rolled back is gone with it and a new one starts. Ids whose rows rolled back are
    # skipped at delivery (they cannot be claimed); whatever a lost task leaves, the sweep sends.
    for _savepoints, callback, _robust in transaction.get_connection().run_on_commit:
        if isinstance(callback, _DeliveryBatch):
            callback.email_ids.extend(email_ids)
            return
    batch = _DeliveryBatch()
    batch.email_ids.extend(email_ids)
    transaction.on_commit(batch, robust=True)


def schedule_delivery(email_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Hand the row to a worker. If this fails the row stays pending and the periodic sweep sends it."""
    from kyocho.messaging.tasks import deliver_email  # the tasks module imports this one

    task = deliver_email if run_after is None else deliver_email.using(run_after=run_after)
    task.enqueue(email_id)


def schedule_batch_delivery(email_ids: list[int]) -> None:
    from kyocho.messaging.tasks import deliver_emails

    deliver_emails.enqueue(email_ids)


def deliver(email_id: int, *, at: dt.datetime | None = None) -> str:
    """Try to send one due row. Returns its new status, or "skipped" when it was not ours to send
    (already sent, being sent by another worker, not due yet, or gone). Safe to run any number of times."""
    outcomes = deliver_batch([email_id], at=at)
    return next(iter(outcomes)) if outcomes else "skipped"


# Outcomes are written this many messages at a time: one transaction per chunk rather than per message.
# A worker that dies mid-chunk leaves those rows "sending"; they are sent again after STALE_CLAIM_AFTER
# (at least once, never lost).
OUTCOME_CHUNK = 50


def deliver_batch(email_ids: list[int], *, at: dt.datetime | None = None) -> dict[str, int]:
    """Send the due rows among ``email_ids`` over a few SMTP connections at once; counts of the new
    statuses ("skipped" for rows that were not ours to send). Safe to run any number of times."""
    at = at or now()
    claimed = _claim_all(email_ids, at)
    tally: Counter[str] = Counter({"skipped": len(email_ids) - len(claimed)} if len(email_ids) > len(claimed) else {})
    if not claimed:
        return dict(tally)
    with _senders_for(len(claimed)) as senders:
        # While the senders work on one chunk, this thread records how the previous one went.
        previous: tuple[list[OutboundEmail], Callable[[], list[Failure | None]]] | None = None
        for start in range(0, len(claimed), OUTCOME_CHUNK):
            chunk = list(OutboundEmail.objects.filter(pk__in=claimed[start : start + OUTCOME_CHUNK]))
            sending = senders.start(chunk)
            if previous is not None:
                tally.update(_record_outcomes(_outcomes(*previous), at=at))
            previous = (chunk, sending)
        if previous is not None:
            tally.update(_record_outcomes(_outcomes(*previous), at=at))
    return dict(tally)


def _outcomes(
    emails: list[OutboundEmail], sending: Callable[[], list[Failure | None]]
) -> list[tuple[OutboundEmail, Failure | None]]:
    return list(zip(emails, sending(), strict=True))


def smtp_connections() -> int:
    return int(settings.KYOCHO.get("SMTP_CONNECTIONS", 2))


def mail_processes() -> int:
    return int(settings.KYOCHO.get("MAIL_PROCESSES", 2))


# Below this many messages, starting helper processes (a fresh interpreter each, about 0.15 s) costs
# more than the second core saves.
HELPER_BATCH = 200
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _senders_for(count: int) -> _Senders | _Helpers:
    """Helper processes for a large batch to an SMTP relay, else threads of this worker (which also
    serve any other mail backend, such as the test suite's)."""
    return _Helpers(mail_processes()) if uses_helpers(count) else _Senders(min(smtp_connections(), count))


def uses_helpers(count: int) -> bool:
    return count >= HELPER_BATCH and mail_processes() > 1 and settings.EMAIL_BACKEND == SMTP_BACKEND


class _Senders:
    """A few threads, each with an SMTP connection of its own kept open for the whole batch: while one
    waits for the relay's answers (four round trips a message), another writes and sends the next
    message. Only the sending happens here; the worker's own thread reads and records the rows."""

    def __init__(self, count: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(count, 1), thread_name_prefix="smtp")
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    def __enter__(self) -> _Senders:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._pool.shutdown(wait=True)
        for connection in self._connections:
            connection.close()

    def start(self, emails: list[OutboundEmail]) -> Callable[[], list[Failure | None]]:
        """Start sending; the returned call waits for the outcomes (None for each message sent)."""
        futures = [self._pool.submit(self._send, email) for email in emails]
        return lambda: [future.result() for future in futures]

    def _send(self, email: OutboundEmail) -> Failure | None:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # Opened by the first message, not here: a relay that is down is a failed attempt of each row.
            connection = self._local.connection = get_connection(fail_silently=False)
            with self._lock:
                self._connections.append(connection)
        return _try_send(email, connection)


def _try_send(email: OutboundEmail, connection: Any) -> Failure | None:
    try:
        # Opened here, kept open for the next message: Django's backend closes only what it opened itself.
        connection.open()
        connection.send_messages([_PreparedEmail(email)])
    except Exception as error:
        connection.close()  # the next message opens a fresh connection rather than reuse a broken one
        return _logged(email, failure_of(error))
    return None


def _logged(email: OutboundEmail, failure: Failure | None) -> Failure | None:
    if failure is not None:
        logger.warning(
            "email %s to %s not sent (attempt %s): %s", email.pk, email.to, email.attempts, failure.description
        )
    return failure


class _Helpers:
    """Helper processes (``messaging.sending``), each with its SMTP connection: every chunk is split
    between them in order, and its outcomes come back in that order."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._pool = ProcessPoolExecutor(
            max_workers=count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_helper,
            initargs=(_relay(), coordinator_secret_key()),
        )

    def __enter__(self) -> _Helpers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._pool.shutdown(wait=True)

    def start(self, emails: list[OutboundEmail]) -> Callable[[], list[Failure | None]]:
        parcels = [_parcel(email) for email in emails]
        size = -(-len(parcels) // self._count)  # ceiling: at most one share per helper
        futures = [self._pool.submit(send_parcels, parcels[i : i + size]) for i in range(0, len(parcels), size)]
        return lambda: [
            _logged(email, outcome)
            for email, outcome in zip(
                emails, [outcome for future in futures for outcome in future.result()], strict=True
            )
        ]


def _relay() -> Relay:
    return Relay(
        host=settings.EMAIL_HOST,
        port=settings.EMAIL_PORT,
        username=settings.EMAIL_HOST_USER,
        password=settings.EMAIL_HOST_PASSWORD,
        use_tls=settings.EMAIL_USE_TLS,
        use_ssl=settings.EMAIL_USE_SSL,
        timeout=settings.EMAIL_TIMEOUT,
        ssl_keyfile=settings.EMAIL_SSL_KEYFILE,
        ssl_certfile=settings.EMAIL_SSL_CERTFILE,
    )


def deliver_due_emails(at: dt.datetime, *, limit: int = 200) -> dict[str, int]:
    """Send what is due at ``at``: new rows whose task never ran, retries, and abandoned claims."""
    due = list(OutboundEmail.objects.filter(_due(at)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    return deliver_batch(due, at=at) if due else {}


def max_attempts() -> int:
    return int(settings.KYOCHO.get("MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def retry_delay(attempts: int) -> dt.timedelta:
    """2, 4, 8, … minutes after the 1st, 2nd, 3rd … failed attempt, at most six hours."""
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), LONGEST_RETRY_DELAY)


# Validation of what a caller queues.


def _single_recipient(to: Any) -> str:
    address = to.strip() if isinstance(to, str) else ""
    if not address or any(separator in address for separator in ",;<>"):
        raise InvalidInput(_("Give exactly one recipient address; send one message per recipient."), field="to")
    try:
        validate_email(address)
    except ValidationError as error:
        raise InvalidInput(_("Enter a valid email address."), field="to") from error
    return address


def _subject_line(subject: str) -> str:
    subject = required_text(subject, "subject", _("Subject"), max_length=300)
    if "\n" in subject or "\r" in subject:
        raise InvalidInput(_("The subject must be a single line."), field="subject")
    return subject


def _body(body: str) -> str:
    required_text(body, "body", _("Message"))
    return body  # as written: leading indentation and the final newline belong to the text


def _purpose(purpose: str) -> str:
    if not isinstance(purpose, str) or len(purpose) > 64 or not _PURPOSE.match(purpose):
        raise InvalidInput(_("The purpose must look like “report:acknowledgement”."), field="purpose")
    return purpose


def _extra_headers(headers: Mapping[str, str]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in headers.items():
        if not (isinstance(name, str) and _HEADER_NAME.match(name) and isinstance(value, str)):
            raise InvalidInput(_("Header names must be plain ASCII words and values text."), field="headers")
        if name.lower() in _RESERVED_HEADERS:
            raise InvalidInput(
                _("The header “%(name)s” is set by the outbox itself.") % {"name": name}, field="headers"
            )
        if "\n" in value or "\r" in value:
            raise InvalidInput(_("A header value must be a single line."), field="headers")
        clean[name] = value
    return clean


# Delivery.


def _due(at: dt.datetime) -> Q:
    return Q(status=EmailStatus.PENDING, next_attempt_at__lte=at) | Q(
        status=EmailStatus.SENDING, claimed_at__lt=at - STALE_CLAIM_AFTER
    )


def _claim(email_id: int, at: dt.datetime) -> bool:
    return bool(_claim_all([email_id], at))


def _claim_all(email_ids: list[int], at: dt.datetime) -> list[int]:
    """pending → sending for exactly one caller: the due rows among ``email_ids`` are locked, then
    claimed in one update (another worker waits for the lock and then finds them not due). In the
    order given."""
    wanted = list(dict.fromkeys(email_ids))
    with transaction.atomic():
        due = set(
            OutboundEmail.objects.select_for_update().filter(_due(at), pk__in=wanted).values_list("pk", flat=True)
        )
        OutboundEmail.objects.filter(pk__in=due).update(
            status=EmailStatus.SENDING, claimed_at=at, attempts=F("attempts") + 1
        )
    return [email_id for email_id in wanted if email_id in due]


def mime_message(email: OutboundEmail) -> EmailMessage:
    """The message as it goes out, parsed (for reading it; the outbox sends ``wire_bytes``)."""
    parsed = email_parser.BytesParser(policy=email_policy.default).parsebytes(wire_bytes(email))
    assert isinstance(parsed, EmailMessage)
    return parsed


def wire_bytes(email: OutboundEmail) -> bytes:
    """The message as it goes out (CRLF): plain MIME, or PGP/MIME signed and encrypted to the row's key.
    Written from its parts: building and serialising a whole EmailMessage per recipient cost more than
    signing and encrypting it (``kyocho bench notify``)."""
    return wire(_parcel(email), signer=None)


def _parcel(email: OutboundEmail) -> Parcel:
    return Parcel(
        sender=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        envelope=_envelope(email),
        entity=_content_entity(email),
        recipient_key=email.encrypt_to,
    )


def _envelope(email: OutboundEmail) -> list[bytes]:
    return [
        _folded("From", settings.DEFAULT_FROM_EMAIL),
        _plain_field("To", email.to),  # one plain address: checked when queued
        _unstructured("Subject", email.subject),
        _plain_field("Date", formatdate(localtime=False)),
        _plain_field("Message-ID", email.message_id),
        _plain_field("Auto-Submitted", "auto-generated"),  # RFC 3834: auto-responders must not answer
        *(_field(name, value) for name, value in email.headers.items()),
    ]


def _content_entity(email: OutboundEmail) -> bytes:
    """The text (and HTML) and its language, as a MIME entity: Content-* fields, blank line, body.
    Base64 unless plain ASCII, so no relay needs 8BITMIME. Written out directly: the email package's
    generator cost a third of the time it takes to sign and encrypt a message (``kyocho bench notify``)."""
    charset = "us-ascii" if _fits_7bit(email.body) and _fits_7bit(email.html) else "utf-8"
    language = b"Content-Language: " + email.language.encode("ascii")
    fields, body = _text_part("plain", email.body, charset)
    if email.html:
        fields, body = _alternatives([(fields, body), _text_part("html", email.html, charset)])
    return b"\r\n".join([*fields, language, b"", body])


def _alternatives(parts: list[tuple[list[bytes], bytes]]) -> tuple[list[bytes], bytes]:
    """multipart/alternative of the parts, in order of preference (RFC 2046 §5.1.4: the last is best)."""
    boundary = f"kyocho-alt-{secrets.token_hex(12)}".encode()  # random: no line of the text is it
    body = b"\r\n".join(
        [
            *(b"--" + boundary + b"\r\n" + b"\r\n".join([*head, b"", text]) for head, text in parts),
            b"--" + boundary + b"--",
            b"",
        ]
    )
    return [b'Content-Type: multipart/alternative; boundary="' + boundary + b'"'], body


def _text_part(subtype: str, text: str, charset: str) -> tuple[list[bytes], bytes]:
    """(Content-* fields, body) of one text part: 7bit lines as they are, else UTF-8 in base64."""
    content_type = f'Content-Type: text/{subtype}; charset="{charset}"'.encode("ascii")
    if charset == "us-ascii":
        return [content_type, b"Content-Transfer-Encoding: 7bit"], _LINE_BREAK.sub("\r\n", text).encode("ascii")
    encoded = base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")  # lines of 76 (RFC 2045)
    return [content_type, b"Content-Transfer-Encoding: base64"], encoded


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _fits_7bit(text: str) -> bool:
    """ASCII in lines SMTP carries as they are (RFC 5322: at most 998 characters)."""
    return text.isascii() and all(len(line) <= 998 for line in _LINE_BREAK.split(text))


def _plain_field(name: str, value: str) -> bytes:
    """A field whose value kyocho wrote itself, in plain ASCII on one line."""
    return f"{name}: {value}".encode("ascii")


# A bare address (no display name, nothing to quote), such as the Reply-To addresses kyocho makes.
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _field(name: str, value: str) -> bytes:
    """A caller's extra field: a bare address as it is, anything else as the email package writes it."""
    if len(value) <= 200 and _BARE_ADDRESS.fullmatch(value):
        return _plain_field(name, value)
    return _folded(name, value)


def _unstructured(name: str, value: str) -> bytes:
    """Text such as a subject: as it is when short plain ASCII, else encoded and folded (RFC 2047)."""
    if value.isascii() and value.isprintable() and len(name) + len(value) + 2 <= 78:
        return _plain_field(name, value)
    return _folded(name, value)


@functools.lru_cache(maxsize=1024)
def _folded(name: str, value: str) -> bytes:
    """A field as the email package writes it (addresses parsed and quoted, non-ASCII encoded)."""
    field = email_policy.SMTP.header_factory(name, value)
    return field.fold(policy=email_policy.SMTP).rstrip("\r\n").encode("ascii")


class _Wire:
    """What Django's SMTP backend asks of a message: its bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def as_bytes(self, linesep: str = "\r\n") -> bytes:
        return self._data if linesep == "\r\n" else self._data.replace(b"\r\n", linesep.encode())


class _PreparedEmail(DjangoEmailMessage):
    """An outbox row for Django's mail backends, which keep the SMTP settings (host, TLS, login)."""

    def __init__(self, email: OutboundEmail) -> None:
        super().__init__(subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to])
        self._wire = _Wire(wire_bytes(email))

    def message(self, *, policy: Any = None) -> Any:  # type: ignore[override]
        return self._wire


def _record_outcomes(results: list[tuple[OutboundEmail, Failure | None]], *, at: dt.datetime) -> Counter[str]:
    """Write what became of each message: the rows, their audit events and the outcome signal, with
    one lock, one update and one insert of events for the whole chunk."""
    sent_at = now()  # the chunk's outcomes are recorded together, at this instant
    tally: Counter[str] = Counter()
    with transaction.atomic():
        locked = OutboundEmail.objects.select_for_update().filter(pk__in=[email.pk for email, _error in results])
        still_ours = set(locked.filter(status=EmailStatus.SENDING).values_list("pk", flat=True))
        recorded: list[tuple[OutboundEmail, Entry | None]] = []
        for email, failure in results:
            if email.pk not in still_ours:  # a stale claim taken over by another worker, or gone
                tally["skipped"] += 1
                continue
            recorded.append((email, _sent(email, sent_at) if failure is None else _failure(email, failure, at=at)))
            tally[email.status] += 1
        if recorded:
            _save_outcomes([email for email, _entry in recorded])
            record_many(entry for _email, entry in recorded if entry is not None)
            finished = [email for email, _entry in recorded if email.status != EmailStatus.PENDING]
            if finished:
                email_outcome.send(OutboundEmail, emails=finished)
            for email, _entry in recorded:
                if email.status == EmailStatus.PENDING:
                    _retry_after_commit(email.pk, email.next_attempt_at)
    if not tally["skipped"]:
        del tally["skipped"]
    return tally


def _save_outcomes(emails: list[OutboundEmail]) -> None:
    """One update for the messages sent (usually all of them), one each for the others."""
    sent = [email for email in emails if email.status == EmailStatus.SENT]
    if sent:
        OutboundEmail.objects.filter(pk__in=[email.pk for email in sent]).update(
            status=EmailStatus.SENT, sent_at=sent[0].sent_at, last_error=""
        )
    for email in emails:
        if email.status != EmailStatus.SENT:
            email.save(update_fields=["status", "last_error", "next_attempt_at"])


def _sent(email: OutboundEmail, at: dt.datetime) -> Entry:
    EMAIL.check(email.status, EmailStatus.SENT)
    email.status = EmailStatus.SENT
    email.sent_at = at
    email.last_error = ""
    return Entry("messaging:email:sent", None, email, {"attempts": email.attempts})


def _failure(email: OutboundEmail, failure: Failure, *, at: dt.datetime) -> Entry | None:
    """Failed for good (a permanent refusal, or the last attempt: audited), else pending again after a
    backoff."""
    email.last_error = failure.description
    if failure.permanent or email.attempts >= max_attempts():
        EMAIL.check(email.status, EmailStatus.FAILED)
        email.status = EmailStatus.FAILED
        return Entry("messaging:email:failed", None, email, {"attempts": email.attempts, "error": email.last_error})
    EMAIL.check(email.status, EmailStatus.PENDING)
    email.status = EmailStatus.PENDING
    email.next_attempt_at = at + retry_delay(email.attempts)
    return None


def _retry_after_commit(email_id: int, retry_at: dt.datetime) -> None:
    transaction.on_commit(lambda: schedule_delivery(email_id, run_after=retry_at), robust=True)


def record_bounce(message_id: str, *, reason: str, actor: Any = None) -> OutboundEmail | None:
    """A delivery status notification said the message with ``message_id`` did not arrive. The row
    becomes bounced (and the contact attempt it carried, failed); None when no sent row has that id."""
    if not isinstance(message_id, str) or not message_id.strip():
        return None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(message_id=message_id.strip()).first()
        if email is None or email.status != EmailStatus.SENT:
            return None
        EMAIL.check(email.status, EmailStatus.BOUNCED)
        email.status = EmailStatus.BOUNCED
        email.bounced_at = now()
        email.last_error = _plain(reason)[:2000]
        email.save()
        record("messaging:email:bounced", actor=actor, subject=email, data={"reason": email.last_error})
        email_outcome.send(OutboundEmail, emails=[email])
    return email


def _plain(text: Any) -> str:
    return text.strip() if isinstance(text, str) else ""
