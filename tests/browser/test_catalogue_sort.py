"""The catalogue's price sorts compare prices within one currency, the brand's own first,
and say so; a twin that is not taking bookings never leads a list. In Chromium, on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.browser.test_journeys import assert_no_horizontal_scroll, card_titles, nav
from tests.browser.test_phone_fit import PHONE
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def seed() -> None:
    """€800 and €900 in Paris, £900 in London; the newest twin of all is paused."""
    paris = AgencyFactory(name="Maison Paris", currency="EUR")
    london = AgencyFactory(name="London Faces", currency="GBP")
    now = timezone.now()
    for name, agency, price, hours, status in (
        ("Ines twin", paris, 80_000, 5, "published"),
        ("Lea twin", paris, 90_000, 4, "published"),
        ("Olivia twin", london, 90_000, 3, "published"),
        ("Paused twin", paris, 85_000, 1, "paused"),
    ):
        TwinFactory(
            talent=TalentFactory(agency=agency),
            display_name=name,
            price_from=price,
            currency=agency.currency,
            status=status,
            published_at=now - timedelta(hours=hours),
            with_image=True,
        )


def test_on_a_phone_a_british_brand_sorts_by_price_in_pounds_first(make_page, signed_in_page):
    seed()
    buyer = MembershipFactory(
        organisation=BrandFactory(name="Thames Outfitters", currency="GBP"), role="manager"
    )
    phone = make_page(**PHONE)
    signed_in_page(buyer.user, on=phone)
    nav(phone, "Catalogue")

    # Newest: the paused twin is the most recent, yet the bookable ones come first.
    expect(card_titles(phone)).to_have_text(["Olivia twin", "Lea twin", "Ines twin", "Paused twin"])
    expect(phone.locator("#results .twin-card").last).to_contain_text("Not taking bookings")
    # On a phone the results come first; the filters and the sort are one tap away.
    expect(phone.get_by_label("Sort by")).to_be_hidden()
    cards = phone.locator("#results .twin-card")
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first and second and first["y"] == second["y"], "two cards a row on a phone"
    phone.get_by_text("Filters and sort").click()

    phone.get_by_label("Sort by").select_option(label="Price: low to high")
    expect(phone.locator("#results .grid-heading")).to_have_text(["Prices in GBP", "Prices in EUR"])
    expect(card_titles(phone)).to_have_text(["Olivia twin", "Ines twin", "Lea twin", "Paused twin"])
    expect(phone.locator("#price-note")).to_contain_text(
        "Sorted by price within each currency, yours (GBP) first."
    )
    expect(phone.locator("#price-note")).to_contain_text("we do not convert them")
    assert_no_horizontal_scroll(phone)
    shot(phone, "price sort grouped by currency")

    phone.get_by_label("Sort by").select_option(label="Price: high to low")
    expect(card_titles(phone)).to_have_text(["Olivia twin", "Lea twin", "Ines twin", "Paused twin"])

    # One currency chosen: one list, no headings.
    phone.get_by_label("Price from (base fee)").select_option("EUR")
    expect(card_titles(phone)).to_have_text(["Lea twin", "Ines twin", "Paused twin"])
    expect(phone.locator("#results .grid-heading")).to_have_count(0)
    shot(phone, "euros only")


def test_on_a_phone_the_twin_page_keeps_the_request_button_at_hand(make_page, signed_in_page):
    seed()
    buyer = MembershipFactory(organisation=BrandFactory(name="Thames Outfitters"))
    phone = make_page(**PHONE)
    signed_in_page(buyer.user, on=phone)
    nav(phone, "Catalogue")
    phone.get_by_role("link", name=re.compile("Lea twin")).click()

    bar = phone.locator(".thumb-bar").get_by_role("link", name="Request a licence")
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844  # on the first screen
    assert_no_horizontal_scroll(phone)
    shot(phone, "twin page with the request button", full_page=False)
    bar.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Request a licence for Lea twin")

    phone.goto("/catalogue/")
    phone.get_by_role("link", name=re.compile("Paused twin")).click()
    expect(phone.locator(".thumb-bar")).to_have_count(0)  # nothing to request
