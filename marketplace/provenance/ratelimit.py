"""A fixed one-minute window per client address for the public check: reading a manifest
costs real work, and the page needs no account."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest

from marketplace.core.caching import db_key, incr_with_timeout
from marketplace.core.http import client_ip

DEFAULT_CHECKS_PER_MINUTE = 30


def allow_check(request: HttpRequest) -> bool:
    """Count one check for the client's address; False once it is over the minute's limit."""
    limit = getattr(settings, "VERIFY_CHECKS_PER_MINUTE", DEFAULT_CHECKS_PER_MINUTE)
    if limit <= 0:
        return True
    minute = int(time.time() // 60)
    count = incr_with_timeout(
        db_key("verify", client_ip(request) or "unknown", minute), timeout=120
    )
    return count <= limit
