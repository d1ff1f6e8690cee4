"""Scoped reads of a brand's webhook endpoints and their deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace.accounts.models import Organisation

from .models import BrandWebhookEndpoint, WebhookDelivery


def endpoints_for(brand: Organisation) -> QuerySet[BrandWebhookEndpoint]:
    return BrandWebhookEndpoint.objects.for_brand(brand).order_by("-created_at", "-id")


def endpoint_for(brand: Organisation, endpoint_id: int) -> BrandWebhookEndpoint:
    """Raises BrandWebhookEndpoint.DoesNotExist for another brand's, as for a missing one."""
    return endpoints_for(brand).get(pk=endpoint_id)


def deliveries_for(endpoint: BrandWebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.prefetch_related("attempt_log").order_by("-created_at", "-id")
