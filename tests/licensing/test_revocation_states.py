"""After the model revokes consent, every page tells the truth: the twin's state, the
licence's real end, what happens to the money; and the brand is told once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from marketplace.core.errors import TransitionError
from marketplace.core.models import Notification
from marketplace.licensing import services
from marketplace.licensing.models import ExclusivityHold, Licence
from marketplace.payments.rules import revocation_money_rule
from marketplace.talent import services as talent_services
from tests.flows import CTX, consented_licence

pytestmark = pytest.mark.django_db

S = Licence.Status


def active_licence(brand_manager, agency_manager, twin, **terms):
    licence = consented_licence(
        brand_member=brand_manager, agency_member=agency_manager, twin=twin, **terms
    )
    Licence.objects.filter(pk=licence.pk).update(status=S.AWAITING_PAYMENT)
    return services.activate_licence(licence_id=licence.pk)


def revoke(twin):
    return services.revoke_twin_consent(
        talent=twin.talent, user=twin.talent.user, twin_id=twin.pk, reason="", context=CTX
    )


def test_the_revoke_page_names_the_end_date_the_licence_then_gets(
    client, brand_manager, agency_manager, twin
):
    today = timezone.localdate()
    licence = active_licence(
        brand_manager, agency_manager, twin, start_date=today, end_date=today + timedelta(days=99)
    )
    client.force_login(twin.talent.user)

    page = client.get(f"/me/twins/{twin.pk}/revoke/").content.decode()
    revoke(twin)

    licence.refresh_from_db()
    assert licence.ends_early_on == today + timedelta(days=30)
    assert (
        f"{licence.reference} with {licence.brand.name} ends on "
        f"{licence.ends_early_on:%Y-%m-%d} (30-day notice); no use from today on." in page
    )
    assert escape(revocation_money_rule(licence)) in page


def test_a_paid_licence_whose_notice_ends_before_its_start_ends_now(
    brand_manager, agency_manager, twin
):
    today = timezone.localdate()
    licence = active_licence(
        brand_manager,
        agency_manager,
        twin,
        start_date=today + timedelta(days=40),
        end_date=today + timedelta(days=120),
    )

    revoke(twin)

    licence.refresh_from_db()
    assert licence.status == S.REVOKED
    assert licence.ends_early_on is None
    assert licence.ended_at is not None
    assert not ExclusivityHold.objects.filter(licence=licence, active=True).exists()
    assert licence.status_reason == (
        f"The model revoked consent for this twin on {today:%Y-%m-%d}, "
        "before the licence started: it ends now."
    )


def test_the_brand_is_told_once_with_the_end_and_the_money(
    brand_manager, agency_manager, twin, mailoutbox, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    licence = active_licence(
        brand_manager, agency_manager, twin, start_date=today, end_date=today + timedelta(days=99)
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        revoke(twin)

    licence.refresh_from_db()
    brand_notes = Notification.objects.filter(user=brand_manager.user)
    revoked_notes = [n for n in brand_notes if "revoked consent" in n.title]
    assert len(revoked_notes) == 1
    assert f"ends on {licence.ends_early_on:%Y-%m-%d}" in revoked_notes[0].body
    brand_mails = [m for m in mailoutbox if m.to == [brand_manager.user.email]]
    assert len(brand_mails) == 1
    assert f"ends on {licence.ends_early_on:%Y-%m-%d}" in brand_mails[0].body
    assert revocation_money_rule(licence) in brand_mails[0].body


def test_every_page_shows_the_revoked_state(client, brand_manager, agency_manager, twin):
    today = timezone.localdate()
    licence = active_licence(
        brand_manager, agency_manager, twin, start_date=today, end_date=today + timedelta(days=99)
    )
    revoke(twin)
    licence.refresh_from_db()
    end = licence.ends_early_on
    day = f"{end.day} {end:%b %Y}"

    client.force_login(twin.talent.user)
    model_twin = client.get(f"/me/twins/{twin.pk}/").content.decode()
    model_home = client.get("/me/").content.decode()
    client.force_login(agency_manager.user)
    agency_twin = client.get(f"/agency/twins/{twin.pk}/").content.decode()
    agency_list = client.get("/agency/twins/").content.decode()
    client.force_login(brand_manager.user)
    brand_licence = client.get(f"/licences/{licence.reference}/").content.decode()
    brand_home = client.get("/brand/").content.decode()

    revoked_badge = f'<span class="badge revoked">Consent revoked {today:%Y-%m-%d}</span>'
    for page in (model_twin, model_home, agency_twin, agency_list):
        assert revoked_badge in page
        assert "Published</span>" not in page
    assert 'value="pause"' not in agency_twin and 'value="retire"' not in agency_twin
    assert "view in catalogue" not in agency_twin
    ending_badge = f'<span class="badge status-ending">Active — ends {day} (consent revoked)</span>'
    assert ending_badge in brand_licence
    assert ending_badge in brand_home
    assert f"Ends {day}: consent revoked" in brand_licence
    assert escape(revocation_money_rule(licence)) in brand_licence


def test_the_agency_cannot_change_a_revoked_twins_status(agency_manager, twin):
    revoke(twin)

    with pytest.raises(TransitionError, match="revoked consent"):
        talent_services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="pause")

    twin.refresh_from_db()
    assert twin.status == "published"


def test_an_ended_revoked_licence_names_its_real_end(brand_manager, agency_manager, twin):
    today = timezone.localdate()
    licence = active_licence(
        brand_manager, agency_manager, twin, start_date=today, end_date=today + timedelta(days=99)
    )
    revoke(twin)

    services.expire_licences(today=today + timedelta(days=31))

    licence.refresh_from_db()
    end = today + timedelta(days=30)
    assert licence.status == S.REVOKED
    assert licence.state.label == f"Ended {end.day} {end:%b %Y}: consent revoked"
