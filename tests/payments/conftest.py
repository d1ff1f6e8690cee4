from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.payments.services import checkout
from tests.factories import MembershipFactory, UserFactory
from tests.flows import consented_licence


def signed_licence(*, brand_manager, agency_manager, twin, **terms) -> Licence:
    """A licence the three parties have signed: waiting for the brand's payment."""
    licence = consented_licence(
        brand_member=brand_manager, agency_member=agency_manager, twin=twin, **terms
    )
    # Contract signing is the contracts app's business; here the signatures are a given.
    Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.AWAITING_PAYMENT)
    licence.refresh_from_db()
    return licence


def pay(stripe_env, charge, card="visa"):
    stripe_env.complete_checkout(charge.checkout_session_id, card=card)
    return checkout.complete_checkout(session_id=charge.checkout_session_id)


@pytest.fixture
def awaiting_payment(brand_manager, agency_manager, twin):
    return signed_licence(
        brand_manager=brand_manager,
        agency_manager=agency_manager,
        twin=twin,
        media_types=["social", "web"],
    )


@pytest.fixture
def brand_finance(brand):
    return MembershipFactory(organisation=brand, role="finance")


@pytest.fixture
def active_licence(stripe_env, awaiting_payment, brand_finance):
    charge = checkout.start_licence_checkout(by=brand_finance, reference=awaiting_payment.reference)
    pay(stripe_env, charge)
    awaiting_payment.refresh_from_db()
    return awaiting_payment


@pytest.fixture
def started(active_licence):
    """The active licence, its window begun five days ago."""
    LicenceTerms.objects.filter(pk=active_licence.terms_id).update(
        start_date=timezone.localdate() - timedelta(days=5)
    )
    active_licence.refresh_from_db()
    return active_licence


def payout_actor(*, talent=None, organisation=None):
    """Who sets the payee's payouts up: the model herself (given a sign-in if she has none),
    or her agency's owner."""
    if talent is not None:
        if talent.user is None:
            talent.user = UserFactory(email=f"signin-{talent.email}")
            talent.save(update_fields=["user"])
        return talent.user
    return MembershipFactory(organisation=organisation, role="owner")
