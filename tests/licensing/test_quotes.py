"""Quotes, computed by hand from the rate card (TwinFactory: social 1,000.00, web 1,500.00;
territory country ×1, region ×2, worldwide ×4; 3/6/12/24 months ×1/×1.5/×2.5/×4;
exclusivity +50 %; platform 10 %; agency commission 20 %)."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.licensing.quotes import compute_quote, split_fee, territory_scope
from marketplace.licensing.territories import expand

pytestmark = pytest.mark.django_db
START = date(2027, 1, 1)


def q(twin, media=("social",), countries=("DE",), days=90, exclusive=False, commission=2000):
    return compute_quote(
        rate_card=twin.rate_card,
        media_types=list(media),
        countries=list(countries),
        start=START,
        end=date.fromordinal(START.toordinal() + days - 1),
        exclusive=exclusive,
        agency_commission_bps=commission,
    )


def test_base_case_one_country_three_months(twin):
    quote = q(twin)

    assert quote.total == 100_000
    assert (quote.split.platform_fee, quote.split.agency_commission, quote.split.talent_share) == (
        10_000,
        18_000,
        72_000,
    )


def test_two_media_region_six_months_exclusive(twin):
    # (1,000 + 1,500) × 2 (region) × 1.5 (≤183 days) × 1.5 (exclusive) = 11,250.00
    quote = q(twin, media=("web", "social"), countries=("DE", "FR"), days=120, exclusive=True)

    assert quote.base_total == 250_000
    assert quote.total == 1_125_000
    assert [line["media_type"] for line in quote.lines] == ["social", "web"]
    assert quote.split.platform_fee == 112_500
    assert quote.split.agency_commission == 202_500
    assert quote.split.talent_share == 810_000


@pytest.mark.parametrize(
    ("days", "bps"),
    [
        (92, 10000),
        (93, 15000),
        (183, 15000),
        (184, 25000),
        (366, 25000),
        (367, 40000),
        (731, 40000),
    ],
)
def test_duration_buckets(twin, days, bps):
    assert q(twin, days=days).duration_bps == bps


def test_worldwide_scope(twin):
    quote = q(twin, countries=expand(["WORLDWIDE"]))

    assert quote.territory_scope == "worldwide"
    assert quote.total == 400_000


def test_longer_than_two_years_is_refused(twin):
    with pytest.raises(ValidationFailed, match="24 months"):
        q(twin, days=732)


def test_media_not_on_the_rate_card_is_refused(twin):
    with pytest.raises(ValidationFailed, match="Print"):
        q(twin, media=("print",))


def test_commission_above_twenty_percent_is_refused(twin):
    with pytest.raises(ValidationFailed, match="20 %"):
        q(twin, commission=2001)


@pytest.mark.parametrize("total", [1, 7, 99, 12_345, 999_999_999])
def test_split_always_adds_up(total):
    split = split_fee(total, platform_fee_bps=1000, agency_commission_bps=2000)

    assert split.platform_fee + split.agency_commission + split.talent_share == total
    assert min(split.platform_fee, split.agency_commission, split.talent_share) >= 0


def test_quote_is_deterministic(twin):
    assert q(twin, countries=("DE", "FR"), exclusive=True) == q(
        twin, countries=("DE", "FR"), exclusive=True
    )


def test_territory_expansion_and_scope():
    assert expand(["nordics"]) == ["DK", "FI", "IS", "NO", "SE"]
    assert expand(["DE", "DACH"]) == ["AT", "CH", "DE"]
    assert territory_scope(["DE"]) == "country"
    assert territory_scope(expand(["EU"])) == "region"
    with pytest.raises(ValidationFailed, match="XX"):
        expand(["DE", "XX"])
