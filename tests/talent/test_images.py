"""Uploads are judged by their content, never their name."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.core.errors import ValidationFailed
from marketplace.talent import services
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import TwinImage
from tests.factories import TwinFactory

pytestmark = pytest.mark.django_db


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims enormous dimensions."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def _jpeg_with_gps_exif() -> bytes:
    img = Image.open(io.BytesIO(studio_portrait(1, size=(400, 500))))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture
def draft_twin(talent):
    return TwinFactory(talent=talent, status="draft")


def test_a_real_jpeg_is_stored_without_metadata_and_gets_a_thumbnail(
    agency_manager, draft_twin, django_capture_on_commit_callbacks
):
    data = _jpeg_with_gps_exif()
    assert b"SecretCamera" in data

    with django_capture_on_commit_callbacks(execute=True):
        image = services.add_twin_image(
            by=agency_manager, twin_id=draft_twin.pk, upload=_upload(data)
        )

    image.refresh_from_db()
    assert image.status == TwinImage.Status.READY
    with image.image.open("rb") as fh:
        stored = fh.read()
    assert b"SecretCamera" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()
    thumb = Image.open(image.thumbnail.path)
    assert thumb.size == (480, 600)
    assert (image.width, image.height) == (400, 500)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"this is plain text, not a picture\n" * 20, "photo.jpg", "not a readable image"),
        (studio_portrait(3, size=(400, 500))[:2000], "cut.jpg", "not a readable image"),
        (_png_header_claiming(60_000, 60_000), "huge.png", "too many pixels"),
        (_png_header_claiming(9_000, 9_000), "big.png", "megapixels"),
        (studio_portrait(4, size=(150, 150)), "tiny.jpg", "too small"),
    ],
    ids=["text-renamed-jpg", "truncated", "decompression-bomb", "over-pixel-limit", "too-small"],
)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_is_stored(
    agency_manager, draft_twin, data, name, message
):
    with pytest.raises(ValidationFailed) as exc:
        services.add_twin_image(
            by=agency_manager, twin_id=draft_twin.pk, upload=_upload(data, name)
        )

    assert message in exc.value.message
    assert TwinImage.objects.filter(twin=draft_twin).count() == 0


def test_a_gif_is_refused_even_though_it_is_an_image(agency_manager, draft_twin):
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "red").save(out, "GIF")

    with pytest.raises(ValidationFailed, match="JPEG, PNG or WebP"):
        services.add_twin_image(
            by=agency_manager, twin_id=draft_twin.pk, upload=_upload(out.getvalue(), "x.jpg")
        )


def test_oversized_file_is_refused_before_decoding(agency_manager, draft_twin, settings):
    settings.IMAGE_MAX_BYTES = 1000

    with pytest.raises(ValidationFailed, match="larger than"):
        services.add_twin_image(
            by=agency_manager,
            twin_id=draft_twin.pk,
            upload=_upload(studio_portrait(5, size=(400, 500))),
        )


def test_upload_view_shows_the_error_in_the_form(login, agency_manager, draft_twin):
    client = login(agency_manager.user)

    response = client.post(
        f"/agency/twins/{draft_twin.pk}/images/", {"image": _upload(b"not an image at all" * 10)}
    )

    assert response.status_code == 400
    assert "not a readable image" in response.content.decode()
    assert TwinImage.objects.count() == 0
