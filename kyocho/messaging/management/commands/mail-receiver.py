from __future__ import annotations

import errno
import imaplib
import ssl
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kyocho.core import server
from kyocho.core.errors import InvalidInput
from kyocho.core.management.commands._base import KyochoCommand
from kyocho.messaging import imap
from kyocho.messaging.receiver import MailReceiver, starttls_context


class Command(KyochoCommand):
    help = (
        "Receive mail for kyocho: an SMTP (or, with --lmtp, LMTP) listener that stores each message "
        "before it answers 250; sorting is done by the task worker (`kyocho serve` or `kyocho worker`). "
        "With --imap-once it instead polls the KYOCHO_IMAP_* mailbox once and exits. "
        "Ctrl+C or SIGTERM stops the listener after the messages being stored."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default: %(default)s).")
        parser.add_argument("--port", type=int, default=2525, help="Port to listen on (default: %(default)s).")
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP (RFC 2033), e.g. behind Postfix.")
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=None,
            help="Largest message accepted (default: KYOCHO_INBOUND_MAX_BYTES, 25 MiB).",
        )
        parser.add_argument("--tls-cert", default="", help="Certificate chain (PEM) to offer STARTTLS with.")
        parser.add_argument("--tls-key", default="", help="Private key (PEM, unencrypted) of --tls-cert.")
        parser.add_argument(
            "--require-tls",
            action="store_true",
            help="Refuse mail until the client has started TLS (needs --tls-cert).",
        )
        parser.add_argument(
            "--imap-once", action="store_true", help="Poll the configured IMAP mailbox once, print counts, exit."
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        lmtp: bool,
        max_bytes: int | None,
        tls_cert: str,
        tls_key: str,
        require_tls: bool,
        imap_once: bool,
        **options: Any,
    ) -> None:
        if imap_once:
            self._poll_once()
            return
        if not 0 < port < 65536:
            raise InvalidInput(_("Choose a port between 1 and 65535."), field="port")
        limit = max_bytes or settings.KYOCHO["INBOUND_MAX_BYTES"]
        if require_tls and lmtp:
            message = _("--require-tls works with SMTP only; over LMTP, STARTTLS is offered but cannot be required.")
            raise InvalidInput(message, field="require_tls")
        tls = _tls_context(tls_cert, tls_key, required=require_tls)
        receiver = MailReceiver(host=host, port=port, lmtp=lmtp, max_bytes=limit, tls=tls, require_tls=require_tls)
        try:
            receiver.start()
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                message = _(
                    "Port %(port)d on %(host)s is already in use: stop the other server or choose another --port."
                )
                raise InvalidInput(message % {"port": port, "host": host}, field="port") from error
            raise
        protocol = "lmtp" if lmtp else "smtp"
        starttls = " with STARTTLS required" if require_tls else " with STARTTLS" if tls else ""
        self.stdout.write(f"kyocho mail-receiver listening on {protocol}://{host}:{port}/{starttls}  (Ctrl+C stops it)")
        self.stdout.flush()
        with server.interrupted_by_signals():
            try:
                server.wait_forever()
            except KeyboardInterrupt:
                pass
            finally:
                receiver.stop()
        self.stdout.write("kyocho mail-receiver stopped")

    def _poll_once(self) -> None:
        try:
            counts = imap.poll(imap.configured())
        except (imaplib.IMAP4.error, imap.ImapError, OSError) as error:
            self.stderr.write(_("The IMAP mailbox could not be polled: %(error)s") % {"error": error})
            raise SystemExit(1) from error
        self.stdout.write(
            _("Stored %(stored)d new message(s); %(already)d had been stored before.")
            % {
                "stored": counts["stored"],
                "already": counts["already_stored"],
            }
        )


def _tls_context(cert_file: str, key_file: str, *, required: bool) -> ssl.SSLContext | None:
    if not cert_file and not key_file:
        if required:
            raise InvalidInput(_("--require-tls needs a certificate: give --tls-cert and --tls-key."), field="tls_cert")
        return None
    if not (cert_file and key_file):
        raise InvalidInput(_("Give both --tls-cert and --tls-key."), field="tls_cert" if not cert_file else "tls_key")
    try:
        return starttls_context(cert_file, key_file)
    except (OSError, ssl.SSLError) as error:
        message = _("The certificate %(cert)s and key %(key)s could not be loaded: %(error)s")
        raise InvalidInput(message % {"cert": cert_file, "key": key_file, "error": error}, field="tls_cert") from error
