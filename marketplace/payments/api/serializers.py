from __future__ import annotations

from rest_framework import serializers

from marketplace.core.api.fields import BoundedListSerializer, InputSerializer
from marketplace.licensing.territories import country_names
from marketplace.provenance.options import LabelLanguage, LabelPosition, SourceType
from marketplace.talent.models import MediaType

from ..models import UsageReport
from ..services import UsageInput

BATCH_LIMIT = 1000


class UsageItemSerializer(InputSerializer):
    used_on = serializers.DateField()
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    territory = serializers.ChoiceField(
        choices=sorted(country_names().items()),
        help_text="ISO 3166-1 alpha-2 country where the asset ran, in capitals.",
    )
    asset_reference = serializers.CharField(
        max_length=300, help_text="File name, URL or your DAM id."
    )
    idempotency_key = serializers.CharField(
        max_length=120,
        required=False,
        help_text="Your id for this use: reporting it again returns the first report. "
        "Defaults to the request's Idempotency-Key (plus `:<index>` in a batch).",
    )

    class Meta:
        list_serializer_class = BoundedListSerializer


class UsageUploadSerializer(UsageItemSerializer):
    """One use sent as multipart/form-data, with the optional picture of the placement."""

    # A plain file field: whether it is a picture (decoded, format, size and pixel limits) is
    # for `record_usage` to decide, exactly as for the web form's upload.
    image = serializers.FileField(
        required=False,
        help_text="A picture of the placement, shown to the model: JPEG, PNG or WebP, checked "
        "by decoding it and stored re-encoded without metadata.",
    )
    source_type = serializers.ChoiceField(
        choices=SourceType.choices,
        required=False,
        help_text="How the picture was made (IPTC digital source type in its Content "
        "Credentials): generated with the twin (default) or a photograph retouched with it.",
    )
    label_language = serializers.ChoiceField(
        choices=LabelLanguage.choices,
        required=False,
        help_text="Language of the visible AI label on the labelled copy (default en).",
    )
    label_position = serializers.ChoiceField(
        choices=LabelPosition.choices,
        required=False,
        help_text="Corner of the visible AI label on the labelled copy (default bottom-right).",
    )


def usage_input(data: dict, default_key: str) -> UsageInput:
    """A validated item as the service's input."""
    return UsageInput(
        used_on=data["used_on"],
        media_type=data["media_type"],
        territory=data["territory"],
        asset_reference=data["asset_reference"],
        idempotency_key=data.get("idempotency_key") or default_key,
        image=data.get("image"),
        source_type=data.get("source_type") or "",
        label_language=data.get("label_language") or "",
        label_position=data.get("label_position") or "",
    )


class UsageBatchSerializer(InputSerializer):
    uses = UsageItemSerializer(many=True, min_length=1, max_length=BATCH_LIMIT)


class UsageReportSerializer(serializers.ModelSerializer):
    licence = serializers.CharField(source="licence.reference", read_only=True)
    image = serializers.ImageField(
        read_only=True,
        allow_null=True,
        help_text="The picture of the placement, re-encoded; null when none was sent.",
    )

    class Meta:
        model = UsageReport
        fields = [
            "id",
            "licence",
            "idempotency_key",
            "used_on",
            "media_type",
            "territory",
            "asset_reference",
            "image",
            "fee",
            "talent_share",
            "agency_share",
            "currency",
            "created_at",
        ]
        read_only_fields = fields


class ItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class BatchItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["created", "replayed", "refused"])
    use = UsageReportSerializer(allow_null=True)
    error = ItemErrorSerializer(allow_null=True)


class BatchSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    replayed = serializers.IntegerField()
    refused = serializers.IntegerField()


class UsageBatchResultSerializer(serializers.Serializer):
    licence = serializers.CharField()
    summary = BatchSummarySerializer()
    results = BatchItemResultSerializer(many=True)
