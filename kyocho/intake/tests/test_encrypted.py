"""Encrypted reports: a finder encrypts the description to the coordinator's key with the real
``gpg`` (in a GnuPG home of its own), and the server decrypts it with its own key."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gnupg
import pytest
from django.core.cache import cache
from django.test import override_settings

from kyocho.core.errors import InvalidInput
from kyocho.intake.models import Report
from kyocho.intake.tests.formhelpers import post_report
from kyocho.messaging import openpgp
from kyocho.messaging.gpgtesting import coordinator_data_dir, kill_agent

SECRET = "Heap overflow in the TLV parser: 長さフィールドが検証されていない。"


@pytest.fixture(scope="session")
def server_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from coordinator_data_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def finder(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[gnupg.GPG]:
    """The finder's own GnuPG, holding the coordinator's public key and a key of its own."""
    home = tmp_path_factory.mktemp("finder")
    home.chmod(0o700)
    gpg = gnupg.GPG(gnupghome=str(home))
    with override_settings(DATA_DIR=server_data):
        armored, _fingerprint = openpgp.coordinator_public_key()
    gpg.import_keys(armored)
    gpg.gen_key(
        gpg.gen_key_input(
            key_type="EDDSA", key_curve="ed25519", subkey_type="ECDH", subkey_curve="cv25519",
            name_email="finder@example.net", no_protection=True, expire_date=0,
        )
    )  # fmt: skip
    yield gpg
    kill_agent(home)


@pytest.fixture(autouse=True)
def _server(settings: Any, server_data: Path) -> None:
    settings.DATA_DIR = server_data
    cache.clear()


def encrypt(finder: gnupg.GPG, text: str, *, to: str, compressed: bool = True) -> str:
    extra = [] if compressed else ["--compress-algo", "none"]
    result = finder.encrypt(text.encode(), [to], always_trust=True, armor=True, extra_args=extra)
    assert result.ok, result.stderr
    return str(result)


def coordinator_fingerprint() -> str:
    return openpgp.coordinator_public_key()[1]


def test_coordinator_key_is_ed25519_and_cv25519_v4_in_a_private_home(server_data: Path) -> None:
    home = server_data / "gnupg"
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    [key] = gnupg.GPG(gnupghome=str(home)).list_keys(secret=True)
    assert key["algo"] == "22"  # EdDSA
    assert key["curve"] == "ed25519"
    assert [(sub["cap"], sub["curve"]) for sub in key["subkey_info"].values()] == [("e", "cv25519")]
    assert len(key["fingerprint"]) == 40  # v4
    assert openpgp.ensure_coordinator_key() == key["fingerprint"]  # idempotent


@pytest.mark.parametrize("compressed", [True, False])
def test_decrypts_what_a_finder_encrypted(finder: gnupg.GPG, compressed: bool) -> None:
    armored = encrypt(finder, SECRET, to=coordinator_fingerprint(), compressed=compressed)
    result = openpgp.decrypt(armored)
    assert result.text == SECRET
    assert result.signature_status == ""


def test_signed_message_reports_its_signature(finder: gnupg.GPG) -> None:
    finder_key = finder.list_keys(secret=True)[0]["fingerprint"]
    result = finder.encrypt(
        SECRET.encode(), [coordinator_fingerprint()], sign=finder_key, always_trust=True, armor=True
    )
    decrypted = openpgp.decrypt(str(result))
    assert decrypted.text == SECRET
    assert decrypted.signature_status == "unverified"  # signed, by a key the server does not hold


@pytest.mark.parametrize(
    "armored",
    ["not encrypted", "-----BEGIN PGP MESSAGE-----\n\ngarbage\n-----END PGP MESSAGE-----\n", ""],
)
def test_garbage_is_a_field_error(armored: str) -> None:
    with pytest.raises(InvalidInput) as error:
        openpgp.decrypt(armored)
    assert error.value.field == "description"


def test_encrypted_to_another_key_is_a_field_error(finder: gnupg.GPG) -> None:
    armored = encrypt(finder, SECRET, to="finder@example.net")
    with pytest.raises(InvalidInput) as error:
        openpgp.decrypt(armored)
    assert "could not be decrypted" in error.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("compressed", [True, False])
def test_form_accepts_an_encrypted_description(client_for: Any, finder: gnupg.GPG, compressed: bool) -> None:
    armored = encrypt(finder, SECRET, to=coordinator_fingerprint(), compressed=compressed)
    assert post_report(client_for(None), description=armored).status_code == 302
    assert Report.objects.get().description == SECRET


@pytest.mark.django_db
def test_form_refuses_undecryptable_text_next_to_the_description(client_for: Any, finder: gnupg.GPG) -> None:
    armored = encrypt(finder, SECRET, to="finder@example.net")
    response = post_report(client_for(None), description=armored)
    assert response.status_code == 400
    html = response.content.decode()
    block = html[html.index('id="field-description"') : html.index('id="field-reproduction"')]
    assert "could not be decrypted" in block
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_pages_show_the_key_and_offer_it_for_download(client_for: Any) -> None:
    client = client_for(None)
    fingerprint = coordinator_fingerprint()
    assert fingerprint in client.get("/report/").content.decode()
    assert fingerprint in client.get("/report/web/").content.decode()
    key = client.get("/report/key.asc")
    assert key.status_code == 200
    assert key["Content-Type"] == "application/pgp-keys"
    assert key.content.decode().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")


@pytest.mark.django_db
def test_without_a_key_there_is_nothing_to_download(client_for: Any, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    assert client_for(None).get("/report/key.asc").status_code == 404
    assert "Sending it encrypted" not in client_for(None).get("/report/").content.decode()


def test_keys_command_creates_once_and_shows_the_key(settings: Any, tmp_path: Path) -> None:
    from django.core.management import call_command

    settings.DATA_DIR = tmp_path
    shown = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("keys", "show", stdout=shown, stderr=io.StringIO())
    created, again = io.StringIO(), io.StringIO()
    call_command("keys", "init", stdout=created)
    call_command("keys", "init", stdout=again)
    fingerprint = created.getvalue().strip()
    assert len(fingerprint) == 40
    assert again.getvalue().strip() == fingerprint
    call_command("keys", "show", stdout=shown)
    assert fingerprint in shown.getvalue()
    assert "-----BEGIN PGP PUBLIC KEY BLOCK-----" in shown.getvalue()
    kill_agent(tmp_path / "gnupg")
