"""Catalogue over the API: the web catalogue's filters, a keyset cursor that never skips or
repeats a twin, and the twin's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from marketplace.talent.models import Twin
from tests.api.conftest import key_client
from tests.factories import AgencyFactory, MembershipFactory, TalentFactory, TwinFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(world):
    """Thirty twins with ties and gaps in every sort key, two of them outside the catalogue."""
    gbp = AgencyFactory(currency="GBP")
    now = timezone.now()
    for n in range(30):
        agency = gbp if n % 5 == 0 else world.orgs["agency_a"]
        TwinFactory(
            talent=TalentFactory(agency=agency),
            display_name=f"Twin {n % 7:02d}",  # repeated names
            search_document=f"twin {'editorial' if n % 2 else 'runway'} studio",
            height_cm=None if n % 9 == 0 else 170 + n % 4,
            hair=["black", "blonde", "brown"][n % 3],
            price_from=None if n % 8 == 0 else 50_000 + (n % 3) * 25_000,  # ties
            currency=agency.currency,
            tags=["editorial"] if n % 2 else ["runway"],
            categories=["beauty"] if n % 3 else ["sportswear"],
            status="paused" if n % 6 == 0 else "published",
            published_at=now - timedelta(hours=n % 10),  # ties
        )
    TwinFactory(talent=TalentFactory(agency=gbp), display_name="Draft", status="draft")
    TwinFactory(talent=TalentFactory(agency=gbp), display_name="Retired", status="retired")


def walk(client, query: str, page_size: int = 4) -> list[str]:
    slugs: list[str] = []
    url = f"/api/v1/catalogue/twins?{query}&page_size={page_size}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= page_size
        slugs += [twin["slug"] for twin in body["results"]]
        url = body["next"]
    return slugs


def web(client, query: str) -> list[str]:
    slugs: list[str] = []
    number = 1
    while True:
        page = client.get(f"/catalogue/?{query}&page={number}").context["page"]
        slugs += [twin.slug for twin in page.object_list]
        if not page.has_next():
            return slugs
        number += 1


QUERIES = [
    "",
    "sort=name",
    "sort=newest",
    "sort=price_asc",
    "sort=price_desc",
    "sort=height",
    "q=editorial",
    "tag=runway",
    "tag=runway&tag=editorial",
    "category=beauty",
    "hair=BLACK",
    "height_min=171&height_max=172",
    "price_min=600&price_max=1000",
    "currency=GBP",
    "available=true",
    "available=true&sort=price_asc&hair=brown",
]


def test_the_api_filters_exactly_like_the_web_catalogue(world, stock, client):
    client.force_login(world.user("brand_a_manager"))
    api = key_client(world.tokens["brand_a"])
    keyed = {t.slug for t in Twin.objects.filter(price_from__isnull=False, height_cm__isnull=False)}

    for query in QUERIES:
        paged = walk(api, query)
        on_the_web = web(client, query)

        assert len(paged) == len(set(paged)), f"{query}: a twin was repeated across pages"
        assert sorted(paged) == sorted(on_the_web), query
        # Same order wherever the sort keys are set; NULLs go last (first when descending)
        # on every database, where the web leaves them to the database.
        assert [s for s in paged if s in keyed] == [s for s in on_the_web if s in keyed], query


def test_drafts_and_retired_twins_are_never_listed(world, stock):
    slugs = walk(key_client(world.tokens["brand_b"]), "", page_size=100)

    assert len(slugs) == 30 + 2  # the stock and the world's two twins
    assert not Twin.objects.filter(slug__in=slugs, status__in=["draft", "retired"]).exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("height_min=90", "height_min"),
        ("available=perhaps", "available"),
        ("sort=random", "sort"),
        ("currency=XXX", "currency"),
        ("price_min=-1", "price_min"),
        ("height_min=200&height_max=150", "height_max"),
        ("tag=no-such-tag", "tag"),
        ("category=no-such-category", "category"),
        ("page_size=0", "page_size"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("cursor=%%%", "cursor"),
    ],
)
def test_invalid_filters_are_400_with_the_field(world, query, field):
    response = key_client(world.tokens["brand_a"]).get(f"/api/v1/catalogue/twins?{query}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"]


def test_a_twin_s_page(world):
    twin = world.twin

    response = key_client(world.tokens["brand_a"]).get(f"/api/v1/catalogue/twins/{twin.slug}")

    body = response.json()
    assert response.status_code == 200
    assert body["slug"] == twin.slug
    assert body["agency"] == {"slug": twin.agency.slug, "name": "Agency A"}
    assert body["rate_card"]["lines"] == [
        {"media_type": "social", "base_fee": 100_000, "per_use_fee": 1_000},
        {"media_type": "web", "base_fee": 150_000, "per_use_fee": 2_000},
    ]
    assert {c["slug"] for c in body["permitted_categories"]} == {"beauty", "fast-fashion"}
    assert body["images"][0]["url"].startswith("http://testserver/media/")
    assert body["availability"] == []


@pytest.mark.parametrize("status", ["draft", "retired"])
def test_a_twin_outside_the_catalogue_is_404_like_a_missing_one(world, status):
    hidden = TwinFactory(talent=world.talent["talent_a"], status=status)
    client = key_client(world.tokens["brand_a"])

    hidden_response = client.get(f"/api/v1/catalogue/twins/{hidden.slug}")
    missing_response = client.get("/api/v1/catalogue/twins/no-such-twin")

    assert hidden_response.status_code == missing_response.status_code == 404
    assert hidden_response.json() == missing_response.json()


def test_every_party_may_browse(world):
    """As on the web: brands, agencies and models (session) read the catalogue."""
    talent_client = key_client(world.tokens["agency_b"])
    member = MembershipFactory(organisation=world.orgs["agency_b"], role="member")

    assert talent_client.get("/api/v1/catalogue/twins").status_code == 200
    assert member.user.is_authenticated


def test_a_price_bound_finer_than_the_currency_s_unit_filters_by_whole_units(world):
    """Found by schemathesis: 1,000.50 yen was a 500 (no yen has decimals)."""
    TwinFactory(talent=TalentFactory(agency=AgencyFactory(currency="JPY")), price_from=1000)
    client = key_client(world.tokens["brand_a"])

    above = client.get("/api/v1/catalogue/twins?currency=JPY&price_min=999.5")
    below = client.get("/api/v1/catalogue/twins?currency=JPY&price_max=1000.5")
    outside = client.get("/api/v1/catalogue/twins?currency=JPY&price_min=1000.5")

    assert above.status_code == below.status_code == outside.status_code == 200
    assert len(above.json()["results"]) == len(below.json()["results"]) == 1
    assert outside.json()["results"] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_a_search_pages_in_its_sort_not_by_relevance(world):
    # given more matches than one page, the most relevant (named "linen") the oldest
    now = timezone.now()
    agency = world.orgs["agency_a"]
    for n in range(4):
        TwinFactory(
            talent=TalentFactory(agency=agency),
            display_name=f"Mira {n}",
            description="Photographed in linen shirts.",
            published_at=now - timedelta(hours=n),
        )
    TwinFactory(
        talent=TalentFactory(agency=agency),
        display_name="Linen Lou",
        published_at=now - timedelta(days=2),
    )
    TwinFactory(talent=TalentFactory(agency=agency), display_name="Unrelated Uma")

    # when the API is searched two twins a page
    slugs = walk(key_client(world.tokens["brand_a"]), "q=linen", page_size=2)

    # then every match comes once, newest first: a relevance score is no cursor key
    names = [Twin.objects.get(slug=slug).display_name for slug in slugs]
    assert names == ["Mira 0", "Mira 1", "Mira 2", "Mira 3", "Linen Lou"]
