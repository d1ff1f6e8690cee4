"""Journeys through the site in a real browser, asserting on what a person sees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from marketplace.talent import services
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import TwinImage
from tests.browser.conftest import allow_console_error, assert_images_loaded, shot
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def nav(page: Page, name: str) -> None:
    """Follow a link in the site's main navigation (opening the menu first on a phone)."""
    menu = page.locator("header.site label.menu-button")
    if menu.is_visible() and not page.locator("#site-menu").is_checked():
        menu.click()
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def count_text(page: Page):
    """The "N twins" line above the catalogue results."""
    return page.locator("#results .results > p").first


def card_titles(page: Page):
    return page.locator("#results .twin-card h3")


def portrait_file(tmp_path: Path, name: str, seed: int) -> Path:
    path = tmp_path / name
    path.write_bytes(studio_portrait(seed, size=(600, 750)))
    return path


# --- (a) An agency lists a new twin -------------------------------------------------------


def test_agency_lists_a_new_twin_with_images_and_publishes_it(signed_in_page, tmp_path):
    agency = AgencyFactory(name="Northlight Models")
    manager = MembershipFactory(
        organisation=agency, role="manager", user=UserFactory(full_name="Nora Booker")
    ).user
    looks = [portrait_file(tmp_path, "look-1.jpg", 11), portrait_file(tmp_path, "look-2.jpg", 12)]

    page = signed_in_page(manager)
    nav(page, "Our twins")
    expect(page).to_have_url(re.compile(r"/agency/twins/$"))
    expect(page.get_by_text("No twins listed yet.")).to_be_visible()
    shot(page, "our twins empty")

    nav(page, "Talent")
    page.get_by_role("link", name="Add talent").click()
    page.get_by_label("Full name").fill("Ines Moreau")
    page.get_by_label("Email").fill("ines.moreau@example.test")
    shot(page, "add talent")
    page.get_by_role("button", name="Add").click()

    expect(page.get_by_text("Ines Moreau added to your roster.")).to_be_visible()
    expect(page.get_by_role("heading", name="List a new twin")).to_be_visible()
    page.get_by_label("Talent").select_option(label="Ines Moreau")
    page.get_by_label("Display name").fill("Ines M. digital twin")
    page.get_by_label("Description").fill(
        "Photoreal twin of Ines, scanned in studio; suited to campaign and e-commerce imagery."
    )
    page.get_by_label("Height cm").fill("178")
    page.get_by_label("Hair").fill("Brown")
    page.get_by_label("Eyes").fill("Green")
    page.get_by_label("Tags").fill("editorial, runway")
    page.get_by_label("Luxury fashion").check()
    page.get_by_label("Beauty and cosmetics").check()
    shot(page, "twin form")
    page.get_by_role("button", name="Create draft").click()

    expect(
        page.get_by_text("Ines M. digital twin created. Next: rate card and images.")
    ).to_be_visible()
    page.get_by_label("Social media: base fee").fill("1200")
    page.get_by_label("Social media: per use").fill("15")
    page.get_by_label("Web / e-commerce: base fee").fill("1800")
    shot(page, "rate card")
    page.get_by_role("button", name="Save rate card").click()

    expect(page.get_by_text("Rate card saved.")).to_be_visible()
    expect(page.get_by_text("Before publishing: add a preview image.")).to_be_visible()
    for look in looks:
        page.get_by_label("Image").set_input_files(look)
        page.get_by_role("button", name="Upload image").click()
        expect(page.get_by_text("Image uploaded; the preview is being prepared.")).to_be_visible()

    gallery = page.locator("#gallery figure")
    expect(gallery).to_have_count(2)
    expect(gallery.locator(".badge.ready")).to_have_count(2)
    expect(gallery.get_by_text("Cover", exact=True)).to_have_count(1)
    assert assert_images_loaded(gallery.locator("img")) == 2
    expect(page.get_by_text("Before publishing")).to_have_count(0)
    shot(page, "gallery ready")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Ines M. digital twin is now Published.")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Published")
    shot(page, "published")

    nav(page, "Catalogue")
    expect(count_text(page)).to_have_text("1 twin")
    card = page.locator(".twin-card", has_text="Ines M. digital twin")
    expect(card).to_contain_text("from €1,200.00")
    expect(card).to_contain_text("Northlight Models · 178 cm · brown")
    assert_images_loaded(card.locator("img"))
    shot(page, "in the catalogue")


def test_gallery_shows_the_preview_once_the_worker_has_processed_it(signed_in_page):
    agency = AgencyFactory()
    manager = MembershipFactory(organisation=agency, role="manager").user
    twin = TwinFactory(talent=TalentFactory(agency=agency), status="draft")
    pending = TwinImage(twin=twin, status=TwinImage.Status.PROCESSING, width=600, height=750)
    pending.image.save("upload.jpg", ContentFile(studio_portrait(5, (600, 750))))

    page = signed_in_page(manager)
    with page.expect_response(re.compile(r"/images/status/$")):
        page.goto(f"/agency/twins/{twin.pk}/")
        expect(page.get_by_text("Preparing preview…")).to_be_visible()
        shot(page, "preparing")
    # The page has polled once and the preview is still not ready; now the worker finishes.
    services.process_twin_image(image_id=pending.pk)

    expect(page.locator("#gallery .badge.ready")).to_have_text("Ready")
    expect(page.get_by_text("Preparing preview…")).to_have_count(0)
    assert_images_loaded(page.locator("#gallery img"))
    shot(page, "ready without reloading")


# --- (b) A brand searches and filters -----------------------------------------------------

# The search narrows down to Amara, Linnea and Sofia; the others make up the stock.
NAMES = ["Amara", "Linnea", "Sofia", *(f"Stock {i:02d}" for i in range(3, 30))]


def seed_catalogue(count: int = 30) -> None:
    """Published twins, 30 by default: "runway" is in 12 descriptions, 6 of those are tagged
    streetwear, and 3 of the six are offered for sportswear: Amara (€2,500), Linnea (€900)
    and Sofia (€1,500)."""
    agencies = [AgencyFactory(name="Northlight Models"), AgencyFactory(name="Meridian Talent")]
    prices = {0: 250_000, 1: 90_000, 2: 150_000}
    for i, name in enumerate(NAMES[:count]):
        runway = i < 12
        TwinFactory(
            talent=TalentFactory(agency=agencies[i % 2]),
            display_name=f"{name} twin",
            description=(
                "Runway-trained twin for catwalk and campaign imagery."
                if runway
                else "A photoreal digital twin for e-commerce and social imagery."
            ),
            tags=["streetwear"] if i < 6 else ["minimal"] if i < 20 else ["editorial"],
            categories=["sportswear"] if i < 3 else ["luxury", "beauty"],
            price_from=prices.get(i, 100_000 + i * 5_000),
            height_cm=165 + i % 20,
            with_image=True,
        )


def test_brand_searches_filters_sorts_and_opens_a_twin(signed_in_page):
    seed_catalogue()
    brand_user = MembershipFactory(organisation=BrandFactory(name="Kestrel Apparel")).user

    page = signed_in_page(brand_user)
    nav(page, "Catalogue")
    expect(page).to_have_url(re.compile(r"/catalogue/$"))
    expect(count_text(page)).to_have_text("30 twins")
    expect(card_titles(page)).to_have_count(24)
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    assert_images_loaded(page.locator("#results .twin-card img").first)
    shot(page, "catalogue")

    # A full reload would lose this mark; htmx swaps only the results.
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Search").press_sequentially("runway")
    expect(count_text(page)).to_have_text("12 twins")
    expect(page).to_have_url(re.compile(r"[?&]q=runway(&|$)"))

    page.get_by_label("streetwear").check()
    expect(count_text(page)).to_have_text("6 twins")
    expect(page).to_have_url(re.compile(r"[?&]tag=streetwear(&|$)"))

    page.get_by_label("Usage category").select_option(label="Sportswear")
    expect(count_text(page)).to_have_text("3 twins")
    expect(page).to_have_url(re.compile(r"[?&]category=sportswear(&|$)"))
    expect(card_titles(page)).to_have_text(["Sofia twin", "Linnea twin", "Amara twin"])

    page.get_by_label("Sort by").select_option(label="Price: low to high")
    expect(card_titles(page)).to_have_text(["Linnea twin", "Sofia twin", "Amara twin"])
    expect(page).to_have_url(re.compile(r"[?&]sort=price_asc(&|$)"))
    expect(page.locator("#results .twin-card").first).to_contain_text("from €900.00")
    assert page.evaluate("window.sameDocument") is True
    shot(page, "filtered and sorted")

    page.get_by_role("link", name=re.compile("Linnea twin")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linnea twin")
    assert assert_images_loaded(page.locator(".gallery img")) == 1
    comp = page.locator(".card", has=page.get_by_role("heading", name="Comp card"))
    expect(comp).to_contain_text("Height")
    expect(comp).to_contain_text("166 cm")
    rates = page.locator(".card", has=page.get_by_role("heading", name="Rate card"))
    expect(rates.locator("tbody tr")).to_have_text(
        [
            re.compile(r"Social media\s*€1,000.00\s*€10.00"),
            re.compile(r"Web / e-commerce\s*€1,500.00\s*€20.00"),
        ]
    )
    expect(page.get_by_text("Sportswear", exact=True)).to_be_visible()
    shot(page, "twin detail")

    # Back in the browser: the filtered, sorted list as it was, not a fragment of it.
    page.go_back()
    expect(page.get_by_role("heading", name="Digital twin catalogue")).to_be_visible()
    expect(count_text(page)).to_have_text("3 twins")
    expect(card_titles(page)).to_have_text(["Linnea twin", "Sofia twin", "Amara twin"])
    expect(page.get_by_label("streetwear")).to_be_checked()
    shot(page, "back to the results")


# --- (c) The talent -----------------------------------------------------------------------


def test_talent_sees_their_twin_and_refuses_alcohol(signed_in_page):
    talent = TalentFactory(full_name="Maja Berg", user=UserFactory(full_name="Maja Berg"))
    TwinFactory(talent=talent, display_name="Maja B. twin", with_image=True)

    page = signed_in_page(talent.user)
    nav(page, "My twin")

    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", name="Hello Maja Berg")).to_be_visible()
    expect(page.locator(".twin-card")).to_have_count(1)
    expect(page.locator(".twin-card")).to_contain_text("Maja B. twin")
    assert_images_loaded(page.locator(".twin-card img"))
    expect(page.get_by_text("no restriction set")).to_be_visible()
    shot(page, "my home")

    page.get_by_role("link", name="Change restrictions").click()
    page.get_by_label("Alcohol", exact=True).check()
    shot(page, "restrictions form")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(
        page.get_by_text("Your restrictions are saved and apply to every new request.")
    ).to_be_visible()
    expect(page.locator(".card .tag")).to_have_text(["Alcohol"])
    shot(page, "restrictions saved")


# --- (d) A phone ---------------------------------------------------------------------------


def assert_no_horizontal_scroll(page: Page) -> None:
    sizes = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["inner"] == 390, sizes  # a page wider than the phone would be zoomed out
    assert sizes["scroll"] <= sizes["inner"], sizes


def test_catalogue_and_twin_page_fit_a_phone(make_page, signed_in_page):
    seed_catalogue(count=8)
    brand_user = MembershipFactory(organisation=BrandFactory(name="Kestrel Apparel")).user
    phone = make_page(width=390, height=844, mobile=True)

    signed_in_page(brand_user, on=phone)
    nav(phone, "Catalogue")
    expect(count_text(phone)).to_have_text("8 twins")
    assert_images_loaded(phone.locator("#results .twin-card img").first)
    assert_no_horizontal_scroll(phone)
    shot(phone, "catalogue on a phone", full_page=False)

    phone.locator(".twin-card").first.click()
    expect(phone.get_by_role("heading", name="Rate card")).to_be_visible()
    assert_no_horizontal_scroll(phone)
    shot(phone, "twin on a phone", full_page=False)


# --- (e) A bad upload ----------------------------------------------------------------------


def test_a_text_file_named_jpg_is_refused_with_a_clear_message(signed_in_page, tmp_path):
    agency = AgencyFactory()
    manager = MembershipFactory(organisation=agency, role="manager").user
    twin = TwinFactory(talent=TalentFactory(agency=agency), with_image=True)
    fake = tmp_path / "holiday.jpg"
    fake.write_text("These are my notes, not a picture.\n" * 20)

    page = signed_in_page(manager)
    page.goto(f"/agency/twins/{twin.pk}/")
    expect(page.locator("#gallery figure")).to_have_count(1)
    page.get_by_label("Image").set_input_files(fake)
    allow_console_error(page, r"status of 400")
    page.get_by_role("button", name="Upload image").click()

    expect(
        page.get_by_text("The file is not a readable image (it may be damaged or not a picture).")
    ).to_be_visible()
    expect(page.locator("#gallery figure")).to_have_count(1)
    expect(page.get_by_text("Image uploaded")).to_have_count(0)
    shot(page, "refused")
