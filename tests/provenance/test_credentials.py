"""A use's picture gets a credentialed copy: a C2PA manifest signed with the platform's key,
read back with c2pa.Reader against the platform's CA."""

from __future__ import annotations

import io

import c2pa
import pytest
from PIL import Image

from marketplace.provenance import services
from marketplace.provenance.models import CredentialedImage
from marketplace.provenance.signing import load_c2pa_credentials
from tests.provenance.conftest import make_active, report_use

pytestmark = pytest.mark.django_db


def read_back(data: bytes) -> c2pa.Reader:
    ca = load_c2pa_credentials().ca_pem.decode()
    context = c2pa.Context(
        settings=c2pa.Settings.from_dict(
            {"trust": {"trust_anchors": ca}, "verify": {"verify_trust": True}}
        )
    )
    return c2pa.Reader("image/jpeg", io.BytesIO(data), context=context)


def signed_bytes(image: CredentialedImage) -> bytes:
    with image.file.open("rb") as handle:
        return handle.read()


def test_a_credentialed_copy_validates_against_the_platform_ca(credentialed):
    data = signed_bytes(credentialed)

    with read_back(data) as reader:
        state = reader.get_validation_state()
        manifest = reader.get_active_manifest()
        results = reader.get_validation_results()

    assert state == "Trusted"
    assert manifest["label"] == credentialed.manifest_label
    assert results["activeManifest"]["failure"] == []
    labels = [a["label"] for a in manifest["assertions"]]
    assert labels[-3:] == ["c2pa.actions.v2", "cawg.training-mining", "com.likeness.licence"]
    actions = next(a for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")
    assert actions["data"]["actions"][0]["action"] == "c2pa.created"
    assert actions["data"]["actions"][0]["digitalSourceType"] == (
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    )
    # The picture itself is still the use's picture, at its size.
    assert Image.open(io.BytesIO(data)).size == (320, 400)


def test_the_copy_is_a_private_file_under_a_random_name_with_its_hash(credentialed):
    import hashlib
    import re

    assert re.fullmatch(r"credentialed/[0-9a-f]{2}/[0-9a-f]{32}\.jpg", credentialed.file.name)
    assert credentialed.sha256 == hashlib.sha256(signed_bytes(credentialed)).hexdigest()
    with pytest.raises(ValueError, match="Private files have no URL"):
        credentialed.file.url  # noqa: B018


def test_the_likeness_assertion_holds_opaque_references_only(credentialed, talent):
    with read_back(signed_bytes(credentialed)) as reader:
        store = reader.json()
        manifest = reader.get_active_manifest()
    licence = credentialed.use.licence
    terms = licence.current_terms
    assertion = next(a for a in manifest["assertions"] if a["label"] == "com.likeness.licence")

    assert assertion["data"] == {
        "licence": licence.reference,
        "use": str(credentialed.use_id),
        "terms_sha256": terms.terms_hash,
        "territories": ["DE", "FR"],
        "window_end": licence.effective_end.isoformat(),
        "verify_url": f"http://127.0.0.1:8000/verify/{credentialed.verify_token}/",
    }
    # Nothing in the whole manifest store names a fee or the model.
    fees = {credentialed.use.fee, terms.total_fee}
    fees |= {int(line["per_use_fee"]) for line in terms.quote["lines"]}
    assert all(fee > 0 for fee in fees)
    for secret in [
        *(str(fee) for fee in fees),
        talent.full_name,
        talent.email,
        talent.user.email,
        licence.brand.name,
    ]:
        assert secret not in store, secret


def test_training_and_mining_are_not_allowed_when_the_licence_forbids_ai_training(credentialed):
    assert credentialed.use.licence.current_terms.ai_training_forbidden is True

    with read_back(signed_bytes(credentialed)) as reader:
        manifest = reader.get_active_manifest()

    training = next(a for a in manifest["assertions"] if a["label"] == "cawg.training-mining")
    assert training["data"] == {
        "entries": {
            "cawg.ai_training": {"use": "notAllowed"},
            "cawg.ai_generative_training": {"use": "notAllowed"},
            "cawg.data_mining": {"use": "notAllowed"},
        }
    }


def test_training_is_allowed_when_the_licence_allows_it(brand_manager, agency_manager, twin):
    licence = make_active(
        brand_manager=brand_manager,
        agency_manager=agency_manager,
        twin=twin,
        ai_training_forbidden=False,
    )
    image = services.credential_use(use_id=report_use(licence, brand_manager).pk)
    assert image is not None

    with read_back(signed_bytes(image)) as reader:
        manifest = reader.get_active_manifest()

    training = next(a for a in manifest["assertions"] if a["label"] == "cawg.training-mining")
    assert {entry["use"] for entry in training["data"]["entries"].values()} == {"allowed"}


def test_credentialing_twice_keeps_one_copy(credentialed):
    again = services.credential_use(use_id=credentialed.use_id)

    assert again == credentialed
    assert CredentialedImage.objects.count() == 1


def test_a_use_without_a_picture_gets_no_copy(active, brand_manager):
    from marketplace.payments.services import usage

    report, _ = usage.record_usage(
        by=brand_manager,
        reference=active.reference,
        data=usage.UsageInput(
            used_on=active.current_terms.start_date,
            media_type="social",
            territory="DE",
            asset_reference="a",
            idempotency_key="no-picture",
        ),
    )

    assert services.credential_use(use_id=report.pk) is None
    assert services.credential_use(use_id=report.pk + 1000) is None
    assert CredentialedImage.objects.count() == 0


def test_recording_a_use_with_a_picture_credentials_it_once_committed(
    active, brand_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_use(active, brand_manager)

    image = CredentialedImage.objects.get()
    assert image.use == report
    with read_back(signed_bytes(image)) as reader:
        assert reader.get_validation_state() == "Trusted"
    assert image.manifest_label.startswith("urn:c2pa:")


def test_the_crew_credited_on_the_twin_are_named_as_contributors(
    active, brand_manager, agency_manager
):
    # given a photographer and a make-up artist credited on the twin
    from xml.etree import ElementTree

    from marketplace.crew.services import CreditInput, NewCrewMember, add_credit
    from marketplace.provenance import credentials, xmp

    for name, role in [("Ana Pereira", "photographer"), ("Jo <Kim> & Co", "make_up")]:
        add_credit(
            by=agency_manager,
            twin_id=active.twin_id,
            credit=CreditInput(role=role, work="SS26 studio scan"),
            new_person=NewCrewMember(full_name=name, email=f"{role}@studio.test"),
        )

    # when a use's picture is credentialed
    image = services.credential_use(use_id=report_use(active, brand_manager).pk)
    assert image is not None

    # then both copies' manifests name them, with their roles, and so does the XMP
    for copy in (image.file, image.labelled_file):
        with copy.open("rb") as handle:
            data = handle.read()
        reading = credentials.read(data)
        assert reading.signed_by_platform
        assert credentials.contributors_of(reading) == [
            credentials.Contributor(name="Jo <Kim> & Co", role="Make-up"),
            credentials.Contributor(name="Ana Pereira", role="Photographer"),
        ]
        text = xmp.read_fields(data)
        root = ElementTree.fromstring(text.split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
        rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
        dc = "{http://purl.org/dc/elements/1.1/}"
        iptc = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}"
        names = [li.text for li in next(root.iter(f"{dc}contributor")).iter(f"{rdf}li")]
        people = [
            (li.findtext(f"{iptc}Name"), li.findtext(f"{iptc}Role/{rdf}Bag/{rdf}li"))
            for li in next(root.iter(f"{iptc}Contributor")).find(f"{rdf}Bag") or []
        ]
        assert names == ["Jo <Kim> & Co", "Ana Pereira"]
        assert people == [("Jo <Kim> & Co", "Make-up"), ("Ana Pereira", "Photographer")]
        # Names and roles only: never a crew member's email.
        assert b"studio.test" not in data


def test_a_twin_without_credits_gets_no_contributors(credentialed):
    from marketplace.provenance import credentials, xmp

    data = signed_bytes(credentialed)

    assert credentials.contributors_of(credentials.read(data)) == []
    assert "contributor" not in xmp.read_fields(data).lower()
