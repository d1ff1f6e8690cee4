"""Refunds of charges (by charge or PaymentIntent, partial or full)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import Context, new_id, random_token
from ..errors import invalid
from .balance import add_balance_transaction, available, available_on
from .charges import charge_card
from .crud import (
    GET,
    POST,
    Listing,
    Updating,
    diff,
    emit,
    list_objects,
    present,
    retrieve,
    serve,
)
from .validation import (
    accept,
)

if TYPE_CHECKING:
    from ..app import App


def new_refund(
    ctx: Context,
    charge: dict[str, Any],
    value: int,
    *,
    account: str,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
    txn_type: str = "refund",
    prefix: str = "re",
    available_on: int | None = None,
    status: str = "succeeded",
    pending_reason: str | None = None,
) -> dict[str, Any]:
    """A refund; its debit is written now unless it waits for funds (``insufficient_funds``)."""
    refund_id = new_id(prefix)
    txn = None
    if pending_reason != "insufficient_funds":
        txn = refund_debit(
            ctx, account, refund_id, charge["currency"], value, txn_type, available_on
        )
    refund = {
        "id": refund_id,
        "object": "refund",
        "amount": value,
        "balance_transaction": txn["id"] if txn else None,
        "charge": charge["id"],
        "created": ctx.now,
        "currency": charge["currency"],
        "customer": None,
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference": random_token(10),
                "reference_status": "available",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        }
        if charge["payment_method_details"]["type"] == "card"
        else None,
        "metadata": metadata or {},
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }
    if pending_reason:
        refund["pending_reason"] = pending_reason
    ctx.store.insert(refund, account=account, parent=charge["id"])
    charge["amount_refunded"] += value
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    ctx.store.save(charge)
    return refund


def refund_debit(
    ctx: Context,
    account: str,
    refund_id: str,
    cur: str,
    value: int,
    txn_type: str = "refund",
    available_on: int | None = None,
) -> dict[str, Any]:
    return add_balance_transaction(
        ctx,
        account,
        value=-value,
        cur=cur,
        txn_type=txn_type,
        source=refund_id,
        reporting_category="refund",
        description="REFUND FOR CHARGE" if txn_type == "refund" else "REFUND FOR PAYMENT",
        available_on=available_on,
    )


def refund_terms(ctx: Context, charge: dict[str, Any], value: int) -> dict[str, Any]:
    """How Stripe carries out a refund of ``value`` now: a charge whose funds are still pending
    is refunded from them; otherwise the available balance pays, and a refund it cannot cover
    waits (``pending``, ``insufficient_funds``) instead of taking the balance negative. The
    pending-refund and refund-failure test cards start ``pending`` / ``succeeded`` and change
    later (:func:`advance_refunds`)."""
    funds_on = available_on(ctx, charge["balance_transaction"])
    card = charge_card(charge)
    terms: dict[str, Any] = {"available_on": funds_on if funds_on > ctx.now else None}
    if terms["available_on"] is None and available(ctx, ctx.account, charge["currency"]) < value:
        terms.update(status="pending", pending_reason="insufficient_funds")
    elif card is not None and card.refund == "pending":
        terms.update(status="pending", pending_reason="processing")
    return terms


def advance_refunds(app: App) -> None:
    """Settle what is due: refunds waiting for funds once the balance covers them, the
    pending-refund card's refunds after ``refund_delay``, the refund-failure card's failures."""
    now = app.now()
    rows = app.store.find("refund", where={"status": "pending"}) + [
        row
        for row in app.store.find("refund", where={"status": "succeeded"})
        if row.meta.get("fails")
    ]
    for row in rows:
        refund = row.data
        ctx = app.context(row.account)
        due = refund["created"] + app.config.refund_delay <= now
        before = present(ctx, refund)
        if refund["status"] == "pending" and refund.get("pending_reason") == "insufficient_funds":
            if available(ctx, row.account, refund["currency"]) < refund["amount"]:
                continue
            txn = refund_debit(ctx, row.account, refund["id"], refund["currency"], refund["amount"])
            refund["balance_transaction"] = txn["id"]
        elif not due:
            continue
        elif refund["status"] == "succeeded":
            charge = retrieve(ctx, "charge", refund["charge"])
            failure = add_balance_transaction(
                ctx,
                row.account,
                value=refund["amount"],
                cur=refund["currency"],
                txn_type="refund_failure",
                source=refund["id"],
                reporting_category="refund_failure",
                description="REFUND FAILURE",
            )
            refund["status"] = "failed"
            refund["failure_reason"] = "expired_or_canceled_card"
            refund["failure_balance_transaction"] = failure["id"]
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = False
            ctx.store.save(charge)
        if refund["status"] == "pending":
            refund["status"] = "succeeded"
            refund.pop("pending_reason", None)
        ctx.store.save(refund)
        previous = diff(before, refund)
        emit(ctx, "refund.updated", refund, previous=previous)
        emit(ctx, "charge.refund.updated", refund, previous=previous)
        if refund["status"] == "failed":
            emit(ctx, "refund.failed", refund)


@POST("/v1/refunds")
def refunds_create(ctx: Context) -> dict[str, Any]:
    p = accept(
        ctx.params,
        "charge",
        "payment_intent",
        "amount",
        "reason",
        "metadata",
        "instructions_email",
        unsupported=("reverse_transfer", "refund_application_fee", "origin"),
    )
    charge_id = p.string("charge")
    pi_id = p.string("payment_intent")
    if charge_id and pi_id:
        raise invalid(
            "You can only specify one of these parameters: charge, payment_intent.",
            param="payment_intent",
        )
    if pi_id:
        pi = retrieve(ctx, "payment_intent", pi_id, param="payment_intent", status=400)
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge_id = pi["latest_charge"]
    if not charge_id:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
        )
    charge = retrieve(ctx, "charge", charge_id, param="charge", status=400)
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise invalid(
            f"Charge {charge['id']} cannot be refunded because it has not succeeded or was not "
            "captured.",
            param="charge",
            code="charge_not_refundable",
        )
    # Uncaptured parts of a charge count as refunded already (as in Stripe).
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    value = p.integer("amount", minimum=1)
    value = remaining if value is None else value
    if value > remaining:
        raise invalid(
            f"Refund amount ({value}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    before = present(ctx, charge)
    refund = new_refund(
        ctx,
        charge,
        value,
        account=ctx.account,
        reason=p.string("reason", choices=("duplicate", "fraudulent", "requested_by_customer")),
        metadata=p.metadata(),
        **refund_terms(ctx, charge, value),
    )
    card = charge_card(charge)
    if card is not None and card.refund == "fails":
        ctx.store.save_meta(refund["id"], {"fails": True})
    after = present(ctx, charge)
    emit(ctx, "refund.created", refund)
    emit(
        ctx,
        "charge.refunded",
        after,
        previous={k: before[k] for k in ("amount_refunded", "refunded", "refunds")},
    )
    return refund


serve(
    "refund",
    "/v1/refunds",
    listing=Listing(filters=("charge", "payment_intent")),
    updating=Updating(event="refund.updated"),
)


@GET("/v1/charges/{id}/refunds")
def charge_refunds_list(ctx: Context) -> dict[str, Any]:
    charge = retrieve(ctx, "charge", ctx.path["id"])
    return list_objects(ctx, "refund", f"/v1/charges/{charge['id']}/refunds", parent=charge["id"])
