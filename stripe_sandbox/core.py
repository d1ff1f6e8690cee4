"""Shared plumbing: configuration, request context, ids, clock, routing table."""

from __future__ import annotations

import re
import secrets
import string
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .forms import Params

if TYPE_CHECKING:
    from .app import App
    from .store import Store

DEFAULT_API_VERSION = "2026-10-28.endive"
_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_1" + "".join(secrets.choice(_ALPHABET) for _ in range(length - 1))


def random_token(length: int = 32) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass
class Config:
    """Runtime settings; set from the command line, adjustable via ``POST /_sandbox/config``."""

    rate_limit: int | None = None
    endpoint_rate_limits: dict[str, int] = field(default_factory=dict)
    idempotency_ttl: float = 24 * 3600
    webhook_retry_base: float = 2.0
    webhook_retry_max_delay: float = 3600.0
    webhook_max_attempts: int = 8
    webhook_timeout: float = 10.0
    forward_to: str | None = None
    webhook_secret: str | None = None
    fee_percent: Decimal = Decimal("2.9")
    fee_fixed: int = 30
    public_url: str | None = None
    clock_offset: float = 0.0
    # Stripe test mode: card funds stay pending for about two days (``available_on``), payouts
    # arrive about two days after they are made; refunds of the pending-refund card settle later.
    available_delay: float = 2 * 86400
    payout_delay: float = 2 * 86400
    refund_delay: float = 86400

    def public(self) -> dict[str, Any]:
        return {
            "rate_limit": self.rate_limit,
            "endpoint_rate_limits": dict(self.endpoint_rate_limits),
            "idempotency_ttl": self.idempotency_ttl,
            "webhook_retry_base": self.webhook_retry_base,
            "webhook_retry_max_delay": self.webhook_retry_max_delay,
            "webhook_max_attempts": self.webhook_max_attempts,
            "webhook_timeout": self.webhook_timeout,
            "forward_to": self.forward_to,
            "webhook_secret": self.webhook_secret,
            "fee_percent": str(self.fee_percent),
            "fee_fixed": self.fee_fixed,
            "public_url": self.public_url,
            "clock_offset": self.clock_offset,
            "available_delay": self.available_delay,
            "payout_delay": self.payout_delay,
            "refund_delay": self.refund_delay,
        }

    def update(self, values: dict[str, Any]) -> None:
        casts: dict[str, Callable[[Any], Any]] = {
            "rate_limit": lambda v: int(v) if v not in (None, "", 0, "0") else None,
            "endpoint_rate_limits": lambda v: {str(k): int(n) for k, n in (v or {}).items()},
            "idempotency_ttl": float,
            "webhook_retry_base": float,
            "webhook_retry_max_delay": float,
            "webhook_max_attempts": int,
            "webhook_timeout": float,
            "forward_to": lambda v: v or None,
            "webhook_secret": lambda v: v or None,
            "fee_percent": lambda v: Decimal(str(v)),
            "fee_fixed": int,
            "public_url": lambda v: (v or None) and str(v).rstrip("/"),
            "clock_offset": float,
            "available_delay": float,
            "payout_delay": float,
            "refund_delay": float,
        }
        unknown = set(values) - set(casts)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        for key, value in values.items():
            setattr(self, key, casts[key](value))


@dataclass
class Context:
    """Everything a resource handler needs for one API call (or one page action)."""

    app: App
    account: str  # '' is the platform
    params: Params
    path: dict[str, str]
    base_url: str
    api_version: str
    request_id: str | None = None
    idempotency_key: str | None = None
    api_key: str = ""

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def now(self) -> int:
        return self.app.now()

    @property
    def config(self) -> Config:
        return self.app.config


# API handlers take a Context; the sandbox's own endpoints take (values, path parameters).
Handler = Callable[..., Any]


@dataclass
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler

    @property
    def name(self) -> str:
        return f"{self.method} {self.pattern}"


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, pattern, regex, handler))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.regex.match(path)
            if found:
                return route, found.groupdict()
        return None


class RateLimiter:
    """Sliding one-second windows, overall and per endpoint (``"POST /v1/transfers"``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, checks: list[tuple[str, int]]) -> bool:
        now = time.monotonic()
        with self._lock:
            windows = []
            for key, limit in checks:
                window = self._windows[key]
                while window and window[0] <= now - 1.0:
                    window.popleft()
                if len(window) >= limit:
                    return False
                windows.append(window)
            for window in windows:
                window.append(now)
            return True

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
