from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from marketplace.core.api.fields import InputSerializer

from ..selectors import Outcome, Verdict


class VerifyUploadSerializer(InputSerializer):
    image = serializers.FileField(
        help_text="The picture to check: JPEG, PNG or WebP. It is read, never kept."
    )


class VerdictSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[
            Outcome.LICENSED,
            Outcome.CHANGED,
            Outcome.MATCHED,
            Outcome.NOT_LICENSED,
            Outcome.NO_CREDENTIALS,
            Outcome.DAMAGED,
        ],
        help_text="`licensed`: signed by Likeness and intact. `changed`: signed by Likeness, "
        "altered since. `matched`: no credentials left, but its perceptual fingerprint is that "
        "of a picture Likeness signed. `not_licensed`: credentials from someone else, or "
        "naming no use on record. `no_credentials`: nothing to go by. `damaged`: credentials "
        "that cannot be checked (broken or forged).",
    )
    licensed = serializers.BooleanField(help_text="A picture Likeness signed for a licence.")
    changed = serializers.BooleanField(help_text="Altered after it was signed.")
    in_licence_today = serializers.BooleanField()
    method = serializers.ChoiceField(
        choices=["manifest", "fingerprint", ""], help_text="How it was recognised."
    )
    headline = serializers.CharField()
    details = serializers.ListField(child=serializers.CharField())
    twin = serializers.CharField(source="twin_name", help_text="The twin's public name.")
    licence = serializers.CharField(source="licence_reference")
    licence_standing = serializers.ChoiceField(
        choices=["active", "ending", "expired", "revoked", "ended", ""],
        help_text="The licence today; `ending`: consent revoked, notice running.",
    )
    standing_date = serializers.DateField(
        allow_null=True, help_text="Until when it runs, or when it ended."
    )
    verify_url = serializers.SerializerMethodField()

    def get_verify_url(self, verdict: Verdict) -> str:
        if not verdict.verify_token:
            return ""
        return self.context["request"].build_absolute_uri(
            reverse("provenance:verify_use", args=[verdict.verify_token])
        )
