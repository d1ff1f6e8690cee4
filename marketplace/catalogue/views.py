from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from marketplace.accounts.tenancy import TenantRequest
from marketplace.crew import selectors as crew_selectors
from marketplace.licensing.selectors import blind_availability
from marketplace.talent.models import Twin

from . import selectors
from .forms import CatalogueFilterForm


@login_required
@vary_on_headers("HX-Request")  # one URL, two bodies: the browser must not cache them as one
def catalogue(request: TenantRequest) -> HttpResponse:
    version = selectors.catalogue_version()
    facets = selectors.catalogue_facets(version)
    form = CatalogueFilterForm(request.GET or None, facets=facets)
    viewer = request.viewer
    # A brand's own currency leads the price sorts (prices are grouped by currency).
    query = form.to_query(viewer_currency=viewer.org.currency if viewer.is_brand else "")
    results = selectors.catalogue_results(query, version)
    paginator = Paginator(selectors.PageByKeys(results.twins), settings.CATALOGUE_PAGE_SIZE)
    paginator.count = results.count
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "more_matches": results.more,
        "facets": facets,
        "params": params.urlencode(),
        "by_price": query.sort in selectors.PRICE_SORTS,
        "viewer_currency": query.viewer_currency,
        "currencies_listed": len(facets.currencies),
    }
    htmx = getattr(request, "htmx", None)
    # htmx restoring history it no longer holds asks for the whole page, not the fragment.
    partial = htmx is not None and bool(htmx) and not htmx.history_restore_request
    template = "catalogue/_results.html" if partial else "catalogue/catalogue.html"
    return render(request, template, context)


@login_required
def twin_detail(request: TenantRequest, slug: str) -> HttpResponse:
    try:
        twin = selectors.catalogue_twin(slug)
    except Twin.DoesNotExist as exc:
        raise Http404 from exc
    images = [i for i in twin.images.all() if i.status == "ready"]
    return render(
        request,
        "catalogue/twin_detail.html",
        {
            "twin": twin,
            "images": images,
            "availability": blind_availability(twin),
            "credits": crew_selectors.public_credits(twin),
        },
    )
