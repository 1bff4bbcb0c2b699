"""Fixed-window rate limits kept in Django's cache (per process by default; Redis when configured).

Used for anonymous report submission and other abuse-prone entry points; no third-party CAPTCHA.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils.translation import gettext as _

from kyocho.core.clock import now
from kyocho.core.errors import DomainError


class RateLimited(DomainError):
    http_status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(_("Too many requests. Please try again in %(seconds)d seconds.") % {"seconds": retry_after})
        self.retry_after = retry_after


def hit(scope: str, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one request for ``key`` in ``scope``; raise RateLimited past ``limit`` in the window.

    Keys are hashed so addresses and emails are never stored in the cache as they are."""
    moment = int(now().timestamp())
    window = moment // window_seconds
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    cache_key = f"kyocho:rl:{scope}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 1)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=(window + 1) * window_seconds - moment)
