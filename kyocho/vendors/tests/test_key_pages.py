"""The key and security.txt pages: the portal panel (add, refuse, revoke, remove), security.txt
reading with its signature checked against the developer's keys, and the coordinators' key checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyocho.accounts.models import User
from kyocho.audit.models import AuditEvent
from kyocho.vendors import actions, key_actions
from kyocho.vendors.models import PublicKey, Registration
from kyocho.vendors.templatetags.key_ui import fingerprint_blocks
from kyocho.vendors.tests.gpgkeys import MadeKeys, gpg_keys
from kyocho.vendors.tests.helpers import listed

__all__ = ["gpg_keys"]  # the session fixture, imported so pytest finds it
pytestmark = pytest.mark.django_db

SECURITY_TXT = (
    "Contact: mailto:psirt@sample.example\n"
    "Contact: mailto:new-psirt@sample.example\n"
    "Expires: 2099-01-01T00:00:00Z\n"
    "Encryption: https://sample.example/pgp-key.txt\n"
    "Policy: https://sample.example/disclosure\n"
    "Preferred-Languages: ja, en\n"
)


def admin_of(registration: Registration) -> User:
    assert registration.applicant is not None
    return User.objects.get(pk=registration.applicant.pk)


@pytest.fixture
def mine(lead: User, coordinator: User) -> Registration:
    return listed(lead, coordinator)


@pytest.fixture
def theirs(lead: User, coordinator: User) -> Registration:
    return listed(lead, coordinator, name="Other KK", email="o@other.example")


def page_of(client: Any, registration: Registration, prefix: str = "portal") -> str:
    response = client.get(f"/{prefix}/registry/{registration.pk}/")
    assert response.status_code == 200
    return str(response.content.decode())


def add_key(client: Any, registration: Registration, armored: str, *, follow: bool = True) -> Any:
    return client.post(f"/portal/registry/{registration.pk}/keys/", {"armored": armored}, follow=follow)


@pytest.mark.parametrize(("language", "heading"), [("en", "OpenPGP keys"), ("ja", "OpenPGP 鍵")])
def test_portal_shows_the_key_panel_and_forms(client_for: Any, mine: Registration, language: str, heading: str) -> None:
    html = page_of(client_for(admin_of(mine), language), mine)
    assert heading in html
    assert 'id="key-armored"' in html and 'id="security-txt-text"' in html


@pytest.mark.parametrize("language", ["en", "ja"])
def test_vendor_admin_adds_a_pasted_key_and_sees_its_fingerprint_in_blocks(
    client_for: Any, mine: Registration, gpg_keys: MadeKeys, language: str
) -> None:
    response = add_key(client_for(admin_of(mine), language), mine, gpg_keys.rsa)
    html = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(f"/portal/registry/{mine.pk}/#keys")
    assert fingerprint_blocks(gpg_keys.rsa_fingerprint) in html
    assert "psirt@vendor.example" in html  # the key's user id
    assert mine.keys.get().fingerprint == gpg_keys.rsa_fingerprint
    assert AuditEvent.objects.filter(name="vendors:key:added").count() == 1


def test_uploaded_key_file_is_read(client_for: Any, mine: Registration, gpg_keys: MadeKeys) -> None:
    upload = SimpleUploadedFile("key.asc", gpg_keys.ed25519.encode(), content_type="text/plain")
    client_for(admin_of(mine)).post(f"/portal/registry/{mine.pk}/keys/", {"key_file": upload})
    assert mine.keys.get().fingerprint == gpg_keys.ed25519_fingerprint


def test_key_is_usable_once_its_user_id_names_a_contact(
    client_for: Any, mine: Registration, gpg_keys: MadeKeys
) -> None:
    admin = admin_of(mine)
    add_key(client_for(admin), mine, gpg_keys.rsa)
    assert "No user id names a contact" in page_of(client_for(admin), mine)
    actions.add_contact(mine.pk, fields={"name": "PSIRT", "email": "psirt@vendor.example"}, actor=admin)
    html = page_of(client_for(admin), mine)
    assert "No user id names a contact" not in html and ">usable<" in html


@pytest.mark.parametrize(
    ("key_name", "message"),
    [("sign_only", "encrypt"), ("secret", "secret"), ("expired", "expired"), ("revoked", "revoked")],
)
def test_refused_keys_show_the_reason_next_to_the_field(
    client_for: Any, mine: Registration, gpg_keys: MadeKeys, key_name: str, message: str
) -> None:
    response = add_key(client_for(admin_of(mine)), mine, getattr(gpg_keys, key_name), follow=False)
    assert response.status_code == 400
    error = response.content.decode().split('id="key-error">')[1].split("</p>")[0]
    assert message in error.lower()
    assert not mine.keys.exists()


def test_garbage_is_refused_and_kept_in_the_field(client_for: Any, mine: Registration) -> None:
    response = add_key(client_for(admin_of(mine)), mine, "not a key at all", follow=False)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="key-error"' in html and "not a key at all</textarea>" in html


def test_revoke_then_remove(client_for: Any, mine: Registration, gpg_keys: MadeKeys) -> None:
    client = client_for(admin_of(mine))
    add_key(client, mine, gpg_keys.rsa)
    key = mine.keys.get()
    html = client.post(f"/portal/registry/{mine.pk}/keys/{key.pk}/", {"action": "revoke"}, follow=True).content.decode()
    assert "The key was revoked" in html and "Revoked" in html
    assert PublicKey.objects.get(pk=key.pk).revoked_at is not None
    again = client.post(
        f"/portal/registry/{mine.pk}/keys/{key.pk}/", {"action": "revoke"}, follow=True
    ).content.decode()
    assert "This key has been revoked." in again
    client.post(f"/portal/registry/{mine.pk}/keys/{key.pk}/", {"action": "remove"})
    assert not mine.keys.exists()
    assert AuditEvent.objects.filter(name="vendors:key:removed").count() == 1


def test_another_developers_keys_are_404(
    client_for: Any, mine: Registration, theirs: Registration, gpg_keys: MadeKeys
) -> None:
    their_key = key_actions.add_public_key(theirs.pk, armored=gpg_keys.rsa, actor=admin_of(theirs))
    client = client_for(admin_of(mine))
    assert add_key(client, theirs, gpg_keys.ed25519, follow=False).status_code == 404
    assert client.post(f"/portal/registry/{theirs.pk}/keys/{their_key.pk}/", {"action": "remove"}).status_code == 404
    # Their key's id under my registration's URL is just as unknown.
    assert client.post(f"/portal/registry/{mine.pk}/keys/{their_key.pk}/", {"action": "revoke"}).status_code == 404
    assert client.post(f"/portal/registry/{theirs.pk}/security-txt/", {"text": SECURITY_TXT}).status_code == 404
    assert PublicKey.objects.filter(pk=their_key.pk, revoked_at__isnull=True).exists()
    assert not theirs.keys.exclude(pk=their_key.pk).exists()


def test_unknown_key_change_is_refused(client_for: Any, mine: Registration, gpg_keys: MadeKeys) -> None:
    client = client_for(admin_of(mine))
    add_key(client, mine, gpg_keys.rsa)
    url = f"/portal/registry/{mine.pk}/keys/{mine.keys.get().pk}/"
    assert "Unknown request." in client.post(url, {"action": "explode"}, follow=True).content.decode()
    assert mine.keys.get().revoked_at is None


# ---- security.txt ----


def read_security_txt(client: Any, registration: Registration, text: str) -> Any:
    return client.post(f"/portal/registry/{registration.pk}/security-txt/", {"text": text})


@pytest.mark.parametrize("language", ["en", "ja"])
def test_security_txt_fields_are_shown(client_for: Any, mine: Registration, language: str) -> None:
    response = read_security_txt(client_for(admin_of(mine), language), mine, SECURITY_TXT)
    html = response.content.decode()
    assert response.status_code == 200
    for value in (
        "new-psirt@sample.example",
        "https://sample.example/disclosure",
        "https://sample.example/pgp-key.txt",
    ):
        assert value in html
    assert "ja, en" in html
    assert 'class="signature signature--unsigned"' in html
    # Only the address that is not a contact yet gets a button.
    assert 'name="email" value="new-psirt@sample.example"' in html
    assert 'name="email" value="psirt@sample.example"' not in html


def test_security_txt_upload_and_expiry(client_for: Any, mine: Registration) -> None:
    expired = SECURITY_TXT.replace("2099", "2020")
    upload = SimpleUploadedFile("security.txt", expired.encode(), content_type="text/plain")
    response = client_for(admin_of(mine)).post(f"/portal/registry/{mine.pk}/security-txt/", {"file": upload})
    assert ">expired<" in response.content.decode()


def test_security_txt_that_is_not_text_is_refused(client_for: Any, mine: Registration) -> None:
    upload = SimpleUploadedFile("security.txt", b"\xff\xfe\x00garbage", content_type="text/plain")
    response = client_for(admin_of(mine)).post(f"/portal/registry/{mine.pk}/security-txt/", {"file": upload})
    assert response.status_code == 400
    assert 'id="security-txt-error"' in response.content.decode()


def test_security_txt_signature_statuses(client_for: Any, mine: Registration, gpg_keys: MadeKeys) -> None:
    client = client_for(admin_of(mine))
    add_key(client, mine, gpg_keys.rsa)
    by_registered = gpg_keys.factory.clearsign(SECURITY_TXT, gpg_keys.rsa_fingerprint)
    by_stranger = gpg_keys.factory.clearsign(SECURITY_TXT, gpg_keys.stranger_fingerprint)
    tampered = by_registered.replace("new-psirt@", "evil@")
    expected = {by_registered: "verified", by_stranger: "unknown_key", tampered: "bad"}
    for text, status in expected.items():
        html = read_security_txt(client, mine, text).content.decode()
        assert f'class="signature signature--{status}"' in html, status
    verified = read_security_txt(client, mine, by_registered).content.decode()
    assert "Signed by one of the developer&#x27;s keys" in verified
    assert fingerprint_blocks(gpg_keys.rsa_fingerprint) in verified


def test_found_address_is_added_as_a_contact(client_for: Any, mine: Registration) -> None:
    client = client_for(admin_of(mine))
    data = {"action": "add_contact", "email": "new-psirt@sample.example", "language": "en"}
    html = client.post(f"/portal/registry/{mine.pk}/security-txt/", data, follow=True).content.decode()
    assert "The address was added as a contact." in html
    assert mine.contacts.get(email="new-psirt@sample.example").language == "en"
    assert AuditEvent.objects.filter(name="vendors:contact:added").exists()
    again = client.post(f"/portal/registry/{mine.pk}/security-txt/", data, follow=True).content.decode()
    assert "This address is already a contact." in again


# ---- staff ----


@pytest.fixture
def stranger_key(mine: Registration, gpg_keys: MadeKeys) -> PublicKey:
    return key_actions.add_public_key(mine.pk, armored=gpg_keys.stranger, actor=admin_of(mine))


@pytest.mark.parametrize(("language", "button"), [("en", "Verify fingerprint"), ("ja", 'id="fingerprint-')])
def test_staff_page_lists_keys_with_the_checks(
    client_for: Any, coordinator: User, mine: Registration, stranger_key: PublicKey, language: str, button: str
) -> None:
    html = page_of(client_for(coordinator, language), mine, "staff")
    assert fingerprint_blocks(stranger_key.fingerprint) in html
    assert button in html
    assert 'name="action" value="accept"' in html


def verify(client: Any, key: PublicKey, fingerprint: str) -> str:
    url = f"/staff/registry/{key.registration_id}/keys/{key.pk}/"
    return str(client.post(url, {"action": "verify", "fingerprint": fingerprint}, follow=True).content.decode())


def test_wrong_fingerprint_is_refused_with_a_message(
    client_for: Any, coordinator: User, stranger_key: PublicKey
) -> None:
    html = verify(client_for(coordinator), stranger_key, "0" * 40)
    assert "This fingerprint is not the key&#x27;s fingerprint" in html
    assert PublicKey.objects.get(pk=stranger_key.pk).verified_at is None


def test_fingerprint_read_out_in_blocks_is_recorded(
    client_for: Any, coordinator: User, stranger_key: PublicKey
) -> None:
    html = verify(client_for(coordinator), stranger_key, fingerprint_blocks(stranger_key.fingerprint).lower())
    assert "The fingerprint matches" in html and coordinator.email in html
    assert PublicKey.objects.get(pk=stranger_key.pk).verified_by == coordinator
    assert AuditEvent.objects.filter(name="vendors:key:verified").count() == 1


def test_coordinator_accepts_a_key_without_a_matching_user_id(
    client_for: Any, coordinator: User, stranger_key: PublicKey
) -> None:
    url = f"/staff/registry/{stranger_key.registration_id}/keys/{stranger_key.pk}/"
    html = client_for(coordinator).post(url, {"action": "accept"}, follow=True).content.decode()
    assert "The key was accepted for this developer." in html
    assert PublicKey.objects.get(pk=stranger_key.pk).accepted_without_matching_uid
    again = client_for(coordinator).post(url, {"action": "accept"}, follow=True).content.decode()
    assert "This key has already been accepted." in again
    assert AuditEvent.objects.filter(name="vendors:key:accepted_without_matching_uid").count() == 1


def test_key_checks_are_not_for_developers(client_for: Any, mine: Registration, stranger_key: PublicKey) -> None:
    client = client_for(admin_of(mine))
    url = f"/staff/registry/{mine.pk}/keys/{stranger_key.pk}/"
    assert client.post(url, {"action": "verify", "fingerprint": stranger_key.fingerprint}).status_code == 404
    assert PublicKey.objects.get(pk=stranger_key.pk).verified_at is None


def test_staff_key_under_the_wrong_registration_is_404(
    client_for: Any, coordinator: User, theirs: Registration, stranger_key: PublicKey
) -> None:
    url = f"/staff/registry/{theirs.pk}/keys/{stranger_key.pk}/"
    assert client_for(coordinator).post(url, {"action": "accept"}).status_code == 404
