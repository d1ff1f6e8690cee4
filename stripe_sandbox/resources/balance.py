"""The platform's and connected accounts' balances, as sums of balance transactions.

Every money movement (charge, refund, transfer, reversal, payout) writes its balance
transactions through :func:`add_balance_transaction`; ``GET /v1/balance`` adds them up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..core import Context, new_id
from .crud import (
    GET,
)


def card_fee(ctx: Context, value: int) -> int:
    percent = ctx.config.fee_percent
    variable = (Decimal(value) * percent / Decimal(100)).quantize(Decimal(1), ROUND_HALF_UP)
    return int(variable) + ctx.config.fee_fixed if (percent or ctx.config.fee_fixed) else 0


def balances(ctx: Context, account: str) -> dict[str, dict[str, int]]:
    records = ctx.store.execute(
        "SELECT json_extract(data, '$.currency') AS currency, "
        "SUM(CASE WHEN json_extract(data, '$.available_on') <= ? "
        "THEN json_extract(data, '$.net') ELSE 0 END) AS available, "
        "SUM(CASE WHEN json_extract(data, '$.available_on') > ? "
        "THEN json_extract(data, '$.net') ELSE 0 END) AS pending "
        "FROM objects WHERE type = 'balance_transaction' AND account = ? "
        "GROUP BY currency ORDER BY currency",
        (ctx.now, ctx.now, account),
    ).fetchall()
    return {r["currency"]: {"available": r["available"], "pending": r["pending"]} for r in records}


def available(ctx: Context, account: str, cur: str) -> int:
    return balances(ctx, account).get(cur, {}).get("available", 0)


def available_on(ctx: Context, txn_id: str | None) -> int:
    """When a balance transaction's funds are (or were) available; now if there is none."""
    txn = ctx.store.get(txn_id) if txn_id else None
    return txn["available_on"] if txn else ctx.now


def add_balance_transaction(
    ctx: Context,
    account: str,
    *,
    value: int,
    cur: str,
    txn_type: str,
    source: str,
    reporting_category: str,
    description: str | None = None,
    fee: int = 0,
    available_on: int | None = None,
) -> dict[str, Any]:
    """Record a movement; ``available_on`` (default now) is when it counts as available."""
    available_on = ctx.now if available_on is None else max(available_on, ctx.now)
    fee_details = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": cur,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        )
    txn = {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": value,
        "available_on": available_on,
        "balance_type": "payments",
        "created": ctx.now,
        "currency": cur,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": value - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "available" if available_on <= ctx.now else "pending",
        "type": txn_type,
    }
    return ctx.store.insert(txn, account=account)


@GET("/v1/balance")
def balance_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    amounts = balances(ctx, ctx.account) or {default_currency(ctx): {"available": 0, "pending": 0}}
    obj: dict[str, Any] = {
        "object": "balance",
        "available": [
            {"amount": v["available"], "currency": c, "source_types": {"card": v["available"]}}
            for c, v in amounts.items()
        ],
        "livemode": False,
        "pending": [
            {"amount": v["pending"], "currency": c, "source_types": {"card": v["pending"]}}
            for c, v in amounts.items()
        ],
    }
    obj["connect_reserved"] = [{"amount": 0, "currency": c} for c in amounts]
    return obj


def default_currency(ctx: Context) -> str:
    if ctx.account:
        account = ctx.store.get(ctx.account, "account")
        if account and account.get("default_currency"):
            return account["default_currency"]
    return "usd"
