"""A brand's webhook endpoints over the API (scope webhooks:write)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.accounts.models import Organisation
from marketplace.core.api.pagination import KeysetPagination
from marketplace.core.api.views import ApiView

from .. import selectors, services
from ..models import BrandWebhookEndpoint
from .serializers import (
    CreatedEndpointSerializer,
    DeliverySerializer,
    EndpointInputSerializer,
    EndpointSerializer,
)

SCOPE = "webhooks:write"


def _brand(view: ApiView) -> Organisation:
    """Webhooks are for brands: anyone else finds nothing here (404)."""
    if not view.viewer.is_brand:
        raise BrandWebhookEndpoint.DoesNotExist
    return view.viewer.org


class WebhookEndpointListApi(ApiView):
    scopes = {"GET": SCOPE, "POST": SCOPE}
    error_statuses = (400, 404, 409)
    pagination_class = KeysetPagination

    @extend_schema(responses=EndpointSerializer(many=True), summary="Webhook endpoints")
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.endpoints_for(_brand(self)), EndpointSerializer)

    @extend_schema(
        request=EndpointInputSerializer,
        responses={201: CreatedEndpointSerializer},
        summary="Add a webhook endpoint",
        description="Licence events of this brand are POSTed to the URL as JSON, signed: "
        "`Likeness-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, '<t>.<body>')>`. The "
        "secret is in this response only.",
    )
    def post(self, request: Request) -> Response:
        _brand(self)
        payload = EndpointInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        issued = services.create_endpoint(
            by=self.viewer.member,
            url=payload.validated_data["url"],
            description=payload.validated_data.get("description", ""),
        )
        # The only response that carries the secret.
        return Response(
            CreatedEndpointSerializer(issued.endpoint).data, status=status.HTTP_201_CREATED
        )


class WebhookEndpointReadApi(ApiView):
    scopes = {"GET": SCOPE, "DELETE": SCOPE}
    error_statuses = (404,)

    @extend_schema(responses=EndpointSerializer, summary="A webhook endpoint")
    def get(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.endpoint_for(_brand(self), endpoint_id)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None}, summary="Disable a webhook endpoint")
    def delete(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.endpoint_for(_brand(self), endpoint_id)
        services.disable_endpoint(by=self.viewer.member, endpoint_id=endpoint.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListApi(ApiView):
    scopes = {"GET": SCOPE}
    error_statuses = (400, 404)
    pagination_class = KeysetPagination

    @extend_schema(responses=DeliverySerializer(many=True), summary="Deliveries to an endpoint")
    def get(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.endpoint_for(_brand(self), endpoint_id)
        return self.paginated(selectors.deliveries_for(endpoint), DeliverySerializer)
