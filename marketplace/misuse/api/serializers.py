from __future__ import annotations

from typing import Any

from rest_framework import serializers

from marketplace.core.api.fields import InputSerializer, QuerySerializer
from marketplace.licensing.territories import country_names
from marketplace.talent.models import MediaType

from ..models import Sighting, TakedownCase
from ..services import MAX_URL_LENGTH, SightingInput


class SightingUploadSerializer(InputSerializer):
    """A sighting sent as multipart/form-data: where the twin was seen, with the evidence."""

    twin = serializers.SlugField(
        max_length=140, help_text="The twin's slug: one of the agency's twins (or the model's)."
    )
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Where it was seen (http:// or https://). A URL, a screenshot, or both.",
    )
    screenshot = serializers.FileField(
        required=False,
        help_text="JPEG, PNG or WebP, decoded in full and kept re-encoded, with the SHA-256 "
        "of the file as sent.",
    )
    seen_on = serializers.DateField(help_text="The day it was seen (not in the future).")
    territory = serializers.ChoiceField(
        choices=sorted(country_names().items()),
        help_text="ISO 3166-1 alpha-2 country where it was seen, in capitals.",
    )
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def sighting_input(twin_id: int, data: dict[str, Any]) -> SightingInput:
    return SightingInput(
        twin_id=twin_id,
        seen_on=data["seen_on"],
        territory=data["territory"],
        media_type=data["media_type"],
        url=data.get("url") or "",
        screenshot=data.get("screenshot"),
        note=data.get("note") or "",
    )


class SightingListQuerySerializer(QuerySerializer):
    finding = serializers.ChoiceField(choices=Sighting.Finding.choices, required=False)


class CaseListQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=TakedownCase.Status.choices, required=False)


class SightingSerializer(serializers.ModelSerializer):
    twin = serializers.SlugField(source="twin.slug", read_only=True)
    licence = serializers.SerializerMethodField()
    case = serializers.SerializerMethodField()
    has_screenshot = serializers.SerializerMethodField()

    class Meta:
        model = Sighting
        fields = [
            "id",
            "twin",
            "url",
            "host",
            "seen_on",
            "territory",
            "media_type",
            "note",
            "finding",
            "method",
            "reason",
            "licence",
            "case",
            "has_screenshot",
            "screenshot_sha256",
            "created_at",
        ]
        read_only_fields = fields

    def get_licence(self, obj: Sighting) -> str | None:
        """The licence the sighting was matched to, if any."""
        return obj.licence.reference if obj.licence is not None else None

    def get_case(self, obj: Sighting) -> int | None:
        """The id of the takedown case it opened (unknown or out of scope), if any."""
        case = getattr(obj, "case", None)
        return case.pk if case is not None else None

    def get_has_screenshot(self, obj: Sighting) -> bool:
        return bool(obj.screenshot)


class TakedownCaseSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    sighting = SightingSerializer(read_only=True)
    notice_ready = serializers.SerializerMethodField()

    class Meta:
        model = TakedownCase
        fields = [
            "id",
            "reference",
            "status",
            "sighting",
            "notice_ready",
            "notice_sha256",
            "notice_drafted_at",
            "notice_sent_at",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_notice_ready(self, obj: TakedownCase) -> bool:
        """Whether the worker has drafted the notice (read it on the case's page)."""
        return bool(obj.notice)
