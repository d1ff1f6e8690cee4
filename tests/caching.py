"""The cache as the tests share it: several test processes (pytest-xdist) use one Redis
database, each with its own test database, and the product's keys name their database
(`core.caching.db_key`). A test that wants a clean cache removes its own keys only:
`cache.clear()` would empty the other processes' too (their counters, throttles, flags)."""

from __future__ import annotations

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connection


def clear_own_keys() -> None:
    """Remove this database's keys (all keys, for a cache private to this process)."""
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    pattern = cache.make_key(f"{connection.settings_dict['NAME']}:*")
    client = cache._cache.get_client(pattern, write=True)  # type: ignore[attr-defined]
    for key in client.scan_iter(match=pattern, count=1000):
        client.delete(key)
