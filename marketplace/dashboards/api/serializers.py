from __future__ import annotations

from rest_framework import serializers

from marketplace.core.api.fields import QuerySerializer
from marketplace.talent.models import MediaType


class FigureRowSerializer(serializers.Serializer):
    """Money in one currency, minor units."""

    currency = serializers.CharField()
    earned = serializers.IntegerField(help_text="Every earning, net of refunds.")
    paid_out = serializers.IntegerField()
    pending = serializers.IntegerField()
    pending_not_onboarded = serializers.IntegerField(
        help_text="Waiting for a connected payout account."
    )
    pending_in_window = serializers.IntegerField(help_text="Due in the next payout runs.")
    awaiting_brand_payment = serializers.IntegerField()


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    values = serializers.DictField(child=serializers.IntegerField(), help_text="Per currency.")


class LicenceEarningSerializer(serializers.Serializer):
    reference = serializers.CharField(source="licence__reference")
    brand = serializers.CharField(source="licence__brand__name")
    twin = serializers.CharField(source="licence__twin__display_name")
    currency = serializers.CharField()
    total = serializers.IntegerField()


class EarningsSerializer(serializers.Serializer):
    payee = serializers.ChoiceField(choices=["talent", "agency"])
    figures = FigureRowSerializer(many=True)
    monthly = MonthSerializer(many=True, help_text="The last 12 months, oldest first.")
    by_licence = LicenceEarningSerializer(
        many=True, help_text="The model's earnings per licence (empty for agencies)."
    )
    next_payout_at = serializers.DateTimeField()


class TalentUseQuerySerializer(QuerySerializer):
    brand = serializers.SlugField(required=False, max_length=140, help_text="A brand's slug.")
    media = serializers.ChoiceField(required=False, choices=MediaType.choices)
    territory = serializers.RegexField(r"^[A-Za-z]{2}$", required=False)
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", required=False, help_text="YYYY-MM")


class TalentUseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    licence = serializers.CharField(source="licence.reference")
    brand = serializers.CharField(source="brand.name")
    used_on = serializers.DateField()
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    territory = serializers.CharField()
    asset_reference = serializers.CharField()
    talent_share = serializers.IntegerField(help_text="What the model earns, minor units.")
    currency = serializers.CharField()
