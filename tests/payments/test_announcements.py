"""One event, one announcement: over a whole licence each party hears of each event once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core import mail

from marketplace.contracts import services as contracts
from marketplace.contracts.models import Contract
from marketplace.core.models import Notification
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.payments.services import checkout
from tests.flows import CTX, consent_to
from tests.licensing.conftest import make_terms
from tests.payments.conftest import pay

pytestmark = pytest.mark.django_db


def sign(contract: Contract, user, membership, name: str) -> None:
    contract.refresh_from_db()
    contracts.sign_contract(
        contract_id=contract.pk,
        user=user,
        membership=membership,
        typed_name=name,
        document_sha256=contract.document_sha256,
        context=CTX,
    )


def test_each_party_hears_of_each_event_once_over_a_whole_licence(
    settings,
    tmp_path,
    stripe_env,
    twin,
    brand_manager,
    agency_manager,
    brand_finance,
    django_capture_on_commit_callbacks,
):
    # Given: the three parties of a licence, with names to sign with.
    settings.SIGNING_KEY_DIR = tmp_path / "seal-keys"
    talent = twin.talent
    brand_manager.user.full_name = "Bea Brandt"
    brand_manager.user.save()
    agency_manager.user.full_name = "Aki Agent"
    agency_manager.user.save()

    # When: the brand requests, the agency approves, the model consents, the three sign the
    # contract, and the brand pays: every step's follow-up work runs, as after a commit.
    def step(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    licence = step(
        lambda: licensing.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())
    )
    step(lambda: licensing.approve_licence(by=agency_manager, reference=licence.reference))
    licence.refresh_from_db()
    step(lambda: consent_to(licence, talent))
    contract = Contract.objects.get(licence=licence)
    step(lambda: sign(contract, brand_manager.user, brand_manager, "Bea Brandt"))
    step(lambda: sign(contract, agency_manager.user, agency_manager, "Aki Agent"))
    step(lambda: sign(contract, talent.user, None, talent.full_name))
    licence.refresh_from_db()
    assert licence.status == Licence.Status.AWAITING_PAYMENT
    charge = step(
        lambda: checkout.start_licence_checkout(by=brand_finance, reference=licence.reference)
    )
    step(lambda: pay(stripe_env, charge))
    licence.refresh_from_db()
    assert licence.status == Licence.Status.ACTIVE

    # Then: each e-mail and each in-app notification reached each person once.
    emails = Counter((m.subject, tuple(m.to)) for m in mail.outbox)
    notifications = Counter(Notification.objects.values_list("title", "user__email"))
    assert set(emails.values()) == {1}
    assert set(notifications.values()) == {1}
    # and the activation, announced to all three parties, once each.
    activated = f"{licence.twin.display_name}: {licence.reference} is active"
    people = [brand_manager.user.email, agency_manager.user.email, talent.user.email]
    assert sorted(to for (subject, (to,)) in emails if subject == activated) == sorted(people)
    assert sorted(to for (title, to) in notifications if title == activated) == sorted(people)
    # and every step was announced (none was lost on the way to "once").
    assert len(emails) == len(notifications) >= 10
