"""Mail as correspondents send it: the real ``gpg`` of a peer encrypts and signs, as GnuPG does by default
(compressed, signed, encrypted), and the result is wrapped as PGP/MIME or pasted inline."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from kyocho.messaging import openpgp
from kyocho.messaging.gpgtesting import run_gpg


def headers(*, sender: str, to: str, subject: str, extra: dict[str, str] | None = None) -> str:
    lines = {
        "From": sender,
        "To": to,
        "Subject": subject,
        "Date": formatdate(),
        "Message-ID": make_msgid(domain="peer.example"),
        "MIME-Version": "1.0",
        **(extra or {}),
    }
    return "".join(f"{name}: {value}\r\n" for name, value in lines.items())


def encrypt(home: Path, data: bytes, *, sign: bool = True, compressed: bool = True, tamper: bool = False) -> str:
    """What ``gpg --armor --encrypt [--sign]`` to the coordinator key prints."""
    _key, coordinator = openpgp.coordinator_public_key()
    args = ["--armor", "--encrypt", "--recipient", coordinator, *(["--sign"] if sign else [])]
    args += [] if compressed else ["--compress-algo", "none"]
    result = run_gpg(home, *args, data=data)
    assert result.returncode == 0, result.stderr.decode()
    armored = result.stdout.decode()
    return _tampered(armored) if tamper else armored


def _tampered(armored: str) -> str:
    """One character of the ciphertext changed: the signature no longer matches (or decryption fails)."""
    lines = armored.splitlines()
    middle = len(lines) // 2
    line = lines[middle]
    lines[middle] = line[:10] + ("A" if line[10] != "A" else "B") + line[11:]
    return "\n".join(lines) + "\n"


def mime_entity(text: str, attachments: list[tuple[str, bytes]] = ()) -> bytes:  # type: ignore[assignment]
    """The inner MIME entity a mail client encrypts: text, and files as attachments."""
    inner = EmailMessage()
    inner.set_content(text)
    for filename, data in attachments:
        inner.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
    return inner.as_bytes()


def pgp_mime(armored: str, *, sender: str, to: str, subject: str) -> bytes:
    """RFC 3156 multipart/encrypted around ``armored``."""
    return (
        headers(sender=sender, to=to, subject=subject)
        + 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"\r\n\r\n'
        + "--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
        + '--b1\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n'
        + f"{armored}\r\n--b1--\r\n"
    ).encode()


def inline(armored: str, *, sender: str, to: str, subject: str) -> bytes:
    """The armoured block pasted into a plain-text mail."""
    return plain(armored, sender=sender, to=to, subject=subject)


def plain(text: str, *, sender: str, to: str, subject: str, extra: dict[str, str] | None = None) -> bytes:
    message = EmailMessage()
    for line in headers(sender=sender, to=to, subject=subject, extra=extra).strip().split("\r\n"):
        name, _colon, value = line.partition(": ")
        if name != "MIME-Version":
            message[name] = value
    message.set_content(text)
    return message.as_bytes()


def signed_then_encrypted(home: Path, text: str, *, tamper: bool = False) -> str:
    """RFC 3156 6.1: a multipart/signed entity (detached signature), then encrypted as a whole; with
    ``tamper`` the text is changed after signing, so the signature is bad."""
    body = f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"
    signature = run_gpg(home, "--armor", "--detach-sign", data=body.encode()).stdout.decode()
    sent = body.replace(text, text + " (changed)") if tamper else body
    entity = (
        'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="s1"\r\n'
        f"\r\n--s1\r\n{sent}\r\n--s1\r\nContent-Type: application/pgp-signature\r\n\r\n{signature}\r\n--s1--\r\n"
    )
    return encrypt(home, entity.encode("utf-8"), sign=False)


def signed_only(home: Path, text: str, *, sender: str, to: str, subject: str, tamper: bool = False) -> bytes:
    """PGP/MIME signed but not encrypted (RFC 3156 section 5), as a mail client's "sign only" sends it."""
    body = f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"
    signature = run_gpg(home, "--armor", "--detach-sign", data=body.encode()).stdout.decode()
    sent = body.replace(text, text + " (changed)") if tamper else body
    return (
        headers(sender=sender, to=to, subject=subject)
        + 'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="s1"\r\n'
        + f"\r\n--s1\r\n{sent}\r\n--s1\r\nContent-Type: application/pgp-signature\r\n\r\n{signature}\r\n--s1--\r\n"
    ).encode("utf-8")


def clearsigned(home: Path, text: str, *, tamper: bool = False) -> str:
    """What ``gpg --clearsign`` prints, to be pasted into a plain-text mail."""
    signed = run_gpg(home, "--clearsign", data=text.encode()).stdout.decode()
    return signed.replace(text, text + " (changed)", 1) if tamper else signed
