"""Image approval in a real browser, on 390 px phones: the brand sends a proof, the model asks
for a change, the brand sends a new version, the model approves it looking at both side by
side, the brand downloads the credentialed copy, and the use is in the model's earnings."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.approvals.models import Proof, ProofDecision
from marketplace.licensing import services as licensing
from marketplace.payments.models import UsageReport
from marketplace.provenance.models import CredentialedImage
from marketplace.talent.demo_images import studio_portrait
from tests.approvals.conftest import require_approval
from tests.browser.conftest import shot, sign_in
from tests.browser.test_journeys import assert_no_horizontal_scroll, nav
from tests.browser.test_licence_journeys import awaiting_payment, cast, message

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844, "mobile": True}


@pytest.fixture(autouse=True)
def _signing_keys(settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.SIGNING_KEY_DIR = tmp_path_factory.getbasetemp() / "c2pa-keys"


# The picture's width once the browser has it (decode() waits for it to load, and fails
# when it cannot be shown): a picture still loading is not a broken one.
LOADED_WIDTH = "el => el.decode().then(() => el.naturalWidth)"


def send_proof(page, picture: Path, *, caption: str) -> None:
    page.get_by_label("Image", exact=True).set_input_files(str(picture))
    page.get_by_label("Media", exact=True).select_option(label="Social media")
    page.get_by_label("Territory", exact=True).select_option("DE")
    page.get_by_label("Caption or copy").fill(caption)


def test_brand_and_model_agree_on_an_image_and_it_becomes_a_paid_use(make_page, tmp_path):
    c = cast()
    require_approval(c.twin, hours=72)
    today = timezone.localdate()
    licence = awaiting_payment(c, start_date=today, end_date=today + timedelta(days=60))
    licensing.activate_licence(licence_id=licence.pk)
    first, second = tmp_path / "look-1.jpg", tmp_path / "look-2.jpg"
    first.write_bytes(studio_portrait(31, size=(800, 1000)))
    second.write_bytes(studio_portrait(32, size=(800, 1000)))

    # The brand sends a proof from the licence's page.
    brand = sign_in(make_page(**PHONE), c.buyer.user)
    brand.goto(f"/licences/{licence.reference}/")
    expect(brand.locator("#terms-approval")).to_contain_text("within 72 hours")
    brand.get_by_role("link", name="Proofs: send an image for approval").click()
    send_proof(brand, first, caption="Spring denim, look 4")
    brand.get_by_role("button", name="Send to the model").click()
    expect(message(brand)).to_have_text("Proof sent to the model.")
    expect(brand.locator("#proof-status")).to_have_text("Waiting for the model")
    expect(brand.locator("#countdown")).to_contain_text("Answer due in 2")
    expect(brand.locator("#proof-pictures img")).to_have_attribute(
        "src", re.compile(r"/v1/preview/$")
    )
    expect(brand.locator("#proof-pictures figcaption")).to_contain_text("watermarked preview")
    assert_no_horizontal_scroll(brand)
    shot(brand, "brand sent a proof")
    reference = Proof.objects.get().reference

    # The model is told, opens it from her notifications and asks for a change.
    model = sign_in(make_page(**PHONE), c.talent.user)
    model.goto("/notifications/")
    model.get_by_role("link", name=re.compile("asks you to approve an image")).first.click()
    expect(model).to_have_url(re.compile(f"/proofs/{reference}/$"))
    expect(model.locator("#proof-pictures img")).to_have_attribute(
        "src", re.compile(r"/v1/image/$")
    )
    assert model.locator("#proof-pictures img").evaluate(LOADED_WIDTH) > 0
    model.get_by_label("Note to the brand").fill("Warmer light, and crop at the waist.")
    model.get_by_role("button", name="Ask for changes").click()
    expect(message(model)).to_have_text("Your answer is sent to the brand.")
    expect(model.locator("#proof-status")).to_have_text("Changes asked for")
    assert_no_horizontal_scroll(model)
    shot(model, "model asked for changes")

    # The brand reads the note and sends version 2.
    brand.reload()
    expect(brand.locator("#decisions")).to_contain_text("Warmer light, and crop at the waist.")
    brand.get_by_label("Image", exact=True).set_input_files(str(second))
    brand.get_by_label("Caption or copy").fill("Spring denim, look 4 (warmer)")
    brand.get_by_role("button", name="Send version 2").click()
    expect(message(brand)).to_have_text("New version sent to the model.")
    expect(brand.locator("#proof-status")).to_have_text("Waiting for the model")
    assert UsageReport.objects.count() == 0  # nothing is a use before she approves

    # The model sees both versions side by side on one screen and approves.
    model.reload()
    pictures = model.locator("#proof-pictures figure")
    expect(pictures).to_have_count(2)
    expect(pictures.nth(0)).to_contain_text("Before · v1")
    expect(pictures.nth(1)).to_contain_text("Now · v2")
    boxes = [pictures.nth(i).bounding_box() for i in (0, 1)]
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]  # side by side
    assert boxes[1]["x"] + boxes[1]["width"] <= 390
    assert_no_horizontal_scroll(model)
    shot(model, "model compares the versions")
    model.get_by_role("button", name="Approve").click()
    expect(message(model)).to_have_text("Your answer is sent to the brand.")
    expect(model.locator("#proof-status")).to_have_text("Approved")

    decision = ProofDecision.objects.get(decision="approved")
    assert decision.image_sha256 == Proof.objects.get().latest.sha256  # type: ignore[union-attr]

    # The brand downloads the credentialed copy.
    brand.reload()
    expect(brand.locator("#proof-status")).to_have_text("Approved")
    link = brand.get_by_role("link", name="Download the credentialed copy")
    expect(link).to_be_visible()
    with brand.expect_download() as download:
        link.click()
    saved = tmp_path / "credentialed.jpg"
    download.value.save_as(saved)
    image = CredentialedImage.objects.get()
    assert saved.read_bytes() == image.file.open("rb").read()
    assert download.value.suggested_filename.startswith(f"{licence.reference}-use-")
    assert_no_horizontal_scroll(brand)
    shot(brand, "brand downloads the credentialed copy")

    # The use is in the model's earnings.
    nav(model, "Dashboard")
    uses = model.locator("#uses")
    expect(uses).to_contain_text(f"{reference} v2: Spring denim, look 4 (warmer)"[:37])
    expect(uses).to_contain_text("€")
    assert_no_horizontal_scroll(model)
    shot(model, "the use in her earnings")
