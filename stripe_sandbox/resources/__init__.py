"""The ``/v1`` API: one module per Stripe resource, all registered on one router.

Every handler takes a :class:`~..core.Context`, runs inside one store transaction (see
:mod:`..app`) and returns the JSON object (or ``(status, object)``); raising
:class:`~..errors.StripeError` answers a Stripe-shaped error. What resources share (lookup,
lists, updates, events, the public form of an object) is in :mod:`.crud`; checks on shared
parameters (amounts, currencies, URLs) in :mod:`.validation`; money movements go through
:mod:`.balance`.
"""

from . import (
    account_links,
    accounts,
    balance,
    balance_transactions,
    charges,
    checkout_sessions,
    events,
    login_links,
    payment_intents,
    payment_methods,
    payouts,
    refunds,
    transfer_reversals,
    transfers,
    webhook_endpoints,
)
from .crud import present, router
from .expansion import expand

__all__ = [
    "account_links",
    "accounts",
    "balance",
    "balance_transactions",
    "charges",
    "checkout_sessions",
    "events",
    "expand",
    "login_links",
    "payment_intents",
    "payment_methods",
    "payouts",
    "present",
    "refunds",
    "router",
    "transfer_reversals",
    "transfers",
    "webhook_endpoints",
]
