"""Refunds of charges (by charge or PaymentIntent, partial or full)."""

from __future__ import annotations

from typing import Any

from ..core import Context, new_id, random_token
from ..errors import invalid
from .balance import add_balance_transaction
from .crud import (
    GET,
    POST,
    Listing,
    Updating,
    emit,
    list_objects,
    present,
    retrieve,
    serve,
)
from .validation import (
    accept,
)


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
) -> dict[str, Any]:
    refund_id = new_id(prefix)
    txn = add_balance_transaction(
        ctx,
        account,
        value=-value,
        cur=charge["currency"],
        txn_type=txn_type,
        source=refund_id,
        reporting_category="refund",
        description="REFUND FOR CHARGE" if txn_type == "refund" else "REFUND FOR PAYMENT",
    )
    refund = {
        "id": refund_id,
        "object": "refund",
        "amount": value,
        "balance_transaction": txn["id"],
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
        "status": "succeeded",
        "transfer_reversal": None,
    }
    ctx.store.insert(refund, account=account, parent=charge["id"])
    charge["amount_refunded"] += value
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    ctx.store.save(charge)
    return refund


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
    )
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
