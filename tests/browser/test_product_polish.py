"""What brands and staff see around the edges: error pages, staff tools, statements."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import allow_console_error, shot
from tests.factories import PASSWORD, BrandFactory, MembershipFactory, UserFactory
from tests.flows import consented_licence
from tests.signin import current_code, give_totp

pytestmark = pytest.mark.django_db(transaction=True)


def staff_page(make_page):
    """Platform staff signed in through the site's form: password, then authenticator code."""
    staff = UserFactory(is_staff=True, is_superuser=True, full_name="Pat Staff")
    secret = give_totp(staff)
    page = make_page()
    allow_console_error(page, r"favicon\.ico")  # the admin links no icon
    page.goto("/admin/")
    page.locator("input[name=login]").fill(staff.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=False).click()
    page.locator("input[name=code]").fill(current_code(secret))
    page.get_by_role("button", name="Sign in", exact=False).click()
    page.wait_for_url("**/admin/")
    return page


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


def test_staff_run_payouts_from_the_payout_runs_page(make_page):
    page = staff_page(make_page)
    page.goto("/admin/payments/payoutrun/")

    page.get_by_role("button", name="Run payouts now").click()

    expect(page.get_by_text("nobody had earnings ready to pay out")).to_be_visible()
    expect(page.locator("td.field-planned")).to_have_text("0")
    shot(page, "payout runs after the button")


def test_staff_find_a_licence_and_read_its_terms_and_consent(
    make_page, brand_manager, agency_manager, twin
):
    licence = consented_licence(brand_member=brand_manager, agency_member=agency_manager, twin=twin)
    page = staff_page(make_page)
    page.goto("/admin/licensing/licence/")

    page.locator("#searchbar").fill(licence.reference)
    page.locator("#searchbar").press("Enter")
    page.get_by_role("link", name=licence.reference).click()

    expect(page.get_by_role("heading", name="Terms, every version")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    shot(page, "licence in the admin")


def test_sign_in_says_invitation_and_two_factor_set_up_leads_back(page, settings):
    settings.LIKENESS_REQUIRE_MFA_ROLES = ["owner", "finance"]
    owner = MembershipFactory(organisation=BrandFactory(name="Kestrel Apparel"), role="owner").user
    page.goto("/team/")
    expect(page.get_by_text("Accounts are by invitation")).to_be_visible()
    shot(page, "sign in")

    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=False).click()
    page.get_by_label("Password").fill(PASSWORD)  # allauth re-asks before 2FA changes
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(current_code(secret))
    page.get_by_role("button", name="Activate").click()

    continue_link = page.get_by_role("link", name="Continue")
    expect(continue_link).to_have_attribute("href", "/team/")
    shot(page, "recovery codes")
    continue_link.click()
    expect(page).to_have_url(re.compile(r"/team/$"))


def test_a_brand_with_one_month_of_spend_sees_one_bar_and_a_model_picks_a_month(
    signed_in_page, make_page
):
    from django.utils import timezone

    from marketplace.payments.models import Charge
    from tests.dashboards.test_dashboards import _earning, _licence_row, _uses
    from tests.factories import AgencyFactory, TalentFactory

    brand = BrandFactory(name="Kestrel Apparel")
    Charge.objects.create(
        kind="licence",
        brand=brand,
        amount=90_000,
        currency="EUR",
        status="paid",
        paid_at=timezone.now(),
    )
    page = signed_in_page(MembershipFactory(organisation=brand, role="manager").user)
    page.goto("/brand/")
    bars = page.locator("svg.chart rect.bar")
    expect(bars).to_have_count(1)
    assert bars.first.get_attribute("width") == "40"
    shot(page, "brand spend, one month")

    talent = TalentFactory(agency=AgencyFactory(), user=UserFactory())
    licence = _licence_row(talent, "EUR")
    _earning(talent, licence, 12_345, "EUR")
    _uses(licence, 2)
    model = signed_in_page(talent.user, on=make_page())
    model.goto("/me/dashboard/")
    month = model.locator("select[name=month]")
    expect(month.locator("option:checked")).to_have_text("All months")
    month.select_option(timezone.localdate().strftime("%Y-%m"))
    expect(model).to_have_url(re.compile(r"month=\d{4}-\d{2}"))
    shot(model, "model dashboard, month chosen")
