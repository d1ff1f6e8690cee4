"""Stripe webhooks: verified, stored once, processed after commit, safe in any order."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time

import pytest

from marketplace.licensing.models import Licence
from marketplace.payments import ledger
from marketplace.payments.models import (
    Charge,
    ConnectedAccount,
    Earning,
    LedgerAccount,
    WebhookEvent,
)
from marketplace.payments.services import checkout, onboarding, stripe_events
from tests.payments.conftest import payout_actor

pytestmark = pytest.mark.django_db
SECRET = "whsec_likeness_tests"


def signed(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    timestamp = at if at is not None else int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def deliver(client, event: dict, **kwargs):
    payload = json.dumps(event).encode()
    return client.post(
        "/payments/stripe/webhook/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed(payload, **kwargs),
    )


def sandbox_events(stripe_env, *types: str) -> list[dict]:
    return (
        [e for e in stripe_env.events(None) if e["type"] in types]
        if types
        else stripe_env.events(None)
    )


def test_checkout_events_delivered_five_times_in_any_order_change_state_once(
    client, stripe_env, awaiting_payment, brand_finance, django_capture_on_commit_callbacks
):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    stripe_env.complete_checkout(charge.checkout_session_id, card="visa")
    events = sandbox_events(
        stripe_env,
        "checkout.session.completed",
        "charge.succeeded",
        "payment_intent.succeeded",
        "payment_intent.created",
    )
    assert {e["type"] for e in events} >= {"checkout.session.completed"}
    deliveries = events * 5
    random.Random(7).shuffle(deliveries)

    with django_capture_on_commit_callbacks(execute=True):
        responses = [deliver(client, event) for event in deliveries]

    assert {r.status_code for r in responses} == {200}
    assert WebhookEvent.objects.count() == len(events)
    awaiting_payment.refresh_from_db()
    assert awaiting_payment.status == Licence.Status.ACTIVE
    assert Charge.objects.get().status == Charge.Status.PAID
    assert Earning.objects.count() == 2
    assert ledger.balance(ledger.account(LedgerAccount.Kind.CASH, "EUR")) == 500_000 - 14_530


def test_account_updated_refreshes_onboarding_state(
    client, stripe_env, talent, django_capture_on_commit_callbacks
):
    account = onboarding.ensure_connected_account(by=payout_actor(talent=talent))
    stripe_env.complete_onboarding(account.stripe_id, complete=True)
    updated = [
        e
        for e in sandbox_events(stripe_env, "account.updated")
        if e["data"]["object"]["id"] == account.stripe_id
    ]

    with django_capture_on_commit_callbacks(execute=True):
        for event in reversed(updated * 3):
            assert deliver(client, event).status_code == 200

    assert ConnectedAccount.objects.get().ready


@pytest.mark.parametrize("problem", ["forged", "stale", "missing"])
def test_bad_signatures_are_refused_and_change_nothing(
    client, stripe_env, awaiting_payment, brand_finance, problem
):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    stripe_env.complete_checkout(charge.checkout_session_id, card="visa")
    event = sandbox_events(stripe_env, "checkout.session.completed")[0]
    payload = json.dumps(event).encode()
    header = {
        "forged": signed(payload, secret="whsec_attacker"),
        "stale": signed(payload, at=int(time.time()) - 301),
        "missing": "",
    }[problem]

    response = client.post(
        "/payments/stripe/webhook/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )

    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0
    assert Charge.objects.get().status == Charge.Status.OPEN


def test_replay_command_reprocesses_stored_events(
    stripe_env, awaiting_payment, brand_finance, client, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    stripe_env.complete_checkout(charge.checkout_session_id, card="visa")
    event = sandbox_events(stripe_env, "checkout.session.completed")[0]
    # Stored, but its processing was lost (e.g. the worker died before running it).
    payload = json.dumps(event).encode()
    stripe_events.receive_webhook(payload=payload, signature=signed(payload))
    assert Charge.objects.get().status == Charge.Status.OPEN

    call_command("replay_stripe_events", "--unprocessed")

    assert Charge.objects.get().status == Charge.Status.PAID
    assert WebhookEvent.objects.get().processed_at is not None
