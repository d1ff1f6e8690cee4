"""Anyone can check a picture: /verify reads its manifest against the platform's CA and
answers in plain words, never with a 500 and never with anything confidential."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from marketplace.licensing import services as licensing
from marketplace.provenance import credentials
from marketplace.provenance.models import CredentialedImage
from marketplace.provenance.selectors import Outcome, verify_image
from marketplace.talent.demo_images import studio_portrait
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

CTX = licensing.RequestContext(ip_address="203.0.113.9", user_agent="pytest")


def signed_bytes(image: CredentialedImage) -> bytes:
    with image.file.open("rb") as handle:
        return handle.read()


def upload(client: Client, data: bytes, name: str = "found.jpg"):
    return client.post("/verify/", {"image": SimpleUploadedFile(name, data)})


def test_an_intact_credentialed_copy_is_licensed_and_in_licence_today(credentialed):
    verdict = verify_image(signed_bytes(credentialed))

    assert verdict.outcome == Outcome.LICENSED
    assert verdict.twin_name == credentialed.use.licence.twin.display_name
    assert verdict.licence_standing == "active"
    assert verdict.standing_date == credentialed.use.licence.effective_end
    assert verdict.in_licence_today
    assert not verdict.changed


def test_one_byte_changed_in_the_picture_is_reported_as_changed(credentialed):
    data = bytearray(signed_bytes(credentialed))
    data[-100] ^= 0x01  # inside the picture's data, after the manifest

    verdict = verify_image(bytes(data))

    assert verdict.outcome == Outcome.CHANGED
    assert verdict.changed
    assert "changed after it was signed" in verdict.headline


def test_a_byte_changed_inside_the_manifest_is_not_taken_for_a_licence(credentialed):
    data = bytearray(signed_bytes(credentialed))
    data[300] ^= 0x01  # inside the manifest store (JUMBF) at the head of the file

    verdict = verify_image(bytes(data))

    assert verdict.outcome == Outcome.DAMAGED
    assert not verdict.licensed


def test_a_picture_without_credentials_says_so(db):
    verdict = verify_image(studio_portrait(3, size=(120, 150)))

    assert verdict.outcome == Outcome.NO_CREDENTIALS
    assert not verdict.licensed


def test_a_manifest_signed_by_someone_else_is_not_licensed(credentialed, settings, tmp_path):
    theirs_manifest = credentials.manifest_definition(
        title="copy.jpg",
        training_forbidden=True,
        licence_assertion={"licence": credentialed.use.licence.reference, "use": "1"},
    )
    ours = settings.SIGNING_KEY_DIR
    settings.SIGNING_KEY_DIR = tmp_path / "someone-elses-ca"
    forged, _ = credentials.sign(
        studio_portrait(5, size=(120, 150)), mime_type="image/jpeg", manifest=theirs_manifest
    )
    settings.SIGNING_KEY_DIR = ours

    verdict = verify_image(forged)

    assert verdict.outcome == Outcome.NOT_LICENSED
    assert verdict.headline == "Not licensed through Likeness."


def test_after_revocation_the_verify_page_says_revoked(credentialed, client, talent):
    licence = credentialed.use.licence
    licensing.revoke_twin_consent(
        talent=talent, user=talent.user, twin_id=licence.twin_id, reason="", context=CTX
    )

    response = upload(client, signed_bytes(credentialed))
    by_url = client.get(f"/verify/{credentialed.verify_token}/")

    assert response.status_code == 200
    assert b"revoked her consent" in response.content
    assert b"revoked her consent" in by_url.content
    assert verify_image(signed_bytes(credentialed)).licence_standing == "ending"
    # Once its notice has run, the licence ends as revoked.
    licensing.expire_licences(today=licence.current_terms.end_date.replace(year=2099))
    after = verify_image(signed_bytes(credentialed))
    assert after.licence_standing == "revoked"
    assert not after.in_licence_today
    assert b"The use is no longer licensed" in upload(client, signed_bytes(credentialed)).content


def test_an_anonymous_visitor_verifies_a_picture_and_sees_nothing_confidential(
    credentialed, client, talent
):
    response = upload(client, signed_bytes(credentialed))

    assert response.status_code == 200
    page = response.content.decode()
    licence = credentialed.use.licence
    assert "Licensed through Likeness" in page
    assert licence.twin.display_name in page
    assert "inside its licence today" in page
    for secret in [
        str(credentialed.use.fee),
        str(licence.current_terms.total_fee),
        licence.brand.name,
        talent.full_name,
        talent.email,
        licence.current_terms.intended_use,
    ]:
        assert secret not in page, secret
    assert '<meta name="viewport"' in page


def test_the_verify_page_opens_without_signing_in(client):
    response = client.get("/verify/")

    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content


def test_a_use_verify_url_answers_and_an_unknown_one_is_404(credentialed, client):
    assert client.get(f"/verify/{credentialed.verify_token}/").status_code == 200
    assert client.get("/verify/not-a-token-we-issued/").status_code == 404


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.4 not a picture", "report.pdf"),
        (b"", "empty.jpg"),
        (b"\xff\xd8\xff\xe0 truncated jpeg", "broken.jpg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg"),
    ],
)
def test_a_file_that_is_no_picture_gets_a_clear_answer_not_a_500(client, db, data, name):
    response = upload(client, data, name)

    assert response.status_code == 400
    assert b"not an image we can check" in response.content or b"empty" in response.content


def test_a_decompression_bomb_is_refused_unread(client, db, settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    out = io.BytesIO()
    Image.new("L", (4000, 4000)).save(out, "PNG")

    response = upload(client, out.getvalue(), "bomb.png")

    assert response.status_code == 400
    assert "4000×4000 pixels".encode() in response.content


def test_a_post_without_a_file_is_a_400(client, db):
    assert client.post("/verify/", {}).status_code == 400


def test_the_credentialed_copy_downloads_for_the_licence_parties_only(
    credentialed, login, brand_manager, agency_manager, talent, other_brand
):
    url = f"/credentialed/{credentialed.pk}/"
    data = signed_bytes(credentialed)

    for user in (brand_manager.user, agency_manager.user, talent.user):
        response = login(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == data
        assert response["Cache-Control"] == "private, no-store"
    rival = MembershipFactory(organisation=other_brand, role="manager")
    assert login(rival.user).get(url).status_code == 404
    assert login(rival.user).get(f"/credentialed/{credentialed.pk + 1}/").status_code == 404


def test_an_anonymous_visitor_cannot_download_a_credentialed_copy(credentialed, client):
    assert client.get(f"/credentialed/{credentialed.pk}/").status_code == 404


def test_checks_are_rate_limited_per_address(client, db, settings):
    settings.VERIFY_CHECKS_PER_MINUTE = 2
    picture = studio_portrait(3, size=(60, 80))

    answers = [upload(client, picture).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert b"Too many checks" in upload(client, picture).content
    # Another address is not held back.
    other = client.post(
        "/verify/",
        {"image": SimpleUploadedFile("x.jpg", picture)},
        REMOTE_ADDR="198.51.100.20",
    )
    assert other.status_code == 200
