"""System entry points: public services that act for nobody in particular.

A service that acts for someone takes the actor (`by=`) and checks role and tenancy itself.
The few that do not (called by a worker, the beat schedule, Stripe's webhook, or to mirror
Stripe's state) say so with `@system_entry_point`, so that a test can list every public
service and refuse one that takes no actor without being marked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

MARKER = "__system_entry_point__"

# "module.function" of every marked service, filled as the modules are imported.
SYSTEM_ENTRY_POINTS: set[str] = set()


def system_entry_point(func: F) -> F:
    """Mark `func` as called by the system (a task, a webhook, a sweep), not for an actor."""
    setattr(func, MARKER, True)
    SYSTEM_ENTRY_POINTS.add(f"{func.__module__}.{func.__qualname__}")
    return func


def is_system_entry_point(func: Callable[..., Any]) -> bool:
    return bool(getattr(func, MARKER, False))
