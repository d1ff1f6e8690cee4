"""Fixtures for code that talks to Stripe: a sandbox server per test session (per xdist worker).

``stripe_sandbox`` is a :class:`marketplace.stripe_sandbox.testing.Sandbox` running in its own
process (``.base_url``, ``.reset()``, ``.state(...)``, ``.complete_checkout(...)``,
``.complete_onboarding(...)``...); ``stripe_client`` is a ``stripe.StripeClient`` pointed at it.
Each xdist worker runs its own session, hence its own server and SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from marketplace.stripe_sandbox.testing import Sandbox, run_sandbox


@pytest.fixture(scope="session")
def stripe_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    db_path = tmp_path_factory.mktemp("stripe_sandbox") / "stripe_sandbox.sqlite3"
    with run_sandbox(db_path, webhook_retry_base=0.05) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def stripe_client(stripe_sandbox: Sandbox) -> stripe.StripeClient:
    return stripe_sandbox.client()
