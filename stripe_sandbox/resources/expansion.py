"""``expand[]``: replace ids in a response by the objects they name (up to 4 levels)."""

from __future__ import annotations

from typing import Any

from ..core import Context
from ..errors import invalid
from .checkout_sessions import line_items_list
from .crud import (
    platform_id,
    present,
)


def expand(ctx: Context, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    for path in paths:
        parts = path.split(".")
        if len(parts) > 4:
            raise invalid(
                f"You cannot expand more than 4 levels of a property. Property: {path}",
                param="expand",
            )
        _expand(ctx, obj, parts, path)
    return obj


def _expand(ctx: Context, node: Any, parts: list[str], path: str) -> None:
    if not parts or node is None:
        return
    if isinstance(node, dict) and node.get("object") == "list" and parts[0] == "data":
        for item in node["data"]:
            _expand(ctx, item, parts[1:], path)
        return
    key = parts[0]
    if not isinstance(node, dict):
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    if node.get("object") == "checkout.session" and key == "line_items":
        node[key] = line_items_list(ctx, node)
    elif key not in node:
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    value = node[key]
    if isinstance(value, str):
        if value == platform_id(ctx):
            target: dict[str, Any] | None = ctx.app.platform_account()
        else:
            row = ctx.store.row(value)
            target = None if row is None or row.type.startswith("_") else row.data
        if target is None:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        node[key] = value = present(ctx, target)
    _expand(ctx, value, parts[1:], path)
