"""What brands and staff see around the edges: error pages, staff tools, statements."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import allow_console_error, shot
from tests.factories import BrandFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_brand_following_a_dead_link_sees_the_friendly_page_and_gets_back(signed_in_page):
    manager = MembershipFactory(organisation=BrandFactory(name="Kestrel Apparel"), role="manager")
    page = signed_in_page(manager.user)
    allow_console_error(page, "404")

    page.goto("/licences/LIC-DEADBEEF/")

    expect(page.get_by_role("heading", name="We cannot find that page")).to_be_visible()
    expect(page.get_by_text("URLconf")).to_have_count(0)
    shot(page, "404 as a brand")
    page.get_by_role("link", name="Back to your dashboard").click()
    expect(page).to_have_url(re.compile(r"/brand/$"))  # the brand's dashboard
