"""Polling an IMAP mailbox: the alternative to ``kyocho mail-receiver`` for sites whose mail server
delivers into a mailbox (issue 5, item 4).

Each new message is fetched without touching its flags (``BODY.PEEK[]``), stored with a source key
made of the mailbox, its UIDVALIDITY and the message's UID, and only once that row committed is the
message marked ``\\Seen``, deleted or moved (``KYOCHO_IMAP_AFTER``). A poll that is interrupted
anywhere is simply run again: a message it stored before is recognised by its source key and stored
nothing twice; one it had not stored yet is still new on the server.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput
from kyocho.messaging.inbound import store_inbound

BATCH = 100  # messages per poll: a large backlog is worked off over several polls
TIMEOUT_SECONDS = 60
SEEN, DELETE, MOVE = "seen", "delete", "move"


class ImapError(RuntimeError):
    """The server refused a command: the poll stops; what it stored stays stored."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    user: str
    password: str
    port: int = 0  # 0: 993 with TLS "ssl", else 143
    mailbox: str = "INBOX"
    tls: str = "ssl"  # ssl (IMAPS), starttls, none (a server on this machine only)
    ca_file: str = ""  # authorities the server's certificate must chain to; empty: the system's
    after: str = SEEN  # what happens to a message once it is stored: seen, delete, move
    move_to: str = ""
    batch: int = BATCH

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.tls == "ssl" else 143)


def is_configured() -> bool:
    return bool(settings.KYOCHO["IMAP"]["HOST"])


def configured() -> ImapSettings:
    """The mailbox of the ``KYOCHO_IMAP_*`` settings."""
    values = settings.KYOCHO["IMAP"]
    if not values["HOST"]:
        raise InvalidInput(_("No IMAP mailbox is configured (KYOCHO_IMAP_HOST)."), field="KYOCHO_IMAP_HOST")
    return ImapSettings(
        host=values["HOST"],
        port=values["PORT"],
        user=values["USER"],
        password=values["PASSWORD"],
        mailbox=values["MAILBOX"],
        tls=values["TLS"],
        ca_file=values["CA_FILE"],
        after=values["AFTER"],
        move_to=values["MOVE_TO"],
    )


def poll(config: ImapSettings) -> dict[str, int]:
    """Store the mailbox's new messages; counts of ``stored`` and ``already_stored`` ones."""
    tally = {"stored": 0, "already_stored": 0}
    with _session(config) as imap:
        uidvalidity = _select(imap, config.mailbox)
        can_move = "MOVE" in _capabilities(imap)
        for uid in _waiting(imap, config)[: config.batch]:
            raw = _fetch(imap, uid)
            if raw is None:  # expunged by someone else meanwhile
                continue
            _mail, new = store_inbound(raw, via="imap", source_key=f"imap:{config.mailbox}:{uidvalidity}:{uid}")
            tally["stored" if new else "already_stored"] += 1
            _mark(imap, uid, config, can_move=can_move)  # only now: the row has committed
        if config.after == DELETE or (config.after == MOVE and not can_move):
            _ok(imap.expunge(), "EXPUNGE")
    return tally


@contextmanager
def _session(config: ImapSettings) -> Iterator[imaplib.IMAP4]:
    port = config.effective_port
    imap: imaplib.IMAP4
    if config.tls == "ssl":
        imap = imaplib.IMAP4_SSL(config.host, port, ssl_context=_tls_context(config), timeout=TIMEOUT_SECONDS)
    else:
        imap = imaplib.IMAP4(config.host, port, timeout=TIMEOUT_SECONDS)
        if config.tls == "starttls":
            _ok(imap.starttls(ssl_context=_tls_context(config)), "STARTTLS")
    try:
        _ok(imap.login(config.user, config.password), "LOGIN")
        yield imap
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):  # the connection is going away either way
            imap.logout()


def _tls_context(config: ImapSettings) -> ssl.SSLContext:
    """The server's certificate is checked, name included, against the system's or the given authorities."""
    return ssl.create_default_context(cafile=config.ca_file or None)


def _select(imap: imaplib.IMAP4, mailbox: str) -> str:
    _ok(imap.select(_quoted(mailbox)), f"SELECT {mailbox}")
    _name, values = imap.response("UIDVALIDITY")
    if not values or values[0] is None:
        raise ImapError(f"the server gave no UIDVALIDITY for {mailbox}")
    return _text(values[0])


def _capabilities(imap: imaplib.IMAP4) -> set[str]:
    # Asked again after login: servers announce more (MOVE, UIDPLUS) to an authenticated client.
    _status, data = imap.capability()
    return {word.upper() for word in _text(data[0] if data else b"").split()}


def _waiting(imap: imaplib.IMAP4, config: ImapSettings) -> list[str]:
    """UIDs still to take: unseen ones when kyocho marks what it took, else all that are not deleted."""
    criterion = "UNSEEN" if config.after == SEEN else "UNDELETED"
    data = _ok(imap.uid("SEARCH", None, criterion), "SEARCH")  # type: ignore[arg-type]
    return _text(data[0] if data else b"").split()


def _fetch(imap: imaplib.IMAP4, uid: str) -> bytes | None:
    data = _ok(imap.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _mark(imap: imaplib.IMAP4, uid: str, config: ImapSettings, *, can_move: bool) -> None:
    if config.after == SEEN:
        _ok(imap.uid("STORE", uid, "+FLAGS", r"(\Seen)"), f"STORE {uid}")
    elif config.after == DELETE:
        _ok(imap.uid("STORE", uid, "+FLAGS", r"(\Deleted)"), f"STORE {uid}")
    elif can_move:
        _ok(imap.uid("MOVE", uid, _quoted(config.move_to)), f"MOVE {uid}")
    else:
        _ok(imap.uid("COPY", uid, _quoted(config.move_to)), f"COPY {uid}")
        _ok(imap.uid("STORE", uid, "+FLAGS", r"(\Deleted)"), f"STORE {uid}")


def _ok(response: tuple[str, Sequence[Any]], command: str) -> list[Any]:
    status, data = response
    if status != "OK":
        detail = _text(data[0]) if data and isinstance(data[0], bytes | str) else ""
        raise ImapError(f"IMAP {command} failed: {status} {detail}".strip())
    return list(data)


def _quoted(mailbox: str) -> str:
    """A mailbox name as an IMAP quoted string (names may hold spaces)."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: object) -> str:
    return value.decode("ascii", errors="replace") if isinstance(value, bytes) else str(value)
