from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid, apislug)

from . import views

urlpatterns = [
    path("webhooks/endpoints", views.WebhookEndpointListApi.as_view(), name="webhook-list"),
    path(
        "webhooks/endpoints/<dbid:endpoint_id>",
        views.WebhookEndpointReadApi.as_view(),
        name="webhook-detail",
    ),
    path(
        "webhooks/endpoints/<dbid:endpoint_id>/deliveries",
        views.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
]
