"""Handing messages to the SMTP relay, from the worker's own threads or from helper processes.

A notification to hundreds of developers is a batch that one Python process sends on one core: signing,
encrypting and the SMTP conversation all hold the interpreter lock. For such a batch the outbox starts
a few helper processes. They are spawned (fresh interpreters: the worker has threads, and forking a
threaded process can leave a lock held forever in the child) and know nothing of the database or of
Django's settings: each gets the relay's parameters and the coordinator's signing key when it starts,
then parcels — a message's envelope fields, its content entity and its recipient's key — and answers
with what became of each. The worker itself reads the rows and records the outcomes.
"""

from __future__ import annotations

import functools
import smtplib
from dataclasses import dataclass
from multiprocessing.util import Finalize
from typing import Any

import pysequoia


@dataclass(frozen=True)
class Relay:
    """What Django's SMTP backend is built with: the site's settings, passed to a helper as they are."""

    host: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    timeout: float | None
    ssl_keyfile: str | None
    ssl_certfile: str | None


@dataclass(frozen=True)
class Parcel:
    """One message as the wire needs it: sealed to ``recipient_key`` unless that is empty."""

    sender: str  # the envelope sender, as Django's backend would give it
    to: str
    envelope: list[bytes]  # the header fields that stay readable, each serialised without its line end
    entity: bytes  # the content: Content-* fields, a blank line, the body
    recipient_key: str


@dataclass(frozen=True)
class Failure:
    """Why a message was not sent, and whether trying again can help."""

    description: str
    permanent: bool


def failure_of(error: Exception) -> Failure:
    """The relay said no for good (5xx for the recipient or the content), or not: everything else —
    connection refused, timeouts, 4xx, authentication — may pass."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        permanent = all(code >= 500 for code, _message in error.recipients.values())
    else:
        permanent = isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500
    return Failure(f"{type(error).__name__}: {error}"[:2000], permanent)


def wire(parcel: Parcel, signer: Any) -> bytes:
    """The message on the wire (CRLF): PGP/MIME signed by ``signer`` and encrypted to the recipient's
    key, or plain MIME when the parcel has no key."""
    from kyocho.messaging.pgpmime import seal_entity

    if parcel.recipient_key:
        return seal_entity(parcel.envelope, parcel.entity, recipient_armored_key=parcel.recipient_key, signer=signer)
    return b"\r\n".join([*parcel.envelope, b"MIME-Version: 1.0", parcel.entity])


# --- Inside a helper process ---------------------------------------------------------------------------


class _Helper:
    """One SMTP connection, kept open from message to message and opened again after a failure."""

    def __init__(self, relay: Relay, signer: Any) -> None:
        from django.core.mail.backends.smtp import EmailBackend

        self._backend = EmailBackend(fail_silently=False, **relay.__dict__)
        self._signer = signer

    def send(self, parcel: Parcel) -> Failure | None:
        try:
            self._backend.open()  # a no-op while the connection is open
            # The addresses as Django's backend gives them to smtplib (international domains in punycode).
            sender, to = _envelope_address(parcel.sender), _envelope_address(parcel.to)
            connection = self._backend.connection
            assert connection is not None  # open() made it
            connection.sendmail(sender, [to], wire(parcel, self._signer))
        except Exception as error:
            self._backend.close()
            return failure_of(error)
        return None

    def close(self) -> None:
        self._backend.close()


@functools.lru_cache(maxsize=16)
def _envelope_address(address: str) -> str:
    from django.core.mail.message import sanitize_address

    return sanitize_address(address, "utf-8")


_helper: _Helper | None = None


def start_helper(relay: Relay, coordinator_secret_key: str) -> None:
    """A helper process's initialiser. Django is configured with its defaults only so that messages
    of errors raised in the helper can be written (the site's settings stay in the worker)."""
    global _helper
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)
    _helper = _Helper(relay, pysequoia.Tsk.from_bytes(coordinator_secret_key.encode()).signer())
    Finalize(_helper, _helper.close, exitpriority=10)  # QUIT when the pool shuts the helper down


def send_parcels(parcels: list[Parcel]) -> list[Failure | None]:
    """Run in a helper: each parcel sealed and sent, in order; None for each one the relay accepted."""
    assert _helper is not None, "start_helper was not run in this process"
    return [_helper.send(parcel) for parcel in parcels]
