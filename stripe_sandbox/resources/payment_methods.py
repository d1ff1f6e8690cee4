"""PaymentMethods: test cards (``pm_card_visa``, ``tok_visa``...) become ``pm_`` objects."""

from __future__ import annotations

from typing import Any

from ..cards import TOKENS, TestCard, lookup
from ..core import Context, new_id
from ..errors import no_such
from .crud import (
    serve,
)


def billing_details() -> dict[str, Any]:
    """Empty billing details, as a test card has them (PaymentMethods and their Charges)."""
    return {
        "address": {
            "city": None,
            "country": None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "email": None,
        "name": None,
        "phone": None,
        "tax_id": None,
    }


def payment_method_for(ctx: Context, spec: str, *, param: str) -> tuple[dict[str, Any], TestCard]:
    """A PaymentMethod from a test id (``pm_card_visa``), a token, or an existing ``pm_``."""
    card = lookup(spec) if (spec in TOKENS or not spec.startswith(("pm_", "tok_"))) else None
    if card is None:
        row = ctx.store.row(spec)
        if row is None or row.type != "payment_method" or row.account != ctx.account:
            if spec.startswith("tok_"):
                raise no_such("token", spec, param=param, status=400)
            raise no_such("PaymentMethod", spec, param=param, status=400)
        found = lookup(row.meta["number"])
        assert found is not None
        return row.data, found
    pm = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details(),
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked",
            },
            "country": "US",
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": ctx.now,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    ctx.store.insert(pm, account=ctx.account, meta={"number": card.number})
    return pm, card


serve("payment_method", "/v1/payment_methods")
