"""Throttling per API key (and per user, per address), answered 429 in the error format."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import issue_key, key_client, session_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min", "api_user": "2/min", "api_anon": "1/min"},
    }


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
