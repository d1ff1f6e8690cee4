"""Onboarding, payout runs, late flags, refunds with proportional reversals, reconciliation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.payments import ledger, reconciliation, services
from marketplace.payments.models import (
    Charge,
    ConnectedAccount,
    Earning,
    LedgerAccount,
    Payout,
    PayoutRun,
)

pytestmark = pytest.mark.django_db
K = LedgerAccount.Kind


def onboard(stripe_env, **owner) -> ConnectedAccount:
    account = services.ensure_connected_account(**owner)
    stripe_env.complete_onboarding(account.stripe_id, complete=True)
    synced = services.sync_account(stripe_id=account.stripe_id)
    assert synced is not None
    return synced


def test_onboarding_through_account_links(stripe_env, talent):
    account = services.ensure_connected_account(talent=talent)
    url = services.onboarding_link(account=account, return_path="/payouts/")
    assert url.startswith(stripe_env.base_url)
    assert not account.ready

    stripe_env.complete_onboarding(account.stripe_id, complete=True)
    synced = services.sync_account(stripe_id=account.stripe_id)

    assert synced is not None and synced.ready
    account = synced
    assert services.ensure_connected_account(talent=talent).pk == account.pk
    assert len(stripe_env.state("account")) == 1


def test_earnings_wait_visibly_for_payees_not_onboarded(stripe_env, active_licence):
    run = services.plan_payout_run()

    assert run.total == 0
    assert set(Earning.objects.values_list("status", flat=True)) == {"available"}
    assert stripe_env.state("transfer") == []


def test_a_payout_run_sends_one_transfer_per_account(stripe_env, active_licence):
    talent_account = onboard(stripe_env, talent=active_licence.talent)
    agency_account = onboard(stripe_env, organisation=active_licence.agency)

    run = services.plan_payout_run()

    run.refresh_from_db()
    assert run.total == 2
    assert run.status == PayoutRun.Status.DONE
    transfers = {t["destination"]: t["amount"] for t in stripe_env.state("transfer")}
    assert transfers == {talent_account.stripe_id: 360_000, agency_account.stripe_id: 90_000}
    assert set(Earning.objects.values_list("status", flat=True)) == {"paid"}
    assert (
        ledger.balance(ledger.account(K.TALENT_PAYABLE, "EUR", talent=active_licence.talent)) == 0
    )
    assert reconciliation.reconcile().differences == []
    # Nothing left: a second run sends nothing.
    assert services.plan_payout_run().total == 0
    assert len(stripe_env.state("transfer")) == 2


def test_sending_a_payout_twice_makes_one_transfer(stripe_env, active_licence):
    onboard(stripe_env, talent=active_licence.talent)
    run = services.plan_payout_run()
    payout = run.payouts.get()
    # A redelivered task, or a worker retrying after a crash mid-call:
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.SENDING)

    services.send_payout(payout_id=payout.pk)
    services.send_payout(payout_id=payout.pk)

    assert len(stripe_env.state("transfer")) == 1
    assert reconciliation.reconcile().differences == []


def test_after_24_hours_an_existing_transfer_is_found_not_recreated(stripe_env, active_licence):
    onboard(stripe_env, talent=active_licence.talent)
    payout = services.plan_payout_run().payouts.get()
    transfer_id = payout.transfer_id
    # Pretend the first attempt was two days ago and our row never learnt it succeeded.
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.SENDING,
        transfer_id="",
        first_attempt_at=timezone.now() - timedelta(days=2),
    )
    stripe_env.advance_clock(48 * 3600)  # the sandbox forgets idempotency keys after 24 h

    services.send_payout(payout_id=payout.pk)

    payout.refresh_from_db()
    assert payout.transfer_id == transfer_id
    assert len(stripe_env.state("transfer")) == 1


def test_a_refused_transfer_fails_the_payout_and_frees_the_earnings(
    stripe_env, active_licence, stripe_client
):
    onboard(stripe_env, talent=active_licence.talent)
    # The platform balance is paid out to the bank first: Stripe refuses the transfer.
    available = stripe_client.v1.balance.retrieve().available[0].amount
    stripe_client.v1.payouts.create(params={"amount": available, "currency": "eur"})

    payout = services.plan_payout_run().payouts.get()

    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED
    assert "insufficient" in payout.last_error.lower()
    assert set(payout.earnings.values_list("status", flat=True)) == set()
    assert Earning.objects.filter(talent=active_licence.talent).get().status == "available"


def test_late_earnings_are_flagged_once(
    stripe_env, active_licence, mailoutbox, django_capture_on_commit_callbacks
):
    paid_at = Earning.objects.earliest("pk").brand_paid_at

    with django_capture_on_commit_callbacks(execute=True):
        assert services.flag_late_earnings(now=paid_at + timedelta(days=39)) == 0
        assert services.flag_late_earnings(now=paid_at + timedelta(days=41)) == 2
        assert services.flag_late_earnings(now=paid_at + timedelta(days=42)) == 0

    assert any("45-day" in m.subject for m in mailoutbox)


def test_refund_reverses_paid_transfers_proportionally(stripe_env, active_licence):
    talent_account = onboard(stripe_env, talent=active_licence.talent)
    onboard(stripe_env, organisation=active_licence.agency)
    services.plan_payout_run()
    charge = Charge.objects.get()

    services.refund_charge(charge_id=charge.pk, amount=100_000)  # a fifth of 5,000.00

    charge.refresh_from_db()
    assert charge.status == Charge.Status.PARTIALLY_REFUNDED
    reversals = {r["transfer"]: r["amount"] for r in stripe_env.state("transfer_reversal")}
    talent_payout = Payout.objects.get(account=talent_account)
    assert reversals[talent_payout.transfer_id] == 72_000
    assert sorted(reversals.values()) == [18_000, 72_000]
    assert ledger.unbalanced_transactions() == []
    assert ledger.balance(ledger.account(K.PLATFORM_REVENUE, "EUR")) == -40_000
    assert reconciliation.reconcile().differences == []


def test_refund_before_payout_reduces_earnings_without_transfers(stripe_env, active_licence):
    charge = Charge.objects.get()

    services.refund_charge(charge_id=charge.pk)

    assert stripe_env.state("transfer_reversal") == []
    assert set(Earning.objects.values_list("status", flat=True)) == {"reversed"}
    assert services.plan_payout_run().total == 0
    assert reconciliation.reconcile().differences == []


def test_reconciliation_reports_a_difference(stripe_env, active_licence, stripe_client):
    onboard(stripe_env, talent=active_licence.talent)
    services.plan_payout_run()
    # Someone moved money at Stripe behind the ledger's back.
    stripe_client.v1.transfers.create(
        params={
            "amount": 500,
            "currency": "eur",
            "destination": ConnectedAccount.objects.get().stripe_id,
        }
    )

    report = reconciliation.reconcile()

    assert any("has no paid payout" in d for d in report.differences)
    assert any(d.startswith("cash EUR") for d in report.differences)
