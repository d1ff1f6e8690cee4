"""A paid licence whose window has not started is scheduled: it says so, and the report form
offers only the days a use can be reported."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.licensing import usage_rules
from marketplace.licensing.models import LicenceTerms
from marketplace.licensing.states import short_date
from marketplace.payments.models import UsageReport
from marketplace.payments.services import usage

pytestmark = pytest.mark.django_db


def use_on(day, key="k1"):
    return usage.UsageInput(
        used_on=day,
        media_type="social",
        territory="DE",
        asset_reference="ss27/look-04.jpg",
        idempotency_key=key,
    )


def test_a_paid_licence_starting_later_is_scheduled(active_licence):
    start = active_licence.current_terms.start_date

    state = active_licence.state

    assert active_licence.status == "active"
    assert start > timezone.localdate()
    assert state.key == "scheduled"
    assert state.label == f"Scheduled — starts {short_date(start)}"


def test_a_started_licence_is_active(started):
    assert started.state.key == "active"
    assert started.state.label == "Active"


def test_no_day_is_reportable_before_the_window_starts(active_licence):
    start = active_licence.current_terms.start_date

    window = usage_rules.report_window(active_licence, consent_revoked_at=None)

    assert (window.first, window.last, window.default) == (None, None, None)
    assert window.reason == (
        f"The licence is scheduled: it starts on {short_date(start)}. "
        "Uses can be reported from that day on."
    )


def test_the_report_window_is_exactly_what_check_usage_accepts(started):
    today = timezone.localdate()

    window = usage_rules.report_window(started, consent_revoked_at=None)

    assert window.first == started.current_terms.start_date == today - timedelta(days=5)
    assert window.last == window.default == today
    for day in (window.first, window.last):
        usage.check_usage(started, use_on(day), consent_revoked_at=None)
    for day in (window.first - timedelta(days=1), window.last + timedelta(days=1)):
        with pytest.raises(ValidationFailed):
            usage.check_usage(started, use_on(day), consent_revoked_at=None)


def test_a_revocation_closes_the_window_the_day_before(started):
    revoked = timezone.now() - timedelta(days=2)

    window = usage_rules.report_window(started, consent_revoked_at=revoked)

    assert window.last == timezone.localdate() - timedelta(days=3)
    usage.check_usage(started, use_on(window.last), consent_revoked_at=revoked)
    with pytest.raises(ValidationFailed):
        usage.check_usage(
            started, use_on(window.last + timedelta(days=1)), consent_revoked_at=revoked
        )


def test_the_report_form_of_a_scheduled_licence_explains_and_is_disabled(
    client, active_licence, brand_manager
):
    client.force_login(brand_manager.user)
    start = active_licence.current_terms.start_date

    page = client.get(f"/licences/{active_licence.reference}/uses/").content.decode()
    detail = client.get(f"/licences/{active_licence.reference}/").content.decode()

    assert f"it starts on {short_date(start)}" in page
    assert '<button type="submit" disabled>Report use</button>' in page
    assert f"Scheduled — starts {short_date(start)}" in detail
    assert "Report a use</a>" not in detail


def test_the_report_form_defaults_to_a_valid_day_which_it_accepts(client, started, brand_manager):
    client.force_login(brand_manager.user)
    url = f"/licences/{started.reference}/uses/"
    today = timezone.localdate()

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "used_on": today.isoformat(),
            "media_type": "social",
            "territory": "DE",
            "asset_reference": "look-1",
            "idempotency_key": "abc",
        },
    )

    assert f'value="{today.isoformat()}"' in page
    assert f'min="{started.current_terms.start_date.isoformat()}"' in page
    assert f'max="{today.isoformat()}"' in page
    assert response.status_code == 302
    assert UsageReport.objects.filter(licence=started, used_on=today).count() == 1


def test_the_scheduled_state_ends_on_the_first_day(active_licence):
    LicenceTerms.objects.filter(pk=active_licence.terms_id).update(start_date=timezone.localdate())
    active_licence.refresh_from_db()

    assert active_licence.state.key == "active"


def test_the_report_form_names_the_licence_countries_in_alphabetical_order(
    client, started, brand_manager
):
    client.force_login(brand_manager.user)

    page = client.get(f"/licences/{started.reference}/uses/").content.decode()

    options = re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+)</option>', page)
    assert options == [("FR", "France (FR)"), ("DE", "Germany (DE)")]
