"""Cache keys for data of this database."""

from __future__ import annotations

from django.db import connection


def db_key(*parts: object) -> str:
    """A cache key scoped to this database: several deployments (or parallel test runs) may
    share one cache, each with its own rows behind the same ids."""
    return ":".join([connection.settings_dict["NAME"], *map(str, parts)])
