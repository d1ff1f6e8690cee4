"""The shared cache: the counter takes Redis's one round trip when the cache is Redis, and the
tests' clean-up removes only their own database's keys (the broker and the other test
processes share that Redis database)."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.db import connection

from marketplace.core.caching import db_key, incr_with_timeout, redis_backend
from tests.caching import clear_own_keys

on_redis = pytest.mark.skipif(
    redis_backend() is None, reason="the cache is Redis only with REDIS_URL"
)


@on_redis
def test_the_default_cache_is_seen_as_redis_through_its_proxy():
    # `cache` is a proxy: only the backend behind it is a RedisCache
    assert redis_backend() is not None


@on_redis
def test_on_redis_the_counter_is_one_incr_and_expire(monkeypatch):
    backend = redis_backend()
    assert backend is not None

    def refuse(*args, **kwargs):
        raise AssertionError("the counter asked the cache more than once")

    monkeypatch.setattr(type(backend), "add", refuse)
    monkeypatch.setattr(type(backend), "incr", refuse)
    key = f"counter-{uuid.uuid4().hex}"

    assert [incr_with_timeout(key, timeout=30) for _ in range(3)] == [1, 2, 3]
    client = backend._cache.get_client(backend.make_key(key))  # type: ignore[attr-defined]
    assert 0 < client.ttl(backend.make_key(key)) <= 30  # the first count set its expiry
    assert cache.get(key) == 3  # a plain integer, as the cache reads it back


@on_redis
def test_clearing_own_keys_leaves_other_databases_keys_alone():
    ours, theirs = db_key("probe", uuid.uuid4().hex), f"other_db:probe:{uuid.uuid4().hex}"
    cache.set(ours, 1, 60)
    cache.set(theirs, 1, 60)
    try:
        clear_own_keys()

        assert cache.get(ours) is None
        assert cache.get(theirs) == 1
        assert ours.startswith(f"{connection.settings_dict['NAME']}:")
    finally:
        cache.delete(theirs)


def test_the_counter_counts_on_any_cache():
    key = f"counter-{uuid.uuid4().hex}"

    assert [incr_with_timeout(key, timeout=30) for _ in range(3)] == [1, 2, 3]
