"""Throttling per API key (and per user for the browser, per address for anonymous calls).

A fixed window per caller: each request adds one to the caller's counter for the current
window (`DEFAULT_THROTTLE_RATES`, e.g. 600 a minute) and is refused (429, with Retry-After
until the window ends) once the count passes the rate. Counts live in the cache (Redis in
production, so every web process shares them); on Redis a request costs one round trip of a
few bytes, however high the rate. (DRF's own throttle keeps every request's timestamp of the
window in one cached list, read and rewritten whole by each request: at high rates that list
grows to hundreds of kilobytes, and concurrent requests overwrite each other's entries.)
"""

from __future__ import annotations

import time

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from marketplace.core.caching import db_key, incr_with_timeout

from .auth import request_api_key


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" → (600, 60): requests allowed per window, and the window in seconds (DRF's
    notation: s, m, h or d, with anything after the first letter ignored)."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


class ApiRateThrottle(BaseThrottle):
    """Rates from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]: `api_key`, `api_user`, `api_anon`."""

    cache_format = "api-throttle:%(scope)s:%(ident)s"

    def __init__(self) -> None:
        self.window_ends = 0.0

    def _identify(self, request: Request) -> tuple[str, str]:
        api_key = request_api_key(request)
        if api_key is not None:
            # The random prefix, not the row id: ids are reused by test databases that share
            # one Redis, prefixes never.
            return "api_key", api_key.prefix
        user = request.user
        if user and user.is_authenticated:
            return "api_user", f"{user.pk}.{int(user.date_joined.timestamp() * 1e6)}"
        return "api_anon", self.get_ident(request)

    def allow_request(self, request: Request, view) -> bool:
        scope, ident = self._identify(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if rate is None:
            return True
        allowed, seconds = parse_rate(rate)
        window = int(time.time() // seconds)
        self.window_ends = (window + 1) * seconds
        # Scoped to this database, as every key of ours: deployments (and parallel test runs)
        # sharing one cache must not spend each other's anonymous allowance.
        key = db_key(self.cache_format % {"scope": scope, "ident": ident}, window)
        # The key outlives its window by a second, so a request at the window's very end
        # never finds it expired; the next window has a key of its own.
        return incr_with_timeout(key, timeout=seconds + 1) <= allowed

    def wait(self) -> float:
        return max(self.window_ends - time.time(), 1.0)
