"""Payouts from a balance (the platform's or a connected account's) to its bank account."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from ..app import App


# Stripe's test bank account numbers whose payouts fail, and the failure each one gives.
PAYOUT_FAILURES = {
    "000111111116": "no_account",
    "000111111113": "account_closed",
    "000222222227": "insufficient_funds",
    "000333333335": "debit_not_authorized",
    "000444444440": "invalid_currency",
}
PAYOUT_FAILURE_MESSAGES = {
    "no_account": "The bank account details on file are probably incorrect. No bank account "
    "could be located with those details.",
    "account_closed": "The bank account has been closed.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "debit_not_authorized": "Debit transactions are not approved on the bank account. (Stripe "
    "requires bank accounts to be set up for both credit and debit payouts.)",
    "invalid_currency": "The bank was unable to process this payout because of its currency. "
    "This is probably because the bank account cannot accept payments in that currency.",
}


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
    bank_row = ctx.store.row(bank_id)
    failure = PAYOUT_FAILURES.get((bank_row.meta.get("account_number") if bank_row else "") or "")
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
        "arrival_date": ctx.now + int(ctx.config.payout_delay),
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
    ctx.store.insert(payout, account=ctx.account, meta={"failure": failure})
    emit(ctx, "payout.created", payout)
    return payout


def advance_payouts(app: App) -> None:
    """Move payouts on as the clock passes: ``in_transit`` halfway to ``arrival_date``, then
    ``paid`` (or ``failed`` for a failing test bank account, the funds returned)."""
    now = app.now()
    for status in ("pending", "in_transit"):
        for row in app.store.find("payout", where={"status": status}):
            payout = row.data
            ctx = app.context(row.account)
            halfway = (payout["created"] + payout["arrival_date"]) / 2
            if payout["status"] == "pending" and now >= halfway:
                before = copy.deepcopy(payout)
                payout["status"] = "in_transit"
                ctx.store.save(payout)
                emit(ctx, "payout.updated", payout, previous=diff(before, payout))
            if payout["status"] == "in_transit" and now >= payout["arrival_date"]:
                arrive(ctx, payout, row.meta.get("failure"))


def arrive(ctx: Context, payout: dict[str, Any], failure: str | None) -> None:
    before = copy.deepcopy(payout)
    if failure:
        txn = add_balance_transaction(
            ctx,
            ctx.account,
            value=payout["amount"],
            cur=payout["currency"],
            txn_type="payout_failure",
            source=payout["id"],
            reporting_category="payout_reversal",
            description="PAYOUT FAILURE",
        )
        payout["status"] = "failed"
        payout["failure_code"] = failure
        payout["failure_message"] = PAYOUT_FAILURE_MESSAGES[failure]
        payout["failure_balance_transaction"] = txn["id"]
        payout["trace_id"] = {"status": "unsupported", "value": None}
    else:
        payout["status"] = "paid"
        payout["reconciliation_status"] = "completed"
        payout["trace_id"] = {"status": "supported", "value": random_token(15).upper()}
    ctx.store.save(payout)
    emit(ctx, "payout.updated", payout, previous=diff(before, payout))
    emit(ctx, f"payout.{payout['status']}", payout)


serve(
    "payout",
    "/v1/payouts",
    listing=Listing(filters=("status", "destination"), allowed=("arrival_date",)),
    updating=Updating(event="payout.updated"),
)
