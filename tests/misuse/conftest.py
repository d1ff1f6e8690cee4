"""Sightings of a twin with a credentialed use: the provenance fixtures (the platform's keys in
a temporary folder, an active licence, a credentialed copy of a reported use), and the people
around it, a competing agency, model and brand included."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from marketplace.accounts.tenancy import Viewer
from marketplace.misuse import services
from marketplace.misuse.models import Sighting
from marketplace.provenance.models import CredentialedImage
from marketplace.talent.demo_images import studio_portrait
from tests.factories import MembershipFactory, TalentFactory, TwinFactory, UserFactory
from tests.provenance.conftest import (  # noqa: F401  (fixtures)
    _c2pa_key_dir,
    _fresh_rate_limit,
    active,
    credentialed,
)


def signed_bytes(image: CredentialedImage) -> bytes:
    with image.file.open("rb") as handle:
        return handle.read()


def upload(data: bytes, name: str = "seen.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def unrelated_picture() -> bytes:
    return studio_portrait(97, size=(320, 400))


def png_bomb() -> bytes:
    """20,000 × 20,000 of one colour: a few hundred KB on disk, 400 MB once decoded."""
    out = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def model_viewer(talent) -> Viewer:
    viewer = Viewer(user=talent.user, membership=None)
    viewer.__dict__["talent"] = talent
    return viewer


def member_viewer(membership) -> Viewer:
    viewer = Viewer(user=membership.user, membership=membership, memberships=[membership])
    viewer.__dict__["talent"] = None
    return viewer


def sighting_input(twin, **overrides) -> services.SightingInput:
    values: dict = {
        "twin_id": twin.pk,
        "seen_on": timezone.localdate(),
        "territory": "DE",
        "media_type": "social",
        "url": "",
        "screenshot": None,
    }
    values.update(overrides)
    return services.SightingInput(**values)


def report(viewer, twin, **overrides) -> Sighting:
    return services.report_sighting(viewer=viewer, data=sighting_input(twin, **overrides))


@pytest.fixture
def other_agency_manager(other_agency):
    return MembershipFactory(organisation=other_agency, role="manager")


@pytest.fixture
def other_talent(other_agency):
    return TalentFactory(agency=other_agency, user=UserFactory())


@pytest.fixture
def other_twin(other_talent):
    return TwinFactory(talent=other_talent)


@pytest.fixture
def agency_member(agency):
    return MembershipFactory(organisation=agency, role="member")


@pytest.fixture
def other_brand_manager(other_brand):
    return MembershipFactory(organisation=other_brand, role="manager")


def today() -> date:
    return timezone.localdate()
