"""The API's JSON parser: DRF's, with a bound on nesting.

Python's decoder recurses once per level, so a body nested a few thousand levels deep would
exhaust the stack (a RecursionError, a server error); and anything that walks the data later
(hashing for Idempotency-Key, the error envelope) recurses too. No request of ours nests more
than a few levels: deeper is refused as malformed (400, `parse_error`)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def depth(data: Any) -> int:
    """How deeply lists and objects nest in `data` (a scalar: 0), without recursion."""
    deepest = 0
    pending = [(data, 1)]
    while pending:
        value, level = pending.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                pending.extend((child, level + 1) for child in children)
    return deepest


class JsonParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        too_deep = ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise too_deep from exc
        if depth(data) > MAX_DEPTH:
            raise too_deep
        return data
