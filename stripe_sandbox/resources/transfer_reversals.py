"""Transfer Reversals: money moved back from a connected account to the platform."""

from __future__ import annotations

from typing import Any

from ..core import Context, new_id
from ..errors import balance_insufficient, invalid, no_such
from .balance import add_balance_transaction, available, available_on
from .crud import (
    GET,
    POST,
    diff,
    emit,
    label,
    list_objects,
    present,
    retrieve,
    update,
)
from .refunds import new_refund


@POST("/v1/transfers/{id}/reversals")
def reversals_create(ctx: Context) -> dict[str, Any]:
    transfer = retrieve(ctx, "transfer", ctx.path["id"])
    p = ctx.params.allow("amount", "description", "metadata", "refund_application_fee")
    remaining = transfer["amount"] - transfer["amount_reversed"]
    if remaining <= 0:
        raise invalid(f"Transfer {transfer['id']} has already been fully reversed.", param="amount")
    value = p.integer("amount", minimum=1)
    value = remaining if value is None else value
    if value > remaining:
        raise invalid(
            f"You cannot reverse more than the remaining amount of the transfer: {value} "
            f"requested, {remaining} remaining.",
            param="amount",
        )
    destination = transfer["destination"]
    payment = ctx.store.get(transfer["destination_payment"], "charge", destination)
    assert payment is not None
    # Funds still pending on the connected account go back from its pending balance.
    funds_on = available_on(ctx, payment["balance_transaction"])
    if funds_on <= ctx.now and available(ctx, destination, transfer["currency"]) < value:
        raise balance_insufficient()
    reversal_id = new_id("trr")
    txn = add_balance_transaction(
        ctx,
        ctx.account,
        value=value,
        cur=transfer["currency"],
        txn_type="transfer_refund",
        source=reversal_id,
        reporting_category="transfer_reversal",
        description=p.string("description"),
        available_on=funds_on,
    )
    payment_refund = new_refund(
        ctx,
        payment,
        value,
        account=destination,
        txn_type="payment_refund",
        prefix="pyr",
        available_on=funds_on,
    )
    reversal = {
        "id": reversal_id,
        "object": "transfer_reversal",
        "amount": value,
        "balance_transaction": txn["id"],
        "created": ctx.now,
        "currency": transfer["currency"],
        "destination_payment_refund": payment_refund["id"],
        "metadata": p.metadata(),
        "source_refund": None,
        "transfer": transfer["id"],
    }
    ctx.store.insert(reversal, account=ctx.account, parent=transfer["id"])
    before = present(ctx, transfer)
    transfer["amount_reversed"] += value
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    ctx.store.save(transfer)
    after = present(ctx, transfer)
    emit(ctx, "transfer.reversed", after)
    emit(ctx, "transfer.updated", after, previous=diff(before, after))
    return reversal


@GET("/v1/transfers/{id}/reversals")
def reversals_list(ctx: Context) -> dict[str, Any]:
    transfer = retrieve(ctx, "transfer", ctx.path["id"])
    return list_objects(
        ctx,
        "transfer_reversal",
        f"/v1/transfers/{transfer['id']}/reversals",
        parent=transfer["id"],
    )


def fetch_reversal(ctx: Context) -> dict[str, Any]:
    transfer = retrieve(ctx, "transfer", ctx.path["id"])
    reversal = retrieve(ctx, "transfer_reversal", ctx.path["reversal"])
    if reversal["transfer"] != transfer["id"]:
        raise no_such(label("transfer_reversal"), reversal["id"])
    return reversal


@GET("/v1/transfers/{id}/reversals/{reversal}")
def reversals_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return fetch_reversal(ctx)


@POST("/v1/transfers/{id}/reversals/{reversal}")
def reversals_update(ctx: Context) -> dict[str, Any]:
    return update(ctx, fetch_reversal(ctx))
