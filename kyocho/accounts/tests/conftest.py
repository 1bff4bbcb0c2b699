from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Login throttling and used TOTP codes live in the cache: every test starts without either."""
    cache.clear()


@pytest.fixture
def client(db: None) -> Any:
    """Pages in English so assertions can read allauth's messages."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")
