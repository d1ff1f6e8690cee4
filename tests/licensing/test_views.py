"""Licence pages: each party sees its own side; competing brands learn nothing of each other."""

from __future__ import annotations

import re

import pytest

from marketplace.licensing import services
from marketplace.licensing.models import Consent, ExclusivityHold, Licence
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    UserFactory,
)
from tests.licensing.conftest import INTENDED_USE, make_terms
from tests.pages import without_per_response_tokens

pytestmark = pytest.mark.django_db


def form_data(terms=None, **overrides):
    terms = terms or make_terms()
    data = {
        "media_types": terms.media_types,
        "territories": terms.territories,
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat(),
        "category": terms.category,
        "intended_use": terms.intended_use,
        "ai_training_forbidden": "on",
    }
    if terms.exclusive:
        data["exclusive"] = "on"
    data.update(overrides)
    return data


def snapshot():
    return (
        list(Licence.objects.order_by("pk").values()),
        list(ExclusivityHold.objects.order_by("pk").values()),
        list(Consent.objects.order_by("pk").values()),
    )


def test_brand_requests_through_the_form_and_sees_its_licence(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    response = client.post(f"/catalogue/{twin.slug}/request/", form_data(exclusive="on"))

    licence = Licence.objects.get()
    assert response.status_code == 302
    assert response.url == f"/licences/{licence.reference}/"
    page = client.get(response.url).content.decode()
    assert "Requested" in page and "Beauty" in page and INTENDED_USE[:30] in page
    assert client.get("/licences/").content.decode().count(f">{licence.reference}<") == 1


def test_live_quote_shows_price_and_split(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    response = client.post(
        f"/catalogue/{twin.slug}/quote/", form_data(exclusive="on"), HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "€3,000.00" in body  # 1,000 × 2 (region) × 1 (3 months) × 1.5
    assert "Model €2,160.00" in body
    assert Licence.objects.count() == 0


def test_invalid_request_keeps_the_input_and_says_why(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    response = client.post(f"/catalogue/{twin.slug}/request/", form_data(intended_use="Ads."))

    body = response.content.decode()
    assert response.status_code == 200
    assert "at least 10 words" in body
    assert re.search(r'name="territories" value="DE" id="id_territories_DE"[^>]* checked>', body)
    assert Licence.objects.count() == 0


def test_competing_brand_is_refused_without_learning_who(client, brand_manager, twin):
    services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True))
    rival = MembershipFactory(organisation=BrandFactory(name="Rival"), role="manager")
    client.force_login(rival.user)
    before = snapshot()

    response = client.post(f"/catalogue/{twin.slug}/request/", form_data(exclusive="on"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Not available: Beauty and cosmetics in DE, FR" in body
    assert brand_manager.organisation.name not in body
    assert snapshot() == before


def test_competing_brand_learns_nothing_from_pages_or_counts(client, brand_manager, twin):
    licence = services.request_licence(
        by=brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True)
    )
    rival = MembershipFactory(organisation=BrandFactory(name="Rival"), role="owner")
    client.force_login(rival.user)

    pages = [
        client.get(url)
        for url in [
            "/licences/",
            "/licences/?tab=active",
            "/licences/?tab=ended",
            f"/catalogue/{twin.slug}/",
            "/catalogue/",
        ]
    ]
    detail = client.get(f"/licences/{licence.reference}/")
    missing = client.get("/licences/LIC-00000000/")

    for page in pages:
        body = page.content.decode()
        assert brand_manager.organisation.name not in body
        assert licence.reference not in body
    assert "Nothing here yet" in pages[0].content.decode()
    assert (detail.status_code, missing.status_code) == (404, 404)
    assert without_per_response_tokens(detail.content) == without_per_response_tokens(
        missing.content
    )
    # Blind availability: window, category and territories only.
    assert re.search(
        r"exclusive in <strong>Beauty and cosmetics</strong> · DE, FR · until \d{4}-\d\d-\d\d",
        pages[3].content.decode(),
    )


@pytest.fixture
def parties(db, twin, brand_manager):
    licence = services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())
    agency_b = AgencyFactory()
    return {
        "licence": licence,
        "brand_owner": MembershipFactory(
            organisation=brand_manager.organisation, role="owner"
        ).user,
        "brand_member": MembershipFactory(
            organisation=brand_manager.organisation, role="member"
        ).user,
        "agency_manager": MembershipFactory(organisation=twin.agency, role="manager").user,
        "agency_finance": MembershipFactory(organisation=twin.agency, role="finance").user,
        "talent": twin.talent.user,
        "agency_b": MembershipFactory(organisation=agency_b, role="owner").user,
        "brand_b": MembershipFactory(organisation=BrandFactory(), role="owner").user,
        "talent_b": TalentFactory(agency=agency_b, user=UserFactory()).user,
    }


def _actions(ref):
    return [
        ("post", f"/licences/{ref}/withdraw/", {}),
        ("post", f"/licences/{ref}/accept-counter/", {}),
        ("post", f"/licences/{ref}/decline-counter/", {}),
        ("post", f"/licences/{ref}/approve/", {}),
        ("post", f"/licences/{ref}/decline/", {"reason": "no"}),
        ("get", f"/licences/{ref}/counter/", {}),
        ("post", f"/licences/{ref}/counter/", {}),
        ("get", f"/licences/{ref}/consent/", {}),
        (
            "post",
            f"/licences/{ref}/consent/",
            {"typed_name": "x", "terms_hash": "x", "confirm": "on"},
        ),
        ("post", f"/licences/{ref}/refuse/", {"reason": "no"}),
    ]


@pytest.mark.parametrize("who", ["agency_b", "brand_b", "talent_b"])
def test_outsiders_get_404_everywhere_and_nothing_changes(client, parties, who):
    client.force_login(parties[who])
    ref = parties["licence"].reference
    before = snapshot()

    assert client.get(f"/licences/{ref}/").status_code == 404
    for method, url, data in _actions(ref):
        assert getattr(client, method)(url, data).status_code == 404, (who, url)

    assert snapshot() == before


def test_anonymous_is_sent_to_sign_in(client, parties):
    ref = parties["licence"].reference
    before = snapshot()

    for method, url, data in [("get", f"/licences/{ref}/", {}), *_actions(ref)]:
        response = getattr(client, method)(url, data)
        assert response.status_code in {302, 405}, url
        if response.status_code == 302:
            assert response.url.startswith("/accounts/login/")

    assert snapshot() == before


@pytest.mark.parametrize("who", ["brand_member", "agency_finance"])
def test_readers_of_a_party_see_but_cannot_act(client, parties, who):
    client.force_login(parties[who])
    ref = parties["licence"].reference
    before = snapshot()

    assert client.get(f"/licences/{ref}/").status_code == 200
    side = "/withdraw/" if who == "brand_member" else "/approve/"
    assert client.post(f"/licences/{ref}{side}").status_code == 403

    assert snapshot() == before


def test_each_party_sees_the_licence(client, parties):
    ref = parties["licence"].reference
    for who in ["brand_owner", "agency_manager", "talent"]:
        client.force_login(parties[who])
        assert client.get(f"/licences/{ref}/").status_code == 200, who


def test_agency_review_approve_and_model_consent_in_the_browser_flow(client, parties):
    licence = parties["licence"]
    client.force_login(parties["agency_manager"])
    review = client.get(f"/licences/{licence.reference}/").content.decode()
    assert "No other licence touches these terms" in review
    client.post(f"/licences/{licence.reference}/approve/")

    client.force_login(parties["talent"])
    inbox = client.get("/me/consents/").content.decode()
    assert licence.reference in client.get("/licences/").content.decode()
    assert licence.brand.name in inbox
    page = client.get(f"/licences/{licence.reference}/consent/").content.decode()
    match = re.search(r'name="terms_hash" value="([0-9a-f]{64})"', page)
    assert match is not None
    terms_hash = match.group(1)
    response = client.post(
        f"/licences/{licence.reference}/consent/",
        {"terms_hash": terms_hash, "typed_name": licence.talent.full_name, "confirm": "on"},
    )

    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.status == Licence.Status.CONSENTED
    consent = Consent.objects.get()
    assert consent.ip_address == "127.0.0.1"


def test_talent_revokes_consent_from_their_page(client, twin):
    client.force_login(twin.talent.user)

    response = client.post(f"/me/twins/{twin.pk}/revoke/", {"reason": "", "confirm": "on"})

    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.consent_revoked_at is not None
    client.force_login(MembershipFactory(organisation=BrandFactory(), role="owner").user)
    assert client.get(f"/catalogue/{twin.slug}/").status_code == 404


def test_another_talent_cannot_revoke(client, twin, agency):
    stranger = TalentFactory(agency=agency, user=UserFactory())
    client.force_login(stranger.user)

    assert client.post(f"/me/twins/{twin.pk}/revoke/", {"confirm": "on"}).status_code == 404
    twin.refresh_from_db()
    assert twin.consent_revoked_at is None
