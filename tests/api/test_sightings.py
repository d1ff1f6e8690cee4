"""Sightings and takedown cases over the API: an agency's monitoring tool reports where its
twin was seen (multipart, idempotent) and reads what it opened; bad input is refused with the
field named and stores nothing; another agency, a brand, or a key without the scope gets
nothing and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.misuse.models import Sighting, TakedownCase
from marketplace.talent.demo_images import studio_portrait
from tests.api.conftest import issue_key, key_client, session_client

pytestmark = pytest.mark.django_db

SIGHTINGS = "/api/v1/sightings"
CASES = "/api/v1/takedown-cases"


def body(of, **overrides) -> dict:
    values = {
        "twin": of.slug,
        "url": "https://shop.example/lookbook/42",
        "seen_on": timezone.localdate().isoformat(),
        "territory": "FR",
        "media_type": "social",
        "note": "Seen by our crawler",
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def report(client, of, headers: dict | None = None, **overrides):
    return client.post(SIGHTINGS, body(of, **overrides), format="multipart", headers=headers)


def stored() -> tuple[int, int]:
    return Sighting.objects.count(), TakedownCase.objects.count()


def test_an_agency_reports_a_sighting_and_reads_the_case_it_opened(
    world, django_capture_on_commit_callbacks
):
    client = key_client(world.tokens["agency_a"])

    with django_capture_on_commit_callbacks(execute=True):  # the worker drafts the notice
        response = report(client, world.twin)

    assert response.status_code == 201, response.json()
    sighting = response.json()
    assert sighting["twin"] == world.twin.slug
    assert sighting["host"] == "shop.example"
    assert sighting["finding"] == "unknown"  # no licence through the platform covers it
    assert sighting["licence"] is None
    case_id = sighting["case"]
    assert case_id == TakedownCase.objects.get().pk
    listed = client.get(SIGHTINGS).json()["results"]
    assert [s["id"] for s in listed] == [sighting["id"]]
    assert client.get(f"{SIGHTINGS}/{sighting['id']}").json() == sighting
    cases = client.get(CASES).json()["results"]
    assert [(c["id"], c["sighting"]["id"]) for c in cases] == [(case_id, sighting["id"])]
    case = client.get(f"{CASES}/{case_id}").json()
    assert case["reference"] == f"TD-{case_id:06d}"
    assert case["notice_ready"] is True
    assert client.get(CASES, {"status": "dismissed"}).json()["results"] == []
    assert client.get(CASES, {"status": "closed"}).status_code == 400  # no such status
    assert client.get(SIGHTINGS, {"finding": "in_scope"}).json()["results"] == []


def test_a_screenshot_is_taken_as_evidence_with_its_fingerprint(world):
    client = key_client(world.tokens["agency_a"])
    picture = SimpleUploadedFile("seen.jpg", studio_portrait(5, size=(320, 400)), "image/jpeg")

    response = report(client, world.twin, url="", screenshot=picture)

    assert response.status_code == 201, response.json()
    assert response.json()["has_screenshot"] is True
    assert len(response.json()["screenshot_sha256"]) == 64


def test_the_model_reads_the_sightings_of_her_own_twin(world):
    report(key_client(world.tokens["agency_a"]), world.twin)

    mine = session_client(world.talent["talent_a"].user).get(SIGHTINGS).json()["results"]
    theirs = session_client(world.talent["talent_b"].user).get(SIGHTINGS).json()["results"]

    assert len(mine) == 1 and theirs == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": "", "screenshot": None}, "url"),  # no evidence at all
        ({"url": "ftp://shop.example/a"}, "url"),
        ({"url": "https://" + "a" * 600 + ".example"}, "url"),
        ({"seen_on": "2999-01-01"}, "seen_on"),
        ({"territory": "XX"}, "territory"),
        ({"media_type": "billboard-on-the-moon"}, "media_type"),
        ({"note": "n" * 501}, "note"),
        ({"twin": "not a slug!"}, "twin"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_stores_nothing(world, overrides, field):
    client = key_client(world.tokens["agency_a"])

    response = report(client, world.twin, **overrides)

    assert response.status_code == 400, response.json()
    assert field in str(response.json())
    assert stored() == (0, 0)


def test_a_file_that_is_not_a_picture_is_refused(world):
    fake = SimpleUploadedFile("seen.jpg", b"%PDF-1.4 not a picture", "image/jpeg")

    response = report(key_client(world.tokens["agency_a"]), world.twin, url="", screenshot=fake)

    assert response.status_code == 400
    assert "screenshot" in str(response.json())
    assert stored() == (0, 0)


def test_the_same_idempotency_key_reports_once(world):
    client = key_client(world.tokens["agency_a"])
    headers = {"Idempotency-Key": "crawler-run-7-item-3"}

    first = report(client, world.twin, headers=headers)
    again = report(client, world.twin, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert stored() == (1, 1)


@pytest.mark.parametrize("caller", ["agency_b", "brand_a"])
def test_another_agency_or_a_brand_finds_nothing_and_changes_nothing(world, caller):
    sighting = report(key_client(world.tokens["agency_a"]), world.twin).json()
    client = key_client(world.tokens[caller])
    before = stored()

    assert report(client, world.twin).status_code == 404
    assert client.get(f"{SIGHTINGS}/{sighting['id']}").status_code == 404
    assert client.get(f"{CASES}/{sighting['case']}").status_code == 404
    assert client.get(SIGHTINGS).json()["results"] == []
    assert client.get(CASES).json()["results"] == []
    assert stored() == before


def test_a_key_without_the_protection_scopes_is_refused(world):
    token = issue_key(world.members["agency_a_owner"], scopes=["catalogue:read"], name="narrow")
    client = key_client(token)

    assert report(client, world.twin).status_code == 403
    assert client.get(SIGHTINGS).status_code == 403
    assert client.get(CASES).status_code == 403
    assert stored() == (0, 0)


def test_a_sighting_seen_yesterday_is_accepted_and_tomorrow_refused(world):
    client = key_client(world.tokens["agency_a"])
    today = timezone.localdate()

    assert report(client, world.twin, seen_on=str(today - timedelta(days=1))).status_code == 201
    assert report(client, world.twin, seen_on=str(today + timedelta(days=1))).status_code == 400


def test_listing_cases_costs_the_same_for_3_and_8(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = key_client(world.tokens["agency_a"])
    counts = []
    for batch in (3, 5):
        for i in range(batch):
            report(client, world.twin, url=f"https://shop.example/{batch}/{i}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CASES).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
