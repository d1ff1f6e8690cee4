"""Checks that the real services the suite needs are there when CI says they must be."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=3
        ):
            return True
    except OSError:
        return False


def require_services_in_ci() -> str | None:
    """Return what is missing under CI=true, or None."""
    if os.environ.get("CI", "").lower() != "true":
        return None
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL does not point at PostgreSQL"
    if not _reachable(database_url, 5432):
        return f"PostgreSQL is unreachable at {urlparse(database_url).netloc}"
    if not redis_url.startswith("redis://"):
        return "REDIS_URL is not set"
    if not _reachable(redis_url, 6379):
        return f"Redis is unreachable at {urlparse(redis_url).netloc}"
    return None
