"""``kyocho mail-receiver``: an SMTP or LMTP listener (aiosmtpd) that stores every message it accepts.

It takes mail only for our own addresses: the plain coordinator/intake address and the reply
addresses ``local+TOKEN@domain`` (``cases.mail.mailbox``); anything else is refused at RCPT, so the
receiver can never relay. A message is answered ``250`` only after its row committed
(``inbound.store_inbound``); if storing fails the answer is a temporary ``451`` and the sending MTA
keeps the message and tries again. Given a certificate it offers STARTTLS (RFC 3207), and can refuse
mail sent without it. On SIGTERM it stops taking new connections and messages, lets the
messages being stored finish, then exits.

aiosmtpd runs its event loop in a thread of its own; the database is written from a small pool of
worker threads, never from the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.db import connections

from kyocho.cases import mail
from kyocho.messaging import openpgp
from kyocho.messaging.inbound import store_inbound

logger = logging.getLogger(__name__)
# aiosmtpd logs every SMTP command (addresses included) at INFO: far too much for a mail server's log.
logging.getLogger("mail.log").setLevel(logging.WARNING)

STORE_THREADS = 4
STOP_GRACE_SECONDS = 30
STORED = "250 2.0.0 Message stored"
NOT_STORED = "451 4.3.0 The message could not be stored; please try again later"
SHUTTING_DOWN = "421 4.3.2 The receiver is shutting down; please try again later"
NOT_OURS = "550 5.1.1 No such mailbox here"
NO_RELAY = "554 5.7.1 Relay access denied: this server takes mail for its own domain only"


def is_our_address(address: str) -> tuple[bool, bool]:
    """(our domain, a mailbox of ours) for an envelope recipient."""
    local, domain = mail.mailbox()
    address = parseaddr(address)[1].lower()
    _name, _at, host = address.rpartition("@")
    if host != domain.lower():
        return False, False
    plain = {f"{local}@{domain}".lower(), openpgp.coordinator_address().lower()}
    return True, address in plain or mail.token_of_address(address) is not None


class InboundHandler:
    """aiosmtpd handler: recipients checked at RCPT, the message stored at the end of DATA."""

    def __init__(self, *, lmtp: bool, executor: ThreadPoolExecutor) -> None:
        self.via = "lmtp" if lmtp else "smtp"
        self.executor = executor
        self.stopping = False
        self.in_flight = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if self.stopping:
            return SHUTTING_DOWN
        ours_domain, ours = is_our_address(address)
        if not ours:
            return NOT_OURS if ours_domain else NO_RELAY
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.in_flight += 1
        try:
            status = await asyncio.get_running_loop().run_in_executor(
                self.executor,
                self._store,
                bytes(envelope.original_content or b""),
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
            )
        finally:
            self.in_flight -= 1
        # LMTP answers once per recipient (RFC 2033 section 4.2); the one stored copy serves them all.
        return "\r\n".join([status] * len(envelope.rcpt_tos)) if self.via == "lmtp" else status

    def _store(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        try:
            store_inbound(raw, via=self.via, envelope_from="" if mail_from == "<>" else mail_from, envelope_to=rcpt_tos)
        except Exception:
            logger.exception("mail-receiver: a message from %s could not be stored", mail_from)
            return NOT_STORED
        finally:
            # One connection per message: mail arrives seldom, and a pool thread's idle connection would
            # outlive the database restarts and the receiver's own stop.
            connections.close_all()
        return STORED


class _Controller(Controller):
    def __init__(self, handler: InboundHandler, *, lmtp: bool, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)


def starttls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """The server side of STARTTLS: Python's defaults (TLS 1.2 or later, no weak ciphers)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


class MailReceiver:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        lmtp: bool,
        max_bytes: int,
        tls: ssl.SSLContext | None = None,
        require_tls: bool = False,
    ) -> None:
        if require_tls and (tls is None or lmtp):
            # aiosmtpd answers LHLO before STARTTLS with 530, so no LMTP client could ever start TLS.
            raise ValueError("requiring STARTTLS needs a certificate, and SMTP rather than LMTP")
        self.host, self.port, self.lmtp = host, port, lmtp
        self.executor = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="kyocho-mail-store")
        self.handler = InboundHandler(lmtp=lmtp, executor=self.executor)
        self.controller = _Controller(
            self.handler,
            lmtp=lmtp,
            hostname=host,
            port=port,
            data_size_limit=max_bytes,
            decode_data=False,
            enable_SMTPUTF8=True,
            ident="kyocho mail-receiver",
            tls_context=tls,
            require_starttls=require_tls,
        )

    def start(self) -> None:
        self.controller.start()

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Refuse new connections and recipients, let the messages being stored finish, then stop."""
        self.handler.stopping = True
        server = self.controller.server
        if server is not None:
            self.controller.loop.call_soon_threadsafe(server.close)
        deadline = time.monotonic() + grace
        while self.handler.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.handler.in_flight:
            logger.warning("mail-receiver: stopping with %d message(s) still being stored", self.handler.in_flight)
        self.controller.stop()
        self.executor.shutdown(wait=True)
