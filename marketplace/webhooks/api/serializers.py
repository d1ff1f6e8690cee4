from __future__ import annotations

from rest_framework import serializers

from marketplace.core.api.fields import InputSerializer

from ..models import BrandWebhookEndpoint, WebhookAttempt, WebhookDelivery


class EndpointInputSerializer(InputSerializer):
    url = serializers.URLField(max_length=500, help_text="https:// URL receiving POSTs.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class EndpointSerializer(serializers.ModelSerializer):
    live = serializers.BooleanField(source="is_live", read_only=True)

    class Meta:
        model = BrandWebhookEndpoint
        fields = ["id", "url", "description", "live", "created_at", "disabled_at"]
        read_only_fields = fields


class CreatedEndpointSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True,  # the model's field, in this serializer only
        help_text="Signs every delivery (Likeness-Signature). Shown only in this response.",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "status_code", "error", "duration_ms", "created_at"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "licence_reference",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
            "created_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields
