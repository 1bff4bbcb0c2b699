"""OpenPGP mail: PGP/MIME (RFC 3156) out, PGP/MIME and inline OpenPGP in.

Outbound messages are signed with the coordinator key and encrypted to exactly one recipient key
with pysequoia, in-process (no ``gpg`` process per message). Inbound messages are opened with the
real GnuPG, because pysequoia 0.1.35 cannot verify gpg's default output (compressed, then signed,
then encrypted).
"""

from __future__ import annotations

import email
import email.policy
import functools
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from typing import Any, Literal

import pysequoia
from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput
from kyocho.messaging import openpgp

SignatureStatus = Literal["verified", "unknown_key", "bad", "unsigned"]
PGP_ENCRYPTED = "application/pgp-encrypted"
PGP_SIGNATURE = "application/pgp-signature"
CLEARSIGNED_HEADER = "-----BEGIN PGP SIGNED MESSAGE-----"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OpenedMessage:
    text: str
    signature: SignatureStatus
    signer_fingerprint: str = ""
    attachments: list[Attachment] = field(default_factory=list)


class UnreadableMessage(InvalidInput):
    """The mail could not be decrypted (not for our key, damaged, or not OpenPGP at all)."""


# --- outbound -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _signer_for(home: str, secret_keys_changed: int) -> Any:
    return pysequoia.Tsk.from_bytes(openpgp.coordinator_secret_key().encode()).signer()


def _coordinator_signer() -> Any:
    # Exporting the key costs three gpg runs (25 ms here), more than signing and encrypting a message:
    # the signer is kept per GnuPG home until its secret keys change (`kyocho keys init`).
    home = openpgp.gnupg_home()
    secret_keys = home / "private-keys-v1.d"
    return _signer_for(str(home), secret_keys.stat().st_mtime_ns if secret_keys.exists() else 0)


def _is_content_header(name: str) -> bool:
    return name.lower().startswith("content-")


# A header field ends at a line break that no space or tab continues (RFC 5322 folding).
_FIELD_END = re.compile(rb"\r\n(?![ \t])")


def split_fields(message: EmailMessage) -> tuple[list[bytes], list[bytes], bytes]:
    """(envelope fields, Content-* fields, body) of ``message`` as serialised once for the wire
    (CRLF). Cut from the bytes rather than from copies of the message: copying and re-serialising a
    message costs more than signing and encrypting it."""
    raw = message.as_bytes(policy=email.policy.SMTP)
    head, _blank, body = raw.partition(b"\r\n\r\n")
    envelope, content = [], []
    for header in _FIELD_END.split(head):
        name = header.split(b":", 1)[0].decode("ascii", errors="replace")
        if _is_content_header(name):
            content.append(header)
        elif name.lower() != "mime-version":
            envelope.append(header)
    return envelope, content, body


def recipient_fingerprint(armored_key: str) -> str:
    """The fingerprint of the one certificate in ``armored_key`` that mail can be encrypted to, or ""
    when the text is not exactly one readable OpenPGP certificate with an encryption-capable key."""
    if not isinstance(armored_key, str) or "BEGIN PGP PUBLIC KEY BLOCK" not in armored_key:
        return ""
    try:
        certs = pysequoia.Cert.split_bytes(armored_key.encode())
        if len(certs) != 1:
            return ""
        pysequoia.encrypt(b"probe", recipients=certs)
    except Exception:  # pysequoia raises plain Exceptions for unreadable or unusable keys
        return ""
    return str(certs[0].fingerprint).upper()


def sign_and_encrypt_mime(message: EmailMessage, *, recipient_armored_key: str) -> EmailMessage:
    """``message`` as RFC 3156 PGP/MIME: signed by the coordinator, encrypted to one recipient only.

    The envelope headers (From, To, Subject, …) stay outside; the body becomes the encrypted part.
    """
    wire = sign_and_encrypt_bytes(message, recipient_armored_key=recipient_armored_key)
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def sign_and_encrypt_bytes(message: EmailMessage, *, recipient_armored_key: str) -> bytes:
    """``sign_and_encrypt_mime`` as the bytes that go on the wire."""
    envelope, content, body = split_fields(message)
    return seal_entity(
        envelope, b"\r\n".join(content) + b"\r\n\r\n" + body, recipient_armored_key=recipient_armored_key
    )


def seal_entity(envelope: list[bytes], entity: bytes, *, recipient_armored_key: str, signer: Any = None) -> bytes:
    """PGP/MIME on the wire (CRLF): ``entity`` (a MIME entity: its Content-* fields, a blank line, the
    body) signed (by the coordinator key unless ``signer`` is given) and encrypted to the one recipient
    key, under the ``envelope`` header fields (each already serialised, without its line end). What
    the outbox sends."""
    recipient = _single_recipient_cert(recipient_armored_key)
    armored = pysequoia.encrypt(entity, recipients=[recipient], signer=signer or _coordinator_signer())
    text = armored if isinstance(armored, bytes) else armored.encode()
    return _pgp_mime_envelope(envelope, text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def _single_recipient_cert(armored_key: str) -> Any:
    if not isinstance(armored_key, str) or "BEGIN PGP PUBLIC KEY BLOCK" not in armored_key:
        raise InvalidInput(_("The recipient's OpenPGP key is missing or not ASCII-armoured."), field="key")
    try:
        certs = pysequoia.Cert.split_bytes(armored_key.encode())
    except Exception as error:  # pysequoia raises plain Exceptions for unreadable keys
        raise InvalidInput(_("The recipient's OpenPGP key cannot be read."), field="key") from error
    if len(certs) != 1:
        # One message per recipient: a keyring here would let one contact's mail be read by another.
        raise InvalidInput(
            _("Give exactly one recipient key; each recipient gets a message of their own."), field="key"
        )
    return certs[0]


def _pgp_mime_envelope(envelope: list[bytes], armored: bytes) -> bytes:
    """RFC 3156 §4: the version part, then the encrypted part, under the original envelope fields."""
    boundary = f"kyocho-pgp-{secrets.token_hex(12)}".encode()  # never in ASCII armour (no such line)
    return b"\r\n".join(
        [
            *envelope,
            b"MIME-Version: 1.0",
            b'Content-Type: multipart/encrypted; protocol="' + PGP_ENCRYPTED.encode() + b'";',
            b' boundary="' + boundary + b'"',
            b"",
            b"This is an OpenPGP/MIME encrypted message (RFC 3156).",
            b"--" + boundary,
            b"Content-Type: " + PGP_ENCRYPTED.encode(),
            b"Content-Description: PGP/MIME version identification",
            b"",
            b"Version: 1",
            b"",
            b"--" + boundary,
            b'Content-Type: application/octet-stream; name="encrypted.asc"',
            b"Content-Description: OpenPGP encrypted message",
            b'Content-Disposition: inline; filename="encrypted.asc"',
            b"",
            armored.rstrip(b"\r\n"),
            b"",
            b"--" + boundary + b"--",
            b"",
        ]
    )


# --- inbound --------------------------------------------------------------------------------------


def open_message(raw: bytes, *, sender_keys: list[str]) -> OpenedMessage:
    """Decrypt and verify one incoming mail (PGP/MIME or inline OpenPGP).

    The signature counts as "verified" only when it is good and made by one of ``sender_keys`` (the
    sender's registered keys); a good signature by anybody else is "unknown_key".
    """
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    armored = _encrypted_payload(parsed)
    if armored is None:
        return _open_unencrypted(parsed, raw, sender_keys)
    gpg = openpgp.gnupg_for_mail()
    allowed = _import_sender_keys(gpg, sender_keys)
    result = gpg.decrypt(armored)
    if not result.ok:
        raise UnreadableMessage(_("This message could not be decrypted with the coordinator key."))
    status, fingerprint = _signature(result, allowed)
    if parsed.get_content_type() == "multipart/encrypted":
        inner = email.message_from_bytes(result.data, policy=email.policy.default)
        if inner.get_content_type() == "multipart/signed" and status == "unsigned":
            # RFC 3156 6.1: signed first (multipart/signed), then encrypted, as some clients do.
            inner, status, fingerprint = _verify_multipart_signed(gpg, inner, result.data, allowed)
        return OpenedMessage(_plain_text(inner), status, fingerprint, _attachments(inner))
    return OpenedMessage(result.data.decode("utf-8", errors="replace"), status, fingerprint)


def _open_unencrypted(parsed: EmailMessage, raw: bytes, sender_keys: list[str]) -> OpenedMessage:
    """Plain mail, or mail signed but not encrypted: PGP/MIME ``multipart/signed`` (RFC 3156 section 5)
    or a clearsigned text, whose signature is checked like that of an encrypted one."""
    if parsed.get_content_type() == "multipart/signed" and parsed.get_param("protocol") == PGP_SIGNATURE:
        gpg = openpgp.gnupg_for_mail()
        inner, status, fingerprint = _verify_multipart_signed(gpg, parsed, raw, _import_sender_keys(gpg, sender_keys))
        return OpenedMessage(_plain_text(inner), status, fingerprint, _attachments(inner))
    text = _plain_text(parsed)
    if text.lstrip().startswith(CLEARSIGNED_HEADER):
        gpg = openpgp.gnupg_for_mail()
        allowed = _import_sender_keys(gpg, sender_keys)
        result = gpg.decrypt(text)  # for a clearsigned text gpg checks the signature and gives the text back
        if result.data:
            status, fingerprint = _signature(result, allowed)
            return OpenedMessage(
                result.data.decode("utf-8", errors="replace"), status, fingerprint, _attachments(parsed)
            )
    return OpenedMessage(text=text, signature="unsigned", attachments=_attachments(parsed))


def _verify_multipart_signed(
    gpg: Any, signed: EmailMessage, raw: bytes, allowed: set[str]
) -> tuple[EmailMessage, SignatureStatus, str]:
    parts = signed.get_payload()
    boundary = signed.get_boundary()
    if not isinstance(parts, list) or len(parts) != 2 or not boundary:
        raise UnreadableMessage(_("This signed message is not PGP/MIME (RFC 3156)."))
    # The signature covers the first part exactly as sent (with CRLF line ends), not as re-serialised.
    delimiter = b"--" + boundary.encode()
    canonical = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    signed_bytes = canonical.split(delimiter + b"\r\n", 1)[1].split(b"\r\n" + delimiter, 1)[0]
    with tempfile.NamedTemporaryFile(suffix=".asc") as signature_file:
        signature_file.write(_part_bytes(parts[1]))
        signature_file.flush()
        verified = gpg.verify_data(signature_file.name, signed_bytes)
    status, fingerprint = _signature(verified, allowed)
    if not isinstance(parts[0], EmailMessage):
        raise UnreadableMessage(_("This signed message is not PGP/MIME (RFC 3156)."))
    return parts[0], status, fingerprint


def _encrypted_payload(parsed: Message) -> str | None:
    if parsed.get_content_type() == "multipart/encrypted":
        parts = parsed.get_payload()
        if parsed.get_param("protocol") != PGP_ENCRYPTED or not isinstance(parts, list) or len(parts) != 2:
            raise UnreadableMessage(_("This encrypted message is not PGP/MIME (RFC 3156)."))
        return _part_bytes(parts[1]).decode("ascii", errors="replace")
    text = _plain_text(parsed)
    return text if openpgp.looks_encrypted(text) else None


def _plain_text(parsed: Message) -> str:
    part = parsed.get_body(preferencelist=("plain",)) if isinstance(parsed, EmailMessage) else None
    return str(part.get_content()) if part is not None else ""


def _attachments(parsed: Message) -> list[Attachment]:
    if not isinstance(parsed, EmailMessage):
        return []
    return [
        Attachment(part.get_filename() or "", part.get_content_type(), _part_bytes(part))
        for part in parsed.iter_attachments()
    ]


def _part_bytes(part: Any) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _import_sender_keys(gpg: Any, sender_keys: list[str]) -> set[str]:
    """Put the sender's keys in the coordinator's keyring (public keys only) and return their fingerprints."""
    fingerprints: set[str] = set()
    for armored in sender_keys:
        fingerprints.update(str(fp) for fp in gpg.import_keys(armored).fingerprints if fp)
    return fingerprints


def _signature(result: Any, allowed: set[str]) -> tuple[SignatureStatus, str]:
    status_lines = result.stderr or ""
    signer = str(result.pubkey_fingerprint or result.fingerprint or "")
    if "[GNUPG:] BADSIG" in status_lines:
        return "bad", signer
    if result.valid:
        return ("verified" if signer in allowed else "unknown_key"), signer
    if "[GNUPG:] NEWSIG" in status_lines or "[GNUPG:] ERRSIG" in status_lines:
        return "unknown_key", signer
    return "unsigned", ""
