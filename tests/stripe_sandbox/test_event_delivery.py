"""Webhook delivery: Stripe's signatures, retries with backoff, Connect routing, --forward-to."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import stripe

from stripe_sandbox.testing import Sandbox, run_sandbox

from .support import Receiver, onboarded_account, paid_checkout, wait_for


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def make_endpoint(client: stripe.StripeClient, url: str, events: list[str], **params):
    return client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": events, **params}
    )


def test_deliveries_are_signed_like_stripe(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox, receiver: Receiver
):
    wanted = ["checkout.session.completed", "payment_intent.succeeded", "charge.succeeded"]
    endpoint = make_endpoint(stripe_client, receiver.url, wanted)
    try:
        session, intent = paid_checkout(stripe_client, stripe_sandbox, 4_200)
        wait_for(lambda: len(receiver.deliveries) >= 3)
        verified = []
        for delivery in receiver.deliveries:
            assert delivery.headers["Content-Type"] == "application/json; charset=utf-8"
            event = stripe.Webhook.construct_event(
                delivery.body, delivery.headers["Stripe-Signature"], endpoint.secret
            )
            verified.append(event)
        assert sorted(e.type for e in verified) == sorted(wanted)
        by_type = {e.type: e for e in verified}
        assert by_type["checkout.session.completed"].data.object.id == session.id
        assert by_type["checkout.session.completed"].data.object.payment_status == "paid"
        assert by_type["payment_intent.succeeded"].data.object.id == intent.id
        assert by_type["charge.succeeded"].data.object.amount == 4_200

        # a wrong secret or a tampered body does not verify
        first = receiver.deliveries[0]
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(
                first.body, first.headers["Stripe-Signature"], "whsec_wrong"
            )
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(
                first.body.replace(b"4200", b"4201"),
                first.headers["Stripe-Signature"],
                endpoint.secret,
            )
        # the event carried is the stored event
        stored = stripe_client.v1.events.retrieve(verified[0].id)
        assert stored.type == verified[0].type
        wait_for(lambda: stripe_client.v1.events.retrieve(verified[0].id).pending_webhooks == 0)
    finally:
        stripe_client.v1.webhook_endpoints.delete(endpoint.id)


def test_failed_deliveries_are_retried_with_backoff(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    receiver = Receiver(fail_first=2)
    endpoint = make_endpoint(stripe_client, receiver.url, ["payment_intent.created"])
    try:
        intent = stripe_client.v1.payment_intents.create(params={"amount": 990, "currency": "usd"})
        wait_for(lambda: receiver.deliveries)
        event = receiver.events()[0]
        assert event["data"]["object"]["id"] == intent.id
        assert [status for _, status in receiver.attempts] == [500, 500, 200]
        (first, _), (second, _), (third, _) = receiver.attempts
        base = 0.05  # the fixture's --webhook-retry-base
        assert second - first >= base * 0.9
        assert third - second >= 2 * base * 0.9
        delivery = wait_for(
            lambda: [
                d
                for d in stripe_sandbox.deliveries(endpoint_id=endpoint.id)
                if d["status"] == "succeeded"
            ]
        )[0]
        assert delivery["event_id"] == event["id"]
        assert delivery["attempts"] == 3
        assert [h["status"] for h in delivery["history"]] == [500, 500, 200]
        # the same event (same id, same payload) was sent each time
        assert len(receiver.deliveries) == 1
    finally:
        stripe_client.v1.webhook_endpoints.delete(endpoint.id)
        receiver.close()


def test_delivery_gives_up_after_max_attempts(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    receiver = Receiver(fail_first=10**6, fail_status=503)
    stripe_sandbox.configure(webhook_max_attempts=3)
    endpoint = make_endpoint(stripe_client, receiver.url, ["payment_intent.created"])
    try:
        intent = stripe_client.v1.payment_intents.create(params={"amount": 991, "currency": "usd"})
        failed = wait_for(
            lambda: [
                d
                for d in stripe_sandbox.deliveries(endpoint_id=endpoint.id)
                if d["status"] == "failed"
            ]
        )
        assert failed[0]["attempts"] == 3
        assert len(receiver.attempts) == 3
        event = stripe_client.v1.events.list(params={"type": "payment_intent.created", "limit": 1})
        assert event.data[0].data.object.id == intent.id
        assert event.data[0].pending_webhooks == 0
    finally:
        stripe_sandbox.configure(webhook_max_attempts=8)
        stripe_client.v1.webhook_endpoints.delete(endpoint.id)
        receiver.close()


def test_connect_endpoints_get_connected_account_events(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    platform_hook, connect_hook = Receiver(), Receiver()
    platform = make_endpoint(stripe_client, platform_hook.url, ["*"])
    connect = make_endpoint(stripe_client, connect_hook.url, ["account.updated"], connect=True)
    try:
        account = onboarded_account(stripe_client, stripe_sandbox)
        event = wait_for(connect_hook.events)[0]
        assert event["type"] == "account.updated"
        assert event["account"] == account.id
        assert event["data"]["object"]["charges_enabled"] is True
        stripe.Webhook.construct_event(
            connect_hook.deliveries[0].body,
            connect_hook.deliveries[0].headers["Stripe-Signature"],
            connect.secret,
        )
        # A platform event reaches the platform endpoint but not the Connect one.
        stripe_client.v1.payment_intents.create(params={"amount": 992, "currency": "usd"})
        wait_for(platform_hook.events)
        assert {e["type"] for e in platform_hook.events()} == {"payment_intent.created"}
        assert all("account" not in e for e in platform_hook.events())
        assert [e["type"] for e in connect_hook.events()] == ["account.updated"]
    finally:
        for endpoint in (platform, connect):
            stripe_client.v1.webhook_endpoints.delete(endpoint.id)
        platform_hook.close()
        connect_hook.close()


def test_forward_to_option_like_stripe_listen():
    receiver = Receiver()
    secret = "whsec_forwarding_test_secret"
    try:
        with run_sandbox(args=["--forward-to", receiver.url, "--webhook-secret", secret]) as box:
            client = box.client()
            account = onboarded_account(client, box)
            intent = client.v1.payment_intents.create(params={"amount": 1234, "currency": "usd"})
            wait_for(lambda: len(receiver.deliveries) >= 3)
            events = [
                stripe.Webhook.construct_event(
                    d.body, d.headers["Stripe-Signature"], secret
                ).to_dict()
                for d in receiver.deliveries
            ]
            by_type = {e["type"]: e for e in events}
            assert by_type["payment_intent.created"]["data"]["object"]["id"] == intent.id
            # stripe listen forwards Connect events too
            assert by_type["account.updated"]["account"] == account.id
            assert "account.external_account.created" in by_type
            assert box.state()["config"]["forward_to"] == receiver.url
    finally:
        receiver.close()


def test_event_payload_matches_events_api(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox, receiver: Receiver
):
    endpoint = make_endpoint(stripe_client, receiver.url, ["transfer.*"])
    try:
        model = onboarded_account(stripe_client, stripe_sandbox)
        _session, intent = paid_checkout(stripe_client, stripe_sandbox, 2_000)
        transfer = stripe_client.v1.transfers.create(
            params={
                "amount": 500,
                "currency": "usd",
                "destination": model.id,
                "source_transaction": intent.latest_charge,
            }
        )
        stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 100})
        wait_for(lambda: len(receiver.deliveries) >= 3)
        received = {e["id"]: e for e in receiver.events()}
        assert sorted(e["type"] for e in received.values()) == [
            "transfer.created",
            "transfer.reversed",
            "transfer.updated",
        ]
        for event_id, payload in received.items():
            via_api = json.loads(str(stripe_client.v1.events.retrieve(event_id)))
            payload.pop("pending_webhooks")
            via_api.pop("pending_webhooks")
            assert payload == via_api
        updated = next(e for e in received.values() if e["type"] == "transfer.updated")
        assert updated["data"]["previous_attributes"]["amount_reversed"] == 0
        assert updated["data"]["object"]["amount_reversed"] == 100
    finally:
        stripe_client.v1.webhook_endpoints.delete(endpoint.id)


def test_undelivered_events_survive_a_restart(tmp_path):
    receiver = Receiver(fail_first=10**6)
    secret = "whsec_restart_test"
    args = ["--forward-to", receiver.url, "--webhook-secret", secret]
    args += ["--webhook-retry-base", "0.05", "--webhook-max-attempts", "1000"]
    try:
        with run_sandbox(tmp_path / "state.sqlite3", args=args) as box:
            intent = box.client().v1.payment_intents.create(
                params={"amount": 4321, "currency": "usd"}
            )
            wait_for(lambda: len(receiver.attempts) >= 2)
            box.stop()
            assert receiver.deliveries == []
            receiver.fail_first = 0  # the endpoint recovers while the sandbox is down
            box.start()
            box.retry_webhooks_now()
            delivery = wait_for(lambda: receiver.deliveries)[0]
            event = stripe.Webhook.construct_event(
                delivery.body, delivery.headers["Stripe-Signature"], secret
            )
            assert event.type == "payment_intent.created"
            assert event.data.object.id == intent.id
            # The sandbox writes the outcome down once the endpoint's answer is back: a moment
            # after the endpoint has the event.
            [row] = wait_for(
                lambda: [r for r in box.deliveries(event_id=event.id) if r["status"] != "in_flight"]
            )
            assert row["status"] == "succeeded"
            assert row["attempts"] == len(receiver.attempts)
            assert row["history"][-1]["status"] == 200
    finally:
        receiver.close()
