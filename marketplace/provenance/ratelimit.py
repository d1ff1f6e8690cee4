"""A fixed one-minute window per client address for the public check: reading a manifest
costs real work, and the page needs no account."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from marketplace.core.http import client_ip

DEFAULT_CHECKS_PER_MINUTE = 30


def allow_check(request: HttpRequest) -> bool:
    """Count one check for the client's address; False once it is over the minute's limit."""
    limit = getattr(settings, "VERIFY_CHECKS_PER_MINUTE", DEFAULT_CHECKS_PER_MINUTE)
    if limit <= 0:
        return True
    key = f"likeness:verify:{client_ip(request) or 'unknown'}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the window's first check
        cache.add(key, 1, timeout=120)
        count = 1
    return count <= limit
