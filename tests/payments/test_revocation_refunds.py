"""A revocation that ends a paid licence early refunds the brand pro rata for the days it
loses, takes the same proportion back from the model and the agency, once, in the ledger,
and shows it to each party."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.core.money import share_out
from marketplace.licensing import quotes
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.payments import ledger, reconciliation
from marketplace.payments.models import (
    Charge,
    Earning,
    LedgerAccount,
    Payout,
    Refund,
    TransferReversal,
    WebhookEvent,
)
from marketplace.payments.services import checkout, payouts, refunds, stripe_events
from marketplace.payments.tasks import refund_revoked_licence_task
from tests.contracts.test_worker import wait_for
from tests.factories import MembershipFactory
from tests.flows import CTX
from tests.payments import test_faults
from tests.payments.conftest import pay, signed_licence
from tests.payments.test_payouts import onboard

pytestmark = pytest.mark.django_db
workers = test_faults.workers  # kill-able `celery worker` processes on real Redis
K = LedgerAccount.Kind

# A 90-day licence for €900.00: the platform 15 %, the agency 20 % of the rest, the model the rest.
SPLIT = {"platform_fee": 13_500, "agency_commission": 15_300, "talent_share": 61_200}


def test_the_rule_rounds_half_to_even_and_the_parts_add_up():
    # 45 days of 90 lost on a fee of 1 minor unit: ½ rounds to 0; on 3 units: 1½ rounds to 2.
    assert quotes.revocation_refund(1, days_lost=45, duration_days=90) == 0
    assert quotes.revocation_refund(3, days_lost=45, duration_days=90) == 2
    assert quotes.revocation_refund(90_000, days_lost=40, duration_days=90) == 40_000
    # 5 shared 1:1:1 → running totals 1⅔→2, 3⅓→3, 5: parts 2, 1, 2.
    assert share_out(5, [1, 1, 1]) == [2, 1, 2]
    assert share_out(40_000, [61_200, 15_300, 13_500]) == [27_200, 6_800, 6_000]
    assert share_out(1, [1, 1]) == [0, 1]  # ½ → 0, then 1


def test_days_lost_count_the_window_after_the_new_end():
    start = timezone.localdate()
    end = start + timedelta(days=89)
    assert (
        quotes.days_lost_to_revocation(
            start_date=start, end_date=end, ends_on=start + timedelta(days=49)
        )
        == 40
    )
    # Ending before it starts loses the whole window; ending at its end loses nothing.
    assert (
        quotes.days_lost_to_revocation(
            start_date=start, end_date=end, ends_on=start - timedelta(days=3)
        )
        == 90
    )
    assert quotes.days_lost_to_revocation(start_date=start, end_date=end, ends_on=end) == 0


@dataclass(frozen=True)
class Unpaid:
    """A signed €900.00 licence for 90 days, its checkout open."""

    licence: Licence
    charge: Charge


@pytest.fixture
def paid_90_days(stripe_env, brand_manager, agency_manager, twin, brand) -> Unpaid:
    licence = signed_licence(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)
    terms = licence.current_terms
    LicenceTerms.objects.filter(pk=terms.pk).update(
        total_fee=90_000, quote={**terms.quote, "split": SPLIT}, revocation_notice_days=30
    )
    finance = MembershipFactory(organisation=brand, role="finance")
    charge = checkout.start_licence_checkout(by=finance, reference=licence.reference)
    return Unpaid(licence, charge)


def paid(unpaid: Unpaid, stripe_env, card: str = "visa") -> Licence:
    """Paid with `card`; today is the 20th of its 90 days."""
    pay(stripe_env, unpaid.charge, card=card)
    start = timezone.localdate() - timedelta(days=19)
    LicenceTerms.objects.filter(pk=unpaid.licence.current_terms.pk).update(
        start_date=start, end_date=start + timedelta(days=89)
    )
    licence = unpaid.licence
    licence.refresh_from_db()
    return licence


def revoke(licence, capture):
    talent = licence.talent
    with capture(execute=True):
        licensing.revoke_twin_consent(
            talent=talent, user=talent.user, twin_id=licence.twin_id, reason="No more", context=CTX
        )
    licence.refresh_from_db()


def test_revocation_on_day_20_refunds_40_unused_days_once(
    stripe_env, paid_90_days, django_capture_on_commit_callbacks
):
    licence = paid(paid_90_days, stripe_env)

    revoke(licence, django_capture_on_commit_callbacks)

    # Notice of 30 days from day 20: the licence ends on day 50, 40 of its 90 days unused.
    assert licence.ends_early_on == licence.current_terms.start_date + timedelta(days=49)
    refund = Refund.objects.get()
    assert (refund.amount, refund.days_lost, refund.reason) == (40_000, 40, "revocation")
    assert (refund.status, refund.stripe_status) == ("refunded", "succeeded")
    assert [r["amount"] for r in stripe_env.state("refund")] == [40_000]
    charge = Charge.objects.get()
    assert (charge.status, charge.refunded_amount) == ("partially_refunded", 40_000)
    # Not paid out yet: their earnings are reduced instead of transfers reversed.
    reversed_ = dict(Earning.objects.values_list("talent_id", "reversed_amount"))
    assert reversed_ == {licence.talent_id: 27_200, None: 6_800}
    assert TransferReversal.objects.count() == 0
    assert ledger.balance(ledger.account(K.PLATFORM_REVENUE, "EUR")) == -(13_500 - 6_000)
    assert ledger.balance(ledger.account(K.TALENT_PAYABLE, "EUR", talent=licence.talent)) == -(
        61_200 - 27_200
    )
    assert ledger.unbalanced_transactions() == []
    assert reconciliation.reconcile().differences == []

    # The task delivered again, and the sweep, refund nothing more.
    refund_revoked_licence_task.delay(licence_id=licence.pk)
    assert refunds.refund_revoked_licences() == 0
    assert [r["amount"] for r in stripe_env.state("refund")] == [40_000]
    assert Refund.objects.count() == 1
    assert reconciliation.reconcile().differences == []


def test_paid_out_transfers_are_reversed_in_the_same_proportion(
    stripe_env, paid_90_days, django_capture_on_commit_callbacks
):
    licence = paid(paid_90_days, stripe_env)
    talent_account = onboard(stripe_env, talent=licence.talent)
    onboard(stripe_env, organisation=licence.agency)
    payouts.plan_payout_run()
    assert set(Payout.objects.values_list("status", flat=True)) == {"paid"}

    revoke(licence, django_capture_on_commit_callbacks)

    reversals = {r["transfer"]: r["amount"] for r in stripe_env.state("transfer_reversal")}
    talent_payout = Payout.objects.get(account=talent_account)
    assert reversals[talent_payout.transfer_id] == 27_200
    assert sorted(reversals.values()) == [6_800, 27_200]
    assert sorted(TransferReversal.objects.values_list("amount", flat=True)) == [6_800, 27_200]
    assert ledger.unbalanced_transactions() == []
    assert reconciliation.reconcile().differences == []

    refund_revoked_licence_task.delay(licence_id=licence.pk)
    assert len(stripe_env.state("transfer_reversal")) == 2
    # (A reversal's refund of the connected account's payment is a `pyr_` object.)
    assert [r["amount"] for r in stripe_env.state("refund") if r["id"].startswith("re_")] == [
        40_000
    ]


def test_a_refund_pending_at_stripe_shows_pending_until_stripe_says_succeeded(
    stripe_env, paid_90_days, django_capture_on_commit_callbacks, login, brand_manager
):
    licence = paid(paid_90_days, stripe_env, card="pm_card_pendingRefund")
    revoke(licence, django_capture_on_commit_callbacks)
    refund = Refund.objects.get()
    assert refund.stripe_status == "pending"
    page = login(brand_manager.user).get(f"/licences/{licence.reference}/").content.decode()
    assert "Refund of €400.00 for 40 unused days" in page
    assert ">pending<" in page

    stripe_env.advance_clock(86_400 + 60)
    events = [
        e
        for e in stripe_env.events(None)
        if e["type"] in {"refund.updated", "charge.refund.updated"}
    ]
    assert events
    for event in events:
        stored = WebhookEvent.objects.create(
            stripe_id=event["id"], type=event["type"], payload=event
        )
        stripe_events.process_webhook_event(event_id=stored.pk)

    refund.refresh_from_db()
    assert refund.stripe_status == "succeeded"
    page = login(brand_manager.user).get(f"/licences/{licence.reference}/").content.decode()
    assert ">succeeded<" in page
    assert reconciliation.reconcile().differences == []


def test_each_party_sees_the_refund_and_no_one_else(
    stripe_env,
    paid_90_days,
    django_capture_on_commit_callbacks,
    client,
    brand_manager,
    agency_manager,
    other_brand,
    other_agency,
):
    licence = paid(paid_90_days, stripe_env)
    revoke(licence, django_capture_on_commit_callbacks)
    url = f"/licences/{licence.reference}/"

    client.force_login(brand_manager.user)
    assert "Refund of €400.00 for 40 unused days — " in client.get(url).content.decode()
    client.force_login(agency_manager.user)
    assert (
        "€68.00 returned to the brand because the licence ended 40 days early."
        in client.get(url).content.decode()
    )
    client.force_login(licence.talent.user)
    assert (
        "€272.00 returned to the brand because the licence ended 40 days early."
        in client.get(url).content.decode()
    )
    for outsider in (other_brand, other_agency):
        client.force_login(MembershipFactory(organisation=outsider, role="owner").user)
        assert client.get(url).status_code == 404
    assert Refund.objects.count() == 1


def test_the_rule_is_stated_on_the_licence_page(stripe_env, paid_90_days, client, brand_manager):
    licence = paid(paid_90_days, stripe_env)
    client.force_login(brand_manager.user)

    page = client.get(f"/licences/{licence.reference}/").content.decode()

    assert "refunded the licence fee pro rata for the days" in page
    assert "rounded half to even" in page


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_refunds_a_revocation_once_with_the_ledger_balanced(
    migrated_categories, workers, stripe_env, paid_90_days
):
    licence = paid(paid_90_days, stripe_env)
    workers.start(1)

    # The revocation commits; its refund task goes to the worker, and is delivered twice more.
    licensing.revoke_twin_consent(
        talent=licence.talent,
        user=licence.talent.user,
        twin_id=licence.twin_id,
        reason="No more",
        context=CTX,
    )
    results = [refund_revoked_licence_task.delay(licence_id=licence.pk) for _ in range(2)]
    for result in results:
        result.get(timeout=60)

    refund = wait_for(
        lambda: Refund.objects.filter(status=Refund.Status.REFUNDED).first(), timeout=60
    )
    assert (refund.amount, refund.days_lost) == (40_000, 40)
    assert [r["amount"] for r in stripe_env.state("refund")] == [40_000]
    assert sorted(Earning.objects.values_list("reversed_amount", flat=True)) == [6_800, 27_200]
    assert ledger.unbalanced_transactions() == []
    assert reconciliation.reconcile().differences == []


def test_a_refund_the_balance_cannot_cover_waits_at_stripe_then_succeeds(
    stripe_env, paid_90_days, django_capture_on_commit_callbacks
):
    # Given: the brand's funds available and most of them paid out to the model and agency.
    licence = paid(paid_90_days, stripe_env)
    onboard(stripe_env, talent=licence.talent)
    onboard(stripe_env, organisation=licence.agency)
    stripe_env.advance_clock(3 * 86_400)
    payouts.plan_payout_run()

    # When: the revocation's €400.00 refund meets a platform balance of less than that.
    revoke(licence, django_capture_on_commit_callbacks)

    # Then: Stripe holds it pending; the reversals are made and booked all the same.
    refund = Refund.objects.get()
    assert (refund.amount, refund.stripe_status) == (40_000, "pending")
    assert sorted(TransferReversal.objects.values_list("amount", flat=True)) == [6_800, 27_200]
    assert TransferReversal.objects.filter(stripe_id="").count() == 0

    # Once the reversals' money covers it, Stripe makes the refund and says so.
    stripe_env.advance_clock(60)
    for event in stripe_env.events("refund.updated"):
        stored = WebhookEvent.objects.create(
            stripe_id=event["id"], type=event["type"], payload=event
        )
        stripe_events.process_webhook_event(event_id=stored.pk)
    refund.refresh_from_db()
    assert refund.stripe_status == "succeeded"
    assert ledger.unbalanced_transactions() == []
    assert reconciliation.reconcile().differences == []
