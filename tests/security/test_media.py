"""Uploaded pictures are private files under random names: a bookable twin's pictures are
public, a paused one's are for signed-in users, the others for the twin's agency, its model
and platform staff; everyone else gets 404, as for a missing picture."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.licensing import services as licensing
from marketplace.talent import services
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import TwinImage
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)
from tests.pages import without_per_response_tokens

pytestmark = pytest.mark.django_db

RANDOM_TWIN_PICTURE = re.compile(r"twins/[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|webp)")


@pytest.fixture
def people(agency, talent):
    return {
        "anonymous": None,
        "agency_member": MembershipFactory(organisation=agency, role="member").user,
        "model": talent.user,
        "staff": UserFactory(is_staff=True),
        "other_agency": MembershipFactory(organisation=AgencyFactory(), role="owner").user,
        "brand": MembershipFactory(organisation=BrandFactory(), role="owner").user,
        "other_model": TalentFactory(user=UserFactory()).user,
    }


def urls(image: TwinImage) -> list[str]:
    return [image.image.url, image.thumbnail.url]


def get_as(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def statuses(client, user, image: TwinImage) -> list[int]:
    return [get_as(client, user, url).status_code for url in urls(image)]


@pytest.fixture
def draft(talent):
    return TwinFactory(talent=talent, status="draft", published_at=None, with_image=True)


@pytest.mark.parametrize("who", ["anonymous", "other_agency", "brand", "other_model"])
def test_a_drafts_pictures_are_404_to_everyone_outside_it(client, people, draft, who):
    assert statuses(client, people[who], draft.cover) == [404, 404]


@pytest.mark.parametrize("who", ["agency_member", "model", "staff"])
def test_a_drafts_pictures_are_shown_privately_to_its_agency_its_model_and_staff(
    client, people, draft, who
):
    for url in urls(draft.cover):
        response = get_as(client, people[who], url)

        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_bookable_twins_pictures_are_public_and_cost_one_query(
    client, twin, django_assert_num_queries
):
    with django_assert_num_queries(1):
        response = client.get(twin.cover.image.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["X-Content-Type-Options"] == "nosniff"
    with twin.cover.image.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    assert client.get(twin.cover.thumbnail.url).status_code == 200


def test_once_the_twin_is_paused_its_pictures_are_no_longer_public(
    client, people, agency_manager, twin
):
    assert statuses(client, None, twin.cover) == [200, 200]

    services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="pause")

    assert statuses(client, None, twin.cover) == [404, 404]
    # Still listed (as not taking bookings): signed-in users browsing the catalogue see it.
    response = get_as(client, people["brand"], twin.cover.thumbnail.url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_retired_twins_pictures_are_for_its_parties_only(client, people, agency_manager, twin):
    services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="retire")

    for who in ["anonymous", "brand", "other_agency", "other_model"]:
        assert statuses(client, people[who], twin.cover) == [404, 404], who
    for who in ["agency_member", "model", "staff"]:
        assert statuses(client, people[who], twin.cover) == [200, 200], who


def test_after_the_model_revokes_consent_the_pictures_are_for_its_parties_only(
    client, people, talent, twin
):
    licensing.revoke_twin_consent(
        talent=talent,
        user=talent.user,
        twin_id=twin.pk,
        reason="No longer",
        context=licensing.RequestContext(),
    )

    for who in ["anonymous", "brand", "other_agency"]:
        assert statuses(client, people[who], twin.cover) == [404, 404], who
    assert statuses(client, people["model"], twin.cover) == [200, 200]


def test_picture_names_are_random_and_say_nothing_of_ids(
    agency_manager, twin, django_capture_on_commit_callbacks
):
    # given two uploads to the same twin, one after the other
    with django_capture_on_commit_callbacks(execute=True):
        added = [
            services.add_twin_image(
                by=agency_manager,
                twin_id=twin.pk,
                upload=SimpleUploadedFile("p.jpg", studio_portrait(n, (300, 400)), "image/jpeg"),
            )
            for n in (1, 2)
        ]

    names = []
    for image in added:
        image.refresh_from_db()
        assert image.status == TwinImage.Status.READY
        names += [image.image.name, image.thumbnail.name]
    assert all(RANDOM_TWIN_PICTURE.fullmatch(name) for name in names), names
    assert len(set(names)) == 4
    keys = [int(Path(name).stem, 16) for name in names]
    assert all(abs(a - b) > 2**64 for a in keys for b in keys if a != b)  # not a sequence
    for image in added:
        for name in (image.image.name, image.thumbnail.name):
            assert f"{twin.pk}-{image.pk}" not in name
            assert f"-{image.pk}." not in name


def test_a_raw_upload_is_private_and_never_served(client, agency_manager, twin):
    # given an upload the worker has not processed yet (on_commit never ran)
    image = services.add_twin_image(
        by=agency_manager,
        twin_id=twin.pk,
        upload=SimpleUploadedFile("p.jpg", studio_portrait(3, (300, 400)), "image/jpeg"),
    )

    assert image.status == TwinImage.Status.PROCESSING
    assert RANDOM_TWIN_PICTURE.fullmatch(image.image.name)
    assert storages["media"].exists(image.image.name)
    assert not (Path(settings.MEDIA_ROOT) / image.image.name).exists()
    # not even to its own agency: it still carries whatever the upload carried (EXIF, GPS)
    assert get_as(client, agency_manager.user, image.image.url).status_code == 404


def test_nothing_is_served_from_media_root(client, twin):
    # given a file left in MEDIA_ROOT under an old, guessable name
    old = Path(settings.MEDIA_ROOT) / "twins" / "2026" / "01" / f"twin-{twin.pk}-1.jpg"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(studio_portrait(4, (300, 400)))

    assert client.get(f"/media/twins/2026/01/twin-{twin.pk}-1.jpg").status_code == 404
    assert client.get("/media/anything/else.jpg").status_code == 404


def test_the_migration_moves_served_pictures_to_private_random_names(
    twin, django_capture_on_commit_callbacks
):
    # given a picture as the old code stored it: served from MEDIA_ROOT, named after its ids
    from django.apps import apps

    image = twin.cover
    data = studio_portrait(5, (300, 400))
    old_name = f"twins/2026/01/twin-{twin.pk}-{image.pk}.jpg"
    old = Path(settings.MEDIA_ROOT) / old_name
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(data)
    TwinImage.objects.filter(pk=image.pk).update(image=old_name)
    migration = importlib.import_module(
        "marketplace.talent.migrations.0008_private_random_picture_names"
    )

    with django_capture_on_commit_callbacks(execute=True):
        migration.move_pictures(apps, None)

    image.refresh_from_db()
    assert RANDOM_TWIN_PICTURE.fullmatch(image.image.name)
    with image.image.open("rb") as moved:
        assert moved.read() == data
    assert not old.exists()


def test_a_missing_picture_answers_exactly_like_a_foreign_one(client, people, draft):
    client.force_login(people["brand"])

    foreign = client.get(draft.cover.image.url)
    missing = client.get(f"/media/twins/{'0' * 2}/{'0' * 32}.jpg")

    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert without_per_response_tokens(foreign.content) == without_per_response_tokens(
        missing.content
    )


@pytest.mark.parametrize(
    "url",
    [
        "/media/twins/%00.jpg",
        "/media/usage/ab/%00cd.jpg",
        "/media/twins/../private/contracts/x.pdf",
        "/media/twins/" + "a" * 101,
    ],
)
def test_a_name_no_picture_could_have_is_404_without_a_look_up(client, url):
    assert client.get(url).status_code == 404
