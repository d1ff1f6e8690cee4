"""Fixtures for code that talks to Stripe: a sandbox server per test session (per xdist worker).

``stripe_sandbox`` is a :class:`stripe_sandbox.testing.Sandbox` running in its own
process (``.base_url``, ``.reset()``, ``.state(...)``, ``.complete_checkout(...)``,
``.complete_onboarding(...)``...); ``stripe_client`` is a ``stripe.StripeClient`` pointed at it.
Each xdist worker runs its own session, hence its own server and SQLite file.
"""

from __future__ import annotations


# The fixtures themselves live in tests/conftest.py, shared with the payments tests.
