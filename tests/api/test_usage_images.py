"""A use reported over the API may carry the picture of the placement (multipart/form-data),
checked and re-encoded by `record_usage` exactly as the web form's upload is."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from marketplace.accounts.models import IdempotencyRecord
from marketplace.payments.models import UsageReport
from marketplace.talent.demo_images import studio_portrait
from tests.api import test_usage
from tests.api.conftest import key_client, session_client
from tests.factories import UserFactory
from tests.pages import without_per_response_tokens

licence = test_usage.licence  # the fixture: brand A's active licence, at most 4 uses
use = test_usage.use

pytestmark = pytest.mark.django_db

PAYLOAD = b"<script>alert(document.domain)</script>"


def picture(seed: int = 7, *, fmt: str = "JPEG", name: str = "placement.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, studio_portrait(seed, size=(400, 500), fmt=fmt), content_type="image/jpeg"
    )


def stored_files() -> set[Path]:
    root = Path(storages["media"].path("usage"))
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_a_use_with_a_picture_is_recorded_and_the_picture_is_shown_on_the_use(world, licence):
    client = key_client(world.tokens["brand_a"])
    url = f"/api/v1/licences/{licence.reference}/uses"

    response = client.post(url, {**use(1), "image": picture()}, format="multipart")

    assert response.status_code == 201, response.content
    report = UsageReport.objects.get()
    assert re.fullmatch(r"usage/[0-9a-f]{2}/[0-9a-f]{32}\.jpg", report.image.name)
    assert not (Path(settings.MEDIA_ROOT) / report.image.name).exists()
    with report.image.open("rb") as stored:
        assert Image.open(stored).size == (400, 500)
    assert response.json()["image"] == f"http://testserver{report.image.url}"
    assert response.json()["asset_reference"] == "dam://asset/1"
    # Visible where the use is listed: to the brand's key and to the model it shows.
    listed = client.get(url).json()["results"]
    model = session_client(world.user("talent_a")).get(url).json()["results"]
    assert listed[0]["image"] == model[0]["image"] == response.json()["image"]
    served = client.get(report.image.url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"] == "private, no-store"
    assert served["X-Content-Type-Options"] == "nosniff"


def recorded_picture(world, licence, n: int = 1) -> UsageReport:
    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses",
        {**use(n), "image": picture(n)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return UsageReport.objects.get(pk=response.json()["id"])


ROLES = ("owner", "manager", "finance", "member")
LICENCE_PARTIES = [
    *(f"{org}_{role}" for org in ("brand_a", "agency_a") for role in ROLES),
    "talent_a",
]
OUTSIDERS = [*(f"{org}_{role}" for org in ("brand_b", "agency_b") for role in ROLES), "talent_b"]


def test_the_picture_of_a_use_is_shown_to_the_parties_of_its_licence(world, licence):
    report = recorded_picture(world, licence)

    for who in LICENCE_PARTIES:
        response = session_client(world.user(who)).get(report.image.url)
        assert response.status_code == 200, who
        assert response["Cache-Control"] == "private, no-store", who
    assert session_client(UserFactory(is_staff=True)).get(report.image.url).status_code == 200


def test_the_picture_of_a_use_is_404_to_everyone_else(world, licence):
    report = recorded_picture(world, licence)

    for who in OUTSIDERS:
        assert session_client(world.user(who)).get(report.image.url).status_code == 404, who
    for key in ("brand_b", "agency_b"):
        assert key_client(world.tokens[key]).get(report.image.url).status_code == 404, key
    assert APIClient().get(report.image.url).status_code == 404
    wrong_key = APIClient(HTTP_AUTHORIZATION="Bearer lk_nope_nope")
    assert wrong_key.get(report.image.url).status_code == 404
    assert session_client(UserFactory()).get(report.image.url).status_code == 404


def test_pictures_of_uses_get_unrelated_names(world, licence):
    first, second = recorded_picture(world, licence, 1), recorded_picture(world, licence, 2)

    names = [first.image.name, second.image.name]
    assert names[0] != names[1]
    for name in names:
        assert str(licence.pk) not in Path(name).stem.split("-")
        assert f"use-{licence.pk}" not in name
    keys = [int(Path(name).stem, 16) for name in names]
    assert abs(keys[0] - keys[1]) > 2**64  # not a sequence


def test_the_picture_is_kept_re_encoded_whatever_rides_along(world, licence):
    client = key_client(world.tokens["brand_a"])
    png = io.BytesIO()
    Image.open(io.BytesIO(studio_portrait(3, size=(400, 500)))).save(png, "PNG")
    upload = SimpleUploadedFile("shot.jpg", png.getvalue() + PAYLOAD, content_type="image/jpeg")

    response = client.post(
        f"/api/v1/licences/{licence.reference}/uses",
        {**use(1), "image": upload},
        format="multipart",
    )

    assert response.status_code == 201
    report = UsageReport.objects.get()
    assert report.image.name.endswith(".png")  # named for what it is, not what it claimed
    with report.image.open("rb") as stored:
        assert PAYLOAD not in stored.read()


def test_a_use_without_a_picture_still_goes_as_a_form(world, licence):
    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses", use(1), format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["image"] is None
    assert not UsageReport.objects.get().image


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("placement.jpg", b"not a picture at all", "image/jpeg"),
        ("placement.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        ("placement.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    ],
)
def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_stored(
    world, licence, name, content, content_type
):
    client = key_client(world.tokens["brand_a"])
    files_before = stored_files()

    response = client.post(
        f"/api/v1/licences/{licence.reference}/uses",
        {**use(1), "image": SimpleUploadedFile(name, content, content_type=content_type)},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "The file is not a readable image (it may be damaged or not a picture).",
            "field": "image",
        }
    }
    assert not UsageReport.objects.exists()
    licence.refresh_from_db()
    assert licence.uses_count == 0
    assert stored_files() == files_before


def test_a_gif_is_refused_by_the_same_rule_as_on_the_web(world, licence):
    gif = io.BytesIO()
    Image.new("RGB", (400, 400), "red").save(gif, "GIF")

    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses",
        {**use(1), "image": SimpleUploadedFile("p.gif", gif.getvalue())},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Upload a JPEG, PNG or WebP image.",
        "field": "image",
    }
    assert not UsageReport.objects.exists()


def test_a_picture_in_a_json_body_is_refused_not_dropped(world, licence):
    response = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{licence.reference}/uses",
        {**use(1), "image": "aGVsbG8="},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["field"] == "image"
    assert not UsageReport.objects.exists()


def test_a_retry_with_the_same_picture_replays_and_another_picture_conflicts(world, licence):
    client = key_client(world.tokens["brand_a"])
    url = f"/api/v1/licences/{licence.reference}/uses"

    first = client.post(
        url, {**use(1), "image": picture(1)}, format="multipart", HTTP_IDEMPOTENCY_KEY="pic-1"
    )
    again = client.post(
        url, {**use(1), "image": picture(1)}, format="multipart", HTTP_IDEMPOTENCY_KEY="pic-1"
    )
    other = client.post(
        url, {**use(1), "image": picture(2)}, format="multipart", HTTP_IDEMPOTENCY_KEY="pic-1"
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"
    assert UsageReport.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_another_brand_cannot_attach_a_picture_to_the_licence(world, licence):
    files_before = stored_files()

    response = key_client(world.tokens["brand_b"]).post(
        f"/api/v1/licences/{licence.reference}/uses",
        {**use(1), "image": picture()},
        format="multipart",
    )

    assert response.status_code == 404
    assert not UsageReport.objects.exists()
    assert stored_files() == files_before


def test_the_schema_documents_the_multipart_upload(db):
    schema = APIClient().get("/api/schema/?format=json").json()

    body = schema["paths"]["/api/v1/licences/{reference}/uses"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json", "multipart/form-data"}
    form = body["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    json_body = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    components = schema["components"]["schemas"]
    assert components[form]["properties"]["image"] == {
        "type": "string",
        "format": "binary",
        "description": components[form]["properties"]["image"]["description"],
    }
    assert "image" not in components[json_body]["properties"]
    report = components["UsageReport"]["properties"]["image"]
    assert report["type"] == "string" and report["nullable"] is True


def test_a_missing_picture_answers_exactly_like_a_foreign_one(world, licence):
    report = recorded_picture(world, licence)
    outsider = session_client(world.user("brand_b_owner"))

    foreign = outsider.get(report.image.url)
    missing = outsider.get(f"/media/usage/{'0' * 2}/{'0' * 32}.jpg")

    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert without_per_response_tokens(foreign.content) == without_per_response_tokens(
        missing.content
    )
