"""The brand's and the model's main pages fit a 1280 px desktop window too: a long brand name
in a status label once made the brand's dashboard 1,458 px wide and the model's licences 1,365."""

from __future__ import annotations

import pytest

from tests.browser import worst_case
from tests.browser.conftest import shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_brand_and_model_main_pages_fit_1280_px(make_page, settings, tmp_path):
    world = worst_case.build(settings, tmp_path)
    assert world.catalogue_twin is not None
    licence = next(iter(world.licences.values()))
    pages = {
        "brand manager": [
            "/",
            "/catalogue/",
            f"/catalogue/{world.catalogue_twin.slug}/",
            f"/catalogue/{world.catalogue_twin.slug}/request/",
            "/licences/",
            f"/licences/{licence.reference}/",
            "/billing/",
        ],
        "model": ["/", "/me/", "/me/consents/", "/licences/", f"/licences/{licence.reference}/"],
    }
    too_wide = []
    for role, paths in pages.items():
        page = worst_case.sign_in(make_page, world, role)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, (role, path)
            sizes = page.evaluate(
                "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
            )
            if sizes["scroll"] > sizes["inner"]:
                too_wide.append(f"{role} {path}: {sizes['scroll']} px")
                shot(page, f"{role} {path} too wide")
    assert too_wide == []
