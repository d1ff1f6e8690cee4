"""The project's URLs plus two query-free ceilings: `/bench/bare/` for the catalogue and
`/bench/api/licences/<ref>/uses` for usage reporting (at the end of this file).

`/bench/bare/`: the catalogue template rendered without queries.

The bare view is the ceiling the real catalogue is compared with. It renders the same
`catalogue/catalogue.html` with the same context shape (filter form, a page of 24 twins,
facets, params) and the same signed-in brand header, but every object is an unsaved model
instance built once at import time, so a request costs Django's request cycle, the form and
template rendering, and nothing else. The benchmark calls it without a session cookie, so
authentication never touches the database, and the view supplies what the signed-in header
needs (`viewer`, `unread_notifications`, `messages`) in place of the context processors'
values. When a new context processor reads the database, supply its value here too: the
benchmark refuses to run while this view makes any query.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from importlib import import_module
from typing import overload

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from config.urls import urlpatterns as project_urlpatterns
from marketplace.accounts.models import Membership, Organisation, Role, User
from marketplace.accounts.tenancy import Viewer
from marketplace.catalogue.forms import CatalogueFilterForm
from marketplace.catalogue.selectors import Facets
from marketplace.core.api.views import ApiView
from marketplace.licensing.models import Licence
from marketplace.payments.api.serializers import UsageItemSerializer, UsageReportSerializer
from marketplace.payments.models import UsageReport
from marketplace.talent.management.commands.load_demo import EYES, FIRST, HAIR, LAST, TAGS
from marketplace.talent.models import Category, StyleTag, Twin, TwinImage

CATALOGUE_SIZE = 10_000  # what the paginator reports, as on the seeded catalogue
_CATEGORIES = import_module("marketplace.talent.migrations.0002_categories").CATEGORIES


class FixedResults(Sequence[Twin]):
    """A sequence the paginator sees as CATALOGUE_SIZE long whose every page is the same."""

    def __init__(self, twins: list[Twin], size: int) -> None:
        self.twins, self.size = twins, size

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> Twin: ...
    @overload
    def __getitem__(self, index: slice) -> list[Twin]: ...
    def __getitem__(self, index: int | slice) -> Twin | list[Twin]:
        if isinstance(index, slice):
            return self.twins
        return self.twins[index % len(self.twins)]


def _tags() -> list[StyleTag]:
    return sorted(
        (StyleTag(id=i + 1, slug=name.replace(" ", "-"), name=name) for i, name in enumerate(TAGS)),
        key=lambda t: t.name,
    )


def _twin(i: int, agency: Organisation, tags: list[StyleTag], rng: random.Random) -> Twin:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    twin = Twin(
        id=i + 1,
        agency=agency,
        display_name=f"{first} {last[0]}. — digital twin",
        slug=f"bare-{i}",
        status=Twin.Status.PAUSED if i == 5 else Twin.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=i),
        height_cm=rng.randint(165, 190),
        hair=rng.choice(HAIR),
        eyes=rng.choice(EYES),
        price_from=rng.randint(8, 40) * 100_00,
        currency=agency.currency,
    )
    twin.cover = TwinImage(
        id=i + 1,
        twin=twin,
        image="twins/bench/cover.jpg",
        thumbnail="twins/bench/thumb.jpg",
        alt_text=f"{first}'s twin, look 1",
        status=TwinImage.Status.READY,
    )
    # As the catalogue's `with_card_tags` gives them.
    twin.card_tags = sorted(t.name for t in rng.sample(tags, k=3))  # type: ignore[attr-defined]
    return twin


def _viewer() -> Viewer:
    brand = Organisation(id=1, kind=Organisation.Kind.BRAND, name="Bench Brand", slug="bench")
    user = User(id=1, email="brand@bench.test", full_name="Bench Brand Manager")
    viewer = Viewer(
        user=user, membership=Membership(user=user, organisation=brand, role=Role.MANAGER)
    )
    viewer.__dict__["talent"] = None  # the cached_property would otherwise query
    return viewer


def _build() -> tuple[Facets, FixedResults, Viewer]:
    rng = random.Random(42)
    tags = _tags()
    agencies = [
        Organisation(
            id=i + 1,
            kind=Organisation.Kind.AGENCY,
            name=f"Agency {i + 1}",
            currency=("EUR", "GBP", "USD")[i % 3],
        )
        for i in range(6)
    ]
    twins = [_twin(i, agencies[i % 6], tags, rng) for i in range(settings.CATALOGUE_PAGE_SIZE)]
    facets = Facets(
        tags=tags,
        categories=sorted(
            (
                Category(id=i + 1, slug=slug, name=name, sensitive=sensitive)
                for i, (slug, name, sensitive) in enumerate(_CATEGORIES)
            ),
            key=lambda c: (c.sensitive, c.name),
        ),
        hair=sorted(HAIR),
        eyes=sorted(EYES),
        currencies=["EUR", "GBP", "USD"],
    )
    return facets, FixedResults(twins, CATALOGUE_SIZE), _viewer()


FACETS, RESULTS, VIEWER = _build()


def bare_catalogue(request: HttpRequest) -> HttpResponse:
    """The catalogue view's work minus every query: form, paginator, full-page render."""
    form = CatalogueFilterForm(request.GET or None, facets=FACETS)
    form.is_valid()
    page = Paginator(RESULTS, settings.CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "facets": FACETS,
        "params": params.urlencode(),
        "viewer": VIEWER,
        "unread_notifications": 0,
        "messages": (),
    }
    return render(request, "catalogue/catalogue.html", context)


class BareUsageApi(ApiView):
    """`POST /api/v1/licences/<ref>/uses` minus the work: the same authentication (API key),
    scope check, throttle, JSON parsing and `UsageItemSerializer` validation, answered 201 with
    a `UsageReportSerializer` body built from an unsaved report. Its only queries are the ones
    authentication makes."""

    scopes = {"POST": "usage:write"}

    def post(self, request: Request, reference: str) -> Response:
        payload = UsageItemSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        report = UsageReport(
            id=1,
            licence=Licence(reference=reference),
            idempotency_key=data.get("idempotency_key", ""),
            used_on=data["used_on"],
            media_type=data["media_type"],
            territory=data["territory"].upper(),
            asset_reference=data["asset_reference"],
            fee=1_000,
            talent_share=720,
            agency_share=180,
            currency="EUR",
            created_at=timezone.now(),
        )
        return Response(UsageReportSerializer(report).data, status=201)


urlpatterns = [
    path("bench/bare/", bare_catalogue, name="bench_bare"),
    # `ref` is the API's converter, registered by the project's API URLs imported above.
    path("bench/api/licences/<ref:reference>/uses", BareUsageApi.as_view(), name="bench_usage"),
    *project_urlpatterns,
]
