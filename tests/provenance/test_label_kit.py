"""The EU AI Act label kit and the IPTC/XMP fields: a second, labelled copy signed after its
last re-encode; the fields tools without C2PA read; and the brand's choices carried through
the web form and the API into both copies."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageStat
from rest_framework.test import APIClient

from marketplace.payments.models import UsageReport
from marketplace.provenance import services, xmp
from marketplace.provenance.models import CredentialedImage
from marketplace.provenance.options import LABELS
from tests.api.conftest import issue_key, key_client
from tests.factories import MembershipFactory
from tests.provenance.conftest import report_use, scene
from tests.provenance.test_credentials import read_back

pytestmark = pytest.mark.django_db

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def labelled_bytes(image: CredentialedImage) -> bytes:
    with image.labelled_file.open("rb") as handle:
        return handle.read()


def credentialed_bytes(image: CredentialedImage) -> bytes:
    with image.file.open("rb") as handle:
        return handle.read()


def corner_brightness(data: bytes, corner: str) -> float:
    with Image.open(io.BytesIO(data)) as picture:
        grey = picture.convert("L")
        w, h = grey.size
        boxes = {
            "top-left": (0, 0, w // 4, h // 12),
            "bottom-right": (w - w // 4, h - h // 12, w, h),
        }
        return ImageStat.Stat(grey.crop(boxes[corner])).mean[0]


def api_client(member, scopes: list[str]) -> APIClient:
    """A client with an API key of `member`'s organisation (issued by an owner)."""
    owner = MembershipFactory(organisation=member.organisation, role="owner")
    return key_client(issue_key(owner, scopes))


def credential(licence, by, **options) -> CredentialedImage:
    report = report_use(licence, by, picture=scene(4), **options)
    image = services.credential_use(use_id=report.pk, **options)
    assert image is not None
    return image


def test_the_labelled_copy_is_signed_after_the_label_is_drawn(active, brand_manager):
    image = credential(active, brand_manager)
    data = labelled_bytes(image)

    with read_back(data) as reader:
        state = reader.get_validation_state()
        manifest = reader.get_active_manifest()
    assert state == "Trusted"
    assert manifest["label"] == image.labelled_manifest_label != image.manifest_label
    actions = next(a for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")
    assert [a["action"] for a in actions["data"]["actions"]] == ["c2pa.created", "c2pa.edited"]
    assert LABELS["en"] in actions["data"]["actions"][1]["description"]
    licence = next(a for a in manifest["assertions"] if a["label"] == "com.likeness.licence")
    assert licence["data"]["verify_url"].endswith(f"/verify/{image.verify_token}/")
    # The label is drawn where asked (bottom right, a dark plate) and nowhere else.
    original = credentialed_bytes(image)
    assert corner_brightness(data, "bottom-right") < corner_brightness(original, "bottom-right")
    assert abs(corner_brightness(data, "top-left") - corner_brightness(original, "top-left")) < 3


def test_the_brand_chooses_the_label_s_language_and_corner(active, brand_manager):
    image = credential(active, brand_manager, label_language="de", label_position="top-left")
    data = labelled_bytes(image)

    with read_back(data) as reader:
        manifest = reader.get_active_manifest()
    actions = next(a for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")
    assert (
        "KI-generiert · digitaler Zwilling, lizenziert"
        in (actions["data"]["actions"][1]["description"])
    )
    original = credentialed_bytes(image)
    assert corner_brightness(data, "top-left") < corner_brightness(original, "top-left")
    assert image.disclosure.startswith("Dieses Bild wurde mit künstlicher Intelligenz erzeugt.")
    assert active.reference in image.disclosure
    assert image.verify_token in image.disclosure


@pytest.mark.parametrize("copy", ["credentialed", "labelled"])
def test_both_copies_carry_the_iptc_fields_for_tools_without_c2pa(active, brand_manager, copy):
    image = credential(active, brand_manager)
    data = credentialed_bytes(image) if copy == "credentialed" else labelled_bytes(image)

    fields = xmp.read_fields(data)

    assert f"<Iptc4xmpExt:DigitalSourceType>{IPTC}trainedAlgorithmicMedia<" in fields
    assert f"<plus:LicenseID>{active.reference}</plus:LicenseID>" in fields
    assert f"<plus:LicensorURL>http://127.0.0.1:8000/verify/{image.verify_token}/<" in fields
    assert "DMI-PROHIBITED<" in fields  # the licence forbids AI training
    # The fields are inside what was signed: the copy still validates.
    with read_back(data) as reader:
        assert reader.get_validation_state() == "Trusted"


def test_a_retouched_photograph_says_so_in_the_manifest_and_the_xmp(active, brand_manager):
    image = credential(active, brand_manager, source_type="compositeWithTrainedAlgorithmicMedia")

    for data in (credentialed_bytes(image), labelled_bytes(image)):
        with read_back(data) as reader:
            manifest = reader.get_active_manifest()
        actions = next(a for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")
        created = actions["data"]["actions"][0]
        assert created["action"] == "c2pa.created"
        assert created["digitalSourceType"] == f"{IPTC}compositeWithTrainedAlgorithmicMedia"
        assert f"{IPTC}compositeWithTrainedAlgorithmicMedia<" in xmp.read_fields(data)
    assert image.disclosure.startswith("This photograph was retouched")


def test_a_png_picture_gets_both_copies_with_its_fields(active, brand_manager):
    report = report_use(
        active, brand_manager, picture=scene(8, fmt="PNG"), name="placement.png", key="png"
    )
    image = services.credential_use(use_id=report.pk)
    assert image is not None

    for data in (credentialed_bytes(image), labelled_bytes(image)):
        assert data.startswith(b"\x89PNG")
        assert active.reference in xmp.read_fields(data)
        with read_back(data) as reader:
            assert reader.get_validation_state() == "Trusted"


def test_the_api_takes_the_choices_and_refuses_an_unknown_one(
    active, brand_manager, django_capture_on_commit_callbacks
):
    client = api_client(brand_manager, ["usage:write", "licences:read"])
    url = f"/api/v1/licences/{active.reference}/uses"
    fields = {
        "used_on": active.current_terms.start_date.isoformat(),
        "media_type": "social",
        "territory": "DE",
        "asset_reference": "ss27/look-04.jpg",
    }

    refused = client.post(
        url,
        {
            **fields,
            "idempotency_key": "bad",
            "label_language": "nl",
            "image": SimpleUploadedFile("p.jpg", scene(5)),
        },
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "label_language"
    assert UsageReport.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            url,
            {
                **fields,
                "idempotency_key": "good",
                "label_language": "it",
                "label_position": "bottom-left",
                "source_type": "compositeWithTrainedAlgorithmicMedia",
                "image": SimpleUploadedFile("p.jpg", scene(5)),
            },
            format="multipart",
        )
    assert created.status_code == 201, created.content
    # The answer was written before the worker ran: the copies were still being made.
    assert created.json()["credentials"]["state"] == "pending"
    assert created.json()["credentials"]["credentialed_url"] is None

    listed = client.get(url).json()["results"][0]["credentials"]
    image = CredentialedImage.objects.get()
    assert listed == {
        "state": "ready",
        "credentialed_url": f"http://testserver/credentialed/{image.pk}/",
        "labelled_url": f"http://testserver/credentialed/{image.pk}/labelled/",
        "verify_url": f"http://testserver/verify/{image.verify_token}/",
        "disclosure": image.disclosure,
        "source_type": "compositeWithTrainedAlgorithmicMedia",
        "label_language": "it",
        "label_position": "bottom-left",
    }
    assert image.disclosure.startswith("Questa fotografia è stata ritoccata")
    download = client.get(listed["labelled_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == labelled_bytes(image)


def test_the_web_form_passes_the_choices_to_the_worker(
    active, brand_manager, login, django_capture_on_commit_callbacks
):
    client = login(brand_manager.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/licences/{active.reference}/uses/",
            {
                "used_on": active.current_terms.start_date.isoformat(),
                "media_type": "social",
                "territory": "DE",
                "asset_reference": "look-9.jpg",
                "idempotency_key": "web-1",
                "source_type": "compositeWithTrainedAlgorithmicMedia",
                "label_language": "es",
                "label_position": "top-right",
                "image": SimpleUploadedFile("look.jpg", scene(6)),
            },
        )

    assert response.status_code == 302
    image = CredentialedImage.objects.get()
    assert (image.source_type, image.label_language, image.label_position) == (
        "compositeWithTrainedAlgorithmicMedia",
        "es",
        "top-right",
    )
    assert image.disclosure.startswith("Esta fotografía se ha retocado")


def test_the_labelled_copy_downloads_for_the_licence_parties_only(
    active, brand_manager, agency_manager, talent, other_brand, login, client
):
    image = credential(active, brand_manager)
    url = f"/credentialed/{image.pk}/labelled/"

    for user in (brand_manager.user, agency_manager.user, talent.user):
        response = login(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == labelled_bytes(image)
        assert response["Content-Disposition"].endswith(
            f'filename="{active.reference}-use-{image.use_id}-labelled.jpg"'
        )
    rival = MembershipFactory(organisation=other_brand, role="manager")
    assert login(rival.user).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


def test_the_reporter_is_told_when_the_copies_are_ready(active, brand_manager):
    from marketplace.core.models import Notification

    image = credential(active, brand_manager)

    note = Notification.objects.get(user=brand_manager.user, url__contains="/credentials/")
    assert note.url == f"/uses/{image.use_id}/credentials/"
    assert "ready" in note.title


def test_the_api_key_of_another_brand_cannot_download_a_copy(active, brand_manager, other_brand):
    image = credential(active, brand_manager)
    rival = MembershipFactory(organisation=other_brand, role="manager")
    theirs = api_client(rival, ["licences:read"])
    ours = api_client(brand_manager, ["licences:read"])

    assert theirs.get(f"/credentialed/{image.pk}/labelled/").status_code == 404
    assert theirs.get(f"/credentialed/{image.pk}/").status_code == 404
    assert ours.get(f"/credentialed/{image.pk}/labelled/").status_code == 200
    assert APIClient().get(f"/credentialed/{image.pk}/").status_code == 404
