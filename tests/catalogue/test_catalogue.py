from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.catalogue.selectors import SORTS, CatalogueQuery, PageByKeys, catalogue_twins
from marketplace.talent.models import Category, Twin
from tests.factories import AgencyFactory, TalentFactory, TwinFactory

pytestmark = pytest.mark.django_db


def names(qs) -> list[str]:
    return [t.display_name for t in qs]


@pytest.fixture
def stock(agency):
    other = AgencyFactory(currency="GBP")
    a = TwinFactory(
        talent=TalentFactory(agency=agency),
        display_name="Amara",
        search_document="amara editorial studio",
        height_cm=180,
        hair="black",
        price_from=50_000,
        tags=["editorial"],
        categories=["beauty"],
    )
    b = TwinFactory(
        talent=TalentFactory(agency=agency),
        display_name="Linnea",
        search_document="linnea runway",
        height_cm=170,
        hair="blonde",
        price_from=150_000,
        tags=["runway"],
        categories=["sportswear", "beauty"],
    )
    c = TwinFactory(
        talent=TalentFactory(agency=other),
        display_name="Sofia",
        search_document="sofia editorial",
        height_cm=175,
        hair="black",
        price_from=90_000,
        currency="GBP",
        tags=["editorial", "runway"],
        categories=["alcohol"],
        status="paused",
    )
    TwinFactory(talent=TalentFactory(agency=agency), display_name="Draft", status="draft")
    TwinFactory(talent=TalentFactory(agency=agency), display_name="Retired", status="retired")
    return a, b, c


def test_catalogue_lists_published_and_paused_only(stock):
    assert sorted(names(catalogue_twins(CatalogueQuery()))) == ["Amara", "Linnea", "Sofia"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (CatalogueQuery(text="editorial"), ["Amara", "Sofia"]),
        (CatalogueQuery(text="EDITORIAL studio"), ["Amara"]),
        (CatalogueQuery(tags=["runway"]), ["Linnea", "Sofia"]),
        (CatalogueQuery(tags=["runway", "editorial"]), ["Sofia"]),
        (CatalogueQuery(category="beauty"), ["Amara", "Linnea"]),
        (CatalogueQuery(hair="BLACK"), ["Amara", "Sofia"]),
        (CatalogueQuery(height_min=172, height_max=178), ["Sofia"]),
        (CatalogueQuery(price_min=60_000, price_max=150_000), ["Linnea", "Sofia"]),
        (CatalogueQuery(currency="GBP"), ["Sofia"]),
        (CatalogueQuery(available_only=True), ["Amara", "Linnea"]),
    ],
)
def test_filters(stock, query, expected):
    assert sorted(names(catalogue_twins(query))) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Prices compare within a currency: EUR (€500, €1,500), then GBP (£900).
        ("price_asc", ["Amara", "Linnea", "Sofia"]),
        ("price_desc", ["Linnea", "Amara", "Sofia"]),
        ("name", ["Amara", "Linnea", "Sofia"]),
        # Sofia (175 cm) is paused: the bookable twins come first whatever the sort.
        ("height", ["Amara", "Linnea", "Sofia"]),
    ],
)
def test_sorting(stock, sort, expected):
    assert names(catalogue_twins(CatalogueQuery(sort=sort))) == expected


def test_the_viewers_currency_leads_the_price_sorts(stock):
    assert names(catalogue_twins(CatalogueQuery(sort="price_asc", viewer_currency="GBP"))) == [
        "Sofia",
        "Amara",
        "Linnea",
    ]


def test_a_twin_not_taking_bookings_does_not_lead_newest(agency):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    TwinFactory(talent=TalentFactory(agency=agency), display_name="Older")
    TwinFactory(talent=TalentFactory(agency=agency), display_name="Newer")
    TwinFactory(talent=TalentFactory(agency=agency), display_name="Paused", status="paused")
    for name, hours in (("Older", 3), ("Newer", 2), ("Paused", 1)):
        Twin.objects.filter(display_name=name).update(published_at=now - timedelta(hours=hours))

    assert names(catalogue_twins(CatalogueQuery())) == ["Newer", "Older", "Paused"]


def test_a_brand_sorting_by_price_sees_its_currency_first_and_why(client, stock):
    from tests.factories import BrandFactory, MembershipFactory

    buyer = MembershipFactory(organisation=BrandFactory(currency="GBP"), role="manager")
    client.force_login(buyer.user)

    page = client.get("/catalogue/?sort=price_asc").content.decode()

    headings = re.findall(r'<h2 class="grid-heading">([^<]+)</h2>', page)
    assert headings == ["Prices in GBP", "Prices in EUR"]
    assert "Sorted by price within each currency, yours (GBP) first." in page
    assert "we do not convert them" in page
    cards = re.findall(r"<h3>([^<]+)</h3>", page)
    assert cards == ["Sofia", "Amara", "Linnea"]
    # One currency chosen: nothing to group.
    one = client.get("/catalogue/?sort=price_asc&currency=EUR").content.decode()
    assert "grid-heading" not in one and "price-note" not in one
    newest = client.get("/catalogue/").content.decode()
    assert "grid-heading" not in newest


def test_a_category_the_talent_refuses_is_never_offered(stock):
    amara = stock[0]
    amara.talent.restricted_categories.add(Category.objects.get(slug="beauty"))

    assert names(catalogue_twins(CatalogueQuery(category="beauty"))) == ["Linnea"]


def test_page_filters_and_pagination(client, brand_manager, agency):
    talent = TalentFactory(agency=agency)
    for n in range(30):
        TwinFactory(talent=talent, display_name=f"Model {n:02d}", price_from=1000 + n)
    client.force_login(brand_manager.user)

    first = client.get("/catalogue/?sort=price_asc")
    second = client.get("/catalogue/?sort=price_asc&page=2")

    assert first.status_code == second.status_code == 200
    assert len(first.context["page"].object_list) == 24
    assert names(second.context["page"].object_list) == [f"Model {n:02d}" for n in range(24, 30)]
    assert "sort=price_asc&amp;page=2" in first.content.decode()


def test_the_count_follows_a_twin_leaving_and_joining_the_catalogue(client, brand_manager, agency):
    talent = TalentFactory(agency=agency)
    twins = [TwinFactory(talent=talent, display_name=f"Model {n}") for n in range(3)]
    client.force_login(brand_manager.user)
    assert "3 twins" in client.get("/catalogue/").content.decode()

    # when a twin is taken out of the catalogue, and then two more are listed
    twins[0].status = "retired"
    twins[0].save()
    assert "2 twins" in client.get("/catalogue/").content.decode()
    TwinFactory(talent=talent, display_name="Model 3")
    TwinFactory(talent=talent, display_name="Model 4")

    assert "4 twins" in client.get("/catalogue/").content.decode()


def test_the_available_count_follows_a_twin_paused_and_published(
    client, brand_manager, agency_manager
):
    from marketplace.talent.services import change_twin_status

    talent = TalentFactory(agency=agency_manager.organisation)
    twins = [
        TwinFactory(talent=talent, display_name=f"Model {n}", with_image=True) for n in range(3)
    ]
    client.force_login(brand_manager.user)
    assert "3 twins" in client.get("/catalogue/?available=on").content.decode()

    change_twin_status(by=agency_manager, twin_id=twins[0].pk, action="pause")
    assert "2 twins" in client.get("/catalogue/?available=on").content.decode()
    change_twin_status(by=agency_manager, twin_id=twins[0].pk, action="publish")
    assert "3 twins" in client.get("/catalogue/?available=on").content.decode()


def test_bad_filter_values_are_reported_not_crashing(client, brand_manager, stock):
    client.force_login(brand_manager.user)

    response = client.get("/catalogue/?height_min=abc&price_min=-5&sort=nonsense&page=zzz")

    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()


def test_empty_result_has_a_helpful_message(client, brand_manager, stock):
    client.force_login(brand_manager.user)

    response = client.get("/catalogue/?q=nobody-matches-this")

    assert "No twin matches these filters" in response.content.decode()


def test_htmx_request_gets_only_the_results_fragment(client, brand_manager, stock):
    client.force_login(brand_manager.user)

    response = client.get("/catalogue/?q=amara", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body
    assert "Amara" in body and "Linnea" not in body


def test_catalogue_requires_sign_in(client, stock):
    response = client.get("/catalogue/")

    assert response.status_code == 302


def _seed(agency, n: int) -> None:
    talent = TalentFactory(agency=agency)
    for i in range(n):
        TwinFactory(talent=talent, tags=["editorial", f"tag{i % 7}"], with_image=(i < 30))


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/catalogue/",
        "/catalogue/?tag=editorial&sort=price_asc&page=2",
        "/catalogue/?q=twin&category=beauty",
    ],
)
def test_query_count_is_the_same_at_10_and_500_twins(client, brand_manager, agency, url):
    from marketplace.core.notify import unread_count

    client.force_login(brand_manager.user)
    unread_count(brand_manager.user)  # the header's count is cached apart from the catalogue
    _seed(agency, 10)
    small = _count_queries(client, url)

    _seed(agency, 490)
    assert Twin.objects.count() == 500
    large = _count_queries(client, url)

    assert large == small
    assert small <= 12


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_pages_by_keys_are_the_pages_of_the_sorted_list(agency, sort):
    _seed(agency, 60)
    retired = list(Twin.objects.order_by("id").values_list("pk", flat=True)[:20])[::3]
    Twin.objects.filter(pk__in=retired).update(status=Twin.Status.RETIRED)
    twins = catalogue_twins(CatalogueQuery(sort=sort, tags=["editorial"]))
    pages = PageByKeys(twins)

    for start in (0, 7, 24, 48):
        assert [t.pk for t in pages[start : start + 24]] == [
            t.pk for t in twins[start : start + 24]
        ]
    assert pages[5].pk == twins[5].pk
    assert len(pages) == twins.count()


def test_a_deep_page_costs_the_queries_of_the_first(client, brand_manager, agency):
    client.force_login(brand_manager.user)
    _seed(agency, 80)
    first = _count_queries(client, "/catalogue/?sort=name")  # facets and count now cached

    assert _count_queries(client, "/catalogue/?sort=name&page=3") == _count_queries(
        client, "/catalogue/?sort=name"
    )
    assert first >= _count_queries(client, "/catalogue/?sort=name")


def test_a_card_shows_its_first_four_tags_by_name(client, brand_manager, agency):
    client.force_login(brand_manager.user)
    talent = TalentFactory(agency=agency)
    tags = ["t-street", "t-beach", "t-runway", "t-editorial", "t-avant", "t-casual"]
    TwinFactory(talent=talent, display_name="Tagged", tags=tags)
    TwinFactory(talent=talent, display_name="Untagged")

    page = client.get("/catalogue/?sort=name").content.decode()

    cards = {
        name: re.findall(r'<span class="tag">([^<]+)</span>', card)
        for card in page.split('class="card twin-card"')[1:]
        for name in ("Tagged", "Untagged")
        if f"<h3>{name}</h3>" in card
    }
    assert cards == {"Tagged": ["t-avant", "t-beach", "t-casual", "t-editorial"], "Untagged": []}
