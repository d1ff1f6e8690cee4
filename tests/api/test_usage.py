"""Reporting uses over the API: one, or a batch of up to 1,000 with per-item outcomes, and an
Idempotency-Key that replays the first response."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.accounts.models import IdempotencyRecord
from marketplace.core.api.idempotency import purge_expired
from marketplace.payments.models import UsageReport
from tests.api.conftest import active_licence, key_client, session_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(world):
    """Active from today, social and web in DE and FR, at most 4 uses."""
    today = timezone.localdate()
    lic = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        media_types=["social", "web"],
        start_date=today,
        end_date=today + timedelta(days=60),
        max_uses=4,
    )
    assert lic.status == "active"
    return lic


def use(n: int = 0, **overrides) -> dict:
    body = {
        "used_on": timezone.localdate().isoformat(),
        "media_type": "social",
        "territory": "DE",
        "asset_reference": f"dam://asset/{n}",
        "idempotency_key": f"use-{n}",
    }
    body.update(overrides)
    return body


def test_one_use_is_recorded_and_a_repeat_returns_it(world, licence):
    client = key_client(world.tokens["brand_a"])
    url = f"/api/v1/licences/{licence.reference}/uses"

    first = client.post(url, use(1), format="json")
    again = client.post(url, use(1), format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["fee"] == 1_000
    assert UsageReport.objects.count() == 1


def test_a_use_outside_the_licence_is_refused_with_the_reason(world, licence):
    client = key_client(world.tokens["brand_a"])

    response = client.post(
        f"/api/v1/licences/{licence.reference}/uses", use(1, territory="US"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "territory_not_licensed"
    assert response.json()["error"]["field"] == "territory"
    assert not UsageReport.objects.exists()


def test_the_same_report_key_for_another_use_is_409(world, licence):
    client = key_client(world.tokens["brand_a"])
    url = f"/api/v1/licences/{licence.reference}/uses"
    client.post(url, use(1), format="json")

    response = client.post(url, use(1, asset_reference="dam://other"), format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"


def test_the_idempotency_key_header_stands_in_for_a_missing_report_key(world, licence):
    client = key_client(world.tokens["brand_a"])
    url = f"/api/v1/licences/{licence.reference}/uses"
    body = use(1)
    del body["idempotency_key"]

    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert UsageReport.objects.get().idempotency_key == "k-1"


def test_only_the_brand_reports_uses_but_every_party_reads_them(world, licence):
    url = f"/api/v1/licences/{licence.reference}/uses"
    key_client(world.tokens["brand_a"]).post(url, use(1), format="json")

    agency = key_client(world.tokens["agency_a"])
    assert agency.post(url, use(2), format="json").status_code == 404
    assert [u["asset_reference"] for u in agency.get(url).json()["results"]] == ["dam://asset/1"]
    model = session_client(world.user("talent_a"))
    assert model.get(url).json()["results"][0]["fee"] == 1_000
    assert UsageReport.objects.count() == 1


# --- Batches --------------------------------------------------------------------------------


def test_a_batch_reports_each_use_on_its_own(world, licence):
    client = key_client(world.tokens["brand_a"])
    key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses", use(0), format="json"
    )
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    uses = [
        use(0),  # already recorded: replayed
        use(1),
        use(2, territory="US"),  # not licensed
        use(3, used_on=tomorrow),  # in the future
        use(4, media_type="print"),  # not licensed
        use(5),
        use(6),
        use(7),  # the fifth use: over the cap of 4
        use(0, asset_reference="dam://else"),  # key reused for another use
    ]

    response = client.post(
        f"/api/v1/licences/{licence.reference}/uses/batch", {"uses": uses}, format="json"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["summary"] == {"created": 3, "replayed": 1, "refused": 5}
    outcomes = [(r["index"], r["outcome"], (r["error"] or {}).get("code")) for r in body["results"]]
    assert outcomes == [
        (0, "replayed", None),
        (1, "created", None),
        (2, "refused", "territory_not_licensed"),
        (3, "refused", "future_use"),
        (4, "refused", "media_not_licensed"),
        (5, "created", None),
        (6, "created", None),
        (7, "refused", "use_cap_reached"),
        (8, "refused", "idempotency_conflict"),
    ]
    assert body["results"][1]["use"]["asset_reference"] == "dam://asset/1"
    assert UsageReport.objects.count() == 4
    licence.refresh_from_db()
    assert licence.uses_count == 4


def test_a_repeated_idempotency_key_returns_the_original_result(world, licence):
    client = key_client(world.tokens["brand_a"])
    url = f"/api/v1/licences/{licence.reference}/uses/batch"
    body = {"uses": [use(1), use(2, territory="US")]}

    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    # Meanwhile the world moves on: the original answer still comes back unchanged.
    UsageReport.objects.all().delete()
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["summary"] == {"created": 1, "replayed": 0, "refused": 1}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert not UsageReport.objects.exists()


def test_the_same_idempotency_key_with_another_body_is_409(world, licence):
    client = key_client(world.tokens["brand_a"])
    url = f"/api/v1/licences/{licence.reference}/uses/batch"
    client.post(url, {"uses": [use(1)]}, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")

    response = client.post(url, {"uses": [use(2)]}, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert UsageReport.objects.count() == 1


def test_idempotency_keys_belong_to_one_organisation(world, licence):
    """Brand B using the same key string neither sees nor blocks brand A's response."""
    other = active_licence(
        brand_manager=world.members["brand_b_manager"],
        agency_manager=world.members["agency_b_manager"],
        twin=world.other_twin,
        start_date=timezone.localdate(),
    )
    body = {"uses": [use(1)]}

    a = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses/batch",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    b = key_client(world.tokens["brand_b"]).post(
        f"/api/v1/licences/{other.reference}/uses/batch",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )

    assert a.json()["licence"] == licence.reference
    assert b.json()["licence"] == other.reference
    assert "Idempotent-Replayed" not in b.headers


def test_a_key_still_in_progress_is_409(world, licence):
    IdempotencyRecord.objects.create(
        organisation=world.orgs["brand_a"],
        key="busy",
        request_hash="x" * 64,
        method="POST",
        path="/",
    )
    IdempotencyRecord.objects.filter(key="busy").update(request_hash=_hash_of(world, licence))

    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses/batch",
        {"uses": [use(1)]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="busy",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert not UsageReport.objects.exists()


def _hash_of(world, licence) -> str:
    from rest_framework.parsers import JSONParser
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from marketplace.core.api.idempotency import request_hash

    raw = APIRequestFactory().post(
        f"/api/v1/licences/{licence.reference}/uses/batch", {"uses": [use(1)]}, format="json"
    )
    return request_hash(Request(raw, parsers=[JSONParser()]))


def test_keys_expire_after_24_hours(world, licence):
    client = key_client(world.tokens["brand_a"])
    url = f"/api/v1/licences/{licence.reference}/uses/batch"
    client.post(url, {"uses": [use(1)]}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    reused = client.post(url, {"uses": [use(2)]}, format="json", HTTP_IDEMPOTENCY_KEY="old")

    assert reused.status_code == 200
    assert reused.json()["summary"]["created"] == 1
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("header", ["", " padded", "x" * 101, "tab\there"])
def test_a_malformed_idempotency_key_is_400(world, licence, header):
    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses/batch",
        {"uses": [use(1)]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=header,
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert not UsageReport.objects.exists()


def test_a_malformed_item_rejects_the_whole_batch_before_anything_is_recorded(world, licence):
    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses/batch",
        {"uses": [use(1), {"used_on": "yesterday"}]},
        format="json",
    )

    error = response.json()["error"]
    assert response.status_code == 400
    assert error["field"].startswith("uses.1.")
    assert not UsageReport.objects.exists()


@pytest.mark.parametrize(("count", "status"), [(0, 400), (1001, 400)])
def test_a_batch_holds_1_to_1000_uses(world, licence, count, status):
    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses/batch",
        {"uses": [use(n) for n in range(count)]},
        format="json",
    )

    assert response.status_code == status
    assert response.json()["error"]["field"] == "uses"


def test_a_full_batch_of_1000(world):
    today = timezone.localdate()
    metered = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        start_date=today,
        territories=["IT"],
    )

    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{metered.reference}/uses/batch",
        {"uses": [use(n, territory="IT") for n in range(1000)]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["summary"] == {"created": 1000, "replayed": 0, "refused": 0}
    assert UsageReport.objects.filter(licence=metered).count() == 1000


def test_a_batch_shows_each_created_use_whole(world, licence):
    """Found by schemathesis: a use in a batch's results lacked its licence."""
    client = key_client(world.tokens["brand_a"])

    response = client.post(
        f"/api/v1/licences/{licence.reference}/uses/batch", {"uses": [use(1)]}, format="json"
    )

    created = response.json()["results"][0]["use"]
    single = client.get(f"/api/v1/licences/{licence.reference}/uses").json()["results"][0]
    assert response.status_code == 200
    assert created == single
    assert created["licence"] == licence.reference
