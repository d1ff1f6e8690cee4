"""Where Stripe is strict, the sandbox is too: pending funds, declines, 3-D Secure, payout and
refund lifecycles, refused inputs, error objects without null keys."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from stripe_sandbox.testing import Sandbox

from .support import api, as_dict, fee, onboarded_account, paid_checkout, stripe_id, usd_of

DAY = 86_400


def usd_pending(balance: object) -> int:
    return next((a.amount for a in balance.pending if a.currency == "usd"), 0)  # type: ignore[attr-defined]


def card_intent(client: stripe.StripeClient, payment_method: str, **params: object) -> Any:
    return client.v1.payment_intents.create(
        params={
            "amount": 2_000,
            "currency": "usd",
            "payment_method_types": ["card"],
            "payment_method": payment_method,
            "confirm": True,
            **params,
        }
    )


# -- pending funds ----------------------------------------------------------------------------


def test_card_funds_are_pending_until_available_on(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    before = stripe_client.v1.balance.retrieve()

    _session, intent = paid_checkout(stripe_client, stripe_sandbox, 10_000)

    charge = stripe_client.v1.charges.retrieve(
        intent.latest_charge, params={"expand": ["balance_transaction"]}
    )
    txn = charge.balance_transaction
    assert (txn.status, txn.available_on - txn.created) == ("pending", 2 * DAY)
    after = stripe_client.v1.balance.retrieve()
    assert usd_of(after) == usd_of(before)
    assert usd_pending(after) == usd_pending(before) + 10_000 - fee(10_000)

    stripe_sandbox.advance_clock(2 * DAY)

    assert stripe_client.v1.balance_transactions.retrieve(txn.id).status == "available"
    assert usd_of(stripe_client.v1.balance.retrieve()) >= usd_of(before) + 10_000 - fee(10_000)


def test_available_balance_card_skips_pending(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    before = usd_of(stripe_client.v1.balance.retrieve())

    intent = card_intent(stripe_client, "pm_card_bypassPending")

    charge = stripe_client.v1.charges.retrieve(
        intent.latest_charge, params={"expand": ["balance_transaction"]}
    )
    assert charge.balance_transaction.status == "available"
    assert charge.balance_transaction.available_on == charge.balance_transaction.created
    assert usd_of(stripe_client.v1.balance.retrieve()) == before + 2_000 - fee(2_000)


def test_transfer_without_source_transaction_is_refused_while_funds_are_pending(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    model = onboarded_account(stripe_client, stripe_sandbox)
    stripe_sandbox.advance_clock(2 * DAY)  # earlier tests' funds are available: spend them
    spare = usd_of(stripe_client.v1.balance.retrieve())
    if spare > 0:
        stripe_client.v1.transfers.create(
            params={"amount": spare, "currency": "usd", "destination": model.id}
        )
    paid_checkout(stripe_client, stripe_sandbox, 10_000)

    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.transfers.create(
            params={"amount": 5_000, "currency": "usd", "destination": model.id}
        )

    assert (error.value.http_status, error.value.code) == (400, "balance_insufficient")
    assert error.value.user_message == (
        "You have insufficient available funds in your Stripe account. Try adding funds "
        "directly to your available balance by creating Charges using the 4000000000000077 "
        "test card. See: https://stripe.com/docs/testing#available-balance"
    )
    assert stripe_sandbox.state("transfer", destination=model.id, amount=5_000) == []


def test_transfer_with_source_transaction_goes_while_pending_up_to_the_charge(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    model = onboarded_account(stripe_client, stripe_sandbox)
    _session, intent = paid_checkout(stripe_client, stripe_sandbox, 10_000)
    charge_txn = stripe_client.v1.balance_transactions.retrieve(
        stripe_id(stripe_client.v1.charges.retrieve(intent.latest_charge).balance_transaction)
    )

    transfer = stripe_client.v1.transfers.create(
        params={
            "amount": 6_000,
            "currency": "usd",
            "destination": model.id,
            "source_transaction": intent.latest_charge,
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.transfers.create(
            params={
                "amount": 4_001,
                "currency": "usd",
                "destination": model.id,
                "source_transaction": intent.latest_charge,
            }
        )

    assert error.value.code == "balance_insufficient"
    connected = stripe_client.v1.balance.retrieve(options={"stripe_account": model.id})
    assert (usd_of(connected), usd_pending(connected)) == (0, 6_000)
    payment_txn = stripe_client.v1.balance_transactions.list(
        options={"stripe_account": model.id}
    ).data[0]
    assert (payment_txn.source, payment_txn.available_on) == (
        transfer.destination_payment,
        charge_txn.available_on,
    )
    stripe_sandbox.advance_clock(2 * DAY)
    connected = stripe_client.v1.balance.retrieve(options={"stripe_account": model.id})
    assert (usd_of(connected), usd_pending(connected)) == (6_000, 0)


# -- declines ---------------------------------------------------------------------------------

DECLINES = [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    (
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    (
        "pm_card_visa_chargeDeclinedLostCard",
        "card_declined",
        "lost_card",
        "Your card was declined.",
    ),
    (
        "pm_card_visa_chargeDeclinedStolenCard",
        "card_declined",
        "stolen_card",
        "Your card was declined.",
    ),
    (
        "pm_card_chargeDeclinedProcessingError",
        "processing_error",
        None,
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline", "Your card was declined."),
]


@pytest.mark.parametrize(("payment_method", "code", "decline_code", "message"), DECLINES)
def test_decline_test_payment_methods(
    stripe_client: stripe.StripeClient,
    stripe_sandbox: Sandbox,
    payment_method: str,
    code: str,
    decline_code: str | None,
    message: str,
):
    with pytest.raises(stripe.CardError) as error:
        card_intent(stripe_client, payment_method, metadata={"case": payment_method})

    assert (error.value.http_status, error.value.code, error.value.user_message) == (
        402,
        code,
        message,
    )
    body = error.value.json_body["error"]  # type: ignore[index]  # typed as object
    assert body.get("decline_code") == decline_code
    assert "param" not in body
    intent = stripe_client.v1.payment_intents.retrieve(body["payment_intent"]["id"])
    assert intent.status == "requires_payment_method"
    last_error = as_dict(intent.last_payment_error)
    assert (last_error["type"], last_error["code"], last_error.get("decline_code")) == (
        "card_error",
        code,
        decline_code,
    )
    assert None not in last_error.values()
    assert "param" not in last_error
    failed = stripe_sandbox.events("payment_intent.payment_failed")
    assert intent.id in [e["data"]["object"]["id"] for e in failed]


def test_decline_card_numbers_on_hosted_checkout(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://brand.test/done",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1_000,
                        "product_data": {"name": "Licence"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )

    result = stripe_sandbox.complete_checkout(session.id, card="4000 0000 0000 0119")

    assert (result["error"]["code"], result["session"]["status"]) == ("processing_error", "open")
    assert result["payment_intent"]["last_payment_error"]["code"] == "processing_error"


# -- 3-D Secure -------------------------------------------------------------------------------


def test_three_d_secure_requires_action_then_succeeds(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    intent = card_intent(
        stripe_client, "pm_card_threeDSecure2Required", return_url="https://brand.test/back"
    )

    assert (intent.status, intent.latest_charge) == ("requires_action", None)
    assert intent.next_action.type == "redirect_to_url"
    assert intent.next_action.redirect_to_url.return_url == "https://brand.test/back"
    assert intent.next_action.redirect_to_url.url == (
        f"{stripe_sandbox.base_url}/authenticate/{intent.id}"
    )

    stripe_sandbox.authenticate(intent.id)

    done = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert (done.status, done.next_action, done.amount_received) == ("succeeded", None, 2_000)
    charge = stripe_client.v1.charges.retrieve(stripe_id(done.latest_charge))
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    types = [e["type"] for e in stripe_sandbox.events() if e["data"]["object"]["id"] == intent.id]
    assert "payment_intent.requires_action" in types
    assert "payment_intent.succeeded" in types


def test_three_d_secure_without_return_url_uses_stripe_sdk(
    stripe_client: stripe.StripeClient,
):
    intent = card_intent(stripe_client, "pm_card_threeDSecure2Required")

    assert (intent.status, intent.next_action.type) == ("requires_action", "use_stripe_sdk")


def test_three_d_secure_failure_needs_a_new_payment_method(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    intent = card_intent(stripe_client, "pm_card_threeDSecure2Required")

    stripe_sandbox.authenticate(intent.id, succeed=False)

    failed = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert (failed.status, failed.latest_charge, failed.payment_method) == (
        "requires_payment_method",
        None,
        None,
    )
    error = as_dict(failed.last_payment_error)
    assert (error["code"], error["type"]) == (
        "payment_intent_authentication_failure",
        "invalid_request_error",
    )
    assert "param" not in error
    failed_events = stripe_sandbox.events("payment_intent.payment_failed")
    assert intent.id in [e["data"]["object"]["id"] for e in failed_events]


def test_three_d_secure_authentication_page_redirects_to_return_url(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    from .support import http

    intent = card_intent(
        stripe_client, "pm_card_threeDSecure2Required", return_url="https://brand.test/back?x=1"
    )
    page = http("GET", intent.next_action.redirect_to_url.url)
    assert page.status == 200
    assert "Complete authentication" in page.text

    answer = http("POST", intent.next_action.redirect_to_url.url, form={"action": "complete"})

    assert answer.status == 303
    assert answer.headers["Location"] == (
        f"https://brand.test/back?x=1&payment_intent={intent.id}"
        f"&payment_intent_client_secret={intent.client_secret}&redirect_status=succeeded"
    )
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def three_d_secure_session(client: stripe.StripeClient) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://brand.test/done?session={CHECKOUT_SESSION_ID}",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 3_000,
                        "product_data": {"name": "Licence"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )


def test_checkout_with_three_d_secure_completes_after_the_challenge(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    from .support import http

    session = three_d_secure_session(stripe_client)
    pay = http("POST", session.url, form={"action": "pay", "card": "4000 0000 0000 3220"})
    assert pay.status == 200
    assert "Complete authentication" in pay.text
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"

    done = http("POST", session.url, form={"action": "authenticate"})

    assert done.status == 303
    assert done.headers["Location"] == f"https://brand.test/done?session={session.id}"
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    completed = stripe_sandbox.events("checkout.session.completed")
    assert session.id in [e["data"]["object"]["id"] for e in completed]


def test_checkout_three_d_secure_failure_leaves_the_session_open(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    session = three_d_secure_session(stripe_client)
    started = stripe_sandbox.complete_checkout(session.id, card="pm_card_threeDSecure2Required")
    assert started["payment_intent"]["status"] == "requires_action"

    failed = stripe_sandbox.authenticate(started["payment_intent"]["id"], succeed=False)

    assert failed["error"]["code"] == "payment_intent_authentication_failure"
    assert failed["session"]["status"] == "open"
    assert failed["payment_intent"]["status"] == "requires_payment_method"
    retry = stripe_sandbox.complete_checkout(session.id, card="visa")
    assert retry["session"]["payment_status"] == "paid"


# -- payouts and refunds ----------------------------------------------------------------------


def funded_model(
    client: stripe.StripeClient, sandbox: Sandbox, account_number: str | None = None
) -> Any:
    model = client.v1.accounts.create(
        params={"type": "express", "capabilities": {"transfers": {"requested": True}}}
    )
    sandbox.complete_onboarding(model.id, account_number=account_number)
    _session, intent = paid_checkout(client, sandbox, 5_000, card="bypass_pending")
    client.v1.transfers.create(
        params={
            "amount": 4_000,
            "currency": "usd",
            "destination": model.id,
            "source_transaction": intent.latest_charge,
        }
    )
    return model


def test_payout_moves_pending_in_transit_paid(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    model = funded_model(stripe_client, stripe_sandbox)
    on_model: stripe.RequestOptions = {"stripe_account": model.id}

    payout = stripe_client.v1.payouts.create(
        params={"amount": 4_000, "currency": "usd"}, options=on_model
    )

    assert (payout.status, payout.arrival_date - payout.created) == ("pending", 2 * DAY)
    stripe_sandbox.advance_clock(DAY)
    assert stripe_client.v1.payouts.retrieve(payout.id, options=on_model).status == "in_transit"
    stripe_sandbox.advance_clock(DAY)
    assert stripe_client.v1.payouts.retrieve(payout.id, options=on_model).status == "paid"
    types = [
        (e["type"], e["data"]["object"]["status"])
        for e in stripe_sandbox.events(account=model.id)
        if e["type"].startswith("payout.")
    ]
    assert types == [
        ("payout.created", "pending"),
        ("payout.updated", "in_transit"),
        ("payout.updated", "paid"),
        ("payout.paid", "paid"),
    ]


def test_payout_to_a_closed_test_bank_account_fails_and_returns_the_funds(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    model = funded_model(stripe_client, stripe_sandbox, account_number="000111111113")
    on_model: stripe.RequestOptions = {"stripe_account": model.id}
    payout = stripe_client.v1.payouts.create(
        params={"amount": 4_000, "currency": "usd"}, options=on_model
    )
    assert usd_of(stripe_client.v1.balance.retrieve(options=on_model)) == 0

    stripe_sandbox.advance_clock(2 * DAY)

    failed = stripe_client.v1.payouts.retrieve(payout.id, options=on_model)
    assert (failed.status, failed.failure_code, failed.failure_message) == (
        "failed",
        "account_closed",
        "The bank account has been closed.",
    )
    assert usd_of(stripe_client.v1.balance.retrieve(options=on_model)) == 4_000
    assert [e["data"]["object"]["id"] for e in stripe_sandbox.events("payout.failed")] == [
        payout.id
    ]


def test_payout_beyond_the_available_balance_is_refused(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    model = funded_model(stripe_client, stripe_sandbox)

    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.payouts.create(
            params={"amount": 4_001, "currency": "usd"}, options={"stripe_account": model.id}
        )

    assert error.value.code == "balance_insufficient"


def test_pending_refund_card_refund_succeeds_later(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    intent = card_intent(stripe_client, "pm_card_pendingRefund")

    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})

    assert refund.status == "pending"
    stripe_sandbox.advance_clock(DAY)
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    for event_type in ("refund.updated", "charge.refund.updated"):
        updates = stripe_sandbox.events(event_type)
        assert [
            e["data"]["object"]["status"] for e in updates if e["data"]["object"]["id"] == refund.id
        ] == ["succeeded"]


def test_refund_failure_card_refund_fails_later_and_returns_the_funds(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    intent = card_intent(stripe_client, "pm_card_refundFail")
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "succeeded"

    stripe_sandbox.advance_clock(DAY)

    failed = stripe_client.v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0
    failure_txn = stripe_client.v1.balance_transactions.retrieve(
        stripe_id(failed.failure_balance_transaction)
    )
    assert (failure_txn.type, failure_txn.amount) == ("refund_failure", 2_000)


def test_refund_the_available_balance_cannot_cover_waits_for_funds(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    model = onboarded_account(stripe_client, stripe_sandbox)
    intent = card_intent(stripe_client, "pm_card_bypassPending")
    spare = usd_of(stripe_client.v1.balance.retrieve())
    stripe_client.v1.transfers.create(
        params={"amount": spare, "currency": "usd", "destination": model.id}
    )

    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})

    assert (refund.status, refund.pending_reason, refund.balance_transaction) == (
        "pending",
        "insufficient_funds",
        None,
    )
    assert usd_of(stripe_client.v1.balance.retrieve()) == 0
    card_intent(stripe_client, "pm_card_bypassPending", amount=5_000)
    stripe_sandbox.advance_clock(1)
    settled = stripe_client.v1.refunds.retrieve(refund.id)
    assert settled.status == "succeeded"
    assert usd_of(stripe_client.v1.balance.retrieve()) == 5_000 - fee(5_000) - 2_000


# -- refused inputs ---------------------------------------------------------------------------


def checkout_params(**extra: object) -> dict[str, object]:
    return {
        "mode": "payment",
        "success_url": "https://brand.test/done",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1_000,
                    "product_data": {"name": "Licence"},
                },
                "quantity": 1,
            }
        ],
        **extra,
    }


REFUSED = [
    (
        "currency",
        lambda c: c.v1.payment_intents.create(params={"amount": 1_000, "currency": "xyz"}),
        "currency",
        None,
        "Invalid currency: xyz. Stripe currently supports these currencies: usd, aed, afn",
    ),
    (
        "receipt e-mail",
        lambda c: c.v1.payment_intents.create(
            params={"amount": 1_000, "currency": "usd", "receipt_email": "not-an-email"}
        ),
        "receipt_email",
        "email_invalid",
        "Invalid email address: not-an-email",
    ),
    (
        "checkout e-mail",
        lambda c: c.v1.checkout.sessions.create(params=checkout_params(customer_email="a@b")),
        "customer_email",
        "email_invalid",
        "Invalid email address: a@b",
    ),
    (
        "account e-mail",
        lambda c: c.v1.accounts.create(
            params={
                "type": "express",
                "email": "model at example.com",
                "capabilities": {"transfers": {"requested": True}},
            }
        ),
        "email",
        "email_invalid",
        "Invalid email address: model at example.com",
    ),
    (
        "country",
        lambda c: c.v1.accounts.create(
            params={
                "type": "express",
                "country": "XX",
                "capabilities": {"transfers": {"requested": True}},
            }
        ),
        "country",
        None,
        "Country 'XX' is unknown.",
    ),
    (
        "locale",
        lambda c: c.v1.checkout.sessions.create(params=checkout_params(locale="zz_dummy")),
        "locale",
        None,
        "Invalid locale: must be one of auto, bg, cs",
    ),
    (
        "enabled_events",
        lambda c: c.v1.webhook_endpoints.create(
            params={
                "url": "https://brand.test/hooks",
                "enabled_events": ["charge.succeeded", "licence.paid"],
            }
        ),
        "enabled_events[1]",
        None,
        "Invalid enabled_events[1]: must be one of *, account.application.authorized",
    ),
    (
        "statement_descriptor",
        lambda c: c.v1.payment_intents.create(
            params={"amount": 1_000, "currency": "usd", "statement_descriptor": "LIKENESS"}
        ),
        "statement_descriptor",
        None,
        "The statement_descriptor parameter is not supported for the payment_method_type `card`.",
    ),
    (
        "checkout statement_descriptor",
        lambda c: c.v1.checkout.sessions.create(
            params=checkout_params(payment_intent_data={"statement_descriptor": "LIKENESS"})
        ),
        "payment_intent_data[statement_descriptor]",
        None,
        "The statement_descriptor parameter is not supported for the payment_method_type `card`.",
    ),
    (
        "boolean",
        lambda c: c.v1.payment_intents.create(
            params={"amount": 1_000, "currency": "usd", "off_session": "maybe"}
        ),
        "off_session",
        None,
        "Invalid boolean: maybe",
    ),
]


@pytest.mark.parametrize(
    ("case", "call", "param", "code", "message"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_inputs_stripe_refuses(
    stripe_client: stripe.StripeClient,
    case: str,
    call: object,
    param: str,
    code: str | None,
    message: str,
):
    with pytest.raises(stripe.InvalidRequestError) as error:
        call(stripe_client)  # type: ignore[operator]

    body = error.value.json_body["error"]  # type: ignore[index]  # typed as object
    assert (error.value.http_status, body["type"], body.get("param"), body.get("code")) == (
        400,
        "invalid_request_error",
        param,
        code,
    )
    assert body["message"].startswith(message)


def test_account_update_links_are_refused_for_express_accounts(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    model = onboarded_account(stripe_client, stripe_sandbox)

    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.account_links.create(
            params={
                "account": model.id,
                "type": "account_update",
                "refresh_url": "https://likeness.test/refresh",
                "return_url": "https://likeness.test/return",
            }
        )

    assert (error.value.http_status, error.value.param) == (400, "type")
    assert error.value.user_message.startswith(
        "You cannot create `account_update` type Account Links for express accounts."
    )


def test_decline_error_body_has_no_null_keys(stripe_sandbox: Sandbox):
    answer = api(
        stripe_sandbox,
        "POST",
        "/v1/payment_intents",
        {
            "amount": "1000",
            "currency": "usd",
            "payment_method": "pm_card_visa_chargeDeclined",
            "confirm": "true",
        },
    )

    error = answer.json()["error"]
    assert answer.status == 402
    assert sorted(error) == [
        "charge",
        "code",
        "decline_code",
        "doc_url",
        "message",
        "payment_intent",
        "payment_method",
        "type",
    ]
    assert sorted(error["payment_intent"]["last_payment_error"]) == [
        "charge",
        "code",
        "decline_code",
        "doc_url",
        "message",
        "payment_method",
        "type",
    ]
