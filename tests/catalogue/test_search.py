"""Catalogue text search: on PostgreSQL full-text search (weighted, stemmed) and trigram name
matching, ranked; on SQLite every word as a substring. Filters, visibility and the empty query
behave as without a search."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.utils import timezone

from marketplace.catalogue.selectors import CatalogueQuery, catalogue_results, searched
from marketplace.talent import services
from marketplace.talent.models import Twin
from tests.factories import AgencyFactory, MembershipFactory, TalentFactory, TwinFactory

pytestmark = pytest.mark.django_db

postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text and trigram search are PostgreSQL's"
)
sqlite = pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite fallback")


def names(query: CatalogueQuery) -> list[str]:
    """The twins the catalogue page lists for `query` (its count never cached here)."""
    return [t.display_name for t in catalogue_results(query, version=str(uuid4())).twins]


def twin(name: str, *, hours_ago: int = 0, **fields) -> Twin:
    fields.setdefault("description", "A photoreal digital twin for campaign imagery.")
    fields.setdefault("search_document", f"{name} {fields['description']}".lower())
    return TwinFactory(
        display_name=name, published_at=timezone.now() - timedelta(hours=hours_ago), **fields
    )


@postgresql
def test_a_plural_finds_the_singular():
    # given a twin whose description says "dress", and one about something else
    twin("Amara Okafor", description="Shot in an evening dress for bridal campaigns.")
    twin("Linnea Berg", description="Sportswear and running shoes.")

    # when brands search for "dresses"
    found = names(CatalogueQuery(text="dresses"))

    # then the English stemmer matches the singular
    assert found == ["Amara Okafor"]


@postgresql
def test_a_misspelt_name_finds_the_twin():
    twin("Amara Okafor")
    twin("Linnea Berg")

    assert names(CatalogueQuery(text="Amarra")) == ["Amara Okafor"]
    assert names(CatalogueQuery(text="okafr")) == ["Amara Okafor"]
    # the API's search turns to close names alike
    assert searched(CatalogueQuery(text="Amarra")).close_names is True
    assert searched(CatalogueQuery(text="Amara")).close_names is False


@postgresql
def test_close_names_are_looked_for_only_when_the_words_match_nobody():
    # given a twin named what is typed and one named close to it
    twin("Amara Okafor")
    twin("Amari Okafor")

    # then a word that matches finds only its twin; a misspelt surname both
    assert names(CatalogueQuery(text="amara")) == ["Amara Okafor"]
    assert sorted(names(CatalogueQuery(text="okafr"))) == ["Amara Okafor", "Amari Okafor"]


@postgresql
def test_matches_are_ranked_name_then_tags_then_description_then_the_rest():
    # given four bookable twins that mention "linen" in a field each, the least relevant the
    # newest (so that the default newest-first order would list them backwards)
    twin("Linen Lou", hours_ago=4)
    twin("Tagged Tia", tags=["linen"], hours_ago=3)
    twin("Described Dee", description="Photographed in linen shirts.", hours_ago=2)
    twin("Agency Ada", search_document="agency ada linen models", hours_ago=1)
    twin("Unrelated Uma")

    # when brands search without choosing a sort
    found = names(CatalogueQuery(text="linen"))

    # then the name outranks the tags, the tags the description, the description the rest
    assert found == ["Linen Lou", "Tagged Tia", "Described Dee", "Agency Ada"]


@postgresql
def test_a_chosen_sort_overrides_the_relevance():
    twin("Linen Lou", hours_ago=4)
    twin("Described Dee", description="Photographed in linen shirts.", hours_ago=2)

    assert names(CatalogueQuery(text="linen", sort="newest")) == ["Described Dee", "Linen Lou"]


@postgresql
def test_bookable_twins_still_come_before_paused_ones_when_ranked():
    twin("Linen Lou", status="paused")
    twin("Described Dee", description="Photographed in linen shirts.")

    assert names(CatalogueQuery(text="linen")) == ["Described Dee", "Linen Lou"]


@postgresql
def test_every_word_must_match():
    twin("Amara Okafor", description="Evening dresses in studio light.")
    twin("Linnea Berg", description="Evening runway shows.")

    assert names(CatalogueQuery(text="evening dress")) == ["Amara Okafor"]


@postgresql
def test_search_combines_with_the_filters():
    # given three twins matching "dress", different in hair, category and availability
    dress = "Evening dress campaigns."
    twin("Amara Okafor", description=dress, hair="black", categories=["beauty"])
    twin("Linnea Berg", description=dress, hair="blonde", categories=["beauty"])
    twin("Sofia Russo", description=dress, hair="black", categories=["beauty"], status="paused")
    twin("Ines Duarte", description="Sportswear.", hair="black", categories=["beauty"])

    # when searched with filters, then each filter narrows the matches as without a search
    assert names(CatalogueQuery(text="dresses", hair="black", category="beauty")) == [
        "Amara Okafor",
        "Sofia Russo",
    ]
    assert names(CatalogueQuery(text="dresses", hair="black", available_only=True)) == [
        "Amara Okafor"
    ]
    assert names(CatalogueQuery(text="dresses", category="sportswear")) == []


@postgresql
def test_search_never_shows_a_twin_outside_the_catalogue():
    # given twins the catalogue does not list, each named like the search
    twin("Amara Draft", status="draft")
    twin("Amara Retired", status="retired")
    twin("Amara Revoked", consent_revoked_at=timezone.now())
    twin("Amara Listed")

    # when brands search by the exact and a misspelt name
    # then only the listed twin is found
    assert names(CatalogueQuery(text="amara")) == ["Amara Listed"]
    assert names(CatalogueQuery(text="amarra")) == ["Amara Listed"]


def test_an_empty_search_changes_nothing():
    twin("Amara Okafor", hours_ago=2)
    twin("Linnea Berg", hours_ago=1)

    # blank and white space list the catalogue newest first, as with no search at all
    assert names(CatalogueQuery(text="")) == ["Linnea Berg", "Amara Okafor"]
    assert names(CatalogueQuery(text="   ")) == ["Linnea Berg", "Amara Okafor"]


@postgresql
def test_the_search_follows_a_twins_edits(agency):
    # given a twin created through the service, with tags
    manager = MembershipFactory(organisation=agency, role="manager")
    talent = TalentFactory(agency=agency)
    details = services.TwinDetails(
        display_name="Amara Okafor", description="Evening wear.", tags=["Bridal"]
    )
    created = services.create_twin(by=manager, talent_id=talent.pk, details=details)
    Twin.objects.filter(pk=created.pk).update(status="published", published_at=timezone.now())
    assert created.search_tags == "bridal"
    assert names(CatalogueQuery(text="bridal")) == ["Amara Okafor"]

    # when its name and tags change
    details = services.TwinDetails(
        display_name="Zora Okafor", description="Evening wear.", tags=["Swimwear"]
    )
    services.update_twin(by=manager, twin_id=created.pk, details=details)

    # then the search finds the new words and no longer the old ones (the vector is generated)
    assert names(CatalogueQuery(text="zora")) == ["Zora Okafor"]
    assert names(CatalogueQuery(text="swimwear")) == ["Zora Okafor"]
    assert names(CatalogueQuery(text="bridal")) == []


@sqlite
def test_sqlite_matches_every_word_as_a_substring():
    twin("Amara Okafor", description="Evening dress for editorial shoots.")
    twin("Linnea Berg", description="Evening runway shows.")

    # a word's beginning matches; no stemming and no fuzzy names on SQLite
    assert names(CatalogueQuery(text="EDIT evening")) == ["Amara Okafor"]
    assert names(CatalogueQuery(text="dresses")) == []
    assert names(CatalogueQuery(text="amarra")) == []


@pytest.mark.parametrize("text", ["the", "'&:*!|", 'a -b "c', "(((", "amara & | !"])
def test_odd_words_are_searched_not_crashing(client, brand_manager, text):
    twin("Amara Okafor")
    client.force_login(brand_manager.user)

    response = client.get("/catalogue/", {"q": text})

    assert response.status_code == 200


@postgresql
def test_the_catalogue_page_lists_the_best_match_first(client, brand_manager):
    twin("Linen Lou", hours_ago=4)
    twin("Described Dee", description="Photographed in linen shirts.", hours_ago=2)
    client.force_login(brand_manager.user)

    response = client.get("/catalogue/?q=linen")

    page = response.context["page"]
    assert [t.display_name for t in page.object_list] == ["Linen Lou", "Described Dee"]
    assert "2 twins" in response.content.decode()


def test_a_foreign_agency_twin_is_found_like_any_listed_twin_and_drafts_are_not(agency):
    # the catalogue is every agency's listed twins: search adds no tenant rule, and takes none
    other = AgencyFactory()
    twin("Amara Okafor", talent=TalentFactory(agency=other))
    twin("Amara Draft", talent=TalentFactory(agency=agency), status="draft")

    assert names(CatalogueQuery(text="amara")) == ["Amara Okafor"]


def test_a_search_matching_more_than_the_cap_shows_the_newest_and_says_so(
    client, brand_manager, monkeypatch
):
    # given three matches for a cap of two, the name match the oldest
    monkeypatch.setattr("marketplace.catalogue.selectors.SEARCH_CAP", 2)
    twin("Linen Lou", hours_ago=4)
    twin("Mira Linen", hours_ago=1)
    twin("Described Dee", description="Photographed in linen shirts.", hours_ago=2)
    client.force_login(brand_manager.user)

    # when brands search for the common word
    response = client.get("/catalogue/?q=linen")

    # then the count stops at the cap, the list is the newest first, and the page says so
    page = response.context["page"]
    assert [t.display_name for t in page.object_list] == ["Mira Linen", "Described Dee"]
    body = response.content.decode()
    assert "2+ twins (the newest first; add words or filters to rank them)" in body


@postgresql
def test_a_search_within_the_cap_is_ranked(client, brand_manager, monkeypatch):
    monkeypatch.setattr("marketplace.catalogue.selectors.SEARCH_CAP", 2)
    twin("Linen Lou", hours_ago=4)
    twin("Described Dee", description="Photographed in linen shirts.", hours_ago=2)
    client.force_login(brand_manager.user)

    response = client.get("/catalogue/?q=linen")

    page = response.context["page"]
    assert [t.display_name for t in page.object_list] == ["Linen Lou", "Described Dee"]
    assert "2 twins" in response.content.decode()
    assert "2+" not in response.content.decode()
