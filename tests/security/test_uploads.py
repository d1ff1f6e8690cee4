"""Uploads: polyglots lose their payload, SVG and bombs are refused, media is served inert."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.core.errors import ValidationFailed
from marketplace.talent import images, services
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import TwinImage
from tests.factories import TwinFactory

pytestmark = pytest.mark.django_db

HTML_PAYLOAD = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="400" height="500">'
    b'<script>alert(1)</script><rect width="400" height="500"/></svg>'
)


def jpeg_with_html_appended() -> bytes:
    """A valid JPEG that is also an HTML page to a browser that sniffs past the image."""
    return studio_portrait(21, size=(400, 500)) + HTML_PAYLOAD


def gifar_style_jpeg() -> bytes:
    """A valid JPEG with a ZIP archive (a JAR in the GIFAR attack) appended to it."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: Evil\n")
        zf.writestr("Evil.class", b"\xca\xfe\xba\xbe" + b"\x00" * 64)
    return studio_portrait(22, size=(400, 500)) + archive.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def draft_twin(talent):
    return TwinFactory(talent=talent, status="draft")


@pytest.mark.parametrize(
    ("data", "payload"),
    [(jpeg_with_html_appended(), b"<script>"), (gifar_style_jpeg(), b"PK\x03\x04")],
    ids=["jpeg+html", "jpeg+zip"],
)
def test_a_polyglot_is_stored_re_encoded_without_its_payload(
    agency_manager, draft_twin, django_capture_on_commit_callbacks, data, payload
):
    # given a file that passes as a picture (it decodes) but carries something else
    assert payload in data
    assert images.check_upload(upload(data)).format == "JPEG"

    with django_capture_on_commit_callbacks(execute=True):
        image = services.add_twin_image(
            by=agency_manager, twin_id=draft_twin.pk, upload=upload(data)
        )

    # then what is kept, and served, is a fresh encoding of the pixels alone
    raw_name = image.image.name  # as stored by the request, before the worker ran
    image.refresh_from_db()
    assert image.image.name != raw_name
    assert image.status == TwinImage.Status.READY
    stored = image.image.read()
    assert payload not in stored
    assert stored.endswith(b"\xff\xd9")  # ends where the JPEG ends
    assert not zipfile.is_zipfile(io.BytesIO(stored))
    assert image.image.name.endswith(".jpg")
    assert Image.open(io.BytesIO(stored)).size == (400, 500)
    # and the raw upload is gone from the storage
    assert not image.image.storage.exists(raw_name)


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (SVG, "vector.svg", "image/svg+xml"),
        (SVG, "renamed.png", "image/png"),
        (HTML_PAYLOAD * 40, "page.jpg", "image/jpeg"),
    ],
    ids=["svg", "svg-renamed-png", "html-renamed-jpg"],
)
def test_svg_and_markup_are_refused_whatever_they_are_called(
    agency_manager, draft_twin, data, name, content_type
):
    with pytest.raises(ValidationFailed, match="not a readable image"):
        services.add_twin_image(
            by=agency_manager, twin_id=draft_twin.pk, upload=upload(data, name, content_type)
        )
    assert TwinImage.objects.count() == 0


def test_a_compressed_bomb_is_refused_before_its_pixels_are_decoded(agency_manager, draft_twin):
    # 20,000 × 20,000 of one colour: a few hundred KB on disk, 1.2 GB once decoded
    out = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(out, "PNG", optimize=True)
    assert len(out.getvalue()) < 1_000_000

    with pytest.raises(ValidationFailed, match="too many pixels"):
        services.add_twin_image(
            by=agency_manager, twin_id=draft_twin.pk, upload=upload(out.getvalue(), "b.png")
        )


def test_served_media_has_its_content_type_and_nosniff(
    client, agency_manager, draft_twin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = services.add_twin_image(
            by=agency_manager, twin_id=draft_twin.pk, upload=upload(jpeg_with_html_appended())
        )
    image.refresh_from_db()
    client.force_login(agency_manager.user)  # a draft's picture: for its agency only

    response = client.get(image.image.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert HTML_PAYLOAD not in b"".join(response.streaming_content)
