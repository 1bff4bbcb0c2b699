import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from kyocho.core.clock import now
from kyocho.core.ratelimit import RateLimited, hit


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_limit_is_enforced_per_key_and_resets_with_the_window() -> None:
    start = now().replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            hit("test", "198.51.100.7", limit=3, window_seconds=60)
        with pytest.raises(RateLimited) as refused:
            hit("test", "198.51.100.7", limit=3, window_seconds=60)
        assert refused.value.http_status == 429
        assert refused.value.retry_after == 60
        hit("test", "198.51.100.8", limit=3, window_seconds=60)  # another address is not affected
        hit("other-scope", "198.51.100.7", limit=3, window_seconds=60)
    with time_machine.travel(start + dt.timedelta(seconds=60), tick=False):
        hit("test", "198.51.100.7", limit=3, window_seconds=60)


def test_keys_are_not_stored_in_clear() -> None:
    hit("test", "finder@example.net", limit=5, window_seconds=60)
    assert not any("finder@example.net" in str(key) for key in getattr(cache, "_cache", {}))
