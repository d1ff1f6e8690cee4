"""find_match: a picture is recognised by its manifest, else by its perceptual fingerprint
(a copy stripped by a social network), and nothing else is taken for one of ours."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from marketplace.provenance import credentials, fingerprints, services
from marketplace.provenance.matching import Match, find_match
from marketplace.provenance.models import CredentialedImage, Fingerprint
from marketplace.provenance.selectors import Outcome, verify_image
from marketplace.talent.demo_images import studio_portrait
from tests.provenance.conftest import report_use, scene, stripped

pytestmark = pytest.mark.django_db


def read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


@pytest.fixture
def scenic(active, brand_manager) -> CredentialedImage:
    """A credentialed copy of a 1,200 × 900 picture."""
    report = report_use(active, brand_manager, picture=scene(21, size=(1200, 900)), key="scenic")
    image = services.credential_use(use_id=report.pk)
    assert image is not None
    return image


def test_an_intact_copy_is_found_by_its_manifest(scenic):
    found = find_match(read(scenic.file))

    assert found == Match(image=scenic, copy="credentialed", method="manifest", changed=False)
    assert find_match(read(scenic.labelled_file)) == Match(
        image=scenic, copy="labelled", method="manifest", changed=False
    )


def test_a_stripped_copy_is_still_found_by_its_fingerprint(scenic):
    copy = stripped(read(scenic.file))
    assert credentials.read(copy).error == "C2paManifestNotFound"
    with Image.open(io.BytesIO(copy)) as picture:
        assert picture.size == (570, 428)  # halved, then 5 % cropped

    found = find_match(copy)

    assert found is not None
    assert (found.image, found.method, found.changed) == (scenic, "fingerprint", True)
    assert found.distance is not None
    assert found.distance <= fingerprints.MAX_PHASH_DISTANCE


def test_a_stripped_labelled_copy_is_found_too(scenic):
    found = find_match(stripped(read(scenic.labelled_file)))

    assert found is not None
    assert found.image == scenic
    assert found.method == "fingerprint"


def test_verify_says_a_stripped_copy_matches_a_licensed_picture(scenic, client):
    verdict = verify_image(stripped(read(scenic.file)))

    assert verdict.outcome == Outcome.MATCHED
    assert verdict.licensed and verdict.in_licence_today
    assert verdict.method == "fingerprint"
    assert "matches one licensed through Likeness" in verdict.headline
    page = client.post(
        "/verify/", {"image": SimpleUploadedFile("x.jpg", stripped(read(scenic.file)))}
    )
    assert "no Content Credentials (social networks often remove them)" in page.content.decode()


@pytest.mark.parametrize("seed", [1, 2, 3, 22, 99])
def test_an_unrelated_picture_is_not_found(scenic, seed):
    other = scene(seed, size=(1200, 900))

    assert find_match(other) is None
    assert find_match(stripped(other)) is None
    assert verify_image(other).outcome == Outcome.NO_CREDENTIALS


def test_a_copy_re_signed_by_someone_else_is_found_by_fingerprint(scenic, settings, tmp_path):
    ours = settings.SIGNING_KEY_DIR
    settings.SIGNING_KEY_DIR = tmp_path / "someone-elses-ca"
    manifest = credentials.manifest_definition(
        title="mine.jpg", training_forbidden=False, licence_assertion={"licence": "theirs"}
    )
    resigned, _ = credentials.sign(
        stripped(read(scenic.file)), mime_type="image/jpeg", manifest=manifest
    )
    settings.SIGNING_KEY_DIR = ours

    found = find_match(resigned)

    assert found is not None and found.method == "fingerprint" and found.image == scenic
    # The public page still says the credentials are not ours.
    assert verify_image(resigned).outcome == Outcome.NOT_LICENSED


def test_a_tampered_copy_is_found_and_reported_changed(scenic):
    data = bytearray(read(scenic.file))
    data[-100] ^= 0x01

    found = find_match(bytes(data))

    assert found is not None
    assert (found.image, found.method, found.changed) == (scenic, "manifest", True)
    assert verify_image(bytes(data)).outcome == Outcome.CHANGED


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.4", b"\xff\xd8\xff\xe0 truncated", b'<svg xmlns="http://www.w3.org/2000/svg"/>'],
)
def test_what_is_no_picture_matches_nothing_and_raises_nothing(scenic, data):
    assert find_match(data) is None


def test_a_bomb_matches_nothing_and_is_never_decoded(scenic, settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    out = io.BytesIO()
    Image.new("L", (4000, 4000)).save(out, "PNG")

    assert find_match(out.getvalue()) is None


def test_each_copy_is_fingerprinted_in_four_bands_per_hash(scenic):
    rows = {row.copy: row for row in Fingerprint.objects.filter(image=scenic)}

    assert set(rows) == {"credentialed", "labelled"}
    row = rows["credentialed"]
    phash = fingerprints.to_unsigned(row.phash)
    assert [row.p0, row.p1, row.p2, row.p3] == fingerprints.bands(phash)
    assert phash == fingerprints.hashes_of_bytes(read(scenic.file)).phash


def test_multi_index_look_up_finds_any_hash_within_seven_bits(scenic):
    stored = Fingerprint.objects.get(image=scenic, copy="credentialed")
    phash, dhash = fingerprints.to_unsigned(stored.phash), fingerprints.to_unsigned(stored.dhash)
    rng = random.Random(7)
    for _ in range(50):
        # Seven bits flipped anywhere in each hash: at least one band of each is within one
        # bit of the stored band, so the row is a candidate.
        flips_p = sum(1 << bit for bit in rng.sample(range(64), 7))
        flips_d = sum(1 << bit for bit in rng.sample(range(64), 7))
        hashes = fingerprints.Hashes(phash=phash ^ flips_p, dhash=dhash ^ flips_d)
        found = fingerprints.nearest(hashes)
        assert found is not None and found.image_id == scenic.pk
        assert found.phash_distance == found.dhash_distance == 7
    # Beyond the limits nothing is taken for it, even when a band is shared.
    far = fingerprints.Hashes(phash=phash ^ ((1 << 48) - 1), dhash=dhash)
    assert fingerprints.nearest(far) is None


def test_the_api_verifies_anonymously(scenic, settings):
    client = APIClient()

    intact = client.post("/api/v1/verify", {"image": io.BytesIO(read(scenic.file))})
    changed = client.post("/api/v1/verify", {"image": io.BytesIO(stripped(read(scenic.file)))})
    unrelated = client.post("/api/v1/verify", {"image": io.BytesIO(scene(3))})

    assert intact.status_code == 200
    body = intact.json()
    licence = scenic.use.licence
    assert body == {
        "outcome": "licensed",
        "licensed": True,
        "changed": False,
        "in_licence_today": True,
        "method": "manifest",
        "headline": body["headline"],
        "details": body["details"],
        "twin": licence.twin.display_name,
        "licence": licence.reference,
        "licence_standing": "active",
        "standing_date": licence.effective_end.isoformat(),
        "verify_url": f"http://testserver/verify/{scenic.verify_token}/",
    }
    assert changed.json()["outcome"] == "matched"
    assert changed.json()["method"] == "fingerprint"
    assert unrelated.json()["outcome"] == "no_credentials"
    assert unrelated.json()["licensed"] is False
    for secret in (str(scenic.use.fee), licence.brand.name, licence.talent.full_name):
        assert secret not in intact.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 not a picture", "Upload a JPEG, PNG or WebP picture."),
        (b"", "The submitted file is empty."),
    ],
)
def test_the_api_answers_400_for_what_is_no_picture(db, data, message):
    response = APIClient().post("/api/v1/verify", {"image": io.BytesIO(data)})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "image"
    assert response.json()["error"]["message"] == message


def test_the_api_refuses_a_bomb_and_a_missing_file(db, settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    out = io.BytesIO()
    Image.new("L", (4000, 4000)).save(out, "PNG")

    bomb = APIClient().post("/api/v1/verify", {"image": io.BytesIO(out.getvalue())})
    empty = APIClient().post("/api/v1/verify", {})
    as_json = APIClient().post("/api/v1/verify", {"image": "x"}, format="json")

    assert bomb.status_code == 400
    assert "4000×4000 pixels" in bomb.json()["error"]["message"]
    assert empty.status_code == 400
    assert as_json.status_code == 415


def test_the_api_shares_the_page_s_limit_per_address(db, settings, client):
    settings.VERIFY_CHECKS_PER_MINUTE = 2
    picture = studio_portrait(3, size=(60, 80))
    api = APIClient()

    answers = [
        api.post("/api/v1/verify", {"image": io.BytesIO(picture)}).status_code,
        client.post("/verify/", {"image": SimpleUploadedFile("x.jpg", picture)}).status_code,
        api.post("/api/v1/verify", {"image": io.BytesIO(picture)}).status_code,
    ]

    assert answers == [200, 200, 429]
