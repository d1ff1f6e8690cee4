"""How payments tells the apps above it about a use: one hook, like licensing's.

Provenance credentials the picture of a use; it sits above payments, so payments never imports
it. Instead the usage service announces each use recorded with a picture here, and provenance
subscribes in its `AppConfig.ready()`. Handlers run after the use commits (a use rolled back is
never announced) and get the use's id, never the row: they start work elsewhere (a task).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.db import transaction

UseHandler = Callable[[int], None]

_picture_recorded: list[UseHandler] = []


def on_picture_recorded(handler: UseHandler) -> None:
    """Call `handler(use_id)` after each use recorded with a picture commits. Idempotent."""
    if handler not in _picture_recorded:
        _picture_recorded.append(handler)


def picture_recorded(use_id: int) -> None:
    """The usage service recorded this use and its picture (in the caller's transaction)."""
    for handler in _picture_recorded:
        transaction.on_commit(partial(handler, use_id), robust=True)
