from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.core.api.fields import KnownSlugField, QuerySerializer
from marketplace.core.money import CURRENCY_CHOICES
from marketplace.licensing.selectors import blind_availability
from marketplace.talent.models import MediaType, Twin, TwinImage
from marketplace.talent.selectors import category_slugs

from ..forms import SORT_CHOICES
from ..selectors import catalogue_facets

# What the filter form's price takes (at most 12 digits, 2 after the point), as a pattern
# the schema can state: the form reads the number itself.
PRICE_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"


def tag_slugs() -> list[str]:
    """The tags the filter offers: those some listed twin holds."""
    return [tag.slug for tag in catalogue_facets().tags]


class CatalogueQuerySerializer(QuerySerializer):
    """The web catalogue's filters, typed. The values then go through the very form the web
    catalogue uses, so the two filter identically."""

    q = serializers.CharField(required=False, max_length=100, help_text="Words to search for.")
    tag = serializers.ListField(
        child=KnownSlugField(slugs=tag_slugs, max_length=40),
        required=False,
        help_text="Style tags; a twin must have every one.",
    )
    category = KnownSlugField(slugs=category_slugs, required=False, max_length=40)
    hair = serializers.CharField(required=False, max_length=30)
    eyes = serializers.CharField(required=False, max_length=30)
    height_min = serializers.IntegerField(required=False, min_value=100, max_value=230)
    height_max = serializers.IntegerField(required=False, min_value=100, max_value=230)
    currency = serializers.ChoiceField(required=False, choices=CURRENCY_CHOICES)
    price_min = serializers.RegexField(
        PRICE_PATTERN, required=False, help_text="In major units (e.g. 1000.00)."
    )
    price_max = serializers.RegexField(PRICE_PATTERN, required=False)
    available = serializers.BooleanField(required=False, help_text="Taking bookings now.")
    sort = serializers.ChoiceField(required=False, choices=SORT_CHOICES)


class OrganisationNameSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class TagSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


def _absolute(request: Any, url: str | None) -> str | None:
    if not url:
        return None
    return request.build_absolute_uri(url) if request is not None else url


class TwinSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    display_name = serializers.CharField()
    agency = OrganisationNameSerializer()
    status = serializers.ChoiceField(choices=Twin.Status.choices)
    bookable = serializers.BooleanField(source="is_bookable")
    price_from = serializers.IntegerField(
        allow_null=True, help_text="Lowest base fee, minor units of `currency`."
    )
    currency = serializers.CharField()
    height_cm = serializers.IntegerField(allow_null=True)
    hair = serializers.CharField()
    eyes = serializers.CharField()
    tags = TagSerializer(many=True)
    cover_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_cover_url(self, twin: Twin) -> str | None:
        cover = twin.cover
        if cover is None or cover.status != TwinImage.Status.READY or not cover.thumbnail:
            return None
        return _absolute(self.context.get("request"), cover.thumbnail.url)


class RateCardLineSerializer(serializers.Serializer):
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    base_fee = serializers.IntegerField()
    per_use_fee = serializers.IntegerField()


class RateCardSerializer(serializers.Serializer):
    currency = serializers.CharField()
    lines = RateCardLineSerializer(many=True, source="lines.all")
    exclusivity_premium_bps = serializers.IntegerField()
    approval_premium_bps = serializers.IntegerField(
        help_text="Added to the licence fee when the model approves every image before use."
    )
    territory_country_bps = serializers.IntegerField()
    territory_region_bps = serializers.IntegerField()
    territory_worldwide_bps = serializers.IntegerField()
    duration_3m_bps = serializers.IntegerField()
    duration_6m_bps = serializers.IntegerField()
    duration_12m_bps = serializers.IntegerField()
    duration_24m_bps = serializers.IntegerField()


class AvailabilitySerializer(serializers.Serializer):
    """Exclusive holds on the twin: what, where and until when; never whose."""

    category = serializers.CharField()
    territories = serializers.CharField()
    until = serializers.DateField()
    reserved = serializers.BooleanField(help_text="A pending request, not yet a licence in force.")


class ImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    thumbnail_url = serializers.URLField(allow_null=True)
    alt_text = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class TwinDetailSerializer(TwinSummarySerializer):
    description = serializers.CharField()
    bust_cm = serializers.IntegerField(allow_null=True)
    waist_cm = serializers.IntegerField(allow_null=True)
    hips_cm = serializers.IntegerField(allow_null=True)
    dress_size_eu = serializers.IntegerField(allow_null=True)
    shoe_size_eu = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    permitted_categories = serializers.SerializerMethodField()
    restricted_categories = serializers.SerializerMethodField()
    rate_card = serializers.SerializerMethodField()
    availability = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()

    def _restricted(self, twin: Twin) -> list[Any]:
        return list(twin.talent.restricted_categories.all())

    @extend_schema_field(TagSerializer(many=True))
    def get_permitted_categories(self, twin: Twin) -> list[dict[str, str]]:
        restricted = {c.pk for c in self._restricted(twin)}
        data = [c for c in twin.permitted_categories.all() if c.pk not in restricted]
        return TagSerializer(data, many=True).data  # type: ignore[return-value]

    @extend_schema_field(TagSerializer(many=True))
    def get_restricted_categories(self, twin: Twin) -> list[dict[str, str]]:
        """Categories the model never allows."""
        return TagSerializer(self._restricted(twin), many=True).data  # type: ignore[return-value]

    @extend_schema_field(RateCardSerializer(allow_null=True))
    def get_rate_card(self, twin: Twin) -> dict[str, Any] | None:
        card = getattr(twin, "rate_card", None)
        return RateCardSerializer(card).data if card is not None else None

    @extend_schema_field(AvailabilitySerializer(many=True))
    def get_availability(self, twin: Twin) -> list[dict[str, Any]]:
        return AvailabilitySerializer(blind_availability(twin), many=True).data  # type: ignore[return-value]

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, twin: Twin) -> list[dict[str, Any]]:
        request = self.context.get("request")
        return [
            {
                "url": _absolute(request, image.image.url),
                "thumbnail_url": _absolute(request, image.thumbnail.url)
                if image.thumbnail
                else None,
                "alt_text": image.alt_text or twin.display_name,
                "width": image.width,
                "height": image.height,
            }
            for image in twin.images.all()
            if image.status == TwinImage.Status.READY
        ]
