"""Test helpers for OpenPGP: a coordinator key in a throw-away DATA_DIR, correspondents with GnuPG homes
of their own (the real ``gpg`` on the other side of the mail), and gpg-agent clean-up."""

from __future__ import annotations

import email
import email.policy
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.test import override_settings

from kyocho.messaging import openpgp


def kill_agent(home: Path) -> None:
    # A fixed command line of the gpg suite (tests only).
    subprocess.run(  # noqa: S603
        ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],  # noqa: S607
        check=False,
        capture_output=True,
    )


def coordinator_data_dir(factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A DATA_DIR holding a coordinator key, for a session fixture: Ed25519 generation is quick, not free."""
    data = factory.mktemp("server")
    with override_settings(DATA_DIR=data):
        openpgp.ensure_coordinator_key()
    yield data
    kill_agent(data / "gnupg")


def run_gpg(home: Path, *args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """The real gpg in ``home``, machine-readable status on stderr (tests only)."""
    return subprocess.run(  # noqa: S603
        ["gpg", "--homedir", str(home), "--batch", "--yes", "--trust-model", "always", "--status-fd", "2", *args],  # noqa: S607
        input=data,
        capture_output=True,
        check=False,
    )


def new_home(factory: pytest.TempPathFactory, name: str, email_address: str) -> tuple[Path, str]:
    """A GnuPG home with one fresh Ed25519/Cv25519 key; returns (home, armoured public key)."""
    home = factory.mktemp(name)
    home.chmod(0o700)
    run_gpg(home, "--passphrase", "", "--quick-gen-key", email_address, "ed25519", "sign", "never")
    fingerprint = run_gpg(home, "--with-colons", "--list-keys").stdout.decode().split("fpr:::::::::")[1].split(":")[0]
    run_gpg(home, "--passphrase", "", "--quick-add-key", fingerprint, "cv25519", "encr", "never")
    return home, run_gpg(home, "--armor", "--export").stdout.decode()


def peer(factory: pytest.TempPathFactory, server_data: Path, name: str, address: str) -> Iterator[tuple[Path, str]]:
    """A correspondent's GnuPG: a key of its own, and the coordinator's public key."""
    home, public = new_home(factory, name, address)
    with override_settings(DATA_DIR=server_data):
        run_gpg(home, "--import", data=openpgp.coordinator_public_key()[0].encode())
    yield home, public
    kill_agent(home)


def open_pgp_mime(home: Path, message: EmailMessage) -> tuple[bool, EmailMessage | None]:
    """A received PGP/MIME message as its recipient's gpg opens it: (a good signature, the inner
    message), or (False, None) when gpg cannot decrypt it."""
    assert message.get_content_type() == "multipart/encrypted"
    _version, body = message.get_payload()  # type: ignore[misc]
    opened = run_gpg(home, "--decrypt", data=str(body.get_payload()).encode())  # type: ignore[union-attr]
    if opened.returncode != 0:
        return False, None
    inner = email.message_from_bytes(opened.stdout, policy=email.policy.default)
    assert isinstance(inner, EmailMessage)
    return "[GNUPG:] GOODSIG" in opened.stderr.decode(errors="replace"), inner


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]
