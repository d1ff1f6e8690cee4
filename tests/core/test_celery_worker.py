"""Tasks round-trip through a real `celery worker` process over Redis."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.core.tasks import ping_task
from marketplace.talent import services
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import TwinImage

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_ping_round_trips_through_the_worker(real_worker):
    result = ping_task.delay("hello")

    assert result.get(timeout=20) == "pong:hello"


def test_uploaded_image_is_processed_by_the_worker(real_worker, agency_manager, talent):
    from tests.factories import TwinFactory

    twin = TwinFactory(talent=talent)
    upload = SimpleUploadedFile("p.jpg", studio_portrait(7, size=(400, 500)), "image/jpeg")

    image = services.add_twin_image(by=agency_manager, twin_id=twin.pk, upload=upload)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        image.refresh_from_db()
        if image.status != TwinImage.Status.PROCESSING:
            break
        time.sleep(0.2)
    assert image.status == TwinImage.Status.READY
    assert image.thumbnail.name.endswith(".jpg")
    twin.refresh_from_db()
    assert twin.cover_id == image.pk
