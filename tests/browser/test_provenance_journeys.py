"""Content Credentials in a real browser: a brand reports a use with its picture, opens its
signed copies and downloads both; an anonymous visitor on a phone checks one at /verify."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from marketplace.provenance.models import CredentialedImage
from marketplace.provenance.selectors import Outcome, verify_image
from tests.browser.conftest import shot
from tests.browser.test_accessibility import BLOCKING, check
from tests.browser.test_journeys import assert_no_horizontal_scroll
from tests.provenance.conftest import make_active, scene

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _c2pa_key_dir(settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp() / "c2pa-keys"
    settings.SIGNING_KEY_DIR = folder
    return folder


def blocking_axe(page: Page) -> list[dict]:
    return [v for v in check(page) if v["impact"] in BLOCKING]


def test_brand_downloads_both_copies_and_a_visitor_verifies_one_on_a_phone(
    make_page, signed_in_page, brand_manager, agency_manager, twin, tmp_path, settings
):
    licence = make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)
    picture = tmp_path / "autumn-look.jpg"
    picture.write_bytes(scene(31, size=(900, 700)))
    page = make_page(bypass_csp=True)
    signed_in_page(brand_manager.user, on=page)

    # The brand reports a use with its picture, the label in French, top left.
    page.goto(f"/licences/{licence.reference}/uses/")
    page.get_by_label("Asset reference").fill("aw26/look-01.jpg")
    page.get_by_label("Territory").select_option("DE")
    page.get_by_label("Image (optional)").set_input_files(str(picture))
    page.get_by_label("The picture is").select_option("compositeWithTrainedAlgorithmicMedia")
    page.get_by_label("AI label language").select_option("fr")
    page.get_by_label("AI label corner").select_option("top-left")
    page.get_by_role("button", name="Report use").click()
    expect(page.get_by_text("Use recorded.")).to_be_visible()

    page.get_by_role("link", name="Signed copies").first.click()
    expect(page.get_by_role("heading", name="Content Credentials")).to_be_visible()
    # The worker may still be signing: the status refreshes by itself until both are there.
    expect(page.get_by_role("link", name="Download the labelled copy")).to_be_visible()
    expect(page.get_by_text("Généré par IA · jumeau numérique, sous licence")).to_be_visible()
    expect(page.locator("#disclosure")).to_contain_text("Cette photographie a été retouchée")
    assert blocking_axe(page) == []
    shot(page, "the use's signed copies")

    with page.expect_download() as credentialed_download:
        page.get_by_role("link", name="Download the credentialed copy").click()
    with page.expect_download() as labelled_download:
        page.get_by_role("link", name="Download the labelled copy").click()
    credentialed = Path(credentialed_download.value.path()).read_bytes()
    labelled = Path(labelled_download.value.path()).read_bytes()
    assert labelled_download.value.suggested_filename == (
        f"{licence.reference}-use-{CredentialedImage.objects.get().use_id}-labelled.jpg"
    )
    assert verify_image(credentialed).outcome == Outcome.LICENSED
    assert verify_image(labelled).outcome == Outcome.LICENSED
    assert credentialed != labelled
    labelled_path = tmp_path / "downloaded-labelled.jpg"
    labelled_path.write_bytes(labelled)

    # An anonymous visitor, on a phone, checks the labelled copy.
    phone = make_page(width=390, height=844, mobile=True, bypass_csp=True)
    phone.goto("/verify/")
    phone.get_by_label("Picture to check").set_input_files(str(labelled_path))
    phone.get_by_role("button", name="Check the picture").click()
    verdict = phone.get_by_role("status")
    expect(verdict).to_contain_text("Licensed through Likeness")
    expect(verdict).to_contain_text(twin.display_name)
    expect(verdict).to_contain_text("inside its licence today")
    expect(verdict).to_contain_text("exactly as Likeness signed it")
    page_text = phone.content()
    assert brand_manager.organisation.name not in page_text
    assert_no_horizontal_scroll(phone)
    assert blocking_axe(phone) == []
    shot(phone, "verified on a phone", full_page=False)
