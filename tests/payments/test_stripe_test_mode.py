"""The payment flows that need no person at a hosted page, against Stripe itself in test mode.

Everything else in the suite drives the local Stripe sandbox. This module runs the product's own
services against the real API when a test-mode key is given, to catch where the sandbox and
Stripe disagree:

    STRIPE_TEST_SECRET_KEY=sk_test_... .venv/bin/pytest tests/payments/test_stripe_test_mode.py

The platform account needs Connect enabled (Express accounts). Without the key the module is
skipped, in CI as well: CI has no network. `STRIPE_TEST_API_BASE` points it at another server
that speaks Stripe's API (the local sandbox, to check the module itself).

Paying on Checkout's hosted page and onboarding on Stripe's hosted form need a person (or a
browser on stripe.com), so here the flows stop where the person would take over: an Express
account that still owes its details, an unpaid Checkout Session that expires.
"""

from __future__ import annotations

import os
import re

import pytest

from marketplace.payments import ledger
from marketplace.payments.models import Charge, ConnectedAccount
from marketplace.payments.services import checkout, onboarding
from tests.payments.conftest import payout_actor

TEST_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")

pytestmark = [
    pytest.mark.skipif(
        not TEST_KEY.startswith("sk_test_"),
        reason="STRIPE_TEST_SECRET_KEY (an sk_test_ key) is not set: Stripe test mode not run",
    ),
    pytest.mark.django_db,
]


@pytest.fixture(autouse=True)
def stripe_test_mode(settings) -> None:
    settings.STRIPE_SECRET_KEY = TEST_KEY
    settings.STRIPE_API_BASE = os.environ.get("STRIPE_TEST_API_BASE", "")
    settings.STRIPE_MAX_REQUESTS_PER_SECOND = 20


def test_onboarding_creates_an_express_account_that_waits_for_its_details(twin):
    # when the model starts onboarding
    link = onboarding.onboarding_link(
        by=payout_actor(talent=twin.talent), return_path="/me/payouts/"
    )
    account = ConnectedAccount.objects.get(talent=twin.talent)
    # then Stripe holds an Express account for them, not yet able to receive transfers
    assert re.fullmatch(r"acct_\w+", account.stripe_id)
    assert link.startswith(("https://", "http://"))
    synced = onboarding.sync_account(stripe_id=account.stripe_id)
    assert synced is not None
    assert (synced.details_submitted, synced.payouts_enabled, synced.ready) == (
        False,
        False,
        False,
    )
    # and asking again reuses the same account
    assert onboarding.ensure_connected_account(by=twin.talent.user).pk == account.pk
    assert ConnectedAccount.objects.count() == 1


def test_checkout_session_carries_the_licence_fee_and_its_transfer_group(
    awaiting_payment, brand_finance
):
    from marketplace.core.stripe_client import get_stripe_client

    terms = awaiting_payment.current_terms
    # when the brand starts paying
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    assert charge.checkout_session_id is not None
    # then Stripe's session asks for exactly the licence fee, tied to our charge
    session = get_stripe_client().v1.checkout.sessions.retrieve(charge.checkout_session_id)
    assert charge.checkout_url.startswith(("https://", "http://"))
    assert (session.amount_total, session.currency) == (terms.total_fee, terms.currency.lower())
    assert session.metadata is not None and session.metadata["charge_id"] == str(charge.pk)
    assert session.client_reference_id == str(charge.pk)
    assert session.payment_status == "unpaid"
    # and an unpaid session books nothing, however often it is "completed"
    assert checkout.complete_checkout(session_id=charge.checkout_session_id) is None
    charge.refresh_from_db()
    awaiting_payment.refresh_from_db()
    assert charge.status == Charge.Status.OPEN
    assert awaiting_payment.status == awaiting_payment.Status.AWAITING_PAYMENT
    assert ledger.unbalanced_transactions() == []
    # when the session expires (the brand walked away), the next attempt gets a new one
    get_stripe_client().v1.checkout.sessions.expire(charge.checkout_session_id)
    checkout.expire_checkout(session_id=charge.checkout_session_id)
    again = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    assert again.pk == charge.pk
    assert again.checkout_session_id != session.id
