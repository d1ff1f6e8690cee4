"""Broken object-level authorisation, every object endpoint × every outsider: another agency,
another brand (sessions and keys), another model, anonymous, and keys without the scope.
Each answers 404 (or 401 / 403) and leaves the database exactly as it was. The model's own
decisions (consent, refusal) are theirs alone: the licence's brand and agency are outsiders
there too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.accounts.models import IdempotencyRecord
from marketplace.core.models import AuditEvent, Notification
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Consent, ExclusivityHold, Licence, LicenceTerms
from marketplace.payments.models import UsageReport
from marketplace.webhooks import services as webhooks
from marketplace.webhooks.models import BrandWebhookEndpoint, WebhookDelivery
from tests.api.conftest import active_licence, issue_key, key_client, session_client
from tests.licensing.conftest import INTENDED_USE, make_terms

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list]:
    return {
        "licences": list(Licence.objects.order_by("pk").values()),
        "terms": list(LicenceTerms.objects.order_by("pk").values()),
        "consents": list(Consent.objects.order_by("pk").values()),
        "holds": list(ExclusivityHold.objects.order_by("pk").values()),
        "uses": list(UsageReport.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "notifications": list(Notification.objects.order_by("pk").values_list("pk", flat=True)),
        "endpoints": list(BrandWebhookEndpoint.objects.order_by("pk").values()),
        "deliveries": list(WebhookDelivery.objects.order_by("pk").values()),
        "idempotency": list(IdempotencyRecord.objects.order_by("pk").values()),
    }


@pytest.fixture
def objects(world):
    """Brand A's requested licence, licence awaiting the model's consent and active licence
    on agency A's twin, and brand A's webhook endpoint."""
    today = timezone.localdate()
    requested = licensing.request_licence(
        by=world.members["brand_a_manager"],
        twin_id=world.twin.pk,
        terms=make_terms(territories=["IT"]),
    )
    active = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        start_date=today,
    )
    awaiting = licensing.request_licence(
        by=world.members["brand_a_manager"],
        twin_id=world.twin.pk,
        terms=make_terms(territories=["PT"]),
    )
    licensing.approve_licence(by=world.members["agency_a_manager"], reference=awaiting.reference)
    awaiting.refresh_from_db()
    assert awaiting.status == Licence.Status.AWAITING_CONSENT
    endpoint = webhooks.create_endpoint(
        by=world.members["brand_a_manager"], url="http://127.0.0.1:9/hooks"
    ).endpoint
    return {
        "requested": requested.reference,
        "active": active.reference,
        "awaiting": awaiting.reference,
        "endpoint": endpoint.pk,
        # A consent that would be valid from the licence's own model.
        "consent": {
            "terms_hash": awaiting.current_terms.terms_hash,
            "typed_name": world.twin.talent.full_name,
            "confirm": True,
        },
    }


MODEL_ACTIONS = ("/consent", "/refuse")


def endpoints(o) -> list[tuple[str, str, dict | None]]:
    today = timezone.localdate()
    terms = {
        "media_types": ["social"],
        "territories": ["ES"],
        "start_date": (today + timedelta(days=10)).isoformat(),
        "end_date": (today + timedelta(days=40)).isoformat(),
        "category": "beauty",
        "intended_use": INTENDED_USE,
    }
    use = {
        "used_on": today.isoformat(),
        "media_type": "social",
        "territory": "DE",
        "asset_reference": "dam://x",
        "idempotency_key": "bola",
    }
    r, a, w, e = o["requested"], o["active"], o["awaiting"], o["endpoint"]
    return [
        ("get", f"/api/v1/licences/{r}", None),
        ("post", f"/api/v1/licences/{r}/withdraw", {"reason": "x"}),
        ("post", f"/api/v1/licences/{r}/accept-counter", {}),
        ("post", f"/api/v1/licences/{r}/decline-counter", {"reason": "x"}),
        ("post", f"/api/v1/licences/{r}/approve", {}),
        ("post", f"/api/v1/licences/{r}/counter", terms),
        ("post", f"/api/v1/licences/{r}/decline", {"reason": "Booked"}),
        ("get", f"/api/v1/licences/{a}", None),
        ("get", f"/api/v1/licences/{a}/uses", None),
        ("post", f"/api/v1/licences/{a}/uses", use),
        ("post", f"/api/v1/licences/{a}/uses/batch", {"uses": [use]}),
        ("post", f"/api/v1/licences/{a}/withdraw", {}),
        ("get", f"/api/v1/webhooks/endpoints/{e}", None),
        ("get", f"/api/v1/webhooks/endpoints/{e}/deliveries", None),
        ("delete", f"/api/v1/webhooks/endpoints/{e}", None),
        ("get", f"/api/v1/licences/{w}", None),
        ("post", f"/api/v1/licences/{w}/consent", o["consent"]),
        ("post", f"/api/v1/licences/{w}/refuse", {"reason": "x"}),
    ]


def call(client: APIClient, method: str, url: str, body: dict | None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY="bola-1")


OUTSIDERS = [
    "agency_b_owner",
    "agency_b_manager",
    "brand_b_owner",
    "brand_b_manager",
    "brand_b_finance",
    "talent_b",
    "agency_b_key",
    "brand_b_key",
]


def client_for(world, who: str) -> APIClient:
    if who.endswith("_key"):
        return key_client(world.tokens[who.removesuffix("_key")])
    return session_client(world.user(who))


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_and_change_nothing(world, objects, who):
    client = client_for(world, who)
    before = snapshot()

    for method, url, body in endpoints(objects):
        response = call(client, method, url, body)
        assert response.status_code == 404, (who, method, url, response.content)
        assert response.json() == {
            "error": {"code": "not_found", "message": "Not found.", "field": None}
        }

    assert snapshot() == before


def test_a_missing_object_answers_exactly_like_a_foreign_one(world, objects):
    client = client_for(world, "brand_b_key")
    missing = {
        "requested": "LIC-00000000",
        "active": "LIC-FFFFFFFF",
        "awaiting": "LIC-0000FFFF",
        "endpoint": 999999,
        "consent": objects["consent"],
    }

    for (method, url, body), (_, missing_url, _) in zip(
        endpoints(objects), endpoints(missing), strict=True
    ):
        foreign = call(client, method, url, body)
        absent = call(client, method, missing_url, body)
        assert (foreign.status_code, foreign.content) == (absent.status_code, absent.content)


def test_anonymous_gets_401_and_changes_nothing(world, objects):
    before = snapshot()

    for method, url, body in endpoints(objects):
        response = call(APIClient(), method, url, body)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"]["code"] == "not_authenticated"

    assert snapshot() == before


@pytest.mark.parametrize("org", ["brand_a", "agency_a"])
def test_a_key_without_the_scope_gets_403_and_changes_nothing(world, objects, org):
    token = issue_key(world.members[f"{org}_owner"], scopes=["catalogue:read"], name="narrow")
    client = key_client(token)
    before = snapshot()

    for method, url, body in endpoints(objects):
        response = call(client, method, url, body)
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "missing_scope"

    assert snapshot() == before


def test_the_model_of_the_licence_may_read_but_not_act(world, objects):
    client = client_for(world, "talent_a")
    before = snapshot()

    for method, url, body in endpoints(objects):
        if url.endswith(MODEL_ACTIONS):
            continue  # the model's own decisions: tests/api/test_consent.py
        response = call(client, method, url, body)
        if method == "get" and "/webhooks/" not in url:
            assert response.status_code == 200, url
        else:
            assert response.status_code in {403, 404}, (method, url, response.status_code)

    assert snapshot() == before


@pytest.mark.parametrize("role", ["member", "finance"])
def test_readers_of_the_parties_cannot_decide(world, objects, role):
    before = snapshot()
    agency = client_for(world, f"agency_a_{role}")
    brand = client_for(world, f"brand_a_{role}")
    r = objects["requested"]

    for client, action in [
        (agency, "approve"),
        (agency, "decline"),
        (brand, "withdraw"),
        (brand, "accept-counter"),
    ]:
        response = client.post(f"/api/v1/licences/{r}/{action}", {"reason": "x"}, format="json")
        assert response.status_code == 403, (role, action)
        assert response.json()["error"]["code"] == "permission_denied"

    assert snapshot() == before


PARTIES = [
    "brand_a_owner",
    "brand_a_manager",
    "brand_a_member",
    "agency_a_owner",
    "agency_a_manager",
    "agency_a_member",
    "brand_a_key",
    "agency_a_key",
]


@pytest.mark.parametrize("who", PARTIES)
def test_only_the_model_decides_on_consent(world, objects, who):
    """The licence's brand and agency, signed in or with a key holding every scope, cannot
    consent or refuse for the model: 404, as for any outsider, and nothing changes."""
    client = client_for(world, who)
    before = snapshot()

    for method, url, body in endpoints(objects):
        if not url.endswith(MODEL_ACTIONS):
            continue
        response = call(client, method, url, body)
        assert response.status_code == 404, (who, url, response.content)
        assert response.json()["error"]["code"] == "not_found"

    assert snapshot() == before
