"""Events: what happened, as the webhooks deliver it (written by :func:`.crud.emit`)."""

from __future__ import annotations

from typing import Any

from ..core import Context
from ..errors import invalid
from ..store import Like
from .crud import (
    GET,
    list_objects,
    serve,
)


@GET("/v1/events")
def events_list(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    where: dict[str, Any] = {}
    event_type = p.string("type")
    if event_type:
        where["type"] = Like(event_type.replace("*", "%")) if "*" in event_type else event_type
    types = p.strings("types")
    if types:
        if event_type:
            raise invalid("You may only specify one of these parameters: type, types.")
        where["type"] = types
    return list_objects(
        ctx, "event", "/v1/events", where=where, allowed=("type", "types", "delivery_success")
    )


serve("event", "/v1/events")
