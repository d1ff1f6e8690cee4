"""Every quote is a payment Stripe can take (security finding 6): a total below the currency's
smallest charge or above its largest is refused when the quote is made, before any request,
consent or signature."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import CHARGE_LIMITS, CURRENCY_EXPONENTS
from marketplace.licensing import services
from marketplace.licensing.quotes import check_chargeable
from marketplace.talent import services as talent
from tests.api.conftest import issue_key, key_client
from tests.factories import MembershipFactory
from tests.licensing.conftest import make_terms
from tests.licensing.test_views import form_data

pytestmark = pytest.mark.django_db

TOO_LOW = (
    "This licence would cost €0.10, below the smallest payment in EUR (€0.50). Choose more "
    "media, territories or a longer window, or ask the agency about its rate card."
)
TOO_HIGH = (
    "This licence would cost €599,999,994.00, above the largest payment in EUR (€999,999.99). "
    "Choose fewer media, territories or a shorter window."
)


@pytest.fixture
def cheap(agency_manager, twin):
    """A card within its bounds whose one-country quote is €1.00 × 10 % = €0.10."""
    talent.set_rate_card(
        by=agency_manager,
        twin_id=twin.pk,
        card=talent.RateCardInput(lines={"social": (100, 0)}, territory_country_bps=1_000),
    )
    return twin


@pytest.fixture
def dear(agency_manager, twin):
    """The largest card: €999,999.99 × 10 (worldwide) × 10 (24 months) × 6 (+500 %)."""
    talent.set_rate_card(
        by=agency_manager,
        twin_id=twin.pk,
        card=talent.RateCardInput(
            lines={"social": (99_999_999, 0)},
            territory_worldwide_bps=100_000,
            duration_24m_bps=100_000,
            exclusivity_premium_bps=50_000,
        ),
    )
    return twin


def dear_terms(**overrides):
    start = timezone.localdate() + timedelta(days=10)
    return make_terms(
        territories=["WORLDWIDE"],
        start_date=start,
        end_date=start + timedelta(days=700),
        exclusive=True,
        **overrides,
    )


def test_every_currency_we_accept_has_charge_limits():
    assert set(CHARGE_LIMITS) == set(CURRENCY_EXPONENTS)
    assert all(0 < low < high <= 99_999_999 for low, high in CHARGE_LIMITS.values())


@pytest.mark.parametrize(
    ("currency", "total", "code"),
    [
        ("EUR", 49, "quote_below_minimum"),
        ("GBP", 29, "quote_below_minimum"),
        ("JPY", 49, "quote_below_minimum"),
        ("EUR", 100_000_000, "quote_above_maximum"),
        ("JPY", 10_000_000, "quote_above_maximum"),
    ],
)
def test_a_total_outside_the_currency_s_limits_is_refused(currency, total, code):
    with pytest.raises(ValidationFailed) as exc:
        check_chargeable(total, currency)

    assert exc.value.code == code


@pytest.mark.parametrize(
    ("currency", "total"), [("EUR", 50), ("GBP", 30), ("EUR", 99_999_999), ("JPY", 9_999_999)]
)
def test_a_total_at_the_limits_is_accepted(currency, total):
    check_chargeable(total, currency)


def test_a_quote_below_the_smallest_payment_is_refused_before_any_request(brand_manager, cheap):
    with pytest.raises(ValidationFailed) as exc:
        services.request_licence(
            by=brand_manager, twin_id=cheap.pk, terms=make_terms(territories=["DE"])
        )

    assert (exc.value.code, exc.value.message) == ("quote_below_minimum", TOO_LOW)
    assert not cheap.licences.exists()


def test_a_quote_above_the_largest_payment_is_refused_before_any_request(brand_manager, dear):
    with pytest.raises(ValidationFailed) as exc:
        services.request_licence(by=brand_manager, twin_id=dear.pk, terms=dear_terms())

    assert (exc.value.code, exc.value.message) == ("quote_above_maximum", TOO_HIGH)
    assert not dear.licences.exists()


def test_the_live_quote_and_the_request_page_name_the_limit(client, brand_manager, cheap):
    client.force_login(brand_manager.user)
    data = form_data(territories=["DE"])

    quote = client.post(reverse("licensing:quote", args=[cheap.slug]), data)
    page = client.post(reverse("licensing:request", args=[cheap.slug]), data)

    assert TOO_LOW in quote.content.decode()
    assert page.status_code == 200
    assert page.context["form"].non_field_errors() == [TOO_LOW]
    assert not cheap.licences.exists()


def test_the_api_quote_and_request_name_the_limit(brand_manager, dear):
    token = issue_key(MembershipFactory(organisation=brand_manager.organisation, role="owner"))
    client = key_client(token)
    body = {
        **{k: v for k, v in form_data(dear_terms()).items() if k != "ai_training_forbidden"},
        "exclusive": True,
    }

    quote = client.post(f"/api/v1/catalogue/twins/{dear.slug}/quote", body, format="json")
    request = client.post("/api/v1/licences", {**body, "twin": dear.slug}, format="json")

    for response in (quote, request):
        assert response.status_code == 400
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("quote_above_maximum", TOO_HIGH)
    assert not dear.licences.exists()
