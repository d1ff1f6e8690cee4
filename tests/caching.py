"""The cache as the tests share it: several test processes (pytest-xdist) use one Redis
database, each with its own test database, and the product's keys name their database
(`core.caching.db_key`). A test that wants a clean cache removes its own keys only:
`cache.clear()` would empty the other processes' too (their counters, throttles, flags)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection

from marketplace.core.caching import redis_backend


def clear_own_keys() -> None:
    """Remove this database's keys (all keys, for a cache private to this process)."""
    backend = redis_backend()
    if backend is None:
        cache.clear()
        return
    pattern = backend.make_key(f"{connection.settings_dict['NAME']}:*")
    client = backend._cache.get_client(pattern, write=True)  # type: ignore[attr-defined]
    for key in client.scan_iter(match=pattern, count=1000):
        client.delete(key)
