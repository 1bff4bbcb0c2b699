"""A developer's vendor admin adds an OpenPGP key in a real browser and reads its fingerprint back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kyocho.accounts.models import User
from kyocho.conftest import give_totp
from kyocho.vendors.templatetags.key_ui import fingerprint_blocks
from kyocho.vendors.tests.gpgkeys import MadeKeys, gpg_keys
from kyocho.vendors.tests.helpers import listed

__all__ = ["gpg_keys"]  # the session fixture, imported so pytest finds it
pytestmark = pytest.mark.browser


def test_vendor_admin_adds_a_key_and_sees_its_fingerprint(
    page: Any, lead: User, coordinator: User, gpg_keys: MadeKeys, sign_in: Callable[[User], None]
) -> None:
    registration = listed(lead, coordinator)
    assert registration.applicant is not None
    admin = User.objects.get(pk=registration.applicant.pk)
    give_totp(admin)
    sign_in(admin)
    page.goto(f"/portal/registry/{registration.pk}/")
    page.locator("#key-armored").fill(gpg_keys.ed25519)
    page.locator("#keys form.form button[type=submit]").click()
    page.wait_for_url(f"**/portal/registry/{registration.pk}/#keys")
    fingerprint = page.locator("#keys code.fingerprint").first
    assert fingerprint.inner_text() == fingerprint_blocks(gpg_keys.ed25519_fingerprint)
    assert registration.keys.get().fingerprint == gpg_keys.ed25519_fingerprint
