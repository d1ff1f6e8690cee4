"""The one way product code reaches Stripe: a StripeClient built from settings.

No module-global API key. With no real key configured, STRIPE_API_BASE points the official
library at the local Stripe sandbox, so every call is real HTTP with Stripe's semantics.
"""

from __future__ import annotations

from functools import cache

import stripe
from django.conf import settings


@cache
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    base = {"api": api_base, "connect": api_base, "files": api_base} if api_base else None
    return stripe.StripeClient(api_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]


def get_stripe_client() -> stripe.StripeClient:
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)
