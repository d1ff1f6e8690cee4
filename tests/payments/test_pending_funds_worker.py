"""A licence paid with the default test card (funds pending two days at Stripe) is paid out
by a real worker while the funds are still pending: with the charge as source_transaction,
once (issue 16). PostgreSQL, Redis and `celery worker` processes."""

from __future__ import annotations

import pytest

from marketplace.payments import ledger, reconciliation
from marketplace.payments.models import Charge, Earning, LedgerAccount, Payout
from marketplace.payments.services import checkout
from marketplace.payments.tasks import run_payouts_task
from tests.payments.conftest import signed_licence
from tests.payments.test_faults import wait_for, workers  # noqa: F401 - fixture
from tests.payments.test_payouts import onboard

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
K = LedgerAccount.Kind


@pytest.fixture(autouse=True)
def _categories(migrated_categories: None) -> None:
    """The data migration's categories, flushed by earlier transactional tests."""


def test_a_licence_paid_with_pending_funds_is_paid_out_by_the_worker_once(
    workers,  # noqa: F811 - the fixture imported above
    stripe_env,
    brand_manager,
    agency_manager,
    twin,
):
    licence = signed_licence(
        brand_manager=brand_manager, agency_manager=agency_manager, twin=twin, media_types=["web"]
    )
    account = onboard(stripe_env, talent=licence.talent)
    agency_account = onboard(stripe_env, organisation=licence.agency)
    charge = checkout.start_licence_checkout(by=brand_manager, reference=licence.reference)
    stripe_env.complete_checkout(charge.checkout_session_id, card="visa")  # 4242: pending
    checkout.complete_checkout(session_id=charge.checkout_session_id)
    charge.refresh_from_db()
    assert charge.funds_available_at is not None and charge.funds_available_at > charge.paid_at
    pending = stripe_env.balance()["eur"]
    assert (pending["available"], pending["pending"]) == (0, charge.amount - charge.processing_fee)
    workers.start(2)

    run_payouts_task.delay()
    run_payouts_task.delay()  # a second run, as a doubled beat would start it
    workers.wait_until_idle(timeout=60)
    wait_for(
        lambda: (
            not Payout.objects.exclude(status=Payout.Status.PAID).exists()
            and Payout.objects.count() == 2
        ),
        timeout=30,
    )

    transfers = stripe_env.state("transfer")
    owed = {
        e.talent_id or e.organisation_id: e.amount for e in Earning.objects.filter(charge=charge)
    }
    assert sorted(t["amount"] for t in transfers) == sorted(owed.values())
    assert {t["source_transaction"] for t in transfers} == {charge.stripe_charge_id}
    assert {t["destination"] for t in transfers} == {account.stripe_id, agency_account.stripe_id}
    assert stripe_env.balance()["eur"]["available"] == 0  # the funds are still pending
    assert set(Earning.objects.values_list("status", flat=True)) == {"paid"}
    assert Charge.objects.get().status == Charge.Status.PAID
    assert ledger.balance(ledger.account(K.TALENT_PAYABLE, "EUR", talent=licence.talent)) == 0
    assert reconciliation.reconcile().differences == []
