"""Inspecting a developer's OpenPGP public key: may kyocho encrypt to it with GnuPG 2.2?

Pure functions, no database. The armour and packet headers are read here (to refuse secret keys and
key versions GnuPG 2.2 cannot read before gpg silently skips them); everything else — signatures,
revocations, expiry, capabilities — is decided by the real ``gpg`` binary, run through python-gnupg
in a throwaway GNUPGHOME that is deleted afterwards. Nothing here touches the network.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

import gnupg
from django.utils.translation import gettext as _

from kyocho.core.clock import now
from kyocho.core.errors import InvalidInput

KEY_SIZE_LIMIT = 200_000  # characters; keys carrying many third-party signatures are large
PUBLIC_BLOCK = "PGP PUBLIC KEY BLOCK"
PRIVATE_BLOCK = "PGP PRIVATE KEY BLOCK"
_ARMOUR = re.compile(r"-----BEGIN (?P<kind>[A-Z ]+)-----\s*\n(?P<body>.*?)-----END (?P=kind)-----", re.DOTALL)

# Packet tags (RFC 4880 §4.3).
SECRET_KEY, PUBLIC_KEY, SECRET_SUBKEY, PUBLIC_SUBKEY = 5, 6, 7, 14
# Public-key algorithms GnuPG 2.2 implements (RFC 4880 + RFC 6637 + the EdDSA draft).
ALGORITHMS = {1: "RSA", 2: "RSA", 3: "RSA", 16: "ElGamal", 17: "DSA", 18: "ECDH", 19: "ECDSA", 22: "EdDSA"}
# Validity flags in gpg's colon listing that make a key or subkey unusable.
UNUSABLE_VALIDITY = {"r": "revoked", "e": "expired", "i": "invalid", "d": "disabled"}
GPG_OPTIONS = ["--no-autostart", "--no-auto-key-retrieve", "--no-auto-key-locate", "--no-greeting"]


@dataclass(frozen=True)
class UserId:
    name: str
    email: str


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str  # 40 hex digits, upper case
    user_ids: tuple[UserId, ...]
    algorithm: str  # e.g. "EdDSA ed25519 + ECDH cv25519", "RSA 3072 + RSA 3072"
    created: dt.datetime
    expires: dt.datetime | None  # the earliest of the primary key's and the encryption subkey's expiry
    encryption_fingerprint: str

    def emails(self) -> set[str]:
        return {uid.email.lower() for uid in self.user_ids if uid.email}


def refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="key")


def validate_public_key(armored: str) -> KeyInfo:
    """The facts about one usable public key, or InvalidInput(field="key") saying why it is refused."""
    block = _single_public_block(armored)
    _check_packets(_dearmor(block))
    with throwaway_gpg() as gpg:
        gpg.import_keys(block)
        listed = gpg.list_keys()
    if not listed:
        raise refuse(_("GnuPG could not read this key: it is damaged or uses a format GnuPG 2.2 does not support."))
    if len(listed) > 1:
        raise refuse(_("Send one key at a time: this block holds %(count)d keys.") % {"count": len(listed)})
    return _key_info(listed[0])


@contextmanager
def throwaway_gpg() -> Iterator[gnupg.GPG]:
    """A GnuPG with an empty keyring of its own, deleted on exit; no agent, no key servers."""
    with tempfile.TemporaryDirectory(prefix="kyocho-gpg-") as home:  # created 0700
        yield gnupg.GPG(gnupghome=home, options=GPG_OPTIONS)


# The armour and the packets.


def _single_public_block(armored: Any) -> str:
    if not isinstance(armored, str) or not armored.strip():
        raise refuse(_("Paste an ASCII-armoured OpenPGP public key."))
    if len(armored) > KEY_SIZE_LIMIT:
        raise refuse(_("This key is too large (at most %(limit)d characters).") % {"limit": KEY_SIZE_LIMIT})
    text = armored.replace("\r\n", "\n")
    if f"-----BEGIN {PRIVATE_BLOCK}-----" in text:
        raise refuse(_secret_key_message())
    blocks = [match for match in _ARMOUR.finditer(text) if match["kind"] == PUBLIC_BLOCK]
    if not blocks:
        raise refuse(_("This is not an ASCII-armoured OpenPGP public key (“-----BEGIN PGP PUBLIC KEY BLOCK-----”)."))
    if len(blocks) > 1:
        raise refuse(_("Send one key at a time: the text holds %(count)d key blocks.") % {"count": len(blocks)})
    return blocks[0].group(0) + "\n"


def _secret_key_message() -> str:
    return _("This is a secret (private) key. Never send it to anyone; send the public key instead.")


def _dearmor(block: str) -> bytes:
    match = _ARMOUR.search(block)
    assert match is not None  # _single_public_block found it
    lines = match["body"].strip().split("\n")
    if "" in lines:  # armour headers ("Comment: …") end at the first empty line
        lines = lines[lines.index("") + 1 :]
    checksum = ""
    if lines and lines[-1].startswith("="):
        checksum = lines.pop()[1:]
    try:
        data = base64.b64decode("".join(line.strip() for line in lines), validate=True)
        expected = base64.b64decode(checksum, validate=True) if checksum else None
    except (binascii.Error, ValueError) as error:
        raise refuse(_("The key block is damaged (it is not valid base64).")) from error
    if not data or (expected is not None and expected != crc24(data).to_bytes(3, "big")):
        raise refuse(_("The key block is damaged (its checksum does not match); copy it again."))
    return data


def crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def packets(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, body) of each OpenPGP packet (RFC 4880 §4.2); InvalidInput when the framing is broken."""
    position = 0
    while position < len(data):
        header = data[position]
        if not header & 0x80:
            raise refuse(_("The key block is damaged (it does not hold OpenPGP packets)."))
        if header & 0x40:  # new format
            tag = header & 0x3F
            length, position = _new_length(data, position + 1)
        else:
            tag = (header >> 2) & 0x0F
            length, position = _old_length(data, position + 1, header & 0x03)
        if position + length > len(data):
            raise refuse(_("The key block is damaged (it ends in the middle of a packet)."))
        yield tag, data[position : position + length]
        position += length


def _new_length(data: bytes, at: int) -> tuple[int, int]:
    first = data[at] if at < len(data) else 0
    if first < 192:
        return first, at + 1
    if first < 224:
        return ((first - 192) << 8) + data[at + 1] + 192, at + 2
    if first == 255:
        return int.from_bytes(data[at + 1 : at + 5], "big"), at + 5
    # Partial body lengths are only allowed in data packets, never in keys.
    raise refuse(_("The key block is damaged (unexpected packet framing)."))


def _old_length(data: bytes, at: int, length_type: int) -> tuple[int, int]:
    if length_type == 3:  # indeterminate: to the end of the data
        return len(data) - at, at
    size = (1, 2, 4)[length_type]
    return int.from_bytes(data[at : at + size], "big"), at + size


def _check_packets(data: bytes) -> None:
    primaries = 0
    for tag, body in packets(data):
        if tag in (SECRET_KEY, SECRET_SUBKEY):
            raise refuse(_secret_key_message())
        if tag in (PUBLIC_KEY, PUBLIC_SUBKEY):
            primaries += tag == PUBLIC_KEY
            _check_key_packet(body)
    if primaries == 0:
        raise refuse(_("The block holds no public key."))
    if primaries > 1:
        raise refuse(_("Send one key at a time: this block holds %(count)d keys.") % {"count": primaries})


def _check_key_packet(body: bytes) -> None:
    version = body[0] if body else 0
    if version != 4:
        raise refuse(
            _(
                "This is a version %(version)d key; GnuPG 2.2, which many developers and coordinators use, "
                "only reads version 4 keys. Please send a version 4 key (for example Ed25519/Cv25519 or RSA)."
            )
            % {"version": version}
        )
    algorithm = body[5] if len(body) > 5 else 0
    if algorithm not in ALGORITHMS:
        raise refuse(
            _("This key uses public-key algorithm %(number)d, which GnuPG 2.2 does not support.")
            % {"number": algorithm}
        )


# What gpg says about the key.


def _key_info(key: dict[str, Any]) -> KeyInfo:
    state = UNUSABLE_VALIDITY.get(key.get("trust", ""))
    expires = _timestamp(key["expires"])
    if state is None and expires is not None and expires <= now():
        state = "expired"
    if state is not None:
        raise refuse(_refusal_for_state(state))
    subkey = _encryption_key(key)
    expiries = [moment for moment in (expires, _timestamp(subkey["expires"])) if moment is not None]
    return KeyInfo(
        fingerprint=key["fingerprint"].upper(),
        user_ids=tuple(_user_id(uid) for uid in key["uids"]),
        algorithm=_describe(key) if subkey is key else f"{_describe(key)} + {_describe(subkey)}",
        created=_timestamp(key["date"]) or now(),
        expires=min(expiries) if expiries else None,
        encryption_fingerprint=subkey["fingerprint"].upper(),
    )


def _refusal_for_state(state: str) -> str:
    if state == "revoked":
        return _("This key has been revoked by its owner; send the key that replaces it.")
    if state == "expired":
        return _("This key has expired; extend its expiry date (gpg --quick-set-expire) and send it again.")
    return _("GnuPG considers this key invalid (a self-signature is missing or broken).")


def _encryption_key(key: dict[str, Any]) -> dict[str, Any]:
    """The (sub)key gpg would encrypt to: encryption-capable, valid now, the newest such."""
    candidates = [key] if "e" in key.get("cap", "") else []
    candidates += [key["subkey_info"][keyid] for keyid, *_rest in key.get("subkeys", [])]
    usable = [
        candidate
        for candidate in candidates
        if "e" in candidate.get("cap", "")
        and candidate.get("trust", "") not in UNUSABLE_VALIDITY
        and int(candidate.get("algo") or 0) in ALGORITHMS
        and not _expired(candidate)
    ]
    if not usable:
        raise refuse(
            _("This key has no encryption subkey that is valid now, so nothing could be sent to it encrypted.")
        )
    return max(usable, key=lambda candidate: int(candidate.get("date") or 0))


def _expired(key: dict[str, Any]) -> bool:
    expires = _timestamp(key.get("expires", ""))
    return expires is not None and expires <= now()


def _timestamp(value: str) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None


def _describe(key: dict[str, Any]) -> str:
    name = ALGORITHMS.get(int(key.get("algo") or 0), "?")
    return f"{name} {key['curve']}" if key.get("curve") else f"{name} {key.get('length', '')}".strip()


def _user_id(uid: str) -> UserId:
    name, email = parseaddr(uid)
    if "@" not in email:
        return UserId(name=uid.strip(), email="")
    return UserId(name=name, email=email)
