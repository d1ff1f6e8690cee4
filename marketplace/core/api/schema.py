"""OpenAPI: the key scheme, the error envelope on every operation, and shared components."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .fields import BoundedListSerializer, KnownSlugField
from .idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="Safe to show to a person.")
    field = serializers.CharField(
        allow_null=True, help_text="The input at fault (dotted path), if any."
    )
    details = serializers.DictField(
        required=False, help_text="Every field's messages, for `invalid` input."
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input, or refused by a rule of the marketplace.",
    401: "No credentials, or an invalid or revoked API key.",
    403: "The role or the API key's scopes do not allow this.",
    404: "Not found, or another organisation's.",
    409: "Conflicts with the current state (transition, exclusivity, idempotency).",
    429: "Throttled; see Retry-After.",
}

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type={"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retry-safe requests, as with Stripe: the same key and request within 24 h "
    "replays the first response; the same key with another request answers 409. "
    f"1–{MAX_KEY_LENGTH} printable ASCII characters.",
)


class ApiAutoSchema(AutoSchema):
    """Every operation documents 401, 403 and 429 in the error envelope, plus the statuses
    its view lists in `error_statuses` (e.g. (400, 404, 409))."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        statuses = {401, 403, 429, *getattr(self.view, "error_statuses", ())}
        for code in sorted(statuses):
            if str(code) not in responses:
                response = self._get_response_for_code(
                    ErrorEnvelopeSerializer, str(code), direction=direction
                )
                response["description"] = ERROR_DESCRIPTIONS.get(code, "Error")
                responses[str(code)] = response
        return responses


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.core.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "lk_<prefix>_<secret>",
            "description": "An organisation API key, created by an owner under Team → API "
            "keys. Each endpoint names the scope it needs.",
        }


class BoundedListExtension(OpenApiSerializerFieldExtension):
    target_class = BoundedListSerializer
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        schema = auto_schema._unwrap_list_serializer(field, direction)
        if field.min_length is not None:
            schema["minItems"] = field.min_length
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        return schema


class KnownSlugExtension(OpenApiSerializerFieldExtension):
    """The slugs that exist, as an enum (and "" where an empty query parameter is allowed)."""

    target_class = KnownSlugField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        try:
            slugs = sorted(field.slugs())
        except DatabaseError:  # generated without a database: the slug's shape only
            slugs = []
        schema: dict[str, Any] = {"type": "string"}
        if slugs:
            schema["enum"] = [*slugs, ""] if field.allow_blank else slugs
        else:
            schema.update({"pattern": "^[-a-zA-Z0-9_]*$", "maxLength": field.max_length})
        return schema
