from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from marketplace.core.api.fields import InputSerializer

from ..models import BrandWebhookEndpoint, WebhookAttempt, WebhookDelivery

# The URLs the endpoint takes, as a pattern the schema can state: http(s), a host name (a
# letters-only top-level domain), localhost or an IPv4 address, an optional port, then any
# path of URI characters (RFC 3986). Every URL it matches passes Django's URL validator too,
# which the field still runs.
_OCTET = r"(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_URI_CHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
URL_PATTERN = (
    r"^https?://(?=[^/?#]{1,253}(?:[/?#]|$))"
    rf"(?:(?:{_LABEL}\.)+[A-Za-z]{{2,63}}|localhost|{_OCTET}(?:\.{_OCTET}){{3}})"
    rf"(?::[0-9]{{1,5}})?(?:/{_URI_CHAR}*)?(?:\?(?:{_URI_CHAR}|\?)*)?(?:#(?:{_URI_CHAR}|\?)*)?$"
)


class EndpointInputSerializer(InputSerializer):
    url = serializers.URLField(
        max_length=500,
        validators=[RegexValidator(URL_PATTERN, "Enter an http(s) URL with a host name.")],
        help_text="https:// URL receiving POSTs.",
    )
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
