"""Payouts from a balance (the platform's or a connected account's) to its bank account."""

from __future__ import annotations

import copy
from typing import Any

from ..core import Context, new_id, random_token
from ..errors import balance_insufficient, invalid, no_such, unsupported
from .balance import add_balance_transaction, available
from .crud import (
    POST,
    Listing,
    Updating,
    diff,
    emit,
    retrieve,
    serve,
)
from .validation import (
    amount,
    currency,
)


def platform_bank(ctx: Context) -> str:
    bank = ctx.store.kv_get("platform_bank_account")
    if bank is None:
        bank = new_id("ba")
        ctx.store.kv_set("platform_bank_account", bank)
    return bank


@POST("/v1/payouts")
def payouts_create(ctx: Context) -> dict[str, Any]:
    p = ctx.params.allow(
        "amount",
        "currency",
        "metadata",
        "description",
        "method",
        "statement_descriptor",
        "destination",
        "source_type",
    )
    value = amount(p)
    cur = currency(p)
    assert cur is not None
    if p.string("method", choices=("instant", "standard")) == "instant":
        raise unsupported("method", "instant payouts")
    if p.string("source_type", choices=("bank_account", "card", "fpx")) not in (None, "card"):
        raise unsupported("source_type", "only card balances exist in the sandbox")
    if ctx.account:
        account = retrieve(ctx, "account", ctx.account, account="")
        if not account["payouts_enabled"]:
            raise invalid(
                "Payouts are not enabled for this account: it has not completed onboarding "
                "(payouts_enabled is false).",
                code="payouts_not_allowed",
            )
        banks = [
            row.data
            for row in ctx.store.find("bank_account", account=ctx.account, parent=ctx.account)
            if row.data["currency"] == cur
        ]
        if not banks:
            raise invalid(
                f"You don't have any external accounts in that currency ({cur}).",
                param="currency",
            )
        bank_id = banks[0]["id"]
    else:
        bank_id = platform_bank(ctx)
    requested = p.string("destination")
    if requested and requested != bank_id:
        raise no_such("external account", requested, param="destination", status=400)
    if available(ctx, ctx.account, cur) < value:
        raise balance_insufficient(payout=True)
    payout_id = new_id("po")
    txn = add_balance_transaction(
        ctx,
        ctx.account,
        value=-value,
        cur=cur,
        txn_type="payout",
        source=payout_id,
        reporting_category="payout",
        description=p.string("description") or "STRIPE PAYOUT",
    )
    payout = {
        "id": payout_id,
        "object": "payout",
        "amount": value,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": ctx.now,
        "automatic": False,
        "balance_transaction": txn["id"],
        "created": ctx.now,
        "currency": cur,
        "description": p.string("description") or "STRIPE PAYOUT",
        "destination": bank_id,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": p.metadata(),
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": p.string("statement_descriptor", max_length=22),
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }
    ctx.store.insert(payout, account=ctx.account)
    response = copy.deepcopy(payout)
    emit(ctx, "payout.created", payout)
    # Test-mode payouts arrive at once: the sandbox settles them in the same request.
    payout["status"] = "paid"
    payout["reconciliation_status"] = "completed"
    payout["trace_id"] = {"status": "supported", "value": random_token(15).upper()}
    ctx.store.save(payout)
    emit(ctx, "payout.updated", payout, previous=diff(response, payout))
    emit(ctx, "payout.paid", payout)
    return response


serve(
    "payout",
    "/v1/payouts",
    listing=Listing(filters=("status", "destination"), allowed=("arrival_date",)),
    updating=Updating(event="payout.updated"),
)
