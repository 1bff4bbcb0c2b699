"""OpenPGP mail against the real ``gpg``: a developer's GnuPG home is the peer on the other side."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from kyocho.messaging import openpgp, pgpmime
from kyocho.messaging.gpgtesting import coordinator_data_dir, peer, run_gpg

TEXT = "Case JVN#12345678: please confirm receipt. 修正予定日を教えてください。"


@pytest.fixture(scope="session")
def server_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from coordinator_data_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def developer(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield from peer(tmp_path_factory, server_data, "developer", "psirt@vendor.example")


@pytest.fixture(scope="session")
def stranger(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield from peer(tmp_path_factory, server_data, "stranger", "someone@else.example")


@pytest.fixture(autouse=True)
def _server(settings: Any, server_data: Path) -> None:
    settings.DATA_DIR = server_data


def plain_message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "cvd@kyocho.example"
    message["To"] = "psirt@vendor.example"
    message["Subject"] = "New case"
    message.set_content(TEXT)
    return message


# --- what kyocho sends ----------------------------------------------------------------------------


def mime_parts(message: Any) -> list[Any]:
    parts = message.get_payload()
    assert isinstance(parts, list)
    return parts


def armored_of(sent: EmailMessage) -> bytes:
    return str(mime_parts(sent)[1].get_payload()).encode()


def test_sent_mail_is_rfc3156_pgp_mime(developer: tuple[Path, str]) -> None:
    sent = pgpmime.sign_and_encrypt_mime(plain_message(), recipient_armored_key=developer[1])
    parsed = email.message_from_bytes(sent.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/encrypted"
    assert parsed.get_param("protocol") == "application/pgp-encrypted"
    version, body = mime_parts(parsed)
    assert version.get_content_type() == "application/pgp-encrypted"
    assert "Version: 1" in version.get_payload()
    assert body.get_content_type() == "application/octet-stream"
    assert body.get_payload().startswith("-----BEGIN PGP MESSAGE-----")
    assert parsed["Subject"] == "New case" and parsed["To"] == "psirt@vendor.example"
    assert TEXT not in sent.as_string()


def test_developer_gpg_decrypts_and_verifies(developer: tuple[Path, str]) -> None:
    sent = pgpmime.sign_and_encrypt_mime(plain_message(), recipient_armored_key=developer[1])
    armored = armored_of(sent)
    result = run_gpg(developer[0], "--decrypt", data=armored)
    assert result.returncode == 0, result.stderr.decode()
    inner = email.message_from_bytes(result.stdout, policy=email.policy.default)
    assert inner.get_content().strip() == TEXT
    _key, coordinator_fingerprint = openpgp.coordinator_public_key()
    status = result.stderr.decode(errors="replace")
    assert "[GNUPG:] GOODSIG" in status
    assert any(line.startswith("[GNUPG:] VALIDSIG") and coordinator_fingerprint in line for line in status.splitlines())


def test_only_the_one_recipient_can_read_it(developer: tuple[Path, str], stranger: tuple[Path, str]) -> None:
    sent = pgpmime.sign_and_encrypt_mime(plain_message(), recipient_armored_key=developer[1])
    armored = armored_of(sent)
    assert run_gpg(stranger[0], "--decrypt", data=armored).returncode != 0


def test_refuses_a_missing_recipient_key() -> None:
    with pytest.raises(pgpmime.InvalidInput) as refused:
        pgpmime.sign_and_encrypt_mime(plain_message(), recipient_armored_key="not a key")
    assert refused.value.field == "key"


def test_refuses_several_recipient_keys(developer: tuple[Path, str], stranger: tuple[Path, str]) -> None:
    with pytest.raises(pgpmime.InvalidInput, match="exactly one"):
        pgpmime.sign_and_encrypt_mime(plain_message(), recipient_armored_key=developer[1] + stranger[1])


# --- what the developer sends ---------------------------------------------------------------------


def peer_encrypt(home: Path, text: str, *, sign: bool = True, compressed: bool = True) -> str:
    _key, coordinator = openpgp.coordinator_public_key()
    args = ["--armor", "--encrypt", "--recipient", coordinator]
    args += ["--sign"] if sign else []
    args += [] if compressed else ["--compress-algo", "none"]
    result = run_gpg(home, *args, data=text.encode())
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def as_pgp_mime(armored: str) -> bytes:
    return (
        "From: psirt@vendor.example\r\nTo: cvd@kyocho.example\r\nSubject: Re: New case\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
        '--b1\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n'
        f"{armored}\r\n--b1--\r\n"
    ).encode()


def as_inline(armored: str) -> bytes:
    message = EmailMessage()
    message["From"] = "psirt@vendor.example"
    message["Subject"] = "Re: New case"
    message.set_content(armored)
    return message.as_bytes()


def mime_body(text: str) -> str:
    return f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"


@pytest.mark.parametrize("compressed", [True, False], ids=["compressed", "uncompressed"])
def test_opens_signed_pgp_mime(developer: tuple[Path, str], compressed: bool) -> None:
    raw = as_pgp_mime(peer_encrypt(developer[0], mime_body(TEXT), compressed=compressed))
    opened = pgpmime.open_message(raw, sender_keys=[developer[1]])
    assert opened.text.strip() == TEXT
    assert opened.signature == "verified"
    assert opened.signer_fingerprint


@pytest.mark.parametrize("compressed", [True, False], ids=["compressed", "uncompressed"])
def test_opens_signed_inline(developer: tuple[Path, str], compressed: bool) -> None:
    raw = as_inline(peer_encrypt(developer[0], TEXT, compressed=compressed))
    opened = pgpmime.open_message(raw, sender_keys=[developer[1]])
    assert opened.text.strip() == TEXT
    assert opened.signature == "verified"


def test_attachment_in_pgp_mime_is_kept(developer: tuple[Path, str]) -> None:
    inner = EmailMessage()
    inner.set_content(TEXT)
    inner.add_attachment(b"PoC\x00bytes", maintype="application", subtype="octet-stream", filename="poc.bin")
    raw = as_pgp_mime(peer_encrypt(developer[0], inner.as_string()))
    opened = pgpmime.open_message(raw, sender_keys=[developer[1]])
    assert opened.text.strip() == TEXT
    assert [(a.filename, a.data) for a in opened.attachments] == [("poc.bin", b"PoC\x00bytes")]


def test_signature_by_another_key_is_unknown(developer: tuple[Path, str], stranger: tuple[Path, str]) -> None:
    raw = as_inline(peer_encrypt(stranger[0], TEXT))
    opened = pgpmime.open_message(raw, sender_keys=[developer[1]])
    assert opened.signature == "unknown_key"
    assert opened.text.strip() == TEXT


def test_unsigned_is_unsigned(developer: tuple[Path, str]) -> None:
    opened = pgpmime.open_message(as_inline(peer_encrypt(developer[0], TEXT, sign=False)), sender_keys=[developer[1]])
    assert (opened.signature, opened.signer_fingerprint) == ("unsigned", "")


def test_tampered_ciphertext_is_refused_or_bad(developer: tuple[Path, str]) -> None:
    armored = peer_encrypt(developer[0], TEXT, compressed=False)
    lines = armored.splitlines()
    middle = len(lines) // 2
    lines[middle] = lines[middle][:10] + ("A" if lines[middle][10] != "A" else "B") + lines[middle][11:]
    try:
        opened = pgpmime.open_message(as_inline("\n".join(lines)), sender_keys=[developer[1]])
    except pgpmime.UnreadableMessage:
        return
    assert opened.signature == "bad"


def test_encrypted_to_another_key_is_a_clear_error(developer: tuple[Path, str], stranger: tuple[Path, str]) -> None:
    to_stranger = run_gpg(developer[0], "--import", data=stranger[1].encode()) and run_gpg(
        developer[0], "--armor", "--encrypt", "--sign", "--recipient", "someone@else.example", data=b"x"
    )
    with pytest.raises(pgpmime.UnreadableMessage, match="coordinator key"):
        pgpmime.open_message(as_inline(to_stranger.stdout.decode()), sender_keys=[developer[1]])


def test_plain_mail_is_passed_through_as_unsigned() -> None:
    message = plain_message()
    opened = pgpmime.open_message(message.as_bytes(), sender_keys=[])
    assert (opened.text.strip(), opened.signature) == (TEXT, "unsigned")


def signed_then_encrypted(home: Path, text: str, *, tamper: bool = False) -> bytes:
    """RFC 3156 6.1: a multipart/signed entity (detached signature), then encrypted as a whole."""
    content = mime_body(text).encode()
    signature = run_gpg(home, "--armor", "--detach-sign", data=content).stdout.decode()
    sent_content = mime_body(text + " (changed)").encode() if tamper else content
    entity = (
        'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="s1"\r\n'
        f"\r\n--s1\r\n{sent_content.decode()}\r\n--s1\r\n"
        "Content-Type: application/pgp-signature\r\n\r\n"
        f"{signature}\r\n--s1--\r\n"
    )
    _key, coordinator = openpgp.coordinator_public_key()
    encrypted = run_gpg(home, "--armor", "--encrypt", "--recipient", coordinator, data=entity.encode())
    return as_pgp_mime(encrypted.stdout.decode())


def test_opens_signed_then_encrypted(developer: tuple[Path, str]) -> None:
    opened = pgpmime.open_message(signed_then_encrypted(developer[0], TEXT), sender_keys=[developer[1]])
    assert (opened.text.strip(), opened.signature) == (TEXT, "verified")


def test_signature_over_other_content_is_bad(developer: tuple[Path, str]) -> None:
    raw = signed_then_encrypted(developer[0], TEXT, tamper=True)
    assert pgpmime.open_message(raw, sender_keys=[developer[1]]).signature == "bad"
