"""Catalogue reads: what brands browse. A constant number of queries per page."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import cast, overload

from django.core.cache import cache
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import OrderBy

from marketplace.core.caching import db_key
from marketplace.talent.models import Category, StyleTag, Talent, Twin

from . import search

# Every sort lists the twins taking bookings first, then the paused ones ("Not taking
# bookings") in the same order: a twin nobody can book never leads a list. Published sorts
# after paused by name, so descending status puts it first.
BOOKABLE_FIRST = "-status"

SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("-published_at", "-id"),
    "price_asc": ("price_from", "id"),
    "price_desc": ("-price_from", "-id"),
    "name": ("display_name", "id"),
    "height": ("-height_cm", "id"),
}
# Prices are compared within a currency only: the price sorts group twins by the currency
# their agency charges in (the viewer's own first), never €800 beside £900 by the number.
PRICE_SORTS = {"price_asc", "price_desc"}


def catalogue_order(sort: str, viewer_currency: str = "") -> list[OrderBy | str]:
    """The ORDER BY of a catalogue sort (`newest` when unknown), for a viewer paying in
    `viewer_currency` (its group leads the price sorts). Without a viewer's currency every
    key is a plain field, as the API's keyset pagination needs."""
    order: list[OrderBy | str] = []
    sort = sort if sort in SORTS else "newest"
    if sort in PRICE_SORTS:
        if viewer_currency:
            order.append(
                Case(
                    When(currency=viewer_currency, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ).asc()
            )
        order.append("currency")
    order.append(BOOKABLE_FIRST)
    order.extend(SORTS[sort])
    return order


@dataclass
class CatalogueQuery:
    text: str = ""
    tags: list[str] = field(default_factory=list)
    category: str = ""
    hair: str = ""
    eyes: str = ""
    height_min: int | None = None
    height_max: int | None = None
    price_min: int | None = None  # minor units, in the twin's currency
    price_max: int | None = None
    currency: str = ""
    available_only: bool = False
    sort: str = ""  # blank: by relevance when searching (see `by_relevance`), else newest
    viewer_currency: str = ""  # the brand's currency: its group leads the price sorts
    # A search with no sort chosen lists the best matches first (PostgreSQL). The API turns
    # it off: its cursor pages over plain columns, and a score is not one.
    by_relevance: bool = True
    # Match display names close to the words (misspelt names) instead of the words
    # themselves: what `searched` turns to when the words match no twin (PostgreSQL).
    close_names: bool = False


def catalogue_twins(query: CatalogueQuery) -> QuerySet[Twin]:
    """Twins brands may browse, filtered and sorted. Tags are prefetched (one query)."""
    qs: QuerySet[Twin] = Twin.objects.in_catalogue()
    ranked = False
    if query.text:
        qs, ranked = search.matching(qs, query.text, close_names=query.close_names)
    for tag in query.tags:
        qs = qs.filter(
            Exists(Twin.tags.through.objects.filter(twin_id=OuterRef("pk"), styletag__slug=tag))
        )
    if query.category:
        qs = qs.filter(
            Exists(
                Twin.permitted_categories.through.objects.filter(
                    twin_id=OuterRef("pk"), category__slug=query.category
                )
            )
        )
        # Never offer a twin for a category its talent refuses.
        qs = qs.exclude(
            Exists(
                Talent.restricted_categories.through.objects.filter(
                    talent_id=OuterRef("talent_id"), category__slug=query.category
                )
            )
        )
    if query.hair:
        qs = qs.filter(hair__iexact=query.hair)
    if query.eyes:
        qs = qs.filter(eyes__iexact=query.eyes)
    if query.height_min is not None:
        qs = qs.filter(height_cm__gte=query.height_min)
    if query.height_max is not None:
        qs = qs.filter(height_cm__lte=query.height_max)
    if query.currency:
        qs = qs.filter(currency=query.currency)
    if query.price_min is not None:
        qs = qs.filter(price_from__gte=query.price_min)
    if query.price_max is not None:
        qs = qs.filter(price_from__lte=query.price_max)
    if query.available_only:
        qs = qs.filter(status=Twin.Status.PUBLISHED)
    if ranked and query.by_relevance and not query.sort:
        order: list[OrderBy | str] = [BOOKABLE_FIRST, f"-{search.RANK}", *SORTS["newest"]]
    else:
        order = catalogue_order(query.sort, query.viewer_currency)
    return (
        qs.select_related("agency", "cover")
        .prefetch_related(Prefetch("tags", queryset=StyleTag.objects.order_by("name")))
        .order_by(*order)
    )


# What a twin's card in the list shows (templates/_twin_card.html), and nothing more: the
# description and the search document are the widest columns and no card needs them.
CARD_FIELDS = (
    "slug",
    "display_name",
    "status",
    "height_cm",
    "hair",
    "price_from",
    "currency",
    "agency__name",
    "cover__thumbnail",
    "cover__alt_text",
)


CARD_TAGS = 4


def catalogue_cards() -> QuerySet[Twin]:
    """Twins as their catalogue cards load them: agency and cover, card fields only (their
    tags come with `with_card_tags`)."""
    return Twin.objects.in_catalogue().select_related("agency", "cover").only(*CARD_FIELDS)


def with_card_tags(twins: list[Twin]) -> list[Twin]:
    """Give each twin `card_tags`: the names of its first tags by name, as its card shows
    them. One query of (twin, name) pairs: no tag objects, no related managers."""
    names: dict[int, list[str]] = defaultdict(list)
    pairs = (
        Twin.tags.through.objects.filter(twin_id__in=[twin.pk for twin in twins])
        .order_by("styletag__name")
        .values_list("twin_id", "styletag__name")
    )
    for twin_id, name in pairs:
        names[twin_id].append(name)
    for twin in twins:
        twin.card_tags = names[twin.pk][:CARD_TAGS]  # type: ignore[attr-defined]
    return twins


class PageByKeys(Sequence[Twin]):
    """The catalogue's twins for the Paginator, a page in two steps: the page's ids from the
    twin table alone (filtered, sorted and sliced, which an index of the sort can serve however
    deep the page), then those twins as cards (`catalogue_cards`: still in the catalogue, a
    look-up by id, with `card_tags`). In one step PostgreSQL joins every matching twin's wide
    row and sorts them all before it can skip to a deep page (page 120 sorted by name: 25 ms
    of a 10,000-twin catalogue, in a sort spilled to disk).

    The paginator's count is the view's (cached) one; `len` counts only when asked."""

    def __init__(self, twins: QuerySet[Twin]) -> None:
        self.twins = twins

    def __len__(self) -> int:
        return self.twins.count()

    @overload
    def __getitem__(self, index: int) -> Twin: ...
    @overload
    def __getitem__(self, index: slice) -> list[Twin]: ...
    def __getitem__(self, index: int | slice) -> Twin | list[Twin]:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        keys = self.twins.select_related(None).prefetch_related(None).values_list("pk", flat=True)
        ids = list(keys[index])
        # Fail closed: a twin that left the catalogue since the first step drops out.
        found = catalogue_cards().in_bulk(ids)
        return with_card_tags([found[pk] for pk in ids if pk in found])


def catalogue_twin(slug: str) -> Twin:
    """One twin's public page. Raises Twin.DoesNotExist for drafts, retired or unknown."""
    return (
        Twin.objects.in_catalogue()
        .select_related("agency", "talent", "cover", "rate_card")
        .prefetch_related(
            "tags", "permitted_categories", "rate_card__lines", "talent__restricted_categories"
        )
        .get(slug=slug)
    )


@dataclass(frozen=True)
class Facets:
    tags: list[StyleTag]
    categories: list[Category]
    hair: list[str]
    eyes: list[str]
    currencies: list[str]


FACETS_CACHE_SECONDS = 60


def catalogue_version() -> str:
    """The latest twin change (one indexed query): what catalogue caches are keyed on.

    Every service write saves the twin; the caches' timeout bounds what this misses (tag or
    category edits in the admin, a deleted twin)."""
    latest = Twin.objects.aggregate(latest=Max("updated_at"))["latest"]
    return latest.isoformat() if latest else "none"


def catalogue_facets(version: str | None = None) -> Facets:
    """Filter choices: computing them scans the whole catalogue, so they are cached under
    the catalogue's version."""
    key = db_key("catalogue", "facets", version or catalogue_version())
    return cast(Facets, cache.get_or_set(key, _compute_facets, FACETS_CACHE_SECONDS))


def catalogue_count(
    query: CatalogueQuery, twins: QuerySet[Twin], version: str, *, cap: int | None = None
) -> int:
    """How many twins match (for "page N of M"), or `cap` when at least that many do:
    counting reads every match, so the number is cached per query under the catalogue's
    version, for at most FACETS_CACHE_SECONDS. Every filter reads the twin's own rows and
    tags (available: published, not paused), and the services save the twin when they change
    its status."""
    digest = hashlib.sha256(repr((query, cap)).encode()).hexdigest()[:32]
    key = db_key("catalogue", "count", version, digest)
    counted = twins.order_by()[:cap] if cap is not None else twins
    return cast(int, cache.get_or_set(key, counted.count, FACETS_CACHE_SECONDS))


# A search's matches are counted up to this many, and ranked when there are no more. A word
# most twins share ("editorial") would otherwise have every match read, counted and scored
# on each search, a cost that grows with the catalogue: such a search shows "1000+ twins",
# newest first, and its pages stop at the cap (narrowing the search or the filters ranks
# again). Below the cap both cost the same at 10,000 twins and at a million.
SEARCH_CAP = 1000


@dataclass(frozen=True)
class Results:
    twins: QuerySet[Twin]
    count: int  # at most SEARCH_CAP for a search
    more: bool  # a search matching more than SEARCH_CAP twins


def catalogue_results(query: CatalogueQuery, version: str) -> Results:
    """The catalogue page's twins and their count: ranked by relevance when searched with no
    sort chosen and no more than SEARCH_CAP twins match (`catalogue_twins`); when the words
    match no twin, the twins named closest to them (PostgreSQL)."""
    if not query.text.strip():
        twins = catalogue_twins(query)
        return Results(twins, catalogue_count(query, twins, version), more=False)
    unranked = catalogue_twins(replace(query, by_relevance=False))
    found = catalogue_count(query, unranked, version, cap=SEARCH_CAP + 1)
    if not found and search.has_close_names(unranked):
        query = replace(query, close_names=True)
        unranked = catalogue_twins(replace(query, by_relevance=False))
        found = catalogue_count(query, unranked, version, cap=SEARCH_CAP + 1)
    if found > SEARCH_CAP:
        return Results(unranked, SEARCH_CAP, more=True)
    return Results(catalogue_twins(query), found, more=False)


def searched(query: CatalogueQuery) -> CatalogueQuery:
    """`query`, or, when its words match no twin, the same looking for names close to them
    (PostgreSQL): the API's search, which pages with a cursor and needs no count."""
    if not query.text.strip() or query.close_names:
        return query
    twins = catalogue_twins(replace(query, by_relevance=False))
    if search.has_close_names(twins) and not twins.exists():
        return replace(query, close_names=True)
    return query


def _compute_facets() -> Facets:
    looks = set(Twin.objects.in_catalogue().values_list("hair", "eyes", "currency").distinct())
    return Facets(
        # Tags some listed twin holds: the same rule as the list (consent revoked: not listed).
        tags=list(
            StyleTag.objects.filter(Exists(Twin.objects.in_catalogue().filter(tags=OuterRef("pk"))))
        ),
        categories=list(Category.objects.all()),
        hair=sorted({hair for hair, _, _ in looks if hair}),
        eyes=sorted({eyes for _, eyes, _ in looks if eyes}),
        currencies=sorted({currency for _, _, currency in looks}),
    )
