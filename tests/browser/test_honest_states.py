"""What each party sees matches the licence's real state: scheduled before its first day,
revoked with its real end date, events told as sentences, the next step named."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from marketplace.licensing.states import short_date
from tests.browser.conftest import shot
from tests.browser.test_licence_journeys import (
    cast,
    message,
    open_licence,
    paid,
    status_badge,
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
