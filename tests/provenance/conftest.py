from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter

from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.payments.services import usage
from marketplace.provenance import services
from marketplace.provenance.models import CredentialedImage
from marketplace.talent.demo_images import studio_portrait
from tests.caching import clear_own_keys
from tests.flows import consented_licence


@pytest.fixture(autouse=True)
def _c2pa_key_dir(settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One platform CA and signing certificate per test session, never var/keys."""
    folder = tmp_path_factory.getbasetemp() / "c2pa-keys"
    settings.SIGNING_KEY_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def _fresh_rate_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with the public check's per-address count at zero, its one-minute
    window held in the middle of a minute (a test's checks never straddle two windows)."""
    from marketplace.provenance import ratelimit

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 60.0 * 1_000_000 + 30))
    clear_own_keys()
    yield
    clear_own_keys()


def make_active(*, brand_manager, agency_manager, twin, **terms) -> Licence:
    """A licence the parties signed and the brand paid, its window begun five days ago.
    (Contract signing and payment are other apps' business; here they are a given.)"""
    licence = consented_licence(
        brand_member=brand_manager, agency_member=agency_manager, twin=twin, **terms
    )
    assert licence.terms_id is not None
    LicenceTerms.objects.filter(pk=licence.terms_id).update(
        start_date=timezone.localdate() - timedelta(days=5)
    )
    Licence.objects.filter(pk=licence.pk).update(
        status=Licence.Status.ACTIVE, activated_at=timezone.now()
    )
    licence.refresh_from_db()
    return licence


@pytest.fixture
def active(brand_manager, agency_manager, twin) -> Licence:
    return make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)


def scene(seed: int, size: tuple[int, int] = (640, 480), fmt: str = "JPEG") -> bytes:
    """A picture unlike any other seed's: shapes and colours at random, blurred like a photo.
    (The demo portraits share one composition, so their fingerprints are near each other's.)"""
    rng = random.Random(seed)
    width, height = size
    picture = Image.new("RGB", size, tuple(rng.randint(0, 255) for _ in range(3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(40):
        x0, y0 = rng.randint(-width // 4, width), rng.randint(-height // 4, height)
        x1 = x0 + rng.randint(width // 10, width // 2)
        y1 = y0 + rng.randint(height // 10, height // 2)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x0, y0, x1, y1], fill=colour)
    out = io.BytesIO()
    picture.filter(ImageFilter.GaussianBlur(2)).save(out, fmt, quality=92)
    return out.getvalue()


def stripped(data: bytes) -> bytes:
    """What a social network makes of a picture: re-encoded without metadata, resized to
    50 %, JPEG quality 70, cropped by 5 % (of each dimension, around the centre)."""
    with Image.open(io.BytesIO(data)) as source:
        picture = source.convert("RGB")
    width, height = picture.size
    picture = picture.resize((width // 2, height // 2), Image.Resampling.LANCZOS)
    width, height = picture.size
    dx, dy = round(width * 0.025), round(height * 0.025)
    picture = picture.crop((dx, dy, width - dx, height - dy))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=70)
    return out.getvalue()


def report_use(
    licence: Licence,
    by,
    *,
    key: str = "k1",
    seed: int = 11,
    picture: bytes | None = None,
    name: str = "placement.jpg",
    **options: str,
):
    upload = SimpleUploadedFile(
        name,
        picture if picture is not None else studio_portrait(seed, size=(320, 400)),
        content_type="image/jpeg",
    )
    data = usage.UsageInput(
        used_on=licence.current_terms.start_date,
        media_type="social",
        territory="DE",
        asset_reference="ss27/look-04.jpg",
        idempotency_key=key,
        image=upload,
        **options,
    )
    report, _ = usage.record_usage(by=by, reference=licence.reference, data=data)
    return report


@pytest.fixture
def credentialed(active, brand_manager) -> CredentialedImage:
    report = report_use(active, brand_manager)
    image = services.credential_use(use_id=report.pk)
    assert image is not None
    return image
