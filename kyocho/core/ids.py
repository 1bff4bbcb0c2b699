"""Identifiers shown to people: random, never sequential (ids must not reveal volume or order)."""

from __future__ import annotations

import hashlib
import secrets


def random_digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


def public_reference(prefix: str) -> str:
    """Like ``KYR-7Q4M-2XHP``: unambiguous letters and digits, 40 bits of randomness."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    body = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def new_secret_token() -> str:
    """At least 128 bits of randomness, URL-safe (here 256)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
