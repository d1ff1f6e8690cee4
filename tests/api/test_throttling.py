"""Throttling per API key (and per user, per address), answered 429 in the error format."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import issue_key, key_client, session_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings, monkeypatch):
    """Low rates, and the throttle's clock held in the middle of a minute: a test's requests
    never straddle two windows (the count would start again in the second)."""
    from marketplace.core.api import throttles

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min", "api_user": "2/min", "api_anon": "1/min"},
    }
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: 60.0 * 1_000_000 + 30))


def test_each_key_has_its_own_budget(world, low_rates):
    first = key_client(world.tokens["brand_a"])
    second = key_client(issue_key(world.members["brand_a_owner"], name="second"))

    statuses = [first.get("/api/v1/me").status_code for _ in range(4)]
    throttled = first.get("/api/v1/me")

    assert statuses == [200, 200, 200, 429]
    assert throttled.json()["error"]["code"] == "throttled"
    assert int(throttled.headers["Retry-After"]) > 0
    assert second.get("/api/v1/me").status_code == 200


def test_sessions_and_anonymous_callers_are_throttled_too(world, low_rates):
    browser = session_client(world.user("brand_a_manager"))
    anonymous = APIClient()

    assert [browser.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    assert [anonymous.get("/api/v1/me").status_code for _ in range(2)] == [401, 429]


def test_wrong_keys_are_throttled_per_address(world, low_rates):
    guesser = key_client("lk_00000000_guess")

    assert [guesser.get("/api/v1/me").status_code for _ in range(2)] == [401, 429]


def test_the_budget_comes_back_when_the_window_ends(world, low_rates, monkeypatch):
    from marketplace.core.api import throttles

    clock = [60.0 * 1_000_000 + 50]  # ten seconds before a minute's end
    monkeypatch.setattr(throttles.time, "time", lambda: clock[0])
    client = key_client(world.tokens["brand_a"])

    assert [client.get("/api/v1/me").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = client.get("/api/v1/me")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    clock[0] += 10
    assert client.get("/api/v1/me").status_code == 200


def test_concurrent_requests_are_each_counted():
    # DRF's list-of-timestamps throttle loses counts when requests overlap (each rewrites the
    # list it read); the counter gives every caller its own number, whatever the rate.
    import threading
    import uuid

    from django.core.cache import cache

    from marketplace.core.caching import incr_with_timeout

    key = f"test-counter-{uuid.uuid4().hex}"
    counts: list[int] = []

    def count(n: int) -> None:
        for _ in range(n):
            counts.append(incr_with_timeout(key, timeout=30))

    threads = [threading.Thread(target=count, args=(50,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(counts) == list(range(1, 401))
        assert cache.get(key) == 400
    finally:
        cache.delete(key)
