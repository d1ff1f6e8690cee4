"""Every resource the sandbox serves, driven through the official ``stripe`` library."""

from __future__ import annotations

import uuid

import pytest
import stripe
from stripe.params.checkout import SessionListParams

from stripe_sandbox.testing import Sandbox

from .support import (
    api,
    as_dict,
    fee,
    onboarded_account,
    paid_checkout,
    stripe_id,
    usd_available,
    usd_of,
)

# -- accounts and onboarding ------------------------------------------------------------------


def test_express_account_lifecycle(stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox):
    account = stripe_client.v1.accounts.create(
        params={
            "type": "express",
            "email": "ines@likeness.test",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"talent_id": "42"},
            "business_profile": {"name": "Ines Model", "product_description": "Modelling"},
        }
    )
    assert account.id.startswith("acct_")
    assert account.type == "express"
    assert account.charges_enabled is False
    assert account.payouts_enabled is False
    assert account.details_submitted is False
    assert as_dict(account.capabilities) == {"transfers": "inactive"}
    assert "external_account" in (account.requirements.currently_due or [])
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert as_dict(account.metadata) == {"talent_id": "42"}
    assert account.business_profile.name == "Ines Model"

    fetched = stripe_client.v1.accounts.retrieve(account.id)
    assert fetched.id == account.id
    assert fetched.email == "ines@likeness.test"

    updated = stripe_client.v1.accounts.update(
        account.id, params={"metadata": {"talent_id": "", "tier": "gold"}, "email": "i@l.test"}
    )
    assert as_dict(updated.metadata) == {"tier": "gold"}
    assert updated.email == "i@l.test"

    link = stripe_client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://likeness.test/onboarding/refresh",
            "return_url": "https://likeness.test/onboarding/return",
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith(f"{stripe_sandbox.base_url}/connect/onboarding/")
    assert link.expires_at == link.created + 300

    done = stripe_sandbox.complete_onboarding(account.id)
    assert done["details_submitted"] is True
    assert done["payouts_enabled"] is True
    assert done["charges_enabled"] is False  # card_payments was not requested
    assert done["capabilities"] == {"transfers": "active"}
    assert done["requirements"]["currently_due"] == []
    assert done["requirements"]["disabled_reason"] is None
    banks = stripe_client.v1.accounts.external_accounts.list(account.id)
    assert [b.last4 for b in banks.data] == ["6789"]
    assert done["external_accounts"]["data"][0]["id"] == banks.data[0].id

    events = stripe_sandbox.events("account.updated", account=account.id)
    assert events[-1]["account"] == account.id
    assert events[-1]["data"]["object"]["details_submitted"] is True
    assert events[-1]["data"]["previous_attributes"]["details_submitted"] is False

    login = stripe_client.v1.accounts.login_links.create(account.id)
    assert login.url == f"{stripe_sandbox.base_url}/express/{account.id}"

    deleted = stripe_client.v1.accounts.delete(account.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.accounts.retrieve(account.id)
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"


def test_incomplete_onboarding_leaves_account_restricted(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    account = stripe_client.v1.accounts.create(
        params={"type": "express", "capabilities": {"transfers": {"requested": True}}}
    )
    result = stripe_sandbox.complete_onboarding(account.id, complete=False)
    assert result["details_submitted"] is False
    assert result["payouts_enabled"] is False
    assert result["capabilities"] == {"transfers": "inactive"}


def test_platform_account_and_account_errors(stripe_client: stripe.StripeClient):
    platform = stripe_client.v1.accounts.retrieve_current()
    assert platform.id.startswith("acct_")
    assert platform.charges_enabled is True
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.accounts.create(params={"type": "express"})
    assert error.value.http_status == 400
    assert error.value.param == "capabilities"
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.accounts.create(
            params={"type": "express", "colour": "red", "capabilities": {}}  # type: ignore[arg-type]  # an unknown parameter, on purpose
        )
    assert error.value.code == "parameter_unknown"
    assert error.value.param == "colour"
    assert str(error.value.user_message) == "Received unknown parameter: colour"
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.account_links.create(
            params={
                "account": "acct_doesnotexist",
                "type": "account_onboarding",
                "refresh_url": "https://x.test/r",
                "return_url": "https://x.test/ok",
            }
        )
    assert error.value.http_status == 400
    assert error.value.code == "resource_missing"
    assert error.value.param == "account"


def test_unknown_stripe_account_header_is_refused(stripe_client: stripe.StripeClient):
    with pytest.raises(stripe.PermissionError) as error:
        stripe_client.v1.balance.retrieve(options={"stripe_account": "acct_nope"})
    assert error.value.http_status == 403
    assert error.value.error.code == "account_invalid"


# -- checkout ---------------------------------------------------------------------------------


def create_session(client: stripe.StripeClient, **extra):
    return client.v1.checkout.sessions.create(
        params={  # type: ignore[arg-type]  # extended by the caller's **extra
            "mode": "payment",
            "success_url": "https://brand.test/ok?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://brand.test/cancel",
            "client_reference_id": "licence-7",
            "customer_email": "buyer@brand.test",
            "metadata": {"licence": "7"},
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 2500,
                        "product_data": {"name": "Campaign licence"},
                    },
                    "quantity": 2,
                },
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1000,
                        "product_data": {"name": "Extra territory"},
                    },
                    "quantity": 1,
                },
            ],
            "payment_intent_data": {
                "transfer_group": "licence-7",
                "metadata": {"licence": "7"},
                "description": "Licence 7",
            },
            **extra,
        }
    )


def test_checkout_session_paid(stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox):
    session = create_session(stripe_client)
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.amount_total == 6000
    assert session.amount_subtotal == 6000
    assert session.currency == "usd"
    assert session.url == f"{stripe_sandbox.base_url}/checkout/pay/{session.id}"
    assert session.payment_intent is None
    assert as_dict(session.metadata) == {"licence": "7"}

    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("Campaign licence", 2, 5000),
        ("Extra territory", 1, 1000),
    ]
    expanded = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items"]}
    )
    assert [i.price.unit_amount for i in expanded.line_items.data] == [2500, 1000]

    result = stripe_sandbox.complete_checkout(session.id)
    assert result["redirect"] == f"https://brand.test/ok?session={session.id}"
    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert paid.status == "complete"
    assert paid.payment_status == "paid"
    assert paid.url is None
    assert paid.customer_details.email == "buyer@brand.test"
    intent = paid.payment_intent
    assert intent.status == "succeeded"
    assert intent.amount == 6000
    assert intent.amount_received == 6000
    assert intent.transfer_group == "licence-7"
    assert as_dict(intent.metadata) == {"licence": "7"}
    assert intent.description == "Licence 7"
    charge = intent.latest_charge
    assert charge.status == "succeeded"
    assert charge.paid is True
    assert charge.transfer_group == "licence-7"
    assert charge.payment_method_details.card.last4 == "4242"

    types = [e["type"] for e in stripe_sandbox.events() if _mentions(e, session.id, intent.id)]
    assert types == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    by_intent: SessionListParams = {"payment_intent": stripe_id(intent.id)}
    listed = stripe_client.v1.checkout.sessions.list(params=by_intent)
    assert [s.id for s in listed.data] == [session.id]


def _mentions(event: dict, session_id: str, intent_id: str) -> bool:
    obj = event["data"]["object"]
    return obj["id"] in (session_id, intent_id) or obj.get("payment_intent") == intent_id


def test_checkout_decline_keeps_session_open(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    session = create_session(stripe_client)
    declined = stripe_sandbox.complete_checkout(session.id, card="declined")
    assert declined["error"]["type"] == "card_error"
    assert declined["error"]["code"] == "card_declined"
    assert declined["error"]["decline_code"] == "generic_decline"
    still_open = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert still_open.status == "open"
    assert still_open.payment_status == "unpaid"
    intent = stripe_client.v1.payment_intents.retrieve(stripe_id(still_open.payment_intent))
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "card_declined"
    # a second attempt with a good card pays the same PaymentIntent
    paid = stripe_sandbox.complete_checkout(session.id, card="4242 4242 4242 4242")
    assert paid["session"]["status"] == "complete"
    assert paid["session"]["payment_intent"] == intent.id
    charges = stripe_client.v1.charges.list(params={"payment_intent": intent.id})
    assert [c.status for c in charges.data] == ["succeeded", "failed"]


def test_checkout_expire_and_validation(stripe_client: stripe.StripeClient):
    session = create_session(stripe_client)
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://brand.test/ok",
                "line_items": [{"price_data": {"currency": "usd", "unit_amount": 100}}],
            }
        )
    assert error.value.param == "line_items[0][price_data][product_data]"
    assert error.value.code == "parameter_missing"
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_missing")
    assert error.value.http_status == 404


# -- payment intents and charges --------------------------------------------------------------


def test_payment_intent_confirm_and_decline(stripe_client: stripe.StripeClient):
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "metadata": {"order": "9"}}
    )
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(intent.id + "_secret_")
    updated = stripe_client.v1.payment_intents.update(
        intent.id, params={"amount": 2500, "description": "Order 9"}
    )
    assert updated.amount == 2500
    confirmed = stripe_client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa"}
    )
    assert confirmed.status == "succeeded"
    assert confirmed.amount_received == 2500
    assert confirmed.payment_method.startswith("pm_")
    method = stripe_client.v1.payment_methods.retrieve(stripe_id(confirmed.payment_method))
    assert (method.card.brand, method.card.last4) == ("visa", "4242")
    charge = stripe_client.v1.charges.retrieve(
        stripe_id(confirmed.latest_charge), params={"expand": ["balance_transaction"]}
    )
    assert charge.amount == 2500
    assert charge.balance_transaction.fee == fee(2500)
    assert charge.balance_transaction.net == 2500 - fee(2500)
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.payment_intents.confirm(intent.id)
    assert again.value.code == "payment_intent_unexpected_state"

    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_intents.create(
            params={
                "amount": 1500,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
            }
        )
    error = declined.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error.decline_code == "generic_decline"
    assert error.user_message == "Your card was declined."
    failed_intent = error.error.payment_intent
    assert failed_intent.status == "requires_payment_method"
    failed_charge = stripe_client.v1.charges.retrieve(stripe_id(error.error.charge))
    assert failed_charge.status == "failed"
    assert failed_charge.failure_code == "card_declined"
    assert failed_charge.balance_transaction is None

    with pytest.raises(stripe.CardError) as funds:
        stripe_client.v1.payment_intents.create(
            params={
                "amount": 1500,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                "confirm": True,
            }
        )
    assert funds.value.error.decline_code == "insufficient_funds"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.payment_intents.create(
            params={"amount": 1500, "currency": "usd", "payment_method": "pm_nope"}
        )
    assert unknown.value.param == "payment_method"
    with pytest.raises(stripe.InvalidRequestError) as small:
        stripe_client.v1.payment_intents.create(params={"amount": 20, "currency": "usd"})
    assert small.value.code == "amount_too_small"


def test_manual_capture_and_cancel(stripe_client: stripe.StripeClient):
    intent = stripe_client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "usd",
            "capture_method": "manual",
            "payment_method": "pm_card_mastercard",
            "confirm": True,
        }
    )
    assert intent.status == "requires_capture"
    assert intent.amount_capturable == 5000
    captured = stripe_client.v1.payment_intents.capture(
        intent.id, params={"amount_to_capture": 4000}
    )
    assert captured.status == "succeeded"
    assert captured.amount_received == 4000
    charge = stripe_client.v1.charges.retrieve(stripe_id(captured.latest_charge))
    assert (charge.amount_captured, charge.amount_refunded) == (4000, 1000)

    other = stripe_client.v1.payment_intents.create(params={"amount": 900, "currency": "usd"})
    canceled = stripe_client.v1.payment_intents.cancel(
        other.id, params={"cancellation_reason": "abandoned"}
    )
    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "abandoned"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.cancel(other.id)


def test_charges_list_update_and_legacy_create(stripe_client: stripe.StripeClient):
    group = f"order-{uuid.uuid4().hex[:8]}"
    charge = stripe_client.v1.charges.create(
        params={"amount": 1200, "currency": "usd", "source": "tok_visa", "transfer_group": group}
    )
    assert charge.status == "succeeded"
    updated = stripe_client.v1.charges.update(charge.id, params={"metadata": {"a": "b"}})
    assert as_dict(updated.metadata) == {"a": "b"}
    assert [c.id for c in stripe_client.v1.charges.list(params={"transfer_group": group})] == [
        charge.id
    ]
    with pytest.raises(stripe.CardError):
        stripe_client.v1.charges.create(
            params={"amount": 1200, "currency": "usd", "source": "tok_chargeDeclined"}
        )


# -- refunds, transfers, reversals, payouts, balances -----------------------------------------


def test_money_moves_add_up(stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox):
    """charge → transfer → reversal → refund → payout, with every balance transaction."""
    model = onboarded_account(stripe_client, stripe_sandbox)
    start = usd_available(stripe_sandbox)

    _session, intent = paid_checkout(
        stripe_client, stripe_sandbox, 10_000, transfer_group="g-1", card="bypass_pending"
    )
    charge = stripe_client.v1.charges.retrieve(
        intent.latest_charge, params={"expand": ["balance_transaction"]}
    )
    txn = charge.balance_transaction
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.source) == (
        "charge",
        10_000,
        320,
        9_680,
        charge.id,
    )
    assert txn.fee_details[0].type == "stripe_fee"
    assert usd_available(stripe_sandbox) == start + 9_680

    transfer = stripe_client.v1.transfers.create(
        params={
            "amount": 7_000,
            "currency": "usd",
            "destination": model.id,
            "transfer_group": "g-1",
            "source_transaction": charge.id,
            "metadata": {"split": "model"},
        }
    )
    assert transfer.destination == model.id
    assert transfer.source_transaction == charge.id
    assert as_dict(transfer.metadata) == {"split": "model"}
    platform_txn = stripe_client.v1.balance_transactions.retrieve(
        stripe_id(transfer.balance_transaction)
    )
    assert (platform_txn.type, platform_txn.amount, platform_txn.net, platform_txn.source) == (
        "transfer",
        -7_000,
        -7_000,
        transfer.id,
    )
    model_txns = stripe_client.v1.balance_transactions.list(options={"stripe_account": model.id})
    assert [(t.type, t.amount, t.source) for t in model_txns.data] == [
        ("payment", 7_000, transfer.destination_payment)
    ]
    payment = stripe_client.v1.charges.retrieve(
        stripe_id(transfer.destination_payment), options={"stripe_account": model.id}
    )
    assert payment.source_transfer == transfer.id

    reversal = stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 2_000})
    assert reversal.amount == 2_000
    reversed_transfer = stripe_client.v1.transfers.retrieve(transfer.id)
    assert reversed_transfer.amount_reversed == 2_000
    assert reversed_transfer.reversed is False
    assert [r.id for r in reversed_transfer.reversals.data] == [reversal.id]
    reversal_txn = stripe_client.v1.balance_transactions.retrieve(
        stripe_id(reversal.balance_transaction)
    )
    assert (reversal_txn.type, reversal_txn.amount) == ("transfer_refund", 2_000)

    refund = stripe_client.v1.refunds.create(params={"charge": charge.id, "amount": 3_000})
    assert refund.status == "succeeded"
    refund_txn = stripe_client.v1.balance_transactions.retrieve(
        stripe_id(refund.balance_transaction)
    )
    assert (refund_txn.type, refund_txn.amount, refund_txn.fee, refund_txn.net) == (
        "refund",
        -3_000,
        0,
        -3_000,
    )
    assert stripe_client.v1.charges.retrieve(charge.id).amount_refunded == 3_000

    payout = stripe_client.v1.payouts.create(
        params={"amount": 4_000, "currency": "usd", "metadata": {"run": "1"}},
        options={"stripe_account": model.id},
    )
    assert payout.status == "pending"
    platform = stripe_client.v1.balance.retrieve()
    assert usd_of(platform) == start + 9_680 - 7_000 + 2_000 - 3_000
    assert usd_available(stripe_sandbox) == usd_of(platform)
    stripe_sandbox.advance_clock(payout.arrival_date - payout.created)
    assert stripe_client.v1.payouts.retrieve(
        payout.id, options={"stripe_account": model.id}
    ).status == ("paid")
    connected = stripe_client.v1.balance.retrieve(options={"stripe_account": model.id})
    assert [(b.currency, b.amount) for b in connected.available] == [("usd", 1_000)]
    model_types = [
        (t.type, t.amount)
        for t in stripe_client.v1.balance_transactions.list(
            options={"stripe_account": model.id}
        ).data
    ]
    assert model_types == [("payout", -4_000), ("payment_refund", -2_000), ("payment", 7_000)]

    with pytest.raises(stripe.InvalidRequestError) as overdraw:
        stripe_client.v1.payouts.create(
            params={"amount": 1_001, "currency": "usd"}, options={"stripe_account": model.id}
        )
    assert overdraw.value.code == "balance_insufficient"


def test_transfer_refusals(stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox):
    pending = stripe_client.v1.accounts.create(
        params={"type": "express", "capabilities": {"transfers": {"requested": True}}}
    )
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": pending.id}
        )
    assert error.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.payouts.create(
            params={"amount": 100, "currency": "usd"}, options={"stripe_account": pending.id}
        )
    assert error.value.code == "payouts_not_allowed"

    model = onboarded_account(stripe_client, stripe_sandbox)
    available = usd_of(stripe_client.v1.balance.retrieve())
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.transfers.create(
            params={"amount": available + 1, "currency": "usd", "destination": model.id}
        )
    assert error.value.code == "balance_insufficient"
    assert error.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": "acct_missing"}
        )
    assert error.value.param == "destination"

    _session, intent = paid_checkout(stripe_client, stripe_sandbox, 1_000)
    # source_transaction ties the transfer to the charge: allowed up to the charge amount
    ok = stripe_client.v1.transfers.create(
        params={
            "amount": 1_000,
            "currency": "usd",
            "destination": model.id,
            "source_transaction": intent.latest_charge,
        }
    )
    assert ok.amount == 1_000
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.transfers.create(
            params={
                "amount": 1,
                "currency": "usd",
                "destination": model.id,
                "source_transaction": intent.latest_charge,
            }
        )
    assert error.value.param == "amount"
    full = stripe_client.v1.transfers.reversals.create(ok.id)
    assert full.amount == 1_000
    assert stripe_client.v1.transfers.retrieve(ok.id).reversed is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.reversals.create(ok.id, params={"amount": 1})


def test_refund_rules(stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox):
    _session, intent = paid_checkout(stripe_client, stripe_sandbox, 5_000)
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5_001})
    assert error.value.code == "amount_too_large"
    refund = stripe_client.v1.refunds.create(
        params={"payment_intent": intent.id, "reason": "requested_by_customer"}
    )
    assert refund.amount == 5_000
    assert refund.charge == intent.latest_charge
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).refunded is True
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.refunds.create(params={"charge": intent.latest_charge})
    assert error.value.code == "charge_already_refunded"
    updated = stripe_client.v1.refunds.update(refund.id, params={"metadata": {"ticket": "5"}})
    assert as_dict(updated.metadata) == {"ticket": "5"}
    listed = stripe_client.v1.refunds.list(params={"payment_intent": intent.id})
    assert [r.id for r in listed.data] == [refund.id]
    types = [e["type"] for e in stripe_sandbox.events() if e["data"]["object"]["id"] == refund.id]
    assert types == ["refund.created", "refund.updated"]


# -- lists, events, endpoints, expansion ------------------------------------------------------


def test_list_pagination(stripe_client: stripe.StripeClient):
    tag = uuid.uuid4().hex
    created = [
        stripe_client.v1.webhook_endpoints.create(
            params={
                "url": f"https://hooks.test/{tag}/{n}",
                "enabled_events": ["charge.succeeded"],
                "description": tag,
            }
        )
        for n in range(5)
    ]
    newest_first = [e.id for e in reversed(created)]
    try:
        first = stripe_client.v1.webhook_endpoints.list(params={"limit": 2})
        assert first.object == "list"  # type: ignore[attr-defined]  # the stub omits it
        assert first.url == "/v1/webhook_endpoints"
        assert [e.id for e in first.data] == newest_first[:2]
        assert first.has_more is True
        second = stripe_client.v1.webhook_endpoints.list(
            params={"limit": 2, "starting_after": first.data[-1].id}
        )
        assert [e.id for e in second.data] == newest_first[2:4]
        before = stripe_client.v1.webhook_endpoints.list(
            params={"limit": 2, "ending_before": newest_first[3]}
        )
        assert [e.id for e in before.data] == newest_first[1:3]
        assert before.has_more is True
        ours = [
            e.id
            for e in stripe_client.v1.webhook_endpoints.list(params={"limit": 2}).auto_paging_iter()
            if e.description == tag
        ]
        assert ours == newest_first
        with pytest.raises(stripe.InvalidRequestError) as error:
            stripe_client.v1.webhook_endpoints.list(params={"limit": 101})
        assert error.value.param == "limit"
        with pytest.raises(stripe.InvalidRequestError) as error:
            stripe_client.v1.webhook_endpoints.list(params={"starting_after": "we_nope"})
        assert error.value.param == "starting_after"
    finally:
        for endpoint in created:
            stripe_client.v1.webhook_endpoints.delete(endpoint.id)


def test_webhook_endpoint_crud(stripe_client: stripe.StripeClient):
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={
            "url": "https://likeness.test/stripe/webhook",
            "enabled_events": ["checkout.session.completed", "account.updated"],
            "metadata": {"env": "dev"},
        }
    )
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.status == "enabled"
    fetched = stripe_client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert "secret" not in fetched
    assert fetched.enabled_events == ["checkout.session.completed", "account.updated"]
    updated = stripe_client.v1.webhook_endpoints.update(
        endpoint.id, params={"disabled": True, "enabled_events": ["*"]}
    )
    assert (updated.status, updated.enabled_events) == ("disabled", ["*"])
    deleted = stripe_client.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert error.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.webhook_endpoints.create(
            params={"url": "not a url", "enabled_events": ["*"]}
        )
    assert error.value.param == "url"


def test_events_list_and_retrieve(stripe_client: stripe.StripeClient):
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 700, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    events = stripe_client.v1.events.list(params={"limit": 3})
    assert [e.type for e in events.data] == [
        "payment_intent.succeeded",
        "charge.succeeded",
        "payment_intent.created",
    ]
    assert events.data[0].data.object.id == intent.id
    assert events.data[0].request.idempotency_key is not None
    only = stripe_client.v1.events.list(params={"type": "charge.*", "limit": 1})
    assert only.data[0].type == "charge.succeeded"
    several = stripe_client.v1.events.list(
        params={"types": ["payment_intent.created", "payment_intent.succeeded"], "limit": 2}
    )
    assert [e.type for e in several.data] == ["payment_intent.succeeded", "payment_intent.created"]
    fetched = stripe_client.v1.events.retrieve(events.data[1].id)
    assert fetched.type == "charge.succeeded"
    assert fetched.data.object.payment_intent == intent.id


def test_expand_in_lists_and_bad_expand(stripe_client: stripe.StripeClient):
    stripe_client.v1.payment_intents.create(
        params={"amount": 800, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    charges = stripe_client.v1.charges.list(
        params={"limit": 1, "expand": ["data.balance_transaction", "data.payment_intent"]}
    )
    assert charges.data[0].balance_transaction.object == "balance_transaction"
    assert charges.data[0].payment_intent.object == "payment_intent"
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.charges.list(params={"expand": ["data.currency"]})
    assert error.value.param == "expand"


def test_form_encoding_of_nested_params(stripe_sandbox: Sandbox):
    result = api(
        stripe_sandbox,
        "POST",
        "/v1/checkout/sessions",
        [
            ("mode", "payment"),
            ("success_url", "https://x.test/ok"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "1999"),
            ("line_items[0][price_data][product_data][name]", "Lookbook"),
            ("line_items[0][quantity]", "3"),
            ("metadata[0]", "zero"),
            ("metadata[order id]", "A-1"),
            ("expand[]", "line_items"),
        ],
    )
    assert result.status == 200, result.text
    body = result.json()
    assert body["amount_total"] == 5997
    assert body["currency"] == "eur"
    assert body["metadata"] == {"0": "zero", "order id": "A-1"}
    assert body["line_items"]["data"][0]["description"] == "Lookbook"
    bad = api(stripe_sandbox, "POST", "/v1/payment_intents", {"amount": "ten", "currency": "usd"})
    assert bad.status == 400
    assert bad.json()["error"] == {
        "code": "parameter_invalid_integer",
        "doc_url": "https://stripe.com/docs/error-codes/parameter_invalid_integer",
        "message": "Invalid integer: ten",
        "param": "amount",
        "type": "invalid_request_error",
    }
    unknown = api(stripe_sandbox, "GET", "/v1/nothing")
    assert unknown.status == 404
    assert unknown.json()["error"]["type"] == "invalid_request_error"
