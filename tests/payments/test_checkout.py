"""Licence fees through Stripe Checkout on the sandbox, with the real stripe library."""

from __future__ import annotations

import pytest

from marketplace.core.errors import PermissionDenied, TransitionError
from marketplace.licensing.models import Licence
from marketplace.payments import ledger
from marketplace.payments.models import Charge, Earning, LedgerAccount
from marketplace.payments.services import checkout
from tests.factories import MembershipFactory
from tests.payments.conftest import pay

pytestmark = pytest.mark.django_db
K = LedgerAccount.Kind


def test_paying_the_licence_fee_activates_the_licence_and_books_the_split(
    stripe_env, awaiting_payment, brand_finance
):
    # social 1,000 + web 1,500, region ×2, 3 months ×1 = 5,000.00 EUR
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    assert charge.amount == 500_000
    assert charge.checkout_url.startswith(stripe_env.base_url)

    paid = pay(stripe_env, charge)

    awaiting_payment.refresh_from_db()
    assert paid.status == Charge.Status.PAID
    assert awaiting_payment.status == Licence.Status.ACTIVE
    # Stripe's fee: 2.9 % + 0.30 = 145.30
    assert paid.processing_fee == 14_530
    talent_earning = Earning.objects.get(talent=awaiting_payment.talent)
    agency_earning = Earning.objects.get(organisation=awaiting_payment.agency)
    assert (talent_earning.amount, agency_earning.amount) == (360_000, 90_000)
    assert ledger.balance(ledger.account(K.CASH, "EUR")) == 500_000 - 14_530
    assert (
        ledger.balance(ledger.account(K.TALENT_PAYABLE, "EUR", talent=awaiting_payment.talent))
        == -360_000
    )
    assert (
        ledger.balance(
            ledger.account(K.AGENCY_PAYABLE, "EUR", organisation=awaiting_payment.agency)
        )
        == -90_000
    )
    assert ledger.balance(ledger.account(K.PLATFORM_REVENUE, "EUR")) == -50_000
    assert ledger.unbalanced_transactions() == []
    stripe_charge = stripe_env.object(paid.stripe_charge_id)
    assert stripe_charge["transfer_group"] == awaiting_payment.reference
    assert stripe_charge["amount"] == 500_000


def test_completing_twice_books_once(stripe_env, awaiting_payment, brand_finance):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    pay(stripe_env, charge)
    assert charge.checkout_session_id is not None

    checkout.complete_checkout(session_id=charge.checkout_session_id)
    checkout.complete_checkout(session_id=charge.checkout_session_id)

    assert Earning.objects.count() == 2
    assert ledger.balance(ledger.account(K.CASH, "EUR")) == 500_000 - 14_530


def test_a_declined_card_leaves_the_licence_waiting(stripe_env, awaiting_payment, brand_finance):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)

    result = pay(stripe_env, charge, card="declined")

    awaiting_payment.refresh_from_db()
    assert result is None
    assert awaiting_payment.status == Licence.Status.AWAITING_PAYMENT
    assert Charge.objects.get().status == Charge.Status.OPEN
    assert Earning.objects.count() == 0


def test_starting_checkout_again_reuses_the_session(stripe_env, awaiting_payment, brand_finance):
    first = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    second = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)

    assert first.pk == second.pk
    assert first.checkout_session_id == second.checkout_session_id
    assert len(stripe_env.state("checkout.session")) == 1


def test_members_and_other_brands_cannot_pay(stripe_env, awaiting_payment, brand, other_brand):
    with pytest.raises(PermissionDenied):
        checkout.start_licence_checkout(
            by=MembershipFactory(organisation=brand, role="member"),
            reference=awaiting_payment.reference,
        )
    with pytest.raises(Licence.DoesNotExist):
        checkout.start_licence_checkout(
            by=MembershipFactory(organisation=other_brand, role="owner"),
            reference=awaiting_payment.reference,
        )
    assert Charge.objects.count() == 0


def test_only_signed_licences_can_be_paid(stripe_env, awaiting_payment, brand_finance):
    Licence.objects.filter(pk=awaiting_payment.pk).update(status=Licence.Status.CONSENTED)

    with pytest.raises(TransitionError):
        checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)


def test_pay_button_redirects_to_checkout_and_return_page_completes(
    client, stripe_env, awaiting_payment, brand_finance
):
    client.force_login(brand_finance.user)

    response = client.post(f"/licences/{awaiting_payment.reference}/pay/")

    charge = Charge.objects.get()
    assert response.status_code == 302
    assert response.url == charge.checkout_url
    stripe_env.complete_checkout(charge.checkout_session_id, card="visa")
    back = client.get(f"/payments/return/?session_id={charge.checkout_session_id}")
    assert back.status_code == 302
    assert back.url == f"/licences/{awaiting_payment.reference}/"
    awaiting_payment.refresh_from_db()
    assert awaiting_payment.status == Licence.Status.ACTIVE


def test_another_brand_cannot_use_the_return_page(
    client, stripe_env, awaiting_payment, brand_finance, other_brand
):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    stripe_env.complete_checkout(charge.checkout_session_id, card="visa")
    client.force_login(MembershipFactory(organisation=other_brand, role="owner").user)

    response = client.get(f"/payments/return/?session_id={charge.checkout_session_id}")

    assert response.status_code == 404
    assert Charge.objects.get().status == Charge.Status.OPEN
