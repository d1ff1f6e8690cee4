"""The crew behind a twin, in a real browser: the agency credits a photographer, who accepts the
emailed invitation on a phone and finds the credit on her own page and on the twin's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.crew.models import CrewMember
from tests.browser.conftest import allow_console_error, shot
from tests.browser.test_journeys import assert_no_horizontal_scroll
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844, "mobile": True}


def test_agency_credits_a_photographer_who_accepts_on_a_phone_and_sees_the_credit(
    page, make_page, signed_in_page, mailoutbox
):
    # given an agency's published twin
    agency = AgencyFactory(name="Northlight Models")
    manager = MembershipFactory(
        organisation=agency, role="manager", user=UserFactory(full_name="Nora Booker")
    ).user
    twin = TwinFactory(
        talent=TalentFactory(agency=agency, full_name="Linnea Lindqvist"),
        display_name="Linnea L. — digital twin",
        with_image=True,
    )

    # when the booker credits a new photographer on the twin's page
    signed_in_page(manager)
    page.goto(f"/agency/twins/{twin.pk}/")
    credits = page.locator("#credits")
    expect(credits).to_contain_text("No crew credited yet.")
    credits.get_by_role("link", name="Add a credit").first.click()
    page.get_by_label("New person's name").fill("Ana Pereira")
    page.get_by_label("New person's email").fill("ana.pereira@studio.test")
    page.get_by_label("Role").select_option(label="Photographer")
    page.get_by_label("Shoot or work").fill("Studio scan, SS26")
    page.get_by_label("Date (optional)").fill("2026-03-14")
    page.get_by_role("button", name="Add credit").click()

    # then the twin's page lists her, invited, and the history says who did it
    expect(page.locator(".messages")).to_contain_text(
        "Ana Pereira credited as Photographer; their invitation is on its way."
    )
    expect(credits).to_contain_text("Ana Pereira · Photographer")
    expect(credits).to_contain_text("Studio scan, SS26, 14 Mar 2026")
    expect(credits).to_contain_text("Invited")
    expect(page.locator("#history")).to_contain_text(
        "Northlight Models credited Ana Pereira, Photographer (Nora Booker, manager)"
    )
    shot(page, "agency credits a photographer")

    # when the photographer opens the emailed link on her phone and chooses a password
    assert [m.to for m in mailoutbox] == [["ana.pereira@studio.test"]]
    link = re.search(r"https?://\S+/invite/\S+/", mailoutbox[0].body)
    assert link is not None
    phone = make_page(**PHONE)
    phone.goto(re.sub(r"^https?://[^/]+", "", link.group(0)))
    expect(phone.get_by_role("heading", name="Claim your Likeness login")).to_be_visible()
    assert_no_horizontal_scroll(phone)
    phone.get_by_label("Your full name").fill("Ana Pereira")
    phone.get_by_label("Password").fill("a-long-passphrase-9")
    phone.get_by_role("button", name="Accept invitation").click()

    # then she lands on her credits, which fit the phone
    phone.wait_for_url("**/crew/")
    mine = phone.locator("#my-credits")
    expect(mine.locator("li")).to_have_count(1)
    expect(mine).to_contain_text("Linnea L. — digital twin")
    expect(mine).to_contain_text("Northlight Models")
    expect(mine).to_contain_text("Photographer")
    expect(mine).to_contain_text("Studio scan, SS26, 14 Mar 2026")
    assert_no_horizontal_scroll(phone)
    shot(phone, "the photographer's credits on a phone", full_page=False)
    assert CrewMember.objects.get().user is not None

    # and the twin's public page credits her by name and role, on the phone too
    phone.goto(f"/catalogue/{twin.slug}/")
    public = phone.locator("#credits")
    expect(public).to_contain_text("Ana Pereira · Photographer")
    expect(public).not_to_contain_text("studio.test")
    assert_no_horizontal_scroll(phone)
    shot(phone, "the twin's credits on a phone", full_page=False)

    # and the agency sees that she has a login now
    page.reload()
    expect(credits).to_contain_text("Has a login")

    # when the link is opened again it says it is used
    again = make_page(**PHONE)
    allow_console_error(again, r"status of 404")
    response = again.goto(re.sub(r"^https?://[^/]+", "", link.group(0)))
    assert response is not None and response.status == 404
    expect(again.locator("main")).to_contain_text("invalid, already used or expired")
