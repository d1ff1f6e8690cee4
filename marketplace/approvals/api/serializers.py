from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from marketplace.core.api.fields import InputSerializer, QuerySerializer
from marketplace.licensing.territories import country_names
from marketplace.talent.models import MediaType

from ..models import Proof, ProofDecision
from ..services import MAX_CAPTION, ProofInput


class ProofUploadSerializer(InputSerializer):
    """A proof sent as multipart/form-data: the picture and its intended placement."""

    image = serializers.FileField(
        help_text="The image: JPEG, PNG or WebP, checked by decoding it and stored re-encoded "
        "without metadata."
    )
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    territory = serializers.ChoiceField(
        choices=sorted(country_names().items()),
        help_text="ISO 3166-1 alpha-2 country where it is to run, in capitals.",
    )
    publish_on = serializers.DateField(help_text="The intended publication date.")
    caption = serializers.CharField(
        max_length=MAX_CAPTION, required=False, allow_blank=True, default=""
    )
    idempotency_key = serializers.CharField(
        max_length=120,
        required=False,
        help_text="Your id for this submission: sending it again returns the first proof. "
        "Defaults to the request's Idempotency-Key.",
    )


def proof_input(data: dict[str, Any], default_key: str) -> ProofInput:
    return ProofInput(
        media_type=data["media_type"],
        territory=data["territory"],
        publish_on=data["publish_on"],
        caption=data.get("caption") or "",
        image=data["image"],
        idempotency_key=data.get("idempotency_key") or default_key,
    )


class DecisionInputSerializer(InputSerializer):
    version = serializers.IntegerField(
        min_value=1, max_value=32767, help_text="The version answered (the latest)."
    )
    decision = serializers.ChoiceField(choices=ProofDecision.Decision.choices)
    note = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed to reject or ask for changes.",
    )


class ProofListQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=Proof.Status.choices, required=False)


class ProofDecisionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    on_behalf = serializers.SerializerMethodField()

    class Meta:
        model = ProofDecision
        fields = ["version", "decision", "note", "on_behalf", "image_sha256", "created_at"]
        read_only_fields = fields

    def get_on_behalf(self, obj: ProofDecision) -> bool:
        return obj.on_behalf_of_id is not None


class ProofSerializer(serializers.ModelSerializer):
    licence = serializers.CharField(source="licence.reference", read_only=True)
    version = serializers.IntegerField(source="latest.number", read_only=True)
    media_type = serializers.CharField(source="latest.media_type", read_only=True)
    territory = serializers.CharField(source="latest.territory", read_only=True)
    publish_on = serializers.DateField(source="latest.publish_on", read_only=True)
    caption = serializers.CharField(source="latest.caption", read_only=True)
    sha256 = serializers.CharField(source="latest.sha256", read_only=True)
    preview_url = serializers.SerializerMethodField(
        help_text="The watermarked preview of the latest version (every party)."
    )
    use_id = serializers.IntegerField(read_only=True, allow_null=True)
    decisions = ProofDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = Proof
        fields = [
            "reference",
            "licence",
            "status",
            "version",
            "media_type",
            "territory",
            "publish_on",
            "caption",
            "sha256",
            "preview_url",
            "due_at",
            "decided_at",
            "use_id",
            "decisions",
            "created_at",
        ]
        read_only_fields = fields

    def get_preview_url(self, obj: Proof) -> str:
        assert obj.latest is not None
        return reverse("approvals:preview", args=[obj.reference, obj.latest.number])
