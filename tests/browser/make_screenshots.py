"""README screenshots, taken on demand from the demo data (not part of the test run):

    .venv/bin/pytest tests/browser/make_screenshots.py

writes marketplace/static/screenshots/{catalogue,twin,agency-twin}.png at 1280×900, and
phone-{consent,dashboard}.png: the model's consent page and dashboard on a 390×844 phone.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import Page, expect

from marketplace.talent.management.commands.load_demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in

OUT = Path(settings.BASE_DIR) / "marketplace" / "static" / "screenshots"
MAX_BYTES = 400 * 1024


def save(page: Page, name: str) -> Path:
    """A viewport screenshot once the pictures in view have loaded, reduced to a palette PNG
    when the full-colour one would be too heavy for a README."""
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function(
        """() => [...document.images]
             .filter(i => i.getBoundingClientRect().top < window.innerHeight)
             .every(i => i.complete && i.naturalWidth > 0)"""
    )
    png = page.screenshot()
    image = Image.open(io.BytesIO(png))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    if out.tell() > MAX_BYTES:
        out = io.BytesIO()
        image.convert("RGB").quantize(colors=256, dither=Image.Dither.FLOYDSTEINBERG).save(
            out, "PNG", optimize=True
        )
    assert out.tell() <= MAX_BYTES, f"{name}: {out.tell()} bytes"
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.django_db(transaction=True)
def test_readme_screenshots(page: Page) -> None:
    call_command("load_demo", stdout=io.StringIO())
    from marketplace.accounts.models import User

    sign_in(page, User.objects.get(email="manager@kestrel.test"), password=DEMO_PASSWORD)
    page.goto("/catalogue/")
    expect(page.locator("#results .twin-card")).to_have_count(24)
    save(page, "catalogue")

    page.locator("#results .twin-card", has_not_text="Not taking bookings").first.click()
    expect(page.get_by_role("heading", name="Rate card")).to_be_visible()
    save(page, "twin")

    page.context.clear_cookies()
    sign_in(page, User.objects.get(email="manager@northlight.test"), password=DEMO_PASSWORD)
    page.goto("/agency/twins/")
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", name="Gallery")).to_be_visible()
    save(page, "agency-twin")


@pytest.mark.django_db(transaction=True)
def test_readme_phone_screenshots(make_page, settings, tmp_path) -> None:
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    call_command("ensure_signing_key", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo_licences", stdout=io.StringIO())
    from marketplace.accounts.models import User
    from marketplace.licensing.models import Licence

    model = User.objects.get(email="linnea.lindqvist@talent.test")
    asked = Licence.objects.get(talent__user=model, status=Licence.Status.AWAITING_CONSENT)
    phone = make_page(width=390, height=844, mobile=True)
    sign_in(phone, model, password=DEMO_PASSWORD)
    phone.goto(f"/licences/{asked.reference}/consent/")
    expect(phone.get_by_role("heading", name="In plain language")).to_be_visible()
    save(phone, "phone-consent")

    phone.goto("/me/dashboard/")
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    save(phone, "phone-dashboard")
