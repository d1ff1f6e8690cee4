"""The image-approval premium: the agency's rate card sets it, the quote adds it as an amount
of its own when the terms carry image approval, and the licence stores it. Amounts computed by
hand (TwinFactory: social 1,000.00; region ×2; up to 3 months ×1; exclusivity +50 %; platform
10 %; agency commission 20 % of the rest)."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.licensing import services
from marketplace.licensing.quotes import compute_quote
from marketplace.talent.models import RateCard, RateCardLine
from tests.factories import AgencyFactory, TalentFactory, TwinFactory, UserFactory
from tests.licensing.conftest import make_terms
from tests.licensing.test_views import form_data

pytestmark = pytest.mark.django_db
START = date(2027, 1, 1)


def with_premium(twin, bps: int, *, approval: bool = True):
    RateCard.objects.filter(twin=twin).update(approval_premium_bps=bps)
    twin.image_approval = approval
    twin.save(update_fields=["image_approval"])
    twin.refresh_from_db()
    return twin


def q(twin, *, countries=("DE", "FR"), exclusive=False, image_approval=True):
    return compute_quote(
        rate_card=twin.rate_card,
        media_types=["social"],
        countries=list(countries),
        start=START,
        end=date(2027, 3, 31),  # 90 days
        exclusive=exclusive,
        agency_commission_bps=2000,
        image_approval=image_approval,
    )


def parts(quote) -> tuple[int, int, int, int, int]:
    split = quote.split
    return (
        quote.approval_premium,
        quote.total,
        split.platform_fee,
        split.agency_commission,
        split.talent_share,
    )


def test_the_premium_is_an_amount_of_its_own_and_the_split_takes_the_total(twin):
    with_premium(twin, 1_250)

    # 1,000.00 × 2 = 2,000.00; + 12.5 % = 250.00 → 2,250.00; platform 225.00; agency 20 % of
    # 2,025.00 = 405.00; model 1,620.00.
    assert parts(q(twin)) == (25_000, 225_000, 22_500, 40_500, 162_000)
    # Exclusive: 2,000.00 × 1.5 = 3,000.00; + 12.5 % = 375.00 → 3,375.00.
    assert parts(q(twin, exclusive=True)) == (37_500, 337_500, 33_750, 60_750, 243_000)
    assert q(twin).approval_premium_bps == 1_250


def test_without_approval_there_is_no_premium(twin):
    with_premium(twin, 1_250)

    quote = q(twin, image_approval=False)

    assert (quote.image_approval, quote.approval_premium_bps) == (False, 0)
    assert parts(quote) == (0, 200_000, 20_000, 36_000, 144_000)


def test_a_premium_of_zero_leaves_the_fee_as_it_was(twin):
    with_premium(twin, 0)

    quote = q(twin)

    assert quote.image_approval is True
    assert parts(quote) == (0, 200_000, 20_000, 36_000, 144_000)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        # ¥1,300 × 0.5 % = ¥6.5 → ¥6 (half to even); platform ¥130.6 → ¥131; agency 20 % of
        # ¥1,175 = ¥235; model ¥940.
        (1_300, (6, 1_306, 131, 235, 940)),
        # ¥1,100 × 0.5 % = ¥5.5 → ¥6; platform ¥110.6 → ¥111; agency 20 % of ¥995 = ¥199.
        (1_100, (6, 1_106, 111, 199, 796)),
    ],
)
def test_yen_rounds_half_to_even(base, expected):
    agency = AgencyFactory(currency="JPY")
    twin = TwinFactory(talent=TalentFactory(agency=agency, user=UserFactory()))
    RateCardLine.objects.filter(rate_card__twin=twin, media_type="social").update(base_fee=base)
    with_premium(twin, 50)

    quote = q(twin, countries=("DE",))

    assert quote.currency == "JPY"
    assert parts(quote) == expected


def test_the_licence_stores_the_premium_and_the_consent_names_it(brand_manager, twin):
    with_premium(twin, 1_250)

    licence = services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())
    RateCard.objects.filter(twin=twin).update(approval_premium_bps=5_000)  # not retroactive
    licence.refresh_from_db()
    terms = licence.current_terms

    assert terms.image_approval is True
    assert terms.total_fee == 225_000
    assert (terms.quote["approval_premium_bps"], terms.quote["approval_premium"]) == (1_250, 25_000)
    assert terms.quote["split"] == {
        "platform_fee": 22_500,
        "agency_commission": 40_500,
        "talent_share": 162_000,
    }
    statement = services.consent_statement(licence)
    assert "The licence fee includes an image-approval premium of €250.00 (+ 12.5 %)." in statement
    assert "My share is €1,620.00 of a licence fee of €2,250.00." in statement


def test_the_agency_s_counter_prices_its_approval_choice(brand_manager, agency_manager, twin):
    with_premium(twin, 1_000, approval=False)
    licence = services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())

    services.counter_licence(
        by=agency_manager, reference=licence.reference, terms=make_terms(image_approval=True)
    )
    licence.refresh_from_db()

    assert [v.total_fee for v in licence.versions.order_by("version")] == [200_000, 220_000]
    assert licence.current_terms.total_fee == 220_000
    assert licence.current_terms.quote["approval_premium"] == 20_000


def quote_page(client, twin, **overrides) -> str:
    response = client.post(
        f"/catalogue/{twin.slug}/quote/", form_data(**overrides), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_live_quote_shows_the_premium_as_its_own_line(client, brand_manager, twin):
    with_premium(twin, 1_250)
    client.force_login(brand_manager.user)

    page = quote_page(client, twin)

    assert (
        '<tr id="approval-premium"><td>Image approval premium (+ 12.5 %)</td>'
        '<td class="nowrap">+ €250.00</td>' in page
    )
    assert "<th>€2,250.00</th>" in page


def test_the_live_quote_without_approval_has_no_premium_line(client, brand_manager, twin):
    with_premium(twin, 1_250, approval=False)
    client.force_login(brand_manager.user)

    page = quote_page(client, twin)

    assert 'id="approval-premium"' not in page
    assert "<th>€2,000.00</th>" in page


def test_the_agency_s_live_counter_quote_follows_its_approval_box(client, agency_manager, twin):
    with_premium(twin, 1_250, approval=False)
    client.force_login(agency_manager.user)

    ticked = quote_page(client, twin, image_approval="on", approval_hours="48")
    unticked = quote_page(client, twin, approval_hours="48")

    assert "<th>€2,250.00</th>" in ticked and 'id="approval-premium"' in ticked
    assert "<th>€2,000.00</th>" in unticked and 'id="approval-premium"' not in unticked
