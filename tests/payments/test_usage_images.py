"""A use's picture is stored re-encoded: an appended payload never reaches the media folder."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.core.errors import ValidationFailed
from marketplace.payments.models import UsageReport
from marketplace.payments.services import usage
from marketplace.talent.demo_images import studio_portrait
from tests.payments import test_usage

use = test_usage.use

pytestmark = pytest.mark.django_db

PAYLOAD = b"<script>alert(document.domain)</script>"


def png_with_payload() -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(studio_portrait(31, size=(400, 500)))).save(out, "PNG")
    return out.getvalue() + PAYLOAD


def test_a_use_picture_is_re_encoded_and_named_for_its_format(started, brand_manager):
    image = SimpleUploadedFile("screenshot.jpg", png_with_payload(), content_type="image/jpeg")

    report, created = usage.record_usage(
        by=brand_manager, reference=started.reference, data=use(started, image=image)
    )

    assert created
    stored = report.image.read()
    assert PAYLOAD not in stored
    assert report.image.name.endswith(".png")  # a PNG, whatever its upload name said
    assert Image.open(io.BytesIO(stored)).size == (400, 500)


def test_an_svg_use_picture_is_refused_and_nothing_is_recorded(started, brand_manager):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    image = SimpleUploadedFile("use.svg", svg, content_type="image/svg+xml")

    with pytest.raises(ValidationFailed, match="not a readable image"):
        usage.record_usage(
            by=brand_manager, reference=started.reference, data=use(started, image=image)
        )
    assert UsageReport.objects.count() == 0
