"""A real IMAP server for tests: Debian's Dovecot (``dovecot-imapd``, installed by ``make browser-deps``)
started in the foreground with a configuration of its own in a temporary directory: an unprivileged
loopback port, plain-text login from a passwd-file, maildirs in the directory. Nothing outside it is
read or written, and the system's Dovecot (if any) is left alone.

Run as root (as in CI containers), Dovecot drops to its own ``dovecot``/``dovenull`` users, which must
be able to reach the directory; run as anyone else, everything runs as that user.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kyocho.messaging.testing import LOOPBACK, free_port
from kyocho.messaging.tests.certificates import ServerCertificate

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "kyocho", "imap-test-password"
START_SECONDS = 20

CONFIG = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  chroot = {chroot}
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot = {chroot}
}}
"""


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int  # IMAP, with STARTTLS when the server has a certificate
    user: str
    password: str
    imaps_port: int = 0  # IMAP over TLS from the first byte; 0 without a certificate

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Put a message in a mailbox, as the site's mail server would have."""
        imap = self.client()
        try:
            response: Any = imap.append(f'"{mailbox}"', "", None, raw)  # type: ignore[arg-type]
            assert response[0] == "OK"
        finally:
            imap.logout()


def _users(root: Path) -> dict[str, str]:
    """Who the mail processes run as; as root, Dovecot's own users (it never reads mail as root)."""
    if os.geteuid() == 0:
        mail_user = pwd.getpwnam("dovecot")
        shutil.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
        return {
            "internal_user": "dovecot",
            "internal_group": "dovecot",
            "login_user": "dovenull",
            "chroot": "login",
            "uid": str(mail_user.pw_uid),
            "gid": str(mail_user.pw_gid),
        }
    me = pwd.getpwuid(os.geteuid())
    return {
        "internal_user": me.pw_name,
        "internal_group": grp.getgrgid(me.pw_gid).gr_name,
        "login_user": me.pw_name,
        "chroot": "",  # chroot needs root
        "uid": str(me.pw_uid),
        "gid": str(me.pw_gid),
    }


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
            pytest.fail(f"dovecot exited: {errors} {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("dovecot did not start listening")


def _ssl_settings(certificate: ServerCertificate | None) -> str:
    if certificate is None:
        return "ssl = no"
    return f"ssl = yes\nssl_cert = <{certificate.cert_file}\nssl_key = <{certificate.key_file}"


def run_dovecot(certificate: ServerCertificate | None = None) -> Iterator[Dovecot]:
    """Start a Dovecot of its own, with STARTTLS and IMAPS when given a certificate; yields how to reach
    it, stops it and removes its files afterwards."""
    if not Path(DOVECOT).exists():
        pytest.fail(f"IMAP tests need Debian's Dovecot at {DOVECOT}: run `make browser-deps`")
    # Short and world-traversable: Dovecot's unix sockets live here, and its own users must reach them.
    root = Path(tempfile.mkdtemp(prefix="kyocho-imap-"))
    root.chmod(0o755)
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    users = _users(root)
    port, imaps_port = free_port(), free_port() if certificate else 0
    config = root / "dovecot.conf"
    settings = CONFIG.format(
        host=LOOPBACK, root=root, port=port, imaps_port=imaps_port, ssl=_ssl_settings(certificate), **users
    )
    config.write_text(settings)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{users['uid']}:{users['gid']}::{root}/mail/{USER}\n")
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_listening(port, process, root / "dovecot.log")
        yield Dovecot(LOOPBACK, port, USER, PASSWORD, imaps_port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
