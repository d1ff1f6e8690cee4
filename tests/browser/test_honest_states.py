"""What each party sees matches the licence's real state: scheduled before its first day,
revoked with its real end date, events told as sentences, the next step named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.licensing import services as licensing
from marketplace.licensing.states import short_date
from tests.browser.conftest import shot
from tests.browser.test_journeys import assert_no_horizontal_scroll
from tests.browser.test_licence_journeys import (
    HOLDER,
    cast,
    message,
    open_licence,
    paid,
    requested,
    status_badge,
    ymd,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_paid_licence_starting_next_week_is_scheduled_and_its_form_says_why(
    signed_in_page, stripe_env
):
    c = cast()
    licence = paid(c, stripe_env)  # starts in ten days
    start = licence.current_terms.start_date

    page = signed_in_page(c.buyer.user)
    open_licence(page, licence, tab="Active")
    expect(status_badge(page)).to_have_text(f"Scheduled — starts {short_date(start)}")
    shot(page, "scheduled")

    page.goto(f"/licences/{licence.reference}/uses/")
    expect(page.locator("#report-closed")).to_have_text(
        f"The licence is scheduled: it starts on {short_date(start)}. "
        "Uses can be reported from that day on."
    )
    expect(page.get_by_role("button", name="Report use")).to_be_disabled()
    expect(page.get_by_label("Date of use")).to_be_disabled()
    expect(message(page)).to_have_count(0)
    shot(page, "report form closed")


def test_after_a_revocation_model_agency_and_brand_see_the_real_end_and_the_money(
    make_page, signed_in_page, stripe_env
):
    c = cast()
    today = timezone.localdate()
    licence = paid(c, stripe_env, start_date=today, end_date=today + timedelta(days=99))
    end = today + timedelta(days=30)

    # The model, on her phone: the revoke page names the day the licence will end.
    model = signed_in_page(c.talent.user, on=make_page(width=390, height=844, mobile=True))
    model.goto(f"/me/twins/{c.twin.pk}/revoke/")
    expect(model.locator("#revocation-ends li")).to_contain_text(
        f"{licence.reference} with {HOLDER} ends on {ymd(end)} (30-day notice); "
        "no use from today on."
    )
    expect(model.locator("#revocation-ends li")).to_contain_text(
        "is refunded to the brand at once for the days"
    )
    assert_no_horizontal_scroll(model)
    shot(model, "revoke page")
    model.get_by_label("I understand", exact=False).check()
    model.get_by_role("button", name="Revoke consent").click()
    expect(message(model)).to_contain_text("Consent revoked.")
    model.goto(f"/me/twins/{c.twin.pk}/")
    expect(model.locator("h1 .badge")).to_have_text(f"Consent revoked {ymd(today)}")
    assert_no_horizontal_scroll(model)
    shot(model, "model twin revoked")

    agency = signed_in_page(c.booker.user, on=make_page())
    agency.goto(f"/agency/twins/{c.twin.pk}/")
    expect(agency.locator("h1 .badge")).to_have_text(f"Consent revoked {ymd(today)}")
    expect(agency.locator("#twin-revoked")).to_contain_text("has left the catalogue")
    expect(agency.get_by_role("button", name="Pause")).to_have_count(0)
    expect(agency.get_by_role("button", name="Retire")).to_have_count(0)
    expect(agency.get_by_role("link", name="view in catalogue")).to_have_count(0)
    shot(agency, "agency twin revoked")

    brand = signed_in_page(c.buyer.user, on=make_page())
    expect(brand.locator("a.bell .badge-count")).to_be_visible()
    brand.locator("a.bell").click()
    expect(brand.locator("h2.notification-day").first).to_have_text("Today")
    expect(brand.locator("ul.notifications li.unread").first).to_contain_text(
        f"Amara O. twin: {licence.reference}: the model revoked consent"
    )
    shot(brand, "notifications")
    open_licence(brand, licence, tab="Active")
    expect(status_badge(brand)).to_have_text(f"Active — ends {short_date(end)} (consent revoked)")
    expect(brand.locator("#revocation-money")).to_contain_text(
        "The licence fee (€3,000.00) is refunded to the brand at once"
    )
    expect(brand.locator("dl.comp")).to_contain_text(f"Ends {short_date(end)}: consent revoked")
    uses = brand.locator(".card", has=brand.get_by_role("heading", name="Uses", exact=True))
    expect(uses).to_contain_text(f"The model revoked consent on {ymd(today)}")
    expect(uses.get_by_role("link", name="Report a use")).to_have_count(0)
    timeline = brand.locator("#timeline")
    expect(timeline).to_contain_text(f"{HOLDER} requested the licence (Bea Brandt, manager).")
    expect(timeline).to_contain_text(f"{HOLDER} went to pay €3,000.00 (Bea Brandt, manager).")
    expect(timeline).to_contain_text(f"{HOLDER} paid €3,000.00.")
    expect(timeline).to_contain_text(
        f"Amara Okafor revoked consent: the licence ends on {short_date(end)}."
    )
    assert "checkout_started" not in timeline.inner_text()
    shot(brand, "brand licence revoked")


def test_the_model_reads_her_own_pay_and_the_alteration_limits_on_her_phone(
    make_page, signed_in_page
):
    c = cast()
    licence = requested(c, alteration_limits=["no_face_change"])
    licensing.approve_licence(by=c.booker, reference=licence.reference)

    model = signed_in_page(c.talent.user, on=make_page(width=390, height=844, mobile=True))
    model.goto(f"/licences/{licence.reference}/consent/")
    pay = model.locator("#your-pay")
    expect(pay).to_contain_text("For this licence: €1,440.00 of the €2,000.00 the brand pays")
    expect(pay.locator("#pay-per-use td")).to_have_text(["Social media", "€7.20 of €10.00"])
    expect(model.locator("#alteration-limits")).to_have_text(
        "They may not alter it beyond these limits: no change to facial features, skin tone or age."
    )
    shot(model, "consent pay on a phone")
