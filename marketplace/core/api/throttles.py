"""Throttling per API key (and per user for the browser, per address for anonymous calls).

Counts live in the cache: Redis in production, so every web process shares them."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .auth import request_api_key


class ApiRateThrottle(SimpleRateThrottle):
    """Rates from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]: `api_key`, `api_user`, `api_anon`."""

    cache_format = "api-throttle:%(scope)s:%(ident)s"

    def __init__(self) -> None:
        # The rate depends on who calls; it is chosen per request in allow_request.
        self.rate = None

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
        self.scope, self.ident = self._identify(request)
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}
