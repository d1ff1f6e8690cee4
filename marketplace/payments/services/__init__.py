"""Payments services, one module per money flow:

- onboarding: the payee's Stripe Express account (`ensure_connected_account`, links, sync)
- checkout: the brand pays a licence fee; a paid session is booked once
- usage: the brand reports uses and pays them in statements
- payouts: earnings to payees, claimed before Stripe is called; the sweeps
- refunds: staff refund a brand; transfers are reversed in proportion
- stripe_events: Stripe's webhook, stored once and dispatched

Import from the module. Who may do what is in `payments.rules`; services that act for nobody
are marked with `core.entry_points.system_entry_point`. Only the use types another app reads
are named here."""

from .usage import UsageInput, check_usage

__all__ = ["UsageInput", "check_usage"]
