"""Idempotency keys, authentication, rate limits, concurrency, persistence and reset."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import stripe

from stripe_sandbox.testing import Sandbox, run_sandbox

from .support import api, http, onboarded_account, paid_checkout, usd_of

# -- idempotency ------------------------------------------------------------------------------


def test_replayed_key_returns_the_stored_response(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    key = f"create-intent-{uuid.uuid4()}"
    params = {"amount": "1500", "currency": "usd", "metadata[order]": "17"}
    first = api(stripe_sandbox, "POST", "/v1/payment_intents", params, idempotency_key=key)
    second = api(stripe_sandbox, "POST", "/v1/payment_intents", params, idempotency_key=key)
    assert first.status == second.status == 200
    assert second.body == first.body
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Original-Request"] == first.headers["Request-Id"]
    assert len(stripe_sandbox.state("payment_intent", **{"metadata.order": "17"})) == 1

    # through the library, too: same object, no second PaymentIntent
    options: stripe.RequestOptions = {"idempotency_key": f"lib-{uuid.uuid4()}"}
    a = stripe_client.v1.payment_intents.create(
        params={"amount": 1600, "currency": "usd"}, options=options
    )
    b = stripe_client.v1.payment_intents.create(
        params={"amount": 1600, "currency": "usd"}, options=options
    )
    assert a.id == b.id
    assert a.client_secret == b.client_secret

    with pytest.raises(stripe.IdempotencyError) as error:
        stripe_client.v1.payment_intents.create(
            params={"amount": 1601, "currency": "usd"}, options=options
        )
    assert error.value.http_status == 400
    assert error.value.error.type == "idempotency_error"
    assert error.value.user_message == (
        "Keys for idempotent requests can only be used with the same parameters they were first "
        f"used with. Try using a key other than '{options['idempotency_key']}' if you meant to "
        "execute a different request."
    )

    with pytest.raises(stripe.IdempotencyError) as error:
        stripe_client.v1.refunds.create(params={"amount": 1600}, options=options)
    assert error.value.user_message == (
        "Keys for idempotent requests can only be used for the same endpoint they were first "
        "used for ('POST /v1/payment_intents' vs 'POST /v1/refunds'). Try using a key other than "
        f"'{options['idempotency_key']}' if you meant to execute a different request."
    )


def test_replayed_decline_returns_the_same_error(stripe_sandbox: Sandbox):
    key = f"decline-{uuid.uuid4()}"
    params = {
        "amount": "2100",
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclined",
        "confirm": "true",
    }
    first = api(stripe_sandbox, "POST", "/v1/payment_intents", params, idempotency_key=key)
    second = api(stripe_sandbox, "POST", "/v1/payment_intents", params, idempotency_key=key)
    assert first.status == second.status == 402
    assert first.body == second.body
    assert first.json()["error"]["code"] == "card_declined"


def test_validation_errors_are_not_stored(stripe_sandbox: Sandbox):
    key = f"invalid-{uuid.uuid4()}"
    bad = api(
        stripe_sandbox, "POST", "/v1/payment_intents", {"currency": "usd"}, idempotency_key=key
    )
    assert bad.status == 400
    good = api(
        stripe_sandbox,
        "POST",
        "/v1/payment_intents",
        {"currency": "usd", "amount": "999"},
        idempotency_key=key,
    )
    assert good.status == 200


def test_keys_expire_after_the_ttl(stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox):
    options: stripe.RequestOptions = {"idempotency_key": f"ttl-{uuid.uuid4()}"}
    first = stripe_client.v1.payment_intents.create(
        params={"amount": 1700, "currency": "usd"}, options=options
    )
    try:
        stripe_sandbox.advance_clock(24 * 3600 - 60)
        with pytest.raises(stripe.IdempotencyError):
            stripe_client.v1.payment_intents.create(
                params={"amount": 1701, "currency": "usd"}, options=options
            )
        stripe_sandbox.advance_clock(61)
        second = stripe_client.v1.payment_intents.create(
            params={"amount": 1701, "currency": "usd"}, options=options
        )
        assert second.id != first.id
        assert second.amount == 1701

        stripe_sandbox.configure(idempotency_ttl=60)
        short: stripe.RequestOptions = {"idempotency_key": f"short-{uuid.uuid4()}"}
        stripe_client.v1.payment_intents.create(
            params={"amount": 1800, "currency": "usd"}, options=short
        )
        stripe_sandbox.advance_clock(61)
        again = stripe_client.v1.payment_intents.create(
            params={"amount": 1801, "currency": "usd"}, options=short
        )
        assert again.amount == 1801
    finally:
        stripe_sandbox.configure(clock_offset=0, idempotency_ttl=24 * 3600)


def test_concurrent_requests_with_one_key_create_one_object(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    options: stripe.RequestOptions = {"idempotency_key": f"race-{uuid.uuid4()}"}
    tag = uuid.uuid4().hex

    def create(_: int) -> str:
        return stripe_client.v1.payment_intents.create(
            params={"amount": 2500, "currency": "usd", "metadata": {"tag": tag}},
            options=options,
        ).id

    with ThreadPoolExecutor(max_workers=25) as pool:
        ids = set(pool.map(create, range(25)))
    assert len(ids) == 1
    assert len(stripe_sandbox.state("payment_intent", **{"metadata.tag": tag})) == 1


# -- authentication ---------------------------------------------------------------------------


def test_api_keys(stripe_sandbox: Sandbox):
    with pytest.raises(stripe.AuthenticationError) as error:
        stripe_sandbox.client(api_key="sk_live_123456789").v1.balance.retrieve()
    assert error.value.http_status == 401
    assert error.value.user_message == "Invalid API Key provided: sk_live_*****6789"
    with pytest.raises(stripe.AuthenticationError):
        stripe_sandbox.client(api_key="pk_test_123456789").v1.balance.retrieve()

    missing = api(stripe_sandbox, "GET", "/v1/balance", key="")
    assert missing.status == 401
    assert missing.json()["error"]["message"].startswith("You did not provide an API key.")
    nothing = api(stripe_sandbox, "GET", "/v1/balance")
    assert nothing.status == 200

    basic = base64.b64encode(b"sk_test_basic_auth:").decode()
    via_basic = http(
        "GET", stripe_sandbox.base_url + "/v1/balance", headers={"Authorization": f"Basic {basic}"}
    )
    assert via_basic.status == 200
    assert stripe_sandbox.client(api_key="sk_test_anything").v1.balance.retrieve().object == (
        "balance"
    )


# -- rate limits ------------------------------------------------------------------------------


def test_rate_limits_answer_429(stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox):
    stripe_sandbox.configure(rate_limit=5)
    try:
        outcomes = burst(lambda: [_try(stripe_client) for _ in range(6)])
        assert outcomes == ["ok"] * 5 + ["429"]
        with pytest.raises(stripe.RateLimitError) as error:
            stripe_client.v1.balance.retrieve()
        assert error.value.http_status == 429
        assert error.value.error.code == "rate_limit"
        # the window slides: a second later requests pass again
        time.sleep(1.05)
        stripe_client.v1.balance.retrieve()
    finally:
        stripe_sandbox.configure(rate_limit=None)

    stripe_sandbox.configure(endpoint_rate_limits={"GET /v1/balance": 2})
    try:
        outcomes = burst(
            lambda: [
                _try(stripe_client),
                _try(stripe_client),
                _try(stripe_client),
                _try(stripe_client, lambda c: c.v1.events.list(params={"limit": 1})),
            ]
        )
        # other endpoints are unaffected by the balance endpoint's limit
        assert outcomes == ["ok", "ok", "429", "ok"]
    finally:
        stripe_sandbox.configure(endpoint_rate_limits={})
    stripe_client.v1.balance.retrieve()


def test_rate_limit_flag_defaults_to_25_per_second():
    with run_sandbox(args=["--rate-limit"]) as box:
        assert box.state()["config"]["rate_limit"] == 25
        client = box.client()

        def forty_at_once() -> list[str]:
            with ThreadPoolExecutor(max_workers=40) as pool:
                return list(pool.map(lambda _: _try(client), range(40)))

        outcomes = burst(forty_at_once)
        assert outcomes.count("ok") == 25
        assert outcomes.count("429") == 15


def burst(run: Callable[[], list[str]], attempts: int = 3) -> list[str]:
    """Run a burst of requests that must fit in one rate-limit window (1 s); a burst slowed
    down past the window by a loaded machine is retried after the window has passed."""
    for _ in range(attempts):
        started = time.monotonic()
        outcomes = run()
        if time.monotonic() - started < 0.9:
            return outcomes
        time.sleep(1.05)
    raise AssertionError("requests too slow to observe a one-second window")


def _try(
    client: stripe.StripeClient,
    call: Callable[[stripe.StripeClient], object] = lambda c: c.v1.balance.retrieve(),
) -> str:
    try:
        call(client)
    except stripe.RateLimitError:
        return "429"
    return "ok"


# -- concurrency ------------------------------------------------------------------------------


def test_fifty_concurrent_transfers_never_overdraw(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    model = onboarded_account(stripe_client, stripe_sandbox)
    paid_checkout(stripe_client, stripe_sandbox, 20_000, card="bypass_pending")
    available = usd_of(stripe_client.v1.balance.retrieve())
    share = available // 10 + 1  # exactly 9 shares fit

    def transfer(n: int) -> str:
        try:
            return stripe_client.v1.transfers.create(
                params={
                    "amount": share,
                    "currency": "usd",
                    "destination": model.id,
                    "metadata": {"n": str(n)},
                }
            ).id
        except stripe.InvalidRequestError as error:
            return str(error.code)

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(transfer, range(50)))
    succeeded = [o for o in outcomes if o.startswith("tr_")]
    assert len(succeeded) == 9
    assert outcomes.count("balance_insufficient") == 41
    assert usd_of(stripe_client.v1.balance.retrieve()) == available - 9 * share
    connected = stripe_client.v1.balance.retrieve(options={"stripe_account": model.id})
    assert usd_of(connected) == 9 * share


# -- persistence and reset --------------------------------------------------------------------


def test_state_survives_restart_and_reset_clears_it(tmp_path: Path):
    db = tmp_path / "state.sqlite3"
    with run_sandbox(db) as box:
        client = box.client()
        model = onboarded_account(client, box)
        _session, intent = paid_checkout(
            client, box, 3_000, metadata={"keep": "me"}, card="bypass_pending"
        )
        key = {"idempotency_key": "survives-restart"}
        transfer = client.v1.transfers.create(
            params={"amount": 1_000, "currency": "usd", "destination": model.id}, options=key
        )
        before = box.balance()
        platform = client.v1.accounts.retrieve_current().id
        old_port = box.port

        box.restart()
        assert box.port == old_port
        client = box.client()
        assert client.v1.payment_intents.retrieve(intent.id).metadata.keep == "me"
        assert client.v1.accounts.retrieve(model.id).payouts_enabled is True
        assert box.balance() == before
        assert client.v1.accounts.retrieve_current().id == platform
        replay = client.v1.transfers.create(
            params={"amount": 1_000, "currency": "usd", "destination": model.id}, options=key
        )
        assert replay.id == transfer.id
        assert len(box.state("transfer")) == 1

        reset = box.reset()
        assert reset["reset"] is True
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.payment_intents.retrieve(intent.id)
        assert box.state()["counts"] == {}
        assert client.v1.accounts.retrieve_current().id != platform

        client.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})
        box.restart("--reset")
        assert box.state()["counts"] == {}
        assert box.client().v1.balance.retrieve().available[0].amount == 0
