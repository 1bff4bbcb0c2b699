"""validate_public_key against keys made by the real gpg binary, and hand-made packets gpg cannot make."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kyocho.core.errors import InvalidInput
from kyocho.vendors.keys import UserId, validate_public_key
from kyocho.vendors.tests.gpgkeys import MadeKeys, armour, gpg_keys, key_packet

__all__ = ["gpg_keys"]  # the session fixture, imported so pytest finds it


def refusal(armored: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        validate_public_key(armored)
    assert caught.value.field == "key"
    return caught.value.message


def test_rsa_3072_key_is_accepted_with_its_facts(gpg_keys: MadeKeys) -> None:
    info = validate_public_key(gpg_keys.rsa)
    assert info.fingerprint == gpg_keys.rsa_fingerprint
    assert len(info.fingerprint) == 40
    assert info.user_ids == (UserId(name="RSA Developer", email="psirt@vendor.example"),)
    assert info.algorithm == "RSA 3072 + RSA 3072"
    assert info.encryption_fingerprint != info.fingerprint
    assert info.expires is not None
    assert info.created < info.expires
    assert dt.timedelta(days=700) < info.expires - info.created < dt.timedelta(days=740)


def test_ed25519_cv25519_key_is_accepted(gpg_keys: MadeKeys) -> None:
    info = validate_public_key(gpg_keys.ed25519)
    assert info.fingerprint == gpg_keys.ed25519_fingerprint
    assert info.algorithm == "EdDSA ed25519 + ECDH cv25519"
    assert info.emails() == {"security@vendor.example"}
    assert info.expires is not None  # the encryption subkey's expiry, a year before the primary key's
    assert dt.timedelta(days=360) < info.expires - info.created < dt.timedelta(days=370)


def test_windows_line_endings_are_accepted(gpg_keys: MadeKeys) -> None:
    assert validate_public_key(gpg_keys.ed25519.replace("\n", "\r\n")).fingerprint == gpg_keys.ed25519_fingerprint


def test_secret_key_export_is_refused(gpg_keys: MadeKeys) -> None:
    assert "secret (private) key" in refusal(gpg_keys.secret)


def test_secret_key_packets_under_a_public_armour_are_refused(gpg_keys: MadeKeys) -> None:
    disguised = gpg_keys.secret.replace("PRIVATE KEY BLOCK", "PUBLIC KEY BLOCK")
    assert "secret (private) key" in refusal(disguised)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Paste an ASCII-armoured OpenPGP public key."),
        ("hello, this is my key", "not an ASCII-armoured OpenPGP public key"),
        ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!not base64!!!\n-----END PGP PUBLIC KEY BLOCK-----", "base64"),
        ("x" * 200_001, "too large"),
    ],
)
def test_garbage_is_refused(text: str, expected: str) -> None:
    assert expected in refusal(text)


def test_a_key_with_a_wrong_checksum_is_refused(gpg_keys: MadeKeys) -> None:
    lines = gpg_keys.ed25519.splitlines()
    checksum_line = next(i for i, line in enumerate(lines) if line.startswith("="))
    lines[checksum_line] = "=AAAA"
    assert "checksum does not match" in refusal("\n".join(lines))


def test_a_truncated_key_is_refused(gpg_keys: MadeKeys) -> None:
    assert "damaged" in refusal(armour(b"\xc6\x40\x04\x00"))


def test_two_keys_in_one_block_are_refused(gpg_keys: MadeKeys) -> None:
    assert refusal(gpg_keys.two_keys) == "Send one key at a time: this block holds 2 keys."


def test_two_key_blocks_in_one_text_are_refused(gpg_keys: MadeKeys) -> None:
    assert refusal(gpg_keys.rsa + gpg_keys.ed25519) == "Send one key at a time: the text holds 2 key blocks."


def test_sign_only_key_is_refused(gpg_keys: MadeKeys) -> None:
    assert "no encryption subkey that is valid now" in refusal(gpg_keys.sign_only)


def test_revoked_key_is_refused(gpg_keys: MadeKeys) -> None:
    assert "revoked" in refusal(gpg_keys.revoked)


def test_expired_key_is_refused(gpg_keys: MadeKeys) -> None:
    assert "expired" in refusal(gpg_keys.expired)


def test_key_past_its_expiry_by_kyochos_clock_is_refused(gpg_keys: MadeKeys) -> None:
    expires = validate_public_key(gpg_keys.rsa).expires
    assert expires is not None
    with time_machine.travel(expires + dt.timedelta(days=1)):
        assert "This key has expired" in refusal(gpg_keys.rsa)


def test_key_whose_encryption_subkey_expired_is_refused(gpg_keys: MadeKeys) -> None:
    expires = validate_public_key(gpg_keys.ed25519).expires
    assert expires is not None
    with time_machine.travel(expires + dt.timedelta(days=1)):
        assert "no encryption subkey that is valid now" in refusal(gpg_keys.ed25519)


@pytest.mark.parametrize("version", [3, 5, 6])
def test_key_versions_gnupg_22_cannot_read_are_refused(version: int) -> None:
    message = refusal(armour(key_packet(version, 22)))
    assert f"version {version} key" in message
    assert "only reads version 4 keys" in message


@pytest.mark.parametrize("algorithm", [25, 27, 99])
def test_unknown_algorithms_are_refused(algorithm: int) -> None:
    assert refusal(armour(key_packet(4, algorithm))) == (
        f"This key uses public-key algorithm {algorithm}, which GnuPG 2.2 does not support."
    )


def test_a_well_framed_key_gpg_cannot_parse_is_refused() -> None:
    assert "GnuPG could not read this key" in refusal(armour(key_packet(4, 22)))
