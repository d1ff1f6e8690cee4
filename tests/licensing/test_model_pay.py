"""The model reads her own pay, per licence and per use; her summary names the alteration
limits; her name is kept as she typed it and compared without regard to case."""

from __future__ import annotations

import pytest

from marketplace.licensing import quotes, services
from marketplace.licensing.models import Consent
from tests.flows import CTX
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def awaiting(brand_manager, agency_manager, twin):
    licence = services.request_licence(
        by=brand_manager,
        twin_id=twin.pk,
        terms=make_terms(alteration_limits=["no_face_change", "no_nudity"]),
    )
    services.approve_licence(by=agency_manager, reference=licence.reference)
    licence.refresh_from_db()
    return licence


def test_her_share_of_each_use_is_split_as_usage_billing_splits_it(awaiting):
    quote = awaiting.current_terms.quote

    pay = quotes.talent_pay(quote)

    assert pay.licence_share == quote["split"]["talent_share"]
    [line] = quote["lines"]
    fee = int(line["per_use_fee"])
    assert fee > 0
    billed = quotes.split_fee(
        fee,
        platform_fee_bps=quote["platform_fee_bps"],
        agency_commission_bps=quote["agency_commission_bps"],
    )
    assert [(u.label, u.fee, u.share) for u in pay.per_use] == [
        (line["label"], fee, billed.talent_share)
    ]
    assert billed.talent_share < fee


def test_the_consent_page_shows_her_pay_and_the_alteration_limits(client, awaiting, twin):
    client.force_login(twin.talent.user)
    pay = quotes.talent_pay(awaiting.current_terms.quote)

    page = client.get(f"/licences/{awaiting.reference}/consent/").content.decode()

    assert "For this licence: <strong>€" in page
    share = f"{pay.per_use[0].share / 100:,.2f}"
    assert f"<td>€{share} <span" in page
    assert (
        "They may not alter it beyond these limits: no change to facial features, skin tone or "
        "age; no nudity or implied nudity." in page
    )


@pytest.mark.parametrize("typed", ["amara  OKAFOR", " Amara Okafor ", "AMARA OKAFOR"])
def test_her_typed_name_is_compared_case_insensitively_and_kept_as_typed(awaiting, twin, typed):
    twin.talent.full_name = "Amara Okafor"
    twin.talent.save()

    services.give_consent(
        talent=twin.talent,
        user=twin.talent.user,
        reference=awaiting.reference,
        typed_name=typed,
        terms_hash=awaiting.current_terms.terms_hash,
        context=CTX,
    )

    assert Consent.objects.get(licence=awaiting).typed_name == typed.strip()


def test_names_match_across_unicode_compositions():
    assert services.same_name("zoe\u0308 łukasiewicz", "Zoë Łukasiewicz")
    assert not services.same_name("A. Okafor", "Amara Okafor")
