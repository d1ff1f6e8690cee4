from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.payments.services import usage
from marketplace.provenance import services
from marketplace.provenance.models import CredentialedImage
from marketplace.talent.demo_images import studio_portrait
from tests.flows import consented_licence


@pytest.fixture(autouse=True)
def _c2pa_key_dir(settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One platform CA and signing certificate per test session, never var/keys."""
    folder = tmp_path_factory.getbasetemp() / "c2pa-keys"
    settings.SIGNING_KEY_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> Iterator[None]:
    """Each test starts with the public check's per-address count at zero."""
    cache.clear()
    yield
    cache.clear()


def make_active(*, brand_manager, agency_manager, twin, **terms) -> Licence:
    """A licence the parties signed and the brand paid, its window begun five days ago.
    (Contract signing and payment are other apps' business; here they are a given.)"""
    licence = consented_licence(
        brand_member=brand_manager, agency_member=agency_manager, twin=twin, **terms
    )
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


def report_use(licence: Licence, by, *, key: str = "k1", seed: int = 11):
    picture = SimpleUploadedFile(
        "placement.jpg", studio_portrait(seed, size=(320, 400)), content_type="image/jpeg"
    )
    data = usage.UsageInput(
        used_on=licence.current_terms.start_date,
        media_type="social",
        territory="DE",
        asset_reference="ss27/look-04.jpg",
        idempotency_key=key,
        image=picture,
    )
    report, _ = usage.record_usage(by=by, reference=licence.reference, data=data)
    return report


@pytest.fixture
def credentialed(active, brand_manager) -> CredentialedImage:
    report = report_use(active, brand_manager)
    image = services.credential_use(use_id=report.pk)
    assert image is not None
    return image
