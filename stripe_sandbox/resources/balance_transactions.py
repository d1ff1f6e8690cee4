"""Balance Transactions: list and retrieve (they are written by :mod:`.balance`)."""

from __future__ import annotations

from .crud import (
    Listing,
    serve,
)

serve(
    "balance_transaction",
    "/v1/balance_transactions",
    listing=Listing(filters=("type", "source", "currency"), unsupported=("payout",)),
)
