from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.core.api.fields import BoundedListSerializer, InputSerializer
from marketplace.licensing.territories import country_names
from marketplace.provenance.options import LabelLanguage, LabelPosition, SourceType
from marketplace.provenance.selectors import credentials_state
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


class UseCredentialsSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["ready", "pending", "late", "none"],
        help_text="`ready`: both copies can be downloaded. `pending`: a worker is making them "
        "(ask again in a few seconds). `late`: expected by now. `none`: the use has no picture.",
    )
    credentialed_url = serializers.URLField(
        allow_null=True,
        help_text="The picture with its licence in its Content Credentials (C2PA) and IPTC "
        "fields. Download with the same API key.",
    )
    labelled_url = serializers.URLField(
        allow_null=True,
        help_text="The same picture with the visible EU AI Act label, signed likewise.",
    )
    verify_url = serializers.URLField(allow_null=True, help_text="Its public verification page.")
    disclosure = serializers.CharField(
        allow_null=True, help_text="The disclosure text to publish beside the picture."
    )
    source_type = serializers.ChoiceField(choices=SourceType.choices, allow_null=True)
    label_language = serializers.ChoiceField(choices=LabelLanguage.choices, allow_null=True)
    label_position = serializers.ChoiceField(choices=LabelPosition.choices, allow_null=True)


def use_credentials(use: UsageReport, request: object) -> dict[str, object]:
    """A use's copies as the API shows them (the rows prefetched by the list, if it did)."""
    # A use without a picture has no copies: not asked (a batch of 1,000 uses stays cheap).
    images = sorted(use.credentialed_images.all(), key=lambda i: -i.pk) if use.image else []
    image = images[0] if images else None
    absolute = request.build_absolute_uri  # type: ignore[attr-defined]
    if image is None:
        return {
            "state": credentials_state(use, None),
            **dict.fromkeys(
                [
                    "credentialed_url",
                    "labelled_url",
                    "verify_url",
                    "disclosure",
                    "source_type",
                    "label_language",
                    "label_position",
                ]
            ),
        }
    return {
        "state": "ready",
        "credentialed_url": absolute(reverse("provenance:credentialed_download", args=[image.pk])),
        "labelled_url": absolute(reverse("provenance:labelled_download", args=[image.pk]))
        if image.labelled_file
        else None,
        "verify_url": absolute(reverse("provenance:verify_use", args=[image.verify_token])),
        "disclosure": image.disclosure or None,
        "source_type": image.source_type,
        "label_language": image.label_language,
        "label_position": image.label_position,
    }


class UsageReportSerializer(serializers.ModelSerializer):
    licence = serializers.CharField(source="licence.reference", read_only=True)
    image = serializers.ImageField(
        read_only=True,
        allow_null=True,
        help_text="The picture of the placement, re-encoded; null when none was sent.",
    )
    credentials = serializers.SerializerMethodField(
        help_text="The Content Credentials copies of the picture: download URLs once a worker "
        "has made them."
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
            "credentials",
            "fee",
            "talent_share",
            "agency_share",
            "currency",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(UseCredentialsSerializer)
    def get_credentials(self, use: UsageReport) -> dict[str, object]:
        return use_credentials(use, self.context["request"])


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
