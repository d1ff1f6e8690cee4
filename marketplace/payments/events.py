"""How payments tells the apps above it about a use: one hook, like licensing's.

Provenance credentials the picture of a use; it sits above payments, so payments never imports
it. Instead the usage service announces each use recorded with a picture here, with the brand's
choices for its copies (how the picture was made, the label's language and corner: provenance's
vocabulary, which payments passes on without reading). Provenance subscribes in its
`AppConfig.ready()`.

Subscribers are called in the recording transaction, as licensing's are: one that refuses the
choices (raising a DomainError) refuses the use, and nothing is recorded. Work outside the
database (a task) they start with `transaction.on_commit`, so a use rolled back is never
credentialed. They get the use's id, never the row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

UseHandler = Callable[[int, Mapping[str, str]], None]

_picture_recorded: list[UseHandler] = []


def on_picture_recorded(handler: UseHandler) -> None:
    """Call `handler(use_id, choices)` for each use recorded with a picture. Idempotent."""
    if handler not in _picture_recorded:
        _picture_recorded.append(handler)


def picture_recorded(use_id: int, choices: Mapping[str, str]) -> None:
    """The usage service recorded this use and its picture (in the caller's transaction)."""
    for handler in _picture_recorded:
        handler(use_id, choices)
