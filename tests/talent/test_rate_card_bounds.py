"""Every rate-card field is bounded: in the form, the service and the database. A card can no
longer price a licence at zero or at 6×10¹⁸ minor units."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from marketplace.core.errors import ValidationFailed
from marketplace.talent import services
from marketplace.talent.models import RateCard, RateCardLine
from tests.factories import TwinFactory

pytestmark = pytest.mark.django_db

FORM = {
    "base_social": "1000.00",
    "use_social": "10.00",
    "exclusivity_premium_bps": "50",
    "territory_country_bps": "100",
    "territory_region_bps": "200",
    "territory_worldwide_bps": "400",
    "duration_3m_bps": "100",
    "duration_6m_bps": "150",
    "duration_12m_bps": "250",
    "duration_24m_bps": "400",
}


def card_of(twin) -> tuple:
    card = RateCard.objects.get(twin=twin)
    lines = tuple(card.lines.values_list("media_type", "base_fee", "per_use_fee"))
    return (card.territory_country_bps, card.exclusivity_premium_bps, card.duration_24m_bps, lines)


@pytest.mark.parametrize(
    ("card", "field"),
    [
        ({"lines": {"social": (49, 0)}}, "base_social"),  # below €0.50, Stripe's minimum
        ({"lines": {"social": (100_000_000, 0)}}, "base_social"),
        ({"lines": {"social": (100_000, 100_000_000)}}, "use_social"),
        ({"lines": {"social": (100_000, 0)}, "territory_country_bps": 0}, "territory_country_bps"),
        ({"lines": {"social": (100_000, 0)}, "territory_region_bps": 999}, "territory_region_bps"),
        ({"lines": {"social": (100_000, 0)}, "duration_24m_bps": 100_001}, "duration_24m_bps"),
        (
            {"lines": {"social": (100_000, 0)}, "exclusivity_premium_bps": 50_001},
            "exclusivity_premium_bps",
        ),
        ({"lines": {"social": (100_000, 0)}, "approval_premium_bps": -1}, "approval_premium_bps"),
        (
            {"lines": {"social": (100_000, 0)}, "approval_premium_bps": 10_001},
            "approval_premium_bps",
        ),
    ],
)
def test_the_service_refuses_a_field_out_of_bounds_and_changes_nothing(
    agency_manager, talent, card, field
):
    twin = TwinFactory(talent=talent)
    before = card_of(twin)

    with pytest.raises(ValidationFailed) as exc:
        services.set_rate_card(
            by=agency_manager, twin_id=twin.pk, card=services.RateCardInput(**card)
        )

    assert exc.value.field == field
    assert card_of(twin) == before


def test_the_service_accepts_every_bound_itself(agency_manager, talent):
    twin = TwinFactory(talent=talent)

    services.set_rate_card(
        by=agency_manager,
        twin_id=twin.pk,
        card=services.RateCardInput(
            lines={"social": (50, 0), "web": (99_999_999, 99_999_999)},
            exclusivity_premium_bps=0,
            territory_country_bps=1_000,
            territory_worldwide_bps=100_000,
        ),
    )
    services.set_rate_card(
        by=agency_manager,
        twin_id=twin.pk,
        card=services.RateCardInput(lines={"social": (50, 0)}, exclusivity_premium_bps=50_000),
    )

    assert card_of(twin) == (10_000, 50_000, 40_000, (("social", 50, 0),))


def test_the_minimum_base_fee_is_the_currency_s_smallest_payment(agency_manager, agency, talent):
    agency.currency = "GBP"
    agency.save()
    twin = TwinFactory(talent=talent)

    services.set_rate_card(
        by=agency_manager, twin_id=twin.pk, card=services.RateCardInput(lines={"social": (30, 0)})
    )
    with pytest.raises(ValidationFailed) as exc:
        services.set_rate_card(
            by=agency_manager,
            twin_id=twin.pk,
            card=services.RateCardInput(lines={"social": (29, 0)}),
        )

    assert exc.value.message == "A base fee is between £0.30 and £999,999.99 (one payment)."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("territory_country_bps", 999),
        ("territory_region_bps", 100_001),
        ("duration_3m_bps", 0),
        ("exclusivity_premium_bps", 50_001),
        ("approval_premium_bps", 10_001),
    ],
)
def test_the_database_refuses_a_multiplier_out_of_bounds(twin, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        RateCard.objects.filter(twin=twin).update(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"), [("base_fee", 0), ("base_fee", 100_000_000), ("per_use_fee", 100_000_000)]
)
def test_the_database_refuses_a_fee_out_of_bounds(twin, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        RateCardLine.objects.filter(rate_card__twin=twin).update(**{field: value})


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("base_social", "0.00", "Ensure this value is greater than or equal to 0.50."),
        ("base_social", "1000000.00", "Ensure this value is less than or equal to 999999.99."),
        ("use_social", "1000000.00", "Ensure this value is less than or equal to 999999.99."),
        ("territory_country_bps", "0", "Ensure this value is greater than or equal to 10."),
        ("duration_24m_bps", "1001", "Ensure this value is less than or equal to 1000."),
        ("exclusivity_premium_bps", "501", "Ensure this value is less than or equal to 500."),
        ("exclusivity_premium_bps", "-1", "Ensure this value is greater than or equal to 0."),
        ("approval_premium_bps", "-5", "Ensure this value is greater than or equal to 0."),
        ("approval_premium_bps", "101", "Ensure this value is less than or equal to 100."),
        ("approval_premium_bps", "99999", "Ensure this value is less than or equal to 100."),
        ("approval_premium_bps", "1e3", "Ensure this value is less than or equal to 100."),
        ("approval_premium_bps", "ten", "Enter a number."),
        (
            "approval_premium_bps",
            "12.345",
            "Ensure that there are no more than 2 decimal places.",
        ),
    ],
)
def test_the_rate_card_page_refuses_a_field_out_of_bounds(
    client, agency_manager, talent, field, value, error
):
    twin = TwinFactory(talent=talent)
    before = card_of(twin)
    client.force_login(agency_manager.user)

    response = client.post(f"/agency/twins/{twin.pk}/rates/", {**FORM, field: value})

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [error]}
    assert card_of(twin) == before


def test_the_rate_card_page_saves_a_card_within_bounds(client, agency_manager, talent):
    twin = TwinFactory(talent=talent)
    client.force_login(agency_manager.user)

    response = client.post(
        f"/agency/twins/{twin.pk}/rates/", {**FORM, "exclusivity_premium_bps": "0"}
    )

    assert response.status_code == 302
    assert card_of(twin) == (10_000, 0, 40_000, (("social", 100_000, 1_000),))


def test_the_rate_card_page_saves_the_image_approval_premium(client, agency_manager, talent):
    twin = TwinFactory(talent=talent)
    client.force_login(agency_manager.user)

    response = client.post(
        f"/agency/twins/{twin.pk}/rates/", {**FORM, "approval_premium_bps": "12.5"}
    )
    saved = RateCard.objects.get(twin=twin).approval_premium_bps
    client.post(f"/agency/twins/{twin.pk}/rates/", {**FORM, "approval_premium_bps": "0"})
    zero = RateCard.objects.get(twin=twin).approval_premium_bps
    client.post(f"/agency/twins/{twin.pk}/rates/", FORM)  # left empty: no premium

    assert response.status_code == 302
    assert (saved, zero) == (1_250, 0)
    assert RateCard.objects.get(twin=twin).approval_premium_bps == 0
