"""Webhook Endpoints: where events are delivered (see :mod:`..webhooks`)."""

from __future__ import annotations

import re
from typing import Any

from ..core import Context, new_id, random_token
from ..errors import invalid, missing_param
from ..forms import Params
from .crud import (
    DELETE,
    POST,
    Listing,
    Updating,
    retrieve,
    serve,
    text,
)
from .validation import (
    url_param,
)

EVENT_PATTERN = re.compile(r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$")


def enabled_events(p: Params, *, required: bool) -> list[str] | None:
    if "enabled_events" not in p and not required:
        return None
    events = p.strings("enabled_events", required=required)
    if not events:
        raise missing_param("enabled_events")
    for index, name in enumerate(events):
        if not EVENT_PATTERN.match(name):
            raise invalid(
                f"Invalid enabled_events[{index}]: {name} is not a valid event type",
                param=f"enabled_events[{index}]",
            )
    return events


@POST("/v1/webhook_endpoints")
def webhook_endpoints_create(ctx: Context) -> dict[str, Any]:
    p = ctx.params.allow(
        "url", "enabled_events", "description", "metadata", "connect", "api_version"
    )
    url = url_param(p, "url", required=True)
    events = enabled_events(p, required=True)
    endpoint_id = new_id("we")
    secret = "whsec_" + random_token(32)
    endpoint = {
        "id": endpoint_id,
        "object": "webhook_endpoint",
        "api_version": p.string("api_version"),
        "application": None,
        "created": ctx.now,
        "description": p.string("description"),
        "enabled_events": events,
        "livemode": False,
        "metadata": p.metadata(),
        "status": "enabled",
        "url": url,
    }
    ctx.store.insert(
        endpoint,
        account=ctx.account,
        meta={"secret": secret, "connect": bool(p.boolean("connect", default=False))},
    )
    return {**endpoint, "secret": secret}


def set_url(endpoint: dict[str, Any], p: Params, key: str) -> None:
    endpoint[key] = url_param(p, key, required=True)


def set_enabled_events(endpoint: dict[str, Any], p: Params, key: str) -> None:
    endpoint[key] = enabled_events(p, required=False)


def set_disabled(endpoint: dict[str, Any], p: Params, key: str) -> None:
    disabled = p.boolean(key)
    if disabled is not None:
        endpoint["status"] = "disabled" if disabled else "enabled"


serve(
    "webhook_endpoint",
    "/v1/webhook_endpoints",
    listing=Listing(),
    updating=Updating(
        fields={
            "url": set_url,
            "enabled_events": set_enabled_events,
            "description": text(),
            "disabled": set_disabled,
        }
    ),
)


@DELETE("/v1/webhook_endpoints/{id}")
def webhook_endpoints_delete(ctx: Context) -> dict[str, Any]:
    endpoint = retrieve(ctx, "webhook_endpoint", ctx.path["id"])
    ctx.store.delete(endpoint["id"])
    return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}
