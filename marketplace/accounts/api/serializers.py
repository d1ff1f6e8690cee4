from __future__ import annotations

from rest_framework import serializers


class OrganisationRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["agency", "brand"])


class IdentitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["api_key", "member", "talent", "user"],
        help_text="How the caller is authenticated.",
    )
    organisation = OrganisationRefSerializer(allow_null=True)
    role = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The key's scopes; null for the browser session (the role decides).",
    )
    key_prefix = serializers.CharField(allow_null=True)
