"""Transfers from the platform's balance to connected accounts."""

from __future__ import annotations

from typing import Any

from ..core import Context, new_id
from ..errors import balance_insufficient, invalid, no_such, unsupported
from .balance import add_balance_transaction, available, available_on
from .charges import destination_payment
from .crud import (
    POST,
    Listing,
    Updating,
    emit,
    present,
    serve,
    text,
)
from .validation import (
    amount,
    currency,
    require_platform,
)


def transferable(account: dict[str, Any]) -> bool:
    caps = account.get("capabilities") or {}
    return any(caps.get(name) == "active" for name in ("transfers", "crypto_transfers"))


@POST("/v1/transfers")
def transfers_create(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Transfers")
    p = ctx.params.allow(
        "amount",
        "currency",
        "destination",
        "transfer_group",
        "source_transaction",
        "metadata",
        "description",
        "source_type",
    )
    value = amount(p)
    cur = currency(p)
    assert cur is not None
    destination_id = p.string("destination", required=True)
    assert destination_id is not None
    if p.string("source_type", choices=("bank_account", "card", "fpx")) not in (None, "card"):
        raise unsupported("source_type", "only card balances exist in the sandbox")
    destination = ctx.store.get(destination_id, "account", "")
    if destination is None:
        raise no_such("destination", destination_id, param="destination", status=400)
    if not transferable(destination):
        raise invalid(
            "Your destination account needs to have at least one of the following capabilities "
            "enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
        )
    source_id = p.string("source_transaction")
    # A transfer from a charge may go while its funds are pending: it takes them from that
    # charge's pending balance, and the connected account gets them when the charge's would be.
    funds_on = ctx.now
    if source_id:
        source = ctx.store.get(source_id, "charge", ctx.account)
        if source is None:
            raise no_such("charge", source_id, param="source_transaction", status=400)
        if source["status"] != "succeeded" or not source["captured"]:
            raise invalid(
                f"The source_transaction {source_id} must be a succeeded, captured charge.",
                param="source_transaction",
            )
        if source["currency"] != cur:
            raise invalid(
                f"The currency of source_transaction's balance transaction ({source['currency']}) "
                f"must be the same as the transfer currency ({cur})",
                param="currency",
            )
        already = sum(
            row.data["amount"] - row.data["amount_reversed"]
            for row in ctx.store.find(
                "transfer", account="", where={"source_transaction": source_id}
            )
        )
        left = source["amount_captured"] - source["amount_refunded"] - already
        if value > left:
            raise invalid(
                f"Insufficient funds in source_transaction {source_id}: the transfer amount "
                f"({value}) exceeds what remains of the charge ({left}).",
                param="amount",
                code="balance_insufficient",
            )
        funds_on = available_on(ctx, source["balance_transaction"])
    elif available(ctx, ctx.account, cur) < value:
        raise balance_insufficient()
    transfer_id = new_id("tr")
    platform_txn = add_balance_transaction(
        ctx,
        ctx.account,
        value=-value,
        cur=cur,
        txn_type="transfer",
        source=transfer_id,
        reporting_category="transfer",
        description=p.string("description"),
        available_on=funds_on,
    )
    payment = destination_payment(
        ctx, destination["id"], transfer_id, value, cur, available_on=funds_on
    )
    transfer = {
        "id": transfer_id,
        "object": "transfer",
        "amount": value,
        "amount_reversed": 0,
        "balance_transaction": platform_txn["id"],
        "created": ctx.now,
        "currency": cur,
        "description": p.string("description"),
        "destination": destination["id"],
        "destination_payment": payment["id"],
        "livemode": False,
        "metadata": p.metadata(),
        "reversals": {},
        "reversed": False,
        "source_transaction": source_id,
        "source_type": "card",
        "transfer_group": p.string("transfer_group"),
    }
    ctx.store.insert(transfer, account=ctx.account)
    emit(ctx, "transfer.created", transfer)
    return present(ctx, transfer)


serve(
    "transfer",
    "/v1/transfers",
    listing=Listing(filters=("destination", "transfer_group")),
    updating=Updating(fields={"description": text()}, event="transfer.updated"),
)
