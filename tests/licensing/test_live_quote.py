"""The live quote prices the terms that set the price as soon as they are valid, lists what
else is missing by field, clears the errors of fixed fields, and says why a duration tier
applies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.licensing import quotes
from tests.licensing.conftest import make_terms
from tests.licensing.test_views import form_data

pytestmark = pytest.mark.django_db


def quote(client, twin, **overrides):
    return client.post(
        f"/catalogue/{twin.slug}/quote/", form_data(**overrides), HTTP_HX_REQUEST="true"
    ).content.decode()


def test_the_price_shows_before_the_intended_use_is_long_enough(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    page = quote(client, twin, intended_use="Spring denim posts")

    assert "Licence fee" in page and "€2,000.00" in page
    assert '<div class="small" id="quote-problems">' in page
    assert "Intended use: Describe the intended use specifically: at least 10 words" in page
    assert "Available for these terms" not in page


def test_an_invalid_use_cap_is_named_with_its_message(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    page = quote(client, twin, max_uses="-5")

    assert "Maximum uses: Ensure this value is greater than or equal to 1." in page
    assert "€2,000.00" in page
    assert ", ." not in page


def test_without_price_terms_the_quote_says_which_are_missing(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    page = quote(client, twin, media_types=[], territories=[])

    assert "To see the price, complete: Media, Territories." in page
    assert "Licence fee" not in page


def test_fixed_fields_have_their_errors_cleared_and_others_keep_them(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    page = quote(client, twin, intended_use="short")

    assert '<div id="errors-max_uses" hx-swap-oob="true"></div>' in page
    assert 'id="errors-intended_use"' not in page


def test_the_duration_tier_is_explained(client, brand_manager, twin):
    client.force_login(brand_manager.user)
    start = timezone.localdate() + timedelta(days=7)

    page = quote(
        client,
        twin,
        start_date=start.isoformat(),
        end_date=(start + timedelta(days=97)).isoformat(),
    )

    assert "98 days is over 92 days, so the up to 6 months rate applies (× 150 %)." in page


def test_duration_reasons_follow_the_tiers():
    assert quotes.duration_reason(30) == "30 days: up to 3 months (92 days or fewer)"
    assert (
        quotes.duration_reason(183)
        == "183 days is over 92 days, so the up to 6 months rate applies"
    )
    assert (
        quotes.duration_reason(184)
        == "184 days is over 183 days, so the up to 12 months rate applies"
    )


def test_a_taken_slot_keeps_the_scope_errors(client, brand_manager, other_brand_manager, twin):
    from marketplace.licensing import services

    services.request_licence(
        by=other_brand_manager,
        twin_id=twin.pk,
        terms=make_terms(exclusive=True),
    )
    client.force_login(brand_manager.user)

    page = quote(client, twin, exclusive="on")

    assert "Not available" in page
    assert 'id="errors-exclusive"' not in page
    assert '<div id="errors-max_uses" hx-swap-oob="true"></div>' in page
