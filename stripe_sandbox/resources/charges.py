"""Charges: the card payments behind PaymentIntents (and legacy ``source=tok_*`` charges), and
the ``py_`` payments transfers create on connected accounts.
"""

from __future__ import annotations

from typing import Any

from ..cards import CARDS, TOKENS, TestCard, lookup
from ..core import Context, new_id, random_token
from ..errors import DOC_URL, StripeError, invalid, no_such, unsupported
from ..forms import Params
from .balance import add_balance_transaction, card_fee
from .crud import (
    POST,
    Listing,
    Updating,
    emit,
    present,
    serve,
    text,
)
from .payment_methods import billing_details
from .validation import (
    MIN_AMOUNT,
    accept,
    amount,
    currency,
    email,
)


def build_charge(
    ctx: Context,
    *,
    value: int,
    cur: str,
    card: TestCard,
    pm_id: str | None,
    pi: dict[str, Any] | None,
    description: str | None,
    metadata: dict[str, str],
    transfer_group: str | None,
    receipt_email: str | None,
    capture: bool,
    authenticated: bool = False,
) -> dict[str, Any]:
    declined = card.declines
    charge_id = new_id("ch")
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": value,
        "amount_captured": value if capture and not declined else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": billing_details(),
        "calculated_statement_descriptor": "LIKENESS",
        "captured": capture and not declined,
        "created": ctx.now,
        "currency": cur,
        "customer": None,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": card.error_code if declined else None,
        "failure_message": card.message if declined else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(metadata),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network" if declined else "approved_by_network",
            "reason": card.decline_code,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "The bank did not return any further details with this decline."
            if declined
            else "Payment complete.",
            "type": "issuer_declined" if declined else "authorized",
        },
        "paid": not declined,
        "payment_intent": pi["id"] if pi else None,
        "payment_method": pm_id,
        "payment_method_details": {
            "card": {
                "amount_authorized": None if declined else value,
                "authorization_code": None if declined else random_token(6).upper(),
                "brand": card.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "fail" if card.decline_code == "incorrect_cvc" else "pass",
                },
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card.fingerprint,
                "funding": card.funding,
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card.last4,
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card.brand,
                "network_token": {"used": False},
                "network_transaction_id": random_token(15),
                "overcapture": {"maximum_amount_capturable": value, "status": "unavailable"},
                "regulated_status": "unregulated",
                "three_d_secure": {
                    "authentication_flow": "challenge",
                    "electronic_commerce_indicator": "05",
                    "result": "authenticated",
                    "result_reason": None,
                    "transaction_id": random_token(36),
                    "version": "2.2.0",
                }
                if authenticated
                else None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": receipt_email,
        "receipt_number": None,
        "receipt_url": f"{ctx.base_url}/receipts/{charge_id}",
        "refunded": False,
        "refunds": {},
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "failed" if declined else "succeeded",
        "transfer_data": None,
        "transfer_group": transfer_group,
    }
    ctx.store.insert(charge, account=ctx.account)
    if capture and not declined:
        settle_charge(ctx, charge)
    return charge


def charge_card(charge: dict[str, Any]) -> TestCard | None:
    """The test card a charge was made with."""
    details = charge["payment_method_details"].get("card") or {}
    for card in CARDS.values():
        if card.fingerprint == details.get("fingerprint"):
            return card
    return None


def settle_charge(ctx: Context, charge: dict[str, Any]) -> None:
    """Credit the captured amount (minus Stripe's fee) to the balance of the charge's owner:
    pending until ``available_on`` (Stripe's test-mode delay), unless the card is 0077."""
    captured = charge["amount_captured"]
    card = charge_card(charge)
    delay = 0 if card is not None and card.bypass_pending else ctx.config.available_delay
    txn = add_balance_transaction(
        ctx,
        ctx.account,
        value=captured,
        cur=charge["currency"],
        txn_type="charge",
        source=charge["id"],
        reporting_category="charge",
        description=charge["description"],
        fee=card_fee(ctx, captured),
        available_on=ctx.now + int(delay),
    )
    charge["balance_transaction"] = txn["id"]
    ctx.store.save(charge)


def payment_error(
    card: TestCard, *, charge: dict[str, Any], pm: dict[str, Any] | None
) -> dict[str, Any]:
    """A decline as Stripe reports it (``last_payment_error``): keys without a value are
    omitted, never null (no ``param`` for a decline, no ``decline_code`` for an expired card)."""
    error: dict[str, Any] = {"charge": charge["id"], "code": card.error_code}
    if card.decline_code:
        error["decline_code"] = card.decline_code
    error["doc_url"] = DOC_URL.format(code=card.error_code)
    error["message"] = card.message
    if pm is not None:
        error["payment_method"] = pm
    error["type"] = "card_error"
    return error


def card_error(
    card: TestCard,
    *,
    charge: dict[str, Any],
    pi: dict[str, Any] | None,
    pm: dict[str, Any] | None,
    ctx: Context,
) -> StripeError:
    extra: dict[str, Any] = {"charge": charge["id"]}
    if card.decline_code:
        extra["decline_code"] = card.decline_code
    if pi is not None:
        extra["payment_intent"] = present(ctx, pi)
    if pm is not None:
        extra["payment_method"] = pm
    return StripeError(
        402,
        "card_error",
        card.message,
        code=card.error_code,
        extra=extra,
        persist=True,
    )


def destination_payment(
    ctx: Context,
    account_id: str,
    transfer_id: str,
    value: int,
    cur: str,
    *,
    available_on: int | None = None,
) -> dict[str, Any]:
    """The ``py_`` Charge a transfer creates on the connected account, with its credit."""
    payment_id = new_id("py")
    txn = add_balance_transaction(
        ctx,
        account_id,
        value=value,
        cur=cur,
        txn_type="payment",
        source=payment_id,
        reporting_category="charge",
        available_on=available_on,
    )
    payment = {
        "id": payment_id,
        "object": "charge",
        "amount": value,
        "amount_captured": value,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": txn["id"],
        "billing_details": billing_details(),
        "calculated_statement_descriptor": None,
        "captured": True,
        "created": ctx.now,
        "currency": cur,
        "customer": None,
        "description": None,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": None,
        "paid": True,
        "payment_intent": None,
        "payment_method": None,
        "payment_method_details": {"stripe_account": {}, "type": "stripe_account"},
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {},
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": transfer_id,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }
    return ctx.store.insert(payment, account=account_id)


@POST("/v1/charges")
def charges_create(ctx: Context) -> dict[str, Any]:
    p = accept(
        ctx.params,
        "amount",
        "currency",
        "source",
        "description",
        "metadata",
        "transfer_group",
        "receipt_email",
        "capture",
        unsupported=(
            "customer",
            "on_behalf_of",
            "transfer_data",
            "application_fee_amount",
            "destination",
        ),
    )
    value = amount(p, minimum=MIN_AMOUNT)
    cur = currency(p)
    assert cur is not None
    source = p.string("source", required=True)
    assert source is not None
    card = lookup(source) if source in TOKENS else None
    if card is None:
        raise no_such("source", source, param="source", status=400)
    if p.boolean("capture") is False:
        raise unsupported("capture", "use a PaymentIntent with capture_method=manual")
    charge = build_charge(
        ctx,
        value=value,
        cur=cur,
        card=card,
        pm_id=None,
        pi=None,
        description=p.string("description"),
        metadata=p.metadata(),
        transfer_group=p.string("transfer_group"),
        receipt_email=email(p, "receipt_email"),
        capture=True,
    )
    if card.declines:
        emit(ctx, "charge.failed", charge)
        raise card_error(card, charge=charge, pi=None, pm=None, ctx=ctx)
    emit(ctx, "charge.succeeded", charge)
    return present(ctx, charge)


def set_transfer_group_once(charge: dict[str, Any], p: Params, key: str) -> None:
    if charge["transfer_group"]:
        raise invalid("The transfer_group of a charge can only be set once.", param=key)
    charge[key] = p.string(key)


serve(
    "charge",
    "/v1/charges",
    listing=Listing(filters=("payment_intent", "transfer_group"), unsupported=("customer",)),
    updating=Updating(
        fields={
            "description": text(),
            "receipt_email": text(),
            "transfer_group": set_transfer_group_once,
        },
        event="charge.updated",
    ),
)
