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

    assert "Maximum uses: Allow at least one use, or leave it empty for metered use." in page
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

    assert (
        "98 days → the 6-month tier (93 to 183 days): fee × 150 %. 92 days or fewer "
        "(6 days less) would be the 3-month tier, × 100 %."
    ) in page


def test_duration_reasons_follow_the_tiers(twin):
    card = twin.rate_card
    assert quotes.duration_reason(30) == "30 days → the 3-month tier (1 to 92 days)."
    assert quotes.duration_reason(92, card) == (
        "92 days → the 3-month tier (1 to 92 days): fee × 100 %."
    )
    assert quotes.duration_reason(184, card) == (
        "184 days → the 12-month tier (184 to 366 days): fee × 250 %. 183 days or fewer "
        "(1 day less) would be the 6-month tier, × 150 %."
    )
    assert quotes.duration_reason(731, card).startswith("731 days → the 24-month tier (367 to")
    assert quotes.duration_reason(732) == (
        "732 days is longer than the longest licence (731 days)."
    )


def test_a_shorter_tier_is_only_suggested_when_it_is_cheaper(twin):
    card = twin.rate_card
    card.duration_6m_bps = card.duration_3m_bps
    card.save()

    assert quotes.duration_reason(98, card) == (
        "98 days → the 6-month tier (93 to 183 days): fee × 100 %."
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
