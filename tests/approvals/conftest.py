from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import Twin
from tests.caching import clear_own_keys
from tests.flows import consented_licence


@pytest.fixture(autouse=True)
def _c2pa_key_dir(settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One platform signing certificate per test session, never the project's key folder."""
    folder = tmp_path_factory.getbasetemp() / "c2pa-keys"
    settings.SIGNING_KEY_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_own_keys()
    yield
    clear_own_keys()


def require_approval(twin: Twin, *, hours: int = 72, agency_may_answer: bool = False) -> Twin:
    Twin.objects.filter(pk=twin.pk).update(
        image_approval=True, approval_hours=hours, agency_may_answer=agency_may_answer
    )
    twin.refresh_from_db()
    return twin


def make_active(*, brand_manager, agency_manager, twin, **terms) -> Licence:
    """Consented, then (contract and payment being other apps' business) active, its window
    begun five days ago."""
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
def approval_licence(brand_manager, agency_manager, twin) -> Licence:
    """An active licence whose terms say every image needs the model's approval."""
    require_approval(twin)
    return make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)


def picture(seed: int = 11, name: str = "look.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, studio_portrait(seed, size=(320, 400)), content_type="image/jpeg"
    )
