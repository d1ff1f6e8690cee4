"""Cache keys for data of this database, and an atomic counter."""

from __future__ import annotations

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection


def db_key(*parts: object) -> str:
    """A cache key scoped to this database: several deployments (or parallel test runs) may
    share one cache, each with its own rows behind the same ids."""
    return ":".join([connection.settings_dict["NAME"], *map(str, parts)])


def redis_backend() -> RedisCache | None:
    """The default cache's backend when it is Redis, else None. (`cache` is a proxy to it, never
    an instance of a backend class: `isinstance(cache, RedisCache)` is always False.)"""
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def incr_with_timeout(key: str, *, timeout: int) -> int:
    """Add one to the counter at `key` (created at 1, expiring `timeout` seconds after its
    first count) and return the new count. Atomic: concurrent callers each get their own.

    On Redis, INCR and EXPIRE NX go in one round trip (Django's `cache.incr` asks whether the
    key exists first, and `add` another time when it does not). Elsewhere (the in-memory
    cache of development), `add` then `incr`."""
    backend = redis_backend()
    if backend is not None:
        full_key = backend.make_and_validate_key(key)
        # Django's Redis cache stores integers as plain Redis integers: INCR works on them.
        client = backend._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
        with client.pipeline() as pipe:
            pipe.incr(full_key)
            pipe.expire(full_key, timeout, nx=True)
            count, _ = pipe.execute()
        return int(count)
    while True:
        if cache.add(key, 1, timeout=timeout):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # it expired between the two: start it again
            continue
