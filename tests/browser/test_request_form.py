"""The brand's licence request form, in Chromium: the dates keep their duration, the quote
says which duration tier applies and why, the territory picker is searchable with regions on
a phone and works without JavaScript, and a wrong use cap says what to do."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from marketplace.licensing.models import Licence
from tests.browser.conftest import shot
from tests.browser.test_journeys import assert_no_horizontal_scroll
from tests.browser.test_licence_journeys import USE, cast, quote_row
from tests.browser.test_phone_fit import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def picker(page: Page):
    return page.locator(".territory-picker")


def chosen_chips(page: Page):
    return picker(page).locator(".territory-chosen .chip")


def find_country(page: Page, text: str) -> None:
    page.get_by_label("Find a country").fill(text)


def test_on_a_phone_the_brand_finds_countries_picks_a_region_and_reads_the_tier(
    make_page, signed_in_page
):
    c = cast()
    phone = make_page(**PHONE)
    signed_in_page(c.buyer.user, on=phone)
    phone.goto(f"/catalogue/{c.twin.slug}/request/")
    phone.evaluate("window.sameDocument = true")
    expect(picker(phone).locator(".territory-chosen")).to_have_text("None yet.")
    # The country list is folded: the regions and the filter box are what a thumb meets.
    expect(phone.get_by_label("Germany", exact=True)).to_be_hidden()
    expect(phone.get_by_label("European Union (27 countries)")).to_be_visible()
    shot(phone, "picker folded")

    phone.get_by_label("Social media").check()
    find_country(phone, "swit")
    expect(phone.get_by_label("Switzerland", exact=True)).to_be_visible()
    expect(phone.get_by_label("Germany", exact=True)).to_be_hidden()
    phone.get_by_label("Switzerland", exact=True).check()
    find_country(phone, "uk")  # an alias: the United Kingdom's ISO name does not say "UK"
    expect(phone.get_by_label("United Kingdom", exact=True)).to_be_visible()
    find_country(phone, "zzz")
    expect(picker(phone).locator(".territory-none")).to_be_visible()
    find_country(phone, "")
    expect(chosen_chips(phone)).to_have_text(["Switzerland ×"])
    expect(picker(phone).locator(".territory-count")).to_have_text("1 country.")
    expect(quote_row(phone, "Territory (country)")).to_contain_text("× 100 %")
    expect(quote_row(phone, "Licence fee")).to_contain_text("€1,000.00")

    phone.get_by_label("European Union (27 countries)").check()
    expect(chosen_chips(phone)).to_have_text(["European Union ×", "Switzerland ×"])
    expect(picker(phone).locator(".territory-count")).to_have_text("28 countries.")
    expect(quote_row(phone, "Territory (region)")).to_contain_text("× 200 %")
    expect(quote_row(phone, "Licence fee")).to_contain_text("€2,000.00")
    assert_no_horizontal_scroll(phone)
    shot(phone, "a region and a country chosen")

    # A chosen territory is removed from the list above, without hunting for its box.
    phone.get_by_role("button", name="Remove Switzerland").click()
    expect(chosen_chips(phone)).to_have_text(["European Union ×"])
    expect(phone.get_by_label("Switzerland", exact=True)).not_to_be_checked()
    expect(picker(phone).locator(".territory-count")).to_have_text("27 countries.")

    # Moving the start keeps the 91 days chosen; stretching the end to 98 days is explained.
    start = phone.get_by_label("Start date")
    end = phone.get_by_label("End date")
    new_start = timezone.localdate() + timedelta(days=20)
    start.fill(f"{new_start:%Y-%m-%d}")
    expect(end).to_have_value(f"{new_start + timedelta(days=90):%Y-%m-%d}")
    reason = phone.locator("#duration-reason")
    expect(reason).to_have_text("91 days → the 3-month tier (1 to 92 days): fee × 100 %.")
    end.fill(f"{new_start + timedelta(days=97):%Y-%m-%d}")
    expect(reason).to_have_text(
        "98 days → the 6-month tier (93 to 183 days): fee × 150 %. 92 days or fewer "
        "(6 days less) would be the 3-month tier, × 100 %."
    )
    expect(quote_row(phone, "Licence fee")).to_contain_text("€3,000.00")
    later = new_start + timedelta(days=30)
    start.fill(f"{later:%Y-%m-%d}")
    expect(end).to_have_value(f"{later + timedelta(days=97):%Y-%m-%d}")
    expect(reason).to_contain_text("98 days → the 6-month tier")
    assert phone.evaluate("window.sameDocument") is True
    assert_no_horizontal_scroll(phone)
    shot(phone, "tier explained")

    phone.get_by_label("Industry / product category").select_option(label="Beauty and cosmetics")
    phone.get_by_label("Intended use").fill(USE)
    phone.get_by_role("button", name="Send request").click()

    expect(phone).to_have_url(re.compile(r"/licences/LIC-[0-9A-F]+/$"))
    terms = Licence.objects.get(brand=c.brand).current_terms
    assert len(terms.territories) == 27 and "CH" not in terms.territories
    assert (terms.start_date, terms.duration_days) == (later, 98)


def test_without_javascript_the_brand_ticks_a_region_and_a_country_and_sends(make_page):
    from tests.browser.conftest import sign_in

    c = cast()
    page = make_page(javascript=False)
    sign_in(page, c.buyer.user)
    page.goto(f"/catalogue/{c.twin.slug}/request/")

    expect(page.get_by_label("Find a country")).to_be_hidden()  # the script shows it
    page.get_by_label("Germany, Austria, Switzerland (3 countries)").check()
    page.locator(".territory-details summary").click()
    page.get_by_label("Netherlands", exact=True).check()
    page.get_by_label("Social media").check()
    page.get_by_label("Industry / product category").select_option(label="Beauty and cosmetics")
    page.get_by_label("Maximum uses").fill("-5")
    page.get_by_label("Intended use").fill(USE)
    page.get_by_role("button", name="Send request").click()

    # Sent back with a clear message; the chosen territories are kept and listed.
    expect(page.locator("#errors-max_uses")).to_have_text(
        "Allow at least one use, or leave it empty for metered use."
    )
    expect(picker(page).locator(".territory-chosen .chip")).to_have_text(
        ["Germany, Austria, Switzerland", "Netherlands"]
    )
    expect(picker(page).locator(".territory-count")).to_have_text("4 countries.")
    shot(page, "sent back without javascript")
    assert not Licence.objects.exists()

    page.get_by_label("Maximum uses").fill("")
    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/licences/LIC-[0-9A-F]+/$"))
    assert Licence.objects.get().current_terms.territories == ["AT", "CH", "DE", "NL"]


def test_fixed_fields_lose_their_errors_and_a_negative_cap_is_explained(signed_in_page):
    c = cast()
    page = signed_in_page(c.buyer.user)
    page.goto(f"/catalogue/{c.twin.slug}/request/")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#errors-media_types")).to_have_text("This field is required.")
    expect(page.locator("#errors-territories")).to_have_text("This field is required.")

    page.get_by_label("Social media").check()
    expect(page.locator("#errors-media_types")).to_be_empty()
    expect(page.locator("#errors-territories")).to_have_text("This field is required.")
    page.get_by_label("Find a country").fill("france")
    page.get_by_label("France", exact=True).check()
    expect(page.locator("#errors-territories")).to_be_empty()
    # The price shows once the terms that set it are chosen; the rest is listed apart.
    expect(quote_row(page, "Licence fee")).to_contain_text("€1,000.00")

    page.get_by_label("Maximum uses").fill("-5")
    page.get_by_label("Maximum uses").dispatch_event("change")
    expect(page.locator("#quote-problems")).to_contain_text(
        "Maximum uses: Allow at least one use, or leave it empty for metered use."
    )
    expect(quote_row(page, "Licence fee")).to_contain_text("€1,000.00")
    expect(page.locator("#quote")).not_to_contain_text(", .")
    shot(page, "negative cap explained")
