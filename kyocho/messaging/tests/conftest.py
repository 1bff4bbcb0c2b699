from typing import Any

import pytest

from kyocho.messaging.testing import smtp_server

__all__ = ["smtp_server"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs most of a second per test user; these tests do not test passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
