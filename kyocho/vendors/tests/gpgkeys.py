"""Test keys made by the real ``gpg`` binary, once per test session.

Everything happens in a private GNUPGHOME (a short path: gpg-agent's socket path is limited) with
empty passphrases, so generation is quick and nothing touches the user's own keyring.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kyocho.vendors.keys import crc24

GPG = shutil.which("gpg") or "gpg"


@dataclass
class KeyFactory:
    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kg")))

    def __post_init__(self) -> None:
        self.home.chmod(0o700)

    def gpg(self, *args: str, stdin: str | None = None) -> str:
        command = [GPG, "--homedir", str(self.home), "--batch", "--yes", "--pinentry-mode", "loopback"]
        command += ["--passphrase", "", *args]
        done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=True)
        return done.stdout

    def generate(self, uid: str, algorithm: str, usage: str, expire: str = "2y", *, faked_time: str = "") -> str:
        """A new primary key; returns its fingerprint."""
        faked = ["--faked-system-time", faked_time] if faked_time else []
        self.gpg(*faked, "--quick-gen-key", uid, algorithm, usage, expire)
        return self.fingerprint(uid)

    def add_subkey(self, fingerprint: str, algorithm: str, usage: str, expire: str = "2y") -> None:
        self.gpg("--quick-add-key", fingerprint, algorithm, usage, expire)

    def fingerprint(self, uid: str) -> str:
        listing = self.gpg("--with-colons", "--list-keys", f"={uid}")
        return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))

    def export(self, *fingerprints: str) -> str:
        return self.gpg("--armor", "--export", *fingerprints)

    def export_secret(self, fingerprint: str) -> str:
        return self.gpg("--armor", "--export-secret-keys", fingerprint)

    def revoke(self, fingerprint: str) -> None:
        # gpg writes a revocation certificate for every new key, its armour line disarmed with ":".
        certificate = (self.home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
        self.gpg("--import", stdin=certificate.replace(":-----BEGIN", "-----BEGIN"))

    def clearsign(self, text: str, fingerprint: str) -> str:
        return self.gpg("--local-user", fingerprint, "--clearsign", stdin=text)

    def close(self) -> None:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env={**os.environ, "GNUPGHOME": str(self.home)},
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.home, ignore_errors=True)


@dataclass
class MadeKeys:
    """Armoured keys for every case the key checks distinguish, and the factory that made them."""

    factory: KeyFactory
    rsa: str
    rsa_fingerprint: str
    ed25519: str
    ed25519_fingerprint: str
    stranger: str  # a valid key whose user id matches no contact of the test developer
    stranger_fingerprint: str
    expired: str
    revoked: str
    sign_only: str
    secret: str
    two_keys: str


def make_test_keys() -> MadeKeys:
    factory = KeyFactory()
    rsa = factory.generate("RSA Developer <psirt@vendor.example>", "rsa3072", "sign,cert")
    factory.add_subkey(rsa, "rsa3072", "encr")
    ed = factory.generate("Ed Developer <security@vendor.example>", "ed25519", "sign,cert")
    factory.add_subkey(ed, "cv25519", "encr", "1y")  # expires before its primary key
    stranger = factory.generate("Somebody Else <someone@elsewhere.example>", "future-default", "default")
    expired = factory.generate(
        "Expired Developer <old@vendor.example>", "future-default", "default", "1d", faked_time="20200101T000000"
    )
    revoked = factory.generate("Revoked Developer <gone@vendor.example>", "future-default", "default")
    factory.revoke(revoked)
    sign_only = factory.generate("Signer Only <signer@vendor.example>", "ed25519", "sign,cert")
    return MadeKeys(
        factory=factory,
        rsa=factory.export(rsa),
        rsa_fingerprint=rsa,
        ed25519=factory.export(ed),
        ed25519_fingerprint=ed,
        stranger=factory.export(stranger),
        stranger_fingerprint=stranger,
        expired=factory.export(expired),
        revoked=factory.export(revoked),
        sign_only=factory.export(sign_only),
        secret=factory.export_secret(ed),
        two_keys=factory.export(rsa, ed),
    )


@pytest.fixture(scope="session")
def gpg_keys() -> Iterator[MadeKeys]:
    """Import this fixture into a test module: ``from kyocho.vendors.tests.gpgkeys import gpg_keys``."""
    made = make_test_keys()
    yield made
    made.factory.close()


def armour(data: bytes, kind: str = "PGP PUBLIC KEY BLOCK") -> str:
    """ASCII armour around raw packets, for hand-made keys gpg itself cannot produce."""
    body = base64.b64encode(data).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    checksum = base64.b64encode(crc24(data).to_bytes(3, "big")).decode()
    return "\n".join([f"-----BEGIN {kind}-----", "", *lines, f"={checksum}", f"-----END {kind}-----", ""])


def key_packet(version: int, algorithm: int, material: bytes = b"\x01" * 40) -> bytes:
    """A new-format public-key packet (tag 6) with the given version and algorithm."""
    body = bytes([version]) + (1_600_000_000).to_bytes(4, "big") + bytes([algorithm]) + material
    return bytes([0xC0 | 6, len(body)]) + body
