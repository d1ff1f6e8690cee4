"""Webhook Endpoints: where events are delivered (see :mod:`..webhooks`)."""

from __future__ import annotations

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

# Stripe's event types (the families a card-payments-and-Connect platform meets); an endpoint
# may also take "*" or a family wildcard such as "transfer.*".
_EVENT_NAMES = """
account.application.authorized account.application.deauthorized
account.external_account.created account.external_account.deleted
account.external_account.updated account.updated application_fee.created
application_fee.refund.updated application_fee.refunded balance.available
capability.updated charge.captured charge.dispute.closed charge.dispute.created
charge.dispute.funds_reinstated charge.dispute.funds_withdrawn charge.dispute.updated
charge.expired charge.failed charge.pending charge.refund.updated charge.refunded
charge.succeeded charge.updated checkout.session.async_payment_failed
checkout.session.async_payment_succeeded checkout.session.completed
checkout.session.expired customer.created customer.deleted customer.updated
invoice.created invoice.finalized invoice.paid invoice.payment_failed
invoice.payment_succeeded invoice.updated payment_intent.amount_capturable_updated
payment_intent.canceled payment_intent.created payment_intent.partially_funded
payment_intent.payment_failed payment_intent.processing payment_intent.requires_action
payment_intent.succeeded payment_method.attached payment_method.detached
payment_method.updated payout.canceled payout.created payout.failed payout.paid
payout.reconciliation_completed payout.updated person.created person.deleted
person.updated refund.created refund.failed refund.updated review.closed review.opened
setup_intent.canceled setup_intent.created setup_intent.requires_action
setup_intent.setup_failed setup_intent.succeeded transfer.created transfer.reversed
transfer.updated
"""
EVENT_TYPES = frozenset(_EVENT_NAMES.split())
EVENT_FAMILIES = frozenset(name.split(".")[0] for name in EVENT_TYPES)


def known_event(name: str) -> bool:
    if name == "*" or name in EVENT_TYPES:
        return True
    return name.endswith(".*") and name[:-2] in EVENT_FAMILIES


def enabled_events(p: Params, *, required: bool) -> list[str] | None:
    if "enabled_events" not in p and not required:
        return None
    events = p.strings("enabled_events", required=required)
    if not events:
        raise missing_param("enabled_events")
    for index, name in enumerate(events):
        if not known_event(name):
            raise invalid(
                f"Invalid enabled_events[{index}]: must be one of *, "
                + ", ".join(sorted(EVENT_TYPES)),
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
