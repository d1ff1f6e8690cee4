"""A use reported without its picture: the brand adds the final asset on the use's page, and
gets its credentialed and labelled copies; once only, by the brand only, pictures only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.core.models import AuditEvent
from marketplace.payments.models import UsageReport
from marketplace.payments.services import usage
from marketplace.provenance.models import CredentialedImage
from tests.factories import MembershipFactory
from tests.provenance.conftest import scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare_use(active, brand_manager) -> UsageReport:
    """A use reported without a picture."""
    data = usage.UsageInput(
        used_on=active.current_terms.start_date,
        media_type="social",
        territory="DE",
        asset_reference="ss27/look-07.jpg",
        idempotency_key="bare",
    )
    report, _ = usage.record_usage(by=brand_manager, reference=active.reference, data=data)
    assert not report.image
    return report


def upload(data: bytes, name: str = "final.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def post(client, use: UsageReport, data: bytes, **fields: str):
    form = {
        "image": upload(data),
        "source_type": "compositeWithTrainedAlgorithmicMedia",
        "label_language": "de",
        "label_position": "top-left",
        **fields,
    }
    return client.post(f"/uses/{use.pk}/picture/", form, follow=True)


def state(use: UsageReport) -> tuple:
    use.refresh_from_db()
    return use.image.name, CredentialedImage.objects.filter(use=use).count()


def test_the_brand_adds_the_final_picture_and_receives_its_copies(
    bare_use, brand_manager, login, django_capture_on_commit_callbacks
):
    client = login(brand_manager.user)
    page = client.get(f"/uses/{bare_use.pk}/credentials/").content.decode()
    assert "Add the final picture" in page

    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, bare_use, scene(41))

    assert "Picture added. Its credentialed copies are being made." in answer.content.decode()
    image = CredentialedImage.objects.get(use=bare_use)
    assert (image.source_type, image.label_language, image.label_position) == (
        "compositeWithTrainedAlgorithmicMedia",
        "de",
        "top-left",
    )
    bare_use.refresh_from_db()
    assert bare_use.image.name.startswith("usage/")
    page = client.get(f"/uses/{bare_use.pk}/credentials/").content.decode()
    assert f'href="/credentialed/{image.pk}/labelled/"' in page
    assert "Add the final picture" not in page
    assert AuditEvent.objects.filter(
        verb="licence.final_asset_attached", data__usage_id=bare_use.pk
    ).exists()


def test_a_use_keeps_its_first_picture(bare_use, brand_manager, login):
    client = login(brand_manager.user)
    post(client, bare_use, scene(41))
    before = state(bare_use)

    answer = post(client, bare_use, scene(42))

    assert "This use has its picture already" in answer.content.decode()
    assert state(bare_use) == before


def test_what_is_no_picture_or_no_choice_is_refused_with_the_reason(bare_use, brand_manager, login):
    client = login(brand_manager.user)
    before = state(bare_use)

    not_a_picture = post(client, bare_use, b"%PDF-1.4 not a picture")
    unknown_language = post(client, bare_use, scene(41), label_language="xx")

    assert "The file is not a readable image" in not_a_picture.content.decode()
    assert "AI label language: Select a valid choice." in unknown_language.content.decode()
    assert state(bare_use) == before


def test_only_the_brand_s_reporting_members_may_add_it(
    bare_use, login, agency_manager, talent, brand, other_brand
):
    before = state(bare_use)
    rival = MembershipFactory(organisation=other_brand, role="owner")
    finance = MembershipFactory(organisation=brand, role="finance")

    for user in (rival.user, agency_manager.user, talent.user):
        client = login(user)
        assert (
            client.post(f"/uses/{bare_use.pk}/picture/", {"image": upload(scene(41))}).status_code
            == 404
        )
        assert (
            "Add the final picture"
            not in client.get(f"/uses/{bare_use.pk}/credentials/").content.decode()
        )
    client = login(finance.user)
    assert (
        "Add the final picture"
        not in client.get(f"/uses/{bare_use.pk}/credentials/").content.decode()
    )
    answer = client.post(
        f"/uses/{bare_use.pk}/picture/",
        {
            "image": upload(scene(41)),
            "source_type": "trainedAlgorithmicMedia",
            "label_language": "en",
            "label_position": "bottom-right",
        },
    )
    assert answer.status_code == 403
    assert state(bare_use) == before
