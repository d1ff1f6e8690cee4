"""Proofs over the API: submit (multipart, idempotent), list with status, read, resubmit,
answer; refusals with their reason; another party's proof answers 404 and changes nothing;
decisions reach the brand's webhooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.approvals.models import Proof, ProofDecision, ProofVersion
from marketplace.payments.models import UsageReport
from marketplace.webhooks import services as webhooks
from marketplace.webhooks.models import WebhookDelivery
from tests.api.conftest import active_licence, issue_key, key_client, session_client
from tests.approvals.conftest import picture, require_approval
from tests.licensing.conftest import INTENDED_USE

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(world):
    require_approval(world.twin)
    return active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        start_date=timezone.localdate(),
    )


def body(**overrides) -> dict:
    values = {
        "image": picture(),
        "media_type": "social",
        "territory": "DE",
        "publish_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        "caption": "Look 4",
        "idempotency_key": "proof-1",
    }
    values.update(overrides)
    return values


def submit(client, licence, **overrides):
    return client.post(
        f"/api/v1/licences/{licence.reference}/proofs", body(**overrides), format="multipart"
    )


def snapshot() -> tuple:
    return (
        list(Proof.objects.values_list("pk", "status", "latest_id").order_by("pk")),
        ProofVersion.objects.count(),
        ProofDecision.objects.count(),
        UsageReport.objects.count(),
    )


def test_a_proof_is_submitted_once_and_a_repeat_returns_it(world, licence):
    client = key_client(world.tokens["brand_a"])

    first = submit(client, licence)
    again = submit(client, licence)

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    data = first.json()
    assert data["reference"] == again.json()["reference"]
    assert (data["status"], data["version"], data["licence"]) == ("pending", 1, licence.reference)
    assert len(data["sha256"]) == 64
    assert data["preview_url"].endswith("/v1/preview/")
    assert Proof.objects.count() == 1


def test_the_idempotency_key_header_stands_in(world, licence):
    client = key_client(world.tokens["brand_a"])
    payload = body()
    del payload["idempotency_key"]

    first = client.post(
        f"/api/v1/licences/{licence.reference}/proofs",
        payload,
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="hdr-1",
    )
    payload["image"] = picture()
    again = client.post(
        f"/api/v1/licences/{licence.reference}/proofs",
        payload,
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="hdr-1",
    )

    assert first.status_code == 201
    assert again.status_code in (200, 201)
    assert again.json()["reference"] == first.json()["reference"]
    assert Proof.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"image": "not-a-file"}, "invalid", "image"),
        ({"territory": "US"}, "territory_not_licensed", "territory"),
        ({"media_type": "print"}, "media_not_licensed", "media_type"),
    ],
)
def test_bad_proofs_are_refused_with_the_reason(world, licence, overrides, code, field):
    client = key_client(world.tokens["brand_a"])

    response = submit(client, licence, **overrides)

    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert Proof.objects.count() == 0


def test_a_file_that_is_not_a_picture_is_refused(world, licence):
    client = key_client(world.tokens["brand_a"])
    fake = SimpleUploadedFile("look.png", b"\x89PNG broken", content_type="image/png")

    response = submit(client, licence, image=fake)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "image"
    assert Proof.objects.count() == 0


def test_a_proof_under_a_licence_without_approval_is_refused(world):
    plain = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        start_date=timezone.localdate(),
    )
    client = key_client(world.tokens["brand_a"])

    response = submit(client, plain)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "approval_not_required"
    assert Proof.objects.count() == 0


def test_proofs_are_listed_with_their_status_to_their_parties_only(world, licence):
    brand = key_client(world.tokens["brand_a"])
    reference = submit(brand, licence).json()["reference"]

    mine = brand.get("/api/v1/proofs?status=pending")
    none_approved = brand.get("/api/v1/proofs?status=approved")
    agency = key_client(world.tokens["agency_a"]).get("/api/v1/proofs")
    rival = key_client(world.tokens["brand_b"]).get("/api/v1/proofs")
    rival_agency = key_client(world.tokens["agency_b"]).get("/api/v1/proofs")
    under_licence = brand.get(f"/api/v1/licences/{licence.reference}/proofs")

    assert [p["reference"] for p in mine.json()["results"]] == [reference]
    assert none_approved.json()["results"] == []
    assert [p["reference"] for p in agency.json()["results"]] == [reference]
    assert rival.json()["results"] == [] and rival_agency.json()["results"] == []
    assert [p["reference"] for p in under_licence.json()["results"]] == [reference]


def test_another_brand_gets_404_and_nothing_changes(world, licence):
    reference = submit(key_client(world.tokens["brand_a"]), licence).json()["reference"]
    rival = key_client(world.tokens["brand_b"])
    before = snapshot()

    responses = [
        rival.get(f"/api/v1/proofs/{reference}"),
        rival.get(f"/api/v1/licences/{licence.reference}/proofs"),
        submit(rival, licence, idempotency_key="rival-1"),
        rival.post(
            f"/api/v1/proofs/{reference}/versions",
            body(idempotency_key="rival-2"),
            format="multipart",
        ),
        rival.post(
            f"/api/v1/proofs/{reference}/decision",
            {"version": 1, "decision": "approved"},
            format="json",
        ),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404, 404]
    assert snapshot() == before


def test_another_model_gets_404_and_nothing_changes(world, licence):
    reference = submit(key_client(world.tokens["brand_a"]), licence).json()["reference"]
    other = session_client(world.user("talent_b"))
    before = snapshot()

    read = other.get(f"/api/v1/proofs/{reference}")
    answer = other.post(
        f"/api/v1/proofs/{reference}/decision",
        {"version": 1, "decision": "approved"},
        format="json",
    )

    assert (read.status_code, answer.status_code) == (404, 404)
    assert snapshot() == before


def test_the_agency_without_delegation_is_refused_403_and_nothing_changes(world, licence):
    reference = submit(key_client(world.tokens["brand_a"]), licence).json()["reference"]
    agency = key_client(world.tokens["agency_a"])
    before = snapshot()

    response = agency.post(
        f"/api/v1/proofs/{reference}/decision",
        {"version": 1, "decision": "approved"},
        format="json",
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_the_model_answers_and_the_brand_s_webhook_hears_it(world, licence, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    webhooks.create_endpoint(by=world.members["brand_a_manager"], url="http://127.0.0.1:9/h")
    brand = key_client(world.tokens["brand_a"])
    reference = submit(brand, licence).json()["reference"]
    model = session_client(world.user("talent_a"))

    changes = model.post(
        f"/api/v1/proofs/{reference}/decision",
        {"version": 1, "decision": "changes_requested", "note": "Softer light."},
        format="json",
    )
    resubmitted = brand.post(
        f"/api/v1/proofs/{reference}/versions",
        body(idempotency_key="v2", image=picture(seed=44)),
        format="multipart",
    )
    approved = model.post(
        f"/api/v1/proofs/{reference}/decision",
        {"version": 2, "decision": "approved"},
        format="json",
    )
    again = model.post(
        f"/api/v1/proofs/{reference}/decision",
        {"version": 2, "decision": "approved"},
        format="json",
    )

    assert changes.status_code == 200 and changes.json()["status"] == "changes_requested"
    assert resubmitted.status_code == 201 and resubmitted.json()["version"] == 2
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["use_id"]
    assert [d["decision"] for d in approved.json()["decisions"]] == [
        "changes_requested",
        "approved",
    ]
    assert again.status_code == 409
    assert UsageReport.objects.count() == 1
    assert list(WebhookDelivery.objects.order_by("id").values_list("event_type", flat=True)) == [
        "proof.changes_requested",
        "proof.approved",
    ]


def test_a_brand_key_without_the_usage_scope_cannot_submit(world, licence):
    token = issue_key(world.members["brand_a_owner"], scopes=["licences:read"], name="read")

    response = submit(key_client(token), licence)

    assert response.status_code == 403
    assert Proof.objects.count() == 0


def test_the_api_quote_states_the_term(world):
    require_approval(world.twin, hours=48)
    client = key_client(world.tokens["brand_a"])

    response = client.post(
        f"/api/v1/catalogue/twins/{world.twin.slug}/quote",
        {
            "media_types": ["social"],
            "territories": ["DE"],
            "start_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "end_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "category": "beauty",
            "intended_use": INTENDED_USE,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert "within 48 hours" in response.json()["image_approval"]
