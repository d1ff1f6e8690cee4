"""A NUL byte or an impossible id in a web request is a 404 or a 400, never a server error
(PostgreSQL refuses NUL in text; an over-long number overflows the column)."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from django.test import Client

from marketplace.payments.models import WebhookEvent
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)
from tests.flows import consented_licence

pytestmark = pytest.mark.django_db

REFERENCE_ROUTES = [
    "licences/{ref}/",
    "licences/{ref}/withdraw/",
    "licences/{ref}/accept-counter/",
    "licences/{ref}/decline-counter/",
    "licences/{ref}/approve/",
    "licences/{ref}/decline/",
    "licences/{ref}/counter/",
    "licences/{ref}/consent/",
    "licences/{ref}/refuse/",
    "licences/{ref}/pay/",
    "licences/{ref}/uses/",
    "licences/{ref}/contract/panel/",
    "licences/{ref}/contract/sign/",
    "licences/{ref}/contract/decline/",
    "licences/{ref}/contracts/{ref}/document.pdf",
    "licences/{ref}/contracts/{ref}/executed.pdf",
]
ID_ROUTES = [
    "agency/twins/{id}/",
    "agency/twins/{id}/images/{id}/",
    "me/twins/{id}/",
    "team/api-keys/{id}/revoke/",
]


@pytest.fixture
def brand_client(db) -> tuple[Client, str]:
    """A signed-in brand manager and the reference of her consented licence."""
    agency = AgencyFactory()
    brand_manager = MembershipFactory(organisation=BrandFactory(), role="manager")
    twin = TwinFactory(talent=TalentFactory(agency=agency, user=UserFactory()))
    licence = consented_licence(
        brand_member=brand_manager,
        agency_member=MembershipFactory(organisation=agency, role="manager"),
        twin=twin,
    )
    client = Client(raise_request_exception=False)
    client.force_login(brand_manager.user)
    return client, licence.reference


@pytest.mark.parametrize("route", REFERENCE_ROUTES)
def test_nul_in_a_reference_is_404(brand_client, route):
    client, reference = brand_client

    for ref in (f"{reference}%00", "LIC%00"):
        path = "/" + route.format(ref=ref)
        assert (path, client.get(path).status_code) == (path, 404)
        assert (path, client.post(path, {"reason": "x"}).status_code) == (path, 404)


@pytest.mark.parametrize("route", ID_ROUTES)
def test_an_id_no_column_can_hold_is_404(brand_client, route):
    client, _ = brand_client

    for value in ("9" * 40, "1%00"):
        path = "/" + route.format(id=value)
        assert (path, client.get(path).status_code) == (path, 404)


def test_nul_in_the_query_string_is_400(brand_client):
    client, _ = brand_client

    response = client.get("/payments/return/?session_id=cs_%00")

    assert response.status_code == 400


def test_nul_in_a_form_field_is_400(brand_client):
    client, reference = brand_client

    response = client.post(f"/licences/{reference}/withdraw/", {"reason": "changed\x00plans"})

    assert response.status_code == 400


def test_a_signed_stripe_event_nested_too_deeply_is_400(settings):
    # given an event signed with the webhook secret, nested deeper than the decoder can go
    settings.STRIPE_WEBHOOK_SECRET = "whsec_likeness_tests"
    payload = '{"id": "evt_1", "data": ' + "[" * 5_000 + "]" * 5_000 + "}"
    stamp = int(time.time())
    digest = hmac.new(
        settings.STRIPE_WEBHOOK_SECRET.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()

    # when Stripe's receiver is sent it
    response = Client(raise_request_exception=False).post(
        "/payments/stripe/webhook/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={stamp},v1={digest}",
    )

    # then it is refused as malformed, and nothing is stored
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
