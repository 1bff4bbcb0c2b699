"""Reading security.txt files (RFC 9116), signed ones checked with the real gpg."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kyocho.core.errors import InvalidInput
from kyocho.vendors.securitytxt import SignatureStatus, prefill_from_security_txt
from kyocho.vendors.tests.gpgkeys import MadeKeys, gpg_keys

__all__ = ["gpg_keys"]  # the session fixture, imported so pytest finds it

TODAY = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)
FILE = """# Example Vendor's security contacts
Contact: mailto:psirt@vendor.example
Contact: mailto:security%2Bjp@vendor.example?subject=vulnerability
Contact: tel:+81-3-1234-5678
Contact: https://vendor.example/security/report
Expires: 2027-06-30T15:00:00.000Z
Encryption: https://vendor.example/pgp-key.txt
Encryption: openpgp4fpr:5f2de5521c63a801ab59ccb603d49de44b29100f
Policy: https://vendor.example/security/policy
Preferred-Languages: ja, en
Canonical: https://vendor.example/.well-known/security.txt
Acknowledgments: https://vendor.example/security/thanks
Hiring: https://vendor.example/jobs
X-Unknown-Field: ignored as RFC 9116 says
"""


@pytest.fixture(autouse=True)
def _fixed_today() -> object:
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def test_a_valid_file_prefills_every_field() -> None:
    read = prefill_from_security_txt(FILE)
    assert read.emails == ["psirt@vendor.example", "security+jp@vendor.example"]
    assert read.phones == ["+81-3-1234-5678"]
    assert read.contact_urls == ["https://vendor.example/security/report"]
    assert read.expires == dt.datetime(2027, 6, 30, 15, 0, tzinfo=dt.UTC)
    assert read.expired is False
    assert read.encryption_uris == [
        "https://vendor.example/pgp-key.txt",
        "openpgp4fpr:5f2de5521c63a801ab59ccb603d49de44b29100f",
    ]
    assert read.encryption_fingerprints == ["5F2DE5521C63A801AB59CCB603D49DE44B29100F"]
    assert read.policy_urls == ["https://vendor.example/security/policy"]
    assert read.languages == ["ja", "en"]
    assert read.canonical_urls == ["https://vendor.example/.well-known/security.txt"]
    assert read.acknowledgments_urls == ["https://vendor.example/security/thanks"]
    assert read.hiring_urls == ["https://vendor.example/jobs"]
    assert read.signature == SignatureStatus.UNSIGNED
    assert read.problems == []


def test_crlf_line_endings_read_the_same() -> None:
    assert prefill_from_security_txt(FILE.replace("\n", "\r\n")) == prefill_from_security_txt(FILE)


def test_uploaded_bytes_are_read_as_utf8() -> None:
    assert prefill_from_security_txt(FILE.encode()).emails == prefill_from_security_txt(FILE).emails


def test_an_expired_file_is_reported() -> None:
    read = prefill_from_security_txt(FILE.replace("2027-06-30T15:00:00.000Z", "2026-01-31T09:00:00+09:00"))
    assert read.expired is True
    assert read.expires == dt.datetime(2026, 1, 31, 0, 0, tzinfo=dt.UTC)
    assert read.problems == ["This security.txt expired on 2026-01-31 00:00 UTC; ask the developer for a current one."]


def test_a_missing_expires_is_reported() -> None:
    read = prefill_from_security_txt("Contact: mailto:psirt@vendor.example\n")
    assert read.expires is None
    assert read.problems == ["The file has no “Expires” field; RFC 9116 requires one."]


def test_more_than_one_expires_is_reported_and_the_first_kept() -> None:
    read = prefill_from_security_txt(FILE + "Expires: 2028-01-01T00:00:00Z\n")
    assert read.expires == dt.datetime(2027, 6, 30, 15, 0, tzinfo=dt.UTC)
    assert read.problems == ["“Expires” appears more than once; only the first is used."]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Expires: next year", "“Expires: next year” is not a date and time with a time zone (RFC 3339)."),
        ("Expires: 2027-01-01T00:00:00", "“Expires: 2027-01-01T00:00:00” is not a date and time with a time zone"),
        ("Expires: 2030-01-01T00:00:00Z", "“Expires” is more than a year away; RFC 9116 advises less."),
    ],
)
def test_doubtful_expiry_dates_are_reported(line: str, problem: str) -> None:
    read = prefill_from_security_txt(f"Contact: mailto:a@vendor.example\n{line}\n")
    assert len(read.problems) == 1 and read.problems[0].startswith(problem)


def test_contact_problems_are_reported() -> None:
    read = prefill_from_security_txt(
        "Contact: psirt@vendor.example\nContact: ftp://vendor.example\nContact: mailto:not-an-address\n"
        "this line is no field\nPolicy: http://vendor.example/policy\nEncryption: openpgp4fpr:ABCD\n"
        "Expires: 2027-01-01T00:00:00Z\n"
    )
    assert read.emails == ["psirt@vendor.example"]
    assert read.problems == [
        "Contact “psirt@vendor.example” should be written as a URI: mailto:psirt@vendor.example.",
        "Contact “ftp://vendor.example” is not a mailto:, tel: or https: address; it was left out.",
        "“not-an-address” is not a valid email address.",
        "Line 4 is not a “Field: value” line.",
        "“http://vendor.example/policy” is not an https:// address.",
        "“openpgp4fpr:ABCD” is not an OpenPGP v4 fingerprint.",
    ]


def test_a_file_without_contact_is_reported() -> None:
    assert prefill_from_security_txt("Expires: 2027-01-01T00:00:00Z\n").problems == [
        "The file has no “Contact” field; RFC 9116 requires at least one."
    ]


@pytest.mark.parametrize(("text", "message"), [("", "Paste or upload"), ("x" * 32_001, "too large")])
def test_unusable_input_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        prefill_from_security_txt(text)
    assert caught.value.field == "security_txt"
    assert message in caught.value.message


# Signed files.


def signed(gpg_keys: MadeKeys, text: str = FILE) -> str:
    return gpg_keys.factory.clearsign(text, gpg_keys.ed25519_fingerprint)


def test_a_file_signed_by_a_known_key_is_verified(gpg_keys: MadeKeys) -> None:
    read = prefill_from_security_txt(signed(gpg_keys), known_keys=[gpg_keys.rsa, gpg_keys.ed25519])
    assert read.signature == SignatureStatus.VERIFIED
    assert read.signer_fingerprint == gpg_keys.ed25519_fingerprint
    assert read.emails == ["psirt@vendor.example", "security+jp@vendor.example"]
    assert read.problems == []


def test_a_signed_file_with_crlf_line_endings_is_verified(gpg_keys: MadeKeys) -> None:
    text = signed(gpg_keys).replace("\n", "\r\n")
    assert prefill_from_security_txt(text, known_keys=[gpg_keys.ed25519]).signature == SignatureStatus.VERIFIED


def test_a_file_signed_by_another_key_is_reported(gpg_keys: MadeKeys) -> None:
    read = prefill_from_security_txt(signed(gpg_keys), known_keys=[gpg_keys.rsa])
    assert read.signature == SignatureStatus.UNKNOWN_KEY
    assert read.signer_fingerprint == ""
    assert read.emails  # still read, for the coordinator to judge


def test_a_changed_signed_file_is_bad(gpg_keys: MadeKeys) -> None:
    tampered = signed(gpg_keys).replace("mailto:psirt@vendor.example", "mailto:attacker@evil.example")
    read = prefill_from_security_txt(tampered, known_keys=[gpg_keys.ed25519])
    assert read.signature == SignatureStatus.BAD
    assert "attacker@evil.example" in read.emails


def test_only_the_signed_part_is_read(gpg_keys: MadeKeys) -> None:
    text = signed(gpg_keys) + "Contact: mailto:appended@evil.example\n"
    read = prefill_from_security_txt(text, known_keys=[gpg_keys.ed25519])
    assert "appended@evil.example" not in read.emails


def test_dash_escaped_lines_are_unescaped(gpg_keys: MadeKeys) -> None:
    read = prefill_from_security_txt(signed(gpg_keys, "-Comment\n" + FILE), known_keys=[gpg_keys.ed25519])
    assert read.signature == SignatureStatus.VERIFIED
    assert read.problems == ["Line 1 is not a “Field: value” line."]  # "-Comment", unescaped


def test_a_signed_header_without_signature_is_reported() -> None:
    read = prefill_from_security_txt("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + FILE)
    assert read.signature == SignatureStatus.BAD
    assert "holds no signature" in read.problems[0]
