"""The territory picker works without JavaScript: regions and countries are plain checkboxes,
what is chosen is listed above them, and bad codes get a clear error instead of a 500."""

from __future__ import annotations

import re

import pytest

from marketplace.licensing import services, territories
from marketplace.licensing.models import Licence
from tests.licensing.conftest import make_terms
from tests.licensing.test_views import form_data

pytestmark = pytest.mark.django_db


def boxes(page: str, *, checked: bool | None = None) -> list[str]:
    """The values of the territory checkboxes of a page (only the ticked or unticked ones)."""
    found = re.findall(r'<input type="checkbox" name="territories" value="([A-Z]+)"[^>]*>', page)
    if checked is None:
        return found
    ticked = re.findall(
        r'<input type="checkbox" name="territories" value="([A-Z]+)"[^>]* checked>', page
    )
    return ticked if checked else [code for code in found if code not in ticked]


def chosen(page: str) -> list[str]:
    box = re.search(r'<span class="territory-chosen">(.*?)<span class="territory-count', page, re.S)
    assert box is not None
    return re.findall(r'<span class="chip">([^<]+)</span>', box.group(1))


def test_the_request_form_offers_regions_and_every_country_as_checkboxes(
    client, brand_manager, twin
):
    client.force_login(brand_manager.user)

    page = client.get(f"/catalogue/{twin.slug}/request/").content.decode()

    values = boxes(page)
    assert values[: len(territories.REGIONS)] == list(territories.REGIONS)
    assert set(values[len(territories.REGIONS) :]) == set(territories.country_names())
    assert '<select name="territories"' not in page
    assert "Hold Ctrl" not in page
    assert chosen(page) == []
    assert "None yet." in page
    assert "<legend>Territories</legend>" in page
    # The filter box is the script's: hidden until it runs, so no dead control without it.
    assert '<div class="territory-filter-row" hidden>' in page
    assert 'id="id_territories_DE"' in page and 'id="id_territories_EU"' in page


def test_without_javascript_a_region_and_a_country_make_one_request(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    response = client.post(
        f"/catalogue/{twin.slug}/request/", form_data(territories=["DACH", "NL"])
    )

    assert response.status_code == 302
    licence = Licence.objects.get()
    assert licence.current_terms.territories == ["AT", "CH", "DE", "NL"]


def test_a_form_sent_back_with_an_error_keeps_and_lists_the_chosen_territories(
    client, brand_manager, twin
):
    client.force_login(brand_manager.user)

    page = client.post(
        f"/catalogue/{twin.slug}/request/",
        form_data(territories=["EU", "CH"], intended_use="ads"),
    ).content.decode()

    assert not Licence.objects.exists()
    assert sorted(boxes(page, checked=True)) == ["CH", "EU"]
    assert chosen(page) == ["European Union", "Switzerland"]
    assert "28 countries." in page
    assert "Describe the intended use specifically" in page


def test_worldwide_is_named_as_every_country(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    page = client.post(
        f"/catalogue/{twin.slug}/request/",
        form_data(territories=["WORLDWIDE"], intended_use="ads"),
    ).content.decode()

    assert f"Worldwide: every country ({len(territories.country_names())})." in page


@pytest.mark.parametrize("bad", [["XX"], ["de; drop table"], []])
def test_an_unknown_or_missing_territory_is_refused_with_a_clear_error(
    client, brand_manager, twin, bad
):
    client.force_login(brand_manager.user)

    response = client.post(f"/catalogue/{twin.slug}/request/", form_data(territories=bad))

    assert response.status_code == 200
    page = response.content.decode()
    assert not Licence.objects.exists()
    message = "This field is required." if not bad else "is not one of the available choices"
    errors = re.search(r'<div id="errors-territories">(.*?)</div>', page, re.S)
    assert errors is not None and message in errors.group(1)


def test_the_live_quote_prices_regions_and_countries_chosen_together(client, brand_manager, twin):
    client.force_login(brand_manager.user)

    page = client.post(
        f"/catalogue/{twin.slug}/quote/",
        form_data(territories=["NORDICS", "DE"]),
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert "Territory (region)" in page and "€2,000.00" in page


def test_the_counter_offer_form_ticks_the_requested_territories(
    client, brand_manager, agency_manager, twin
):
    licence = services.request_licence(
        by=brand_manager, twin_id=twin.pk, terms=make_terms(territories=["DE", "FR"])
    )
    client.force_login(agency_manager.user)

    page = client.get(f"/licences/{licence.reference}/counter/").content.decode()

    assert sorted(boxes(page, checked=True)) == ["DE", "FR"]
    assert chosen(page) == ["France", "Germany"]


def test_the_filter_matches_names_codes_aliases_and_letters_without_accents():
    terms = territories.search_terms()

    assert "uk" in terms["GB"] and "gbr" in terms["GB"]
    assert "cote d'ivoire" in terms["CI"]
    assert "usa" in terms["US"]
    assert len(territories.region_members("WORLDWIDE")) == len(territories.country_names())
