"""Client-side rate limit for Stripe calls, shared by every worker through Redis.

Stripe allows 25 requests/s in test mode and 100 live; we stay under a configured rate
so payout runs never meet 429s. Without Redis (embedded default: one worker) the limit is
kept in-process.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings

_lock = threading.Lock()
_last: list[float] = [0.0]


def stripe_rate_limit() -> None:
    """Block until one more Stripe request fits under STRIPE_MAX_REQUESTS_PER_SECOND."""
    rate = settings.STRIPE_MAX_REQUESTS_PER_SECOND
    if rate <= 0:
        return
    if settings.REDIS_URL:
        _redis_wait(rate)
    else:
        _local_wait(rate)


def _local_wait(rate: float) -> None:
    interval = 1.0 / rate
    with _lock:
        now = time.monotonic()
        wait = _last[0] + interval - now
        _last[0] = max(now, _last[0] + interval)
    if wait > 0:
        time.sleep(wait)


def _redis_wait(rate: float) -> None:
    """A fixed one-second window shared by all workers: at most `rate` calls in it; the rest
    wait for the next window."""
    redis_client = _client()
    limit = max(1, int(rate))
    while True:
        now = time.time()
        window = int(now)
        key = f"likeness:stripe-rate:{window}"
        count = redis_client.incr(key)
        if count == 1:
            redis_client.expire(key, 5)
        if count <= limit:
            return
        time.sleep(window + 1 - now)


_redis = None


def _client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis
