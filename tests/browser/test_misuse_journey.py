"""The model finds her twin on a site no licence covers: she reports it from her phone, her
agency sends the drafted takedown notice and marks the picture removed, and she follows the
case to the end, on her phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.core.models import Notification
from marketplace.misuse.models import TakedownCase
from marketplace.talent.demo_images import studio_portrait
from tests.browser.conftest import shot
from tests.browser.test_journeys import assert_no_horizontal_scroll, nav
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = (
    "https://www.knockoff-outlet.example/collections/autumn/products/cable-knit-jumper-look-08"
)


def test_the_model_reports_a_sighting_on_her_phone_and_follows_it_to_removed(
    make_page, signed_in_page, settings, tmp_path
):
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    agency = AgencyFactory(name="Meridian Talent")
    booker = MembershipFactory(organisation=agency, role="manager")
    talent = TalentFactory(agency=agency, full_name="Linnea Lindqvist", user=UserFactory())
    TwinFactory(talent=talent, display_name="Linnea — studio twin")
    screenshot = tmp_path / "seen.jpg"
    screenshot.write_bytes(studio_portrait(58, size=(390, 844)))

    # The model, on her phone: nothing yet, then her report.
    phone = make_page(width=390, height=844, mobile=True)
    signed_in_page(talent.user, on=phone)
    nav(phone, "Protection")
    expect(phone.get_by_role("heading", name="Protection", level=1)).to_be_visible()
    expect(phone.get_by_text("No takedown case.")).to_be_visible()
    assert_no_horizontal_scroll(phone)
    phone.get_by_role("link", name="Report a sighting").click()
    phone.get_by_label("Web address (if you have it)").fill(ADDRESS)
    phone.get_by_label("Screenshot (if you have one)").set_input_files(str(screenshot))
    phone.get_by_label("Country where you saw it").select_option("US")
    phone.get_by_label("Kind of use").select_option("web")
    assert_no_horizontal_scroll(phone)
    phone.get_by_role("button", name="Report the sighting").click()

    expect(phone.get_by_role("heading", level=1)).to_contain_text(re.compile(r"Case TD-\d+"))
    expect(phone.locator("#case-status")).to_contain_text("The takedown notice is ready.")
    expect(phone.locator("#case-status")).to_contain_text("Your agency reviews it")
    expect(phone.get_by_text("No licence found", exact=True)).to_be_visible()
    expect(
        phone.get_by_role("img", name="The screenshot reported for this sighting")
    ).to_be_visible()
    expect(phone.get_by_role("button", name="Mark the notice sent")).to_have_count(0)
    assert_no_horizontal_scroll(phone)
    shot(phone, "model-reported")
    case = TakedownCase.objects.get()
    case_path = f"/protection/cases/{case.pk}/"

    # The agency reviews the notice, sends it, and later sees the picture gone.
    desk = make_page()
    signed_in_page(booker.user, on=desk)
    nav(desk, "Protection")
    desk.get_by_role("link", name=case.reference).click()
    notice = desk.get_by_role("link", name="Open the takedown notice (PDF)")
    pdf = desk.request.get(notice.get_attribute("href") or "")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    desk.get_by_role("button", name="Mark the notice sent").click()
    expect(desk.locator("#case-status")).to_contain_text("The notice was sent")
    desk.get_by_role("button", name="Mark removed").click()
    expect(desk.locator("#case-status")).to_contain_text("Removed.")

    # The model follows it on her phone: told, and the case's history says what happened.
    assert Notification.objects.filter(
        user=talent.user, title__contains="the picture was removed"
    ).exists()
    phone.goto(case_path)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Removed")
    timeline = phone.locator("#timeline")
    expect(timeline).to_contain_text("sent the takedown notice to www.knockoff-outlet.example")
    expect(timeline).to_contain_text("confirmed the picture was removed")
    assert_no_horizontal_scroll(phone)
    shot(phone, "model-removed")
