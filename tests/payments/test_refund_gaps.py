"""Refunds where Stripe is slower or less kind than a plain success: one that fails after
Stripe accepted it is booked back; one waiting for the balance is in flight, not a
difference; one arriving while the payout is being sent is taken back once it is paid."""

from __future__ import annotations

import pytest

from marketplace.payments import ledger, reconciliation
from marketplace.payments.models import (
    Charge,
    Earning,
    LedgerAccount,
    Payout,
    PayoutRun,
    Refund,
    TransferReversal,
    WebhookEvent,
)
from marketplace.payments.services import payouts, refunds, stripe_events
from tests.payments.test_payouts import onboard
from tests.payments.test_revocation_refunds import paid, paid_90_days, revoke

pytestmark = pytest.mark.django_db
K = LedgerAccount.Kind
__all__ = ["paid_90_days"]  # the fixture, used by name


def deliver(stripe_env, *types: str) -> None:
    """Stripe's events of these types, received and processed as the webhook would."""
    for event in stripe_env.events(None):
        if event["type"] in types and not WebhookEvent.objects.filter(stripe_id=event["id"]):
            stored = WebhookEvent.objects.create(
                stripe_id=event["id"], type=event["type"], payload=event
            )
            stripe_events.process_webhook_event(event_id=stored.pk)


def other_payments(stripe_env, amount: int) -> None:
    """Other brands' payments on the platform's balance (booked as platform revenue), so that
    a refund leaves enough to pay transfers from."""
    made = stripe_env.client().v1.charges.create(
        params={
            "amount": amount,
            "currency": "eur",
            "source": "tok_bypassPending",
            "expand": ["balance_transaction"],
        }
    )
    fee = made.balance_transaction.fee
    ledger.post(
        key=f"other-payments:{made.id}",
        kind="brand_payment",
        description="Other brands' payments",
        lines=[
            ledger.Line(ledger.account(K.CASH, "EUR"), amount - fee),
            ledger.Line(ledger.account(K.PROCESSING_FEES, "EUR"), fee),
            ledger.Line(ledger.account(K.PLATFORM_REVENUE, "EUR"), -amount),
        ],
    )


def test_a_refund_that_fails_at_stripe_is_booked_back_and_shown(
    stripe_env, paid_90_days, django_capture_on_commit_callbacks, login, brand_manager
):
    # Given: a revocation refund of €400.00 to a card that will refuse it.
    licence = paid(paid_90_days, stripe_env, card="pm_card_refundFail")
    revoke(licence, django_capture_on_commit_callbacks)
    refund = Refund.objects.get()
    assert (refund.status, refund.stripe_status) == ("refunded", "succeeded")
    cash_before = ledger.balance(ledger.account(K.CASH, "EUR"))

    # When: Stripe says it failed (the money is back in our balance).
    stripe_env.advance_clock(86_400 + 60)
    deliver(stripe_env, "refund.updated", "charge.refund.updated", "refund.failed")

    # Then: cash again in our books, owed to the brand; the charge no longer counts it.
    refund.refresh_from_db()
    charge = Charge.objects.get()
    assert (refund.status, refund.stripe_status) == ("failed", "failed")
    assert "card was cancelled or has expired" in refund.last_error
    assert (charge.status, charge.refunded_amount) == ("paid", 0)
    assert ledger.balance(ledger.account(K.CASH, "EUR")) == cash_before + 40_000
    owed = ledger.account(K.BRAND_REFUNDS_DUE, "EUR", organisation=charge.brand)
    assert ledger.balance(owed) == -40_000
    # The payees' shares stay taken back: the brand is still owed them.
    assert sorted(Earning.objects.values_list("reversed_amount", flat=True)) == [6_800, 27_200]
    assert ledger.unbalanced_transactions() == []
    assert reconciliation.reconcile().differences == []
    # Shown to the brand, with the reason.
    page = login(brand_manager.user).get(f"/licences/{licence.reference}/").content.decode()
    assert ">failed<" in page
    assert "Stripe could not return this refund to the card" in page
    # Booked once, whatever arrives again; and it cannot be refunded a second time.
    deliver(stripe_env, "refund.failed")
    refunds.sync_refund(stripe_id=refund.stripe_id)
    assert ledger.balance(owed) == -40_000
    assert refunds.refund_revoked_licences() == 0
    assert len(stripe_env.state("refund")) == 1


def test_a_refund_waiting_for_the_balance_is_in_flight_not_a_difference(
    stripe_env, paid_90_days, django_capture_on_commit_callbacks, monkeypatch
):
    # Given: the brand's funds available and all but the platform's part paid out.
    licence = paid(paid_90_days, stripe_env)
    onboard(stripe_env, talent=licence.talent)
    onboard(stripe_env, organisation=licence.agency)
    stripe_env.advance_clock(3 * 86_400)
    payouts.plan_payout_run()
    # The reversals are not made yet (a crash after the refund): Stripe's balance cannot
    # cover the refund, which waits there.
    with monkeypatch.context() as patched:
        patched.setattr(refunds, "_send_reversal", lambda reversal_id: None)
        revoke(licence, django_capture_on_commit_callbacks)
    refund = Refund.objects.get()
    assert (refund.stripe_status, TransferReversal.objects.filter(stripe_id="").count()) == (
        "pending",
        2,
    )

    # When: the books are reconciled with the refund still waiting at Stripe.
    report = reconciliation.reconcile()

    # Then: no difference; the refund is counted in flight.
    assert report.differences == []
    assert report.checked["refunds_in_flight"] == 1

    # And once the reversals are made, Stripe makes the refund, and the books still agree.
    refunds.resume_refunds()
    stripe_env.advance_clock(60)
    deliver(stripe_env, "refund.updated")
    refund.refresh_from_db()
    assert refund.stripe_status == "succeeded"
    report = reconciliation.reconcile()
    assert report.differences == []
    assert report.checked["refunds_in_flight"] == 0


def test_a_refund_while_the_payout_is_sending_is_reversed_once_it_is_paid(
    stripe_env, paid_90_days, django_capture_on_commit_callbacks
):
    # Given: the model's and agency's payouts planned and claimed, their transfers (from the
    # available balance, the brand's funds available) not made yet.
    licence = paid(paid_90_days, stripe_env)
    stripe_env.advance_clock(3 * 86_400)
    other_payments(stripe_env, 200_000)
    talent_account = onboard(stripe_env, talent=licence.talent)
    onboard(stripe_env, organisation=licence.agency)
    run = PayoutRun.objects.create(status=PayoutRun.Status.RUNNING)
    for account in (talent_account, licence.agency.stripe_account):
        earnings = Earning.objects.filter(
            talent=account.talent_id, organisation=account.organisation_id
        )
        payout = Payout.objects.create(
            run=run,
            account=account,
            currency="EUR",
            amount=sum(e.net for e in earnings),
            status=Payout.Status.SENDING,
            attempts=1,
        )
        earnings.update(status=Earning.Status.IN_PAYOUT, payout=payout)

    # When: the revocation's refund comes, then the transfers are made.
    revoke(licence, django_capture_on_commit_callbacks)
    assert TransferReversal.objects.filter(stripe_id="").count() == 2
    assert stripe_env.state("transfer_reversal") == []
    with django_capture_on_commit_callbacks(execute=True):
        for payout in Payout.objects.order_by("pk"):
            payouts.send_payout(payout_id=payout.pk)

    # Then: each paid transfer gives back its share of the refund, once.
    talent_payout = Payout.objects.get(account=talent_account)
    assert talent_payout.status == Payout.Status.PAID
    reversed_at_stripe = {r["transfer"]: r["amount"] for r in stripe_env.state("transfer_reversal")}
    assert reversed_at_stripe[talent_payout.transfer_id] == 27_200
    assert sorted(reversed_at_stripe.values()) == [6_800, 27_200]
    assert TransferReversal.objects.filter(stripe_id="").count() == 0
    assert all(
        ledger.balance(acc) == 0
        for acc in LedgerAccount.objects.filter(kind__in=[K.TALENT_PAYABLE, K.AGENCY_PAYABLE])
    )
    assert ledger.unbalanced_transactions() == []
    assert reconciliation.reconcile().differences == []
    refunds.resume_refunds()
    assert len(stripe_env.state("transfer_reversal")) == 2


def test_a_payout_that_fails_after_a_refund_drops_the_reversal_and_pays_the_rest_later(
    stripe_env, paid_90_days, django_capture_on_commit_callbacks
):
    licence = paid(paid_90_days, stripe_env)
    talent_account = onboard(stripe_env, talent=licence.talent)
    earnings = Earning.objects.filter(talent=licence.talent)
    payout = Payout.objects.create(
        account=talent_account,
        currency="EUR",
        amount=sum(e.net for e in earnings),
        status=Payout.Status.SENDING,
        attempts=1,
    )
    earnings.update(status=Earning.Status.IN_PAYOUT, payout=payout)
    revoke(licence, django_capture_on_commit_callbacks)
    assert TransferReversal.objects.filter(payout=payout).count() == 1

    # When: Stripe refuses the transfer (the charge's funds are pending, no source named).
    payouts.send_payout(payout_id=payout.pk)

    # Then: nothing to take back; the earning is available again, net of the refund.
    payout.refresh_from_db()
    assert payout.status in {Payout.Status.WAITING, Payout.Status.FAILED}
    assert TransferReversal.objects.filter(payout=payout).count() == 0
    earning = Earning.objects.get(talent=licence.talent)
    assert (earning.status, earning.net) == (Earning.Status.AVAILABLE, 61_200 - 27_200)
    assert stripe_env.state("transfer_reversal") == []
    assert ledger.unbalanced_transactions() == []
