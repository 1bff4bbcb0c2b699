"""The coordinator's own OpenPGP key, kept by the real ``gpg`` in DATA_DIR/gnupg, for reports that
finders encrypt in the browser or with their own tools before submitting them.

The key is Ed25519 (certify + sign) with a Cv25519 encryption subkey, v4 so that GnuPG 2.2 reads it,
and has no passphrase: the server decrypts unattended; the key is protected by the file system
(the directory is 0700 and belongs to the service account).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import gnupg
from django.conf import settings
from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput

ARMOUR_HEADER = "-----BEGIN PGP MESSAGE-----"
ARMOURED_LIMIT = 200_000
_lock = threading.Lock()  # gpg-agent serialises anyway; this keeps key creation from running twice


@dataclass(frozen=True)
class DecryptResult:
    text: str
    signature_status: str  # "" unsigned, "valid", or "unverified" (signed, but by a key we lack or distrust)


def gnupg_home() -> Path:
    home = Path(settings.DATA_DIR) / "gnupg"
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    home.chmod(0o700)  # gpg warns about, and some versions refuse, group- or world-readable homes
    return home


def _gpg() -> gnupg.GPG:
    gpg = gnupg.GPG(gnupghome=str(gnupg_home()))
    gpg.encoding = "utf-8"
    return gpg


def coordinator_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "cvd@localhost"


def _secret_fingerprint(gpg: gnupg.GPG) -> str | None:
    keys = gpg.list_keys(secret=True)
    return str(keys[0]["fingerprint"]) if keys else None


def ensure_coordinator_key() -> str:
    """The coordinator key's fingerprint, creating the key first when there is none."""
    with _lock:
        gpg = _gpg()
        existing = _secret_fingerprint(gpg)
        if existing:
            return existing
        created = gpg.gen_key(
            gpg.gen_key_input(
                key_type="EDDSA",
                key_curve="ed25519",
                key_usage="sign",
                subkey_type="ECDH",
                subkey_curve="cv25519",
                subkey_usage="encrypt",
                name_real="kyocho coordinator",
                name_email=coordinator_address(),
                expire_date=0,
                no_protection=True,
            )
        )
        if not created.fingerprint:
            raise RuntimeError(f"gpg could not create the coordinator key: {created.stderr}")
        return str(created.fingerprint)


def coordinator_public_key() -> tuple[str, str]:
    """(ASCII-armoured public key, fingerprint), or ("", "") before ``kyocho keys init``."""
    gpg = _gpg()
    fingerprint = _secret_fingerprint(gpg)
    if not fingerprint:
        return "", ""
    return str(gpg.export_keys(fingerprint)), fingerprint


def looks_encrypted(text: str) -> bool:
    return text.lstrip().startswith(ARMOUR_HEADER)


def decrypt(armored: str, *, field: str = "description") -> DecryptResult:
    """Decrypt a message sent to the coordinator key; anything else is a field error."""
    if not isinstance(armored, str) or len(armored) > ARMOURED_LIMIT or not looks_encrypted(armored):
        raise InvalidInput(_("Paste the encrypted text in its ASCII-armoured form."), field=field)
    result = _gpg().decrypt(armored)
    if not result.ok:
        raise InvalidInput(
            _("The encrypted text could not be decrypted. Encrypt it to the key shown on this page."), field=field
        )
    try:
        text = result.data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(_("The decrypted text is not readable text (UTF-8)."), field=field) from error
    return DecryptResult(text=text, signature_status=_signature_status(result))


def _signature_status(result: Any) -> str:
    if result.valid:
        return "valid"
    # gpg announces each signature it meets with NEWSIG, whether or not it can check it.
    return "unverified" if "[GNUPG:] NEWSIG" in (result.stderr or "") else ""


def coordinator_secret_key() -> str:
    """The coordinator's secret key, ASCII-armoured, for signing in-process (it has no passphrase)."""
    gpg = _gpg()
    fingerprint = _secret_fingerprint(gpg)
    if not fingerprint:
        raise RuntimeError("There is no coordinator key yet; run `kyocho keys init`.")
    return str(gpg.export_keys(fingerprint, secret=True, expect_passphrase=False))


def gnupg_for_mail() -> gnupg.GPG:
    """The coordinator's GnuPG, for reading incoming mail (see ``pgpmime.open_message``)."""
    return _gpg()
