"""Image approval on 390 px phones, priced and waiting: the agency sets the premium on its rate
card (a wrong value is a form error), the brand's live quote shows it as its own line, and the
model finds a waiting image on her dashboard with a countdown that ticks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.approvals import services as approvals
from marketplace.licensing import services as licensing
from marketplace.talent.models import RateCard
from tests.approvals.conftest import require_approval
from tests.approvals.test_services import proof_input
from tests.browser.conftest import shot, sign_in
from tests.browser.test_journeys import assert_no_horizontal_scroll
from tests.browser.test_licence_journeys import awaiting_payment, cast, message, quote_row
from tests.browser.test_proof_journey import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _signing_keys(settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.SIGNING_KEY_DIR = tmp_path_factory.getbasetemp() / "c2pa-keys"


def test_the_agency_prices_approval_and_the_brand_s_quote_shows_it(make_page):
    c = cast()
    require_approval(c.twin)

    # The agency's booker sets a 12.5 % premium on the twin's rate card, on her phone.
    booker = sign_in(make_page(**PHONE), c.booker.user)
    booker.goto(f"/agency/twins/{c.twin.pk}/rates/")
    premium = booker.get_by_label("Image-approval premium (%)")
    premium.fill("-5")
    booker.get_by_role("button", name="Save rate card").click()
    # The browser holds it back (the server's own refusal is a form error: unit tests).
    assert premium.evaluate("el => el.validity.rangeUnderflow") is True
    expect(booker).to_have_url(re.compile(f"/agency/twins/{c.twin.pk}/rates/$"))
    assert RateCard.objects.get(twin=c.twin).approval_premium_bps == 0
    booker.get_by_label("Image-approval premium (%)").fill("12.5")
    booker.get_by_role("button", name="Save rate card").click()
    expect(message(booker)).to_have_text("Rate card saved.")
    assert RateCard.objects.get(twin=c.twin).approval_premium_bps == 1_250

    # The brand's live quote adds it, as a line of its own, before anything is sent.
    brand = sign_in(make_page(**PHONE), c.buyer.user)
    brand.goto(f"/catalogue/{c.twin.slug}/request/")
    expect(brand.locator("#approval-term")).to_contain_text("within 72 hours")
    brand.get_by_label("Social media").check()
    brand.get_by_label("European Union (27 countries)").check()
    # 1,000.00 × 2 (region) × 1 (91 days) = 2,000.00; + 12.5 % = 250.00.
    expect(quote_row(brand, "Image approval premium (+ 12.5 %)")).to_contain_text("+ €250.00")
    expect(quote_row(brand, "Licence fee")).to_contain_text("€2,250.00")
    expect(brand.locator("#quote")).to_contain_text("Model €1,620.00")
    assert_no_horizontal_scroll(brand)
    shot(brand, "the quote with the approval premium")


def test_the_model_sees_a_waiting_image_with_a_ticking_countdown(make_page):
    c = cast()
    require_approval(c.twin, hours=48)
    today = timezone.localdate()
    licence = awaiting_payment(c, start_date=today, end_date=today + timedelta(days=60))
    licensing.activate_licence(licence_id=licence.pk)
    proof, _ = approvals.submit_proof(
        by=c.buyer, reference=licence.reference, data=proof_input(licence)
    )

    model = sign_in(make_page(**PHONE), c.talent.user)
    model.goto("/me/dashboard/")
    waiting = model.locator("#waiting-proofs")
    expect(waiting).to_contain_text("Images waiting for your approval")
    expect(waiting).to_contain_text(c.brand.name)
    timer = waiting.locator("time.countdown")
    # The script took over from the server's "1 day, 23 hours" and counts the seconds.
    expect(timer).to_have_text(re.compile(r"^1 day, 23 h 5\d min \d\d s$"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first)  # it ticks
    assert_no_horizontal_scroll(model)
    shot(model, "a waiting image on the model's dashboard")

    waiting.get_by_role("link", name=re.compile(c.brand.name)).click()
    expect(model).to_have_url(re.compile(f"/proofs/{proof.reference}/$"))
    page_timer = model.locator("#countdown time.countdown")
    expect(page_timer).to_have_text(re.compile(r"^1 day, 23 h 5\d min \d\d s$"))
    expect(model.locator("#countdown")).to_contain_text("No answer is never an approval.")
    assert_no_horizontal_scroll(model)
    shot(model, "the proof with its countdown")


def test_without_script_the_countdown_is_the_server_s_text(make_page):
    c = cast()
    require_approval(c.twin, hours=48)
    today = timezone.localdate()
    licence = awaiting_payment(c, start_date=today, end_date=today + timedelta(days=60))
    licensing.activate_licence(licence_id=licence.pk)
    approvals.submit_proof(by=c.buyer, reference=licence.reference, data=proof_input(licence))

    model = sign_in(make_page(**PHONE, javascript=False), c.talent.user)
    model.goto("/me/dashboard/")

    expect(model.locator("#waiting-proofs time.countdown")).to_have_text("1\xa0day, 23\xa0hours")
    assert_no_horizontal_scroll(model)
