"""What real Stripe does to our money flows: card funds pending for two days, declines, 3-D
Secure, Checkout's asynchronous failures, and bank payouts that fail (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace.accounts.models import Organisation
from marketplace.licensing.models import Licence
from marketplace.payments import ledger, reconciliation, stripe_words
from marketplace.payments.models import (
    BankPayout,
    Charge,
    Earning,
    LedgerAccount,
    Payout,
)
from marketplace.payments.services import checkout, onboarding, payouts
from tests.payments.conftest import pay, payout_actor, signed_licence
from tests.payments.test_payouts import onboard
from tests.payments.test_stripe_events import deliver

pytestmark = pytest.mark.django_db
K = LedgerAccount.Kind


def deliver_all(client, stripe_env, event_type: str) -> None:
    for event in stripe_env.events(event_type):
        assert deliver(client, event).status_code == 200


def pay_panel(client, brand_finance, licence) -> str:
    client.force_login(brand_finance.user)
    return client.get(f"/licences/{licence.reference}/").content.decode()


# --- Pending funds ---------------------------------------------------------------------------


@pytest.fixture
def two_paid_licences(stripe_env, awaiting_payment, brand_manager, agency_manager, twin):
    """Two licences of one model, each paid with the default test card: funds pending."""
    second = signed_licence(
        brand_manager=brand_manager, agency_manager=agency_manager, twin=twin, media_types=["web"]
    )
    for licence in (awaiting_payment, second):
        pay(
            stripe_env,
            checkout.start_licence_checkout(by=brand_manager, reference=licence.reference),
        )
    return awaiting_payment, second


def test_payouts_from_pending_payments_go_one_transfer_per_charge_with_source_transaction(
    stripe_env, two_paid_licences
):
    first, _ = two_paid_licences
    account = onboard(stripe_env, talent=first.talent)
    charges = {c.pk: c.stripe_charge_id for c in Charge.objects.all()}
    assert all(
        c.funds_available_at and c.paid_at and c.funds_available_at > c.paid_at
        for c in Charge.objects.all()
    )

    run = payouts.plan_payout_run()

    talent_payouts = Payout.objects.filter(account=account)
    assert run.total == 2
    assert set(talent_payouts.values_list("status", flat=True)) == {"paid"}
    transfers = stripe_env.state("transfer")
    assert sorted(t["source_transaction"] for t in transfers) == sorted(charges.values())
    owed = sum(Earning.objects.filter(talent=first.talent).values_list("amount", flat=True))
    assert sum(t["amount"] for t in transfers) == owed
    assert stripe_env.balance()["eur"]["available"] == 0  # paid out while still pending
    assert set(Earning.objects.filter(talent=first.talent).values_list("status", flat=True)) == {
        "paid"
    }
    assert ledger.balance(ledger.account(K.TALENT_PAYABLE, "EUR", talent=first.talent)) == 0


def test_a_transfer_short_of_available_funds_waits_and_is_paid_by_the_next_run_once(
    client, stripe_env, two_paid_licences
):
    first, _ = two_paid_licences
    account = onboard(stripe_env, talent=first.talent)
    # Payments recorded before we knew their funds' date: planned as one transfer from the
    # available balance, which Stripe refuses (balance_insufficient).
    Charge.objects.update(funds_available_at=None)

    payouts.plan_payout_run()

    waiting = Payout.objects.get(account=account)
    assert waiting.status == Payout.Status.WAITING
    assert "insufficient" in waiting.last_error.lower()
    available_on = max(c["available_on"] for c in stripe_env.state("balance_transaction"))
    assert waiting.funds_available_at == datetime.fromtimestamp(available_on, tz=UTC)
    assert set(Earning.objects.filter(talent=first.talent).values_list("status", flat=True)) == {
        "available"
    }
    assert stripe_env.state("transfer") == []
    client.force_login(first.talent.user)
    page = client.get("/payouts/").content.decode()
    assert "Waiting for funds" in page
    assert f"available on {waiting.funds_available_at:%-d %B %Y}" in page

    payouts.plan_payout_run()  # the next run

    owed = sum(Earning.objects.filter(talent=first.talent).values_list("amount", flat=True))
    sent = Payout.objects.filter(account=account, status=Payout.Status.PAID)
    assert sent.count() == 2
    assert sum(t["amount"] for t in stripe_env.state("transfer")) == owed
    assert ledger.balance(ledger.account(K.TALENT_PAYABLE, "EUR", talent=first.talent)) == 0
    assert reconciliation.reconcile().differences == []


# --- Declines, 3-D Secure, asynchronous failures ----------------------------------------------


def test_a_declined_card_leaves_the_licence_awaiting_payment_with_the_reason_shown(
    client, stripe_env, awaiting_payment, brand_finance, django_capture_on_commit_callbacks
):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)

    answer = stripe_env.complete_checkout(
        charge.checkout_session_id, card="pm_card_visa_chargeDeclinedInsufficientFunds"
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(client, stripe_env, "payment_intent.payment_failed")

    assert "error" in answer
    awaiting_payment.refresh_from_db()
    charge.refresh_from_db()
    assert awaiting_payment.status == Licence.Status.AWAITING_PAYMENT
    assert charge.status == Charge.Status.OPEN
    assert charge.payment_error == "The card has insufficient funds."
    assert "The card has insufficient funds." in pay_panel(client, brand_finance, awaiting_payment)
    assert Earning.objects.count() == 0


def test_a_failed_3d_secure_check_shows_the_reason_and_a_passed_one_activates(
    client, stripe_env, awaiting_payment, brand_finance, django_capture_on_commit_callbacks
):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    challenge = stripe_env.complete_checkout(
        charge.checkout_session_id, card="pm_card_threeDSecure2Required"
    )
    payment_intent = challenge["session"]["payment_intent"]

    stripe_env.authenticate(payment_intent, succeed=False)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(client, stripe_env, "payment_intent.payment_failed")

    charge.refresh_from_db()
    awaiting_payment.refresh_from_db()
    assert awaiting_payment.status == Licence.Status.AWAITING_PAYMENT
    assert charge.payment_error == stripe_words.DECLINES["payment_intent_authentication_failure"]
    assert "3-D Secure check was not completed" in pay_panel(
        client, brand_finance, awaiting_payment
    )

    # The brand tries again on the same page, and passes the check this time.
    again = stripe_env.complete_checkout(
        charge.checkout_session_id, card="pm_card_threeDSecure2Required"
    )
    stripe_env.authenticate(again["session"]["payment_intent"], succeed=True)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(client, stripe_env, "checkout.session.completed")
        deliver_all(client, stripe_env, "payment_intent.payment_failed")  # late, again

    charge.refresh_from_db()
    awaiting_payment.refresh_from_db()
    assert awaiting_payment.status == Licence.Status.ACTIVE
    assert (charge.status, charge.payment_error) == (Charge.Status.PAID, "")
    assert Earning.objects.count() == 2


def test_an_asynchronous_failure_spends_the_session_and_the_brand_pays_again(
    client, stripe_env, awaiting_payment, brand_finance, django_capture_on_commit_callbacks
):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    session = stripe_env.object(charge.checkout_session_id)
    # Stripe's event for a delayed payment method the bank finally refused (cards never do this,
    # so the sandbox never sends it): the session as Stripe would show it.
    event = {
        "id": "evt_async_failed_1",
        "object": "event",
        "type": "checkout.session.async_payment_failed",
        "created": session["created"],
        "data": {"object": {**session, "status": "complete", "payment_status": "unpaid"}},
    }

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, event).status_code == 200
        assert deliver(client, event).status_code == 200

    charge.refresh_from_db()
    awaiting_payment.refresh_from_db()
    assert awaiting_payment.status == Licence.Status.AWAITING_PAYMENT
    assert (charge.status, charge.payment_error) == (
        Charge.Status.FAILED,
        stripe_words.ASYNC_FAILURE,
    )
    assert stripe_words.ASYNC_FAILURE in pay_panel(client, brand_finance, awaiting_payment)

    again = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    assert again.pk == charge.pk and again.checkout_session_id != session["id"]
    pay(stripe_env, again)
    awaiting_payment.refresh_from_db()
    assert awaiting_payment.status == Licence.Status.ACTIVE


# --- Bank payouts --------------------------------------------------------------------------


def test_a_bank_payout_that_fails_shows_the_reason_and_pays_nothing_twice(
    client, stripe_env, active_licence, mailoutbox, django_capture_on_commit_callbacks
):
    talent = active_licence.talent
    Organisation.objects.filter(pk=talent.agency_id).update(country="FR")  # a euro bank account
    account = onboarding.ensure_connected_account(by=payout_actor(talent=talent))
    # Stripe's test bank account whose payouts fail with account_closed.
    stripe_env.complete_onboarding(account.stripe_id, account_number="000111111113")
    synced = onboarding.sync_account(stripe_id=account.stripe_id)
    assert synced is not None
    account = synced
    payouts.plan_payout_run()
    sent = Payout.objects.get(account=account)
    assert sent.status == Payout.Status.PAID
    # Stripe pays the account's balance to its bank on the account's schedule, once available.
    stripe_env.advance_clock(2 * 86_400 + 1)
    stripe_env.client().v1.payouts.create(
        params={"amount": sent.amount, "currency": "eur"},
        options={"stripe_account": account.stripe_id},
    )
    stripe_env.advance_clock(2 * 86_400 + 1)
    stripe_env.state()  # the sandbox moves its payouts on as the clock passes

    with django_capture_on_commit_callbacks(execute=True):
        for event in stripe_env.events(None):
            if event["type"].startswith("payout."):
                assert deliver(client, event).status_code == 200

    bank_payout = BankPayout.objects.get()
    assert (bank_payout.status, bank_payout.failure_code) == ("failed", "account_closed")
    assert bank_payout.failure_reason == stripe_words.payout_failure_sentence("account_closed")
    client.force_login(talent.user)
    page = client.get("/payouts/").content.decode()
    assert "Refused by your bank" in page
    assert "your bank account is closed" in page
    assert [m.subject for m in mailoutbox].count("Your bank refused a payout") == 1
    # The money is back in her Stripe balance, not ours: nothing is owed or sent again.
    sent.refresh_from_db()
    assert sent.status == Payout.Status.PAID
    assert set(Earning.objects.filter(talent=talent).values_list("status", flat=True)) == {"paid"}
    payouts.plan_payout_run()
    assert [t["amount"] for t in stripe_env.state("transfer")] == [sent.amount]  # once
    assert stripe_env.balance(account.stripe_id)["eur"]["available"] == sent.amount
