from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api.errors import form_invalid
from marketplace.core.api.pagination import KeysetPagination
from marketplace.core.api.views import ApiView

from .. import selectors
from ..forms import CatalogueFilterForm
from .serializers import CatalogueQuerySerializer, TwinDetailSerializer, TwinSummarySerializer


class CataloguePagination(KeysetPagination):
    page_size = settings.CATALOGUE_PAGE_SIZE


class TwinListApi(ApiView):
    """The catalogue, filtered and sorted as on the web: the price sorts group twins by
    currency (alphabetically here; the web puts the brand's own currency first)."""

    scopes = {"GET": "catalogue:read"}
    error_statuses = (400,)
    pagination_class = CataloguePagination

    @extend_schema(
        parameters=[CatalogueQuerySerializer],
        responses=TwinSummarySerializer(many=True),
        summary="Search the catalogue",
    )
    def get(self, request: Request) -> Response:
        CatalogueQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        form = CatalogueFilterForm(request.query_params, facets=selectors.catalogue_facets())
        if not form.is_valid():
            raise form_invalid(form)
        # Searched twins come in the sort asked for (newest first by default), not by
        # relevance: the cursor pages over plain columns and a relevance score is not one.
        query = selectors.searched(form.to_query(by_relevance=False))
        return self.paginated(selectors.catalogue_twins(query), TwinSummarySerializer)


class TwinReadApi(ApiView):
    scopes = {"GET": "catalogue:read"}
    error_statuses = (404,)

    @extend_schema(responses=TwinDetailSerializer, summary="A twin's catalogue page")
    def get(self, request: Request, slug: str) -> Response:
        # A draft, retired or unknown twin raises Twin.DoesNotExist: 404.
        twin = selectors.catalogue_twin(slug)
        return Response(TwinDetailSerializer(twin, context={"request": request}).data)
