"""Outgoing webhooks: brands' endpoints, and every delivery of a licence event to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.accounts.models import Organisation
from marketplace.core.models import ScopedQuerySet, TimeStampedModel


class EndpointQuerySet(models.QuerySet["BrandWebhookEndpoint"]):
    def for_brand(self, brand: Organisation) -> EndpointQuerySet:
        return self.filter(brand=brand)

    def live(self) -> EndpointQuerySet:
        return self.filter(disabled_at__isnull=True)


class BrandWebhookEndpoint(TimeStampedModel):
    """A brand's URL that receives its licence events, signed with the endpoint's secret.

    The secret signs every delivery, so it is kept; it is shown once, when the endpoint is
    made, and never again."""

    brand = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=80)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["brand"], condition=Q(disabled_at__isnull=True), name="webhook_live_idx"
            )
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_live(self) -> bool:
        return self.disabled_at is None


class WebhookDeliveryQuerySet(ScopedQuerySet["WebhookDelivery"]):
    brand_path = "endpoint__brand"


class WebhookDelivery(TimeStampedModel):
    """One event for one endpoint: the payload as it was when the event happened."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        BrandWebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    licence_reference = models.CharField(max_length=20, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="delivery_once_per_event")
        ]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id}"


class WebhookAttemptQuerySet(ScopedQuerySet["WebhookAttempt"]):
    brand_path = "delivery__endpoint__brand"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the endpoint answered, or why it could not be reached."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_number_unique")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
