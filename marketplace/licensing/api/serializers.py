from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.core.api.fields import InputSerializer, KnownSlugField, QuerySerializer
from marketplace.talent.models import MediaType
from marketplace.talent.selectors import category_slugs

from ..models import ALTERATION_LIMITS, Consent, Licence, LicenceTerms
from ..selectors import timeline
from ..services import TermsInput, consent_statement
from ..terms import MIN_INTENDED_USE_CHARS, MIN_INTENDED_USE_WORDS
from ..territories import REGIONS, country_names

# The service's words (`[\w'-]+`), at least MIN_INTENDED_USE_WORDS of them. Whether enough
# of them are specific rather than vague ("marketing", "various") is the service's to judge.
INTENDED_USE_WORDS = rf"(?:[\w'-]+[^\w'-]+){{{MIN_INTENDED_USE_WORDS - 1}}}[\w'-]"


def territory_choices() -> list[tuple[str, str]]:
    """Regions first, then every ISO 3166-1 alpha-2 country, in capitals."""
    regions = [(code, label) for code, (label, _) in REGIONS.items()]
    return [*regions, *sorted(country_names().items())]


class TermsInputSerializer(InputSerializer):
    """The scope of a licence. The service checks it against the twin (media on its rate
    card, permitted category, dates, a specific intended use)."""

    media_types = serializers.ListField(
        child=serializers.ChoiceField(choices=MediaType.choices),
        min_length=1,
        max_length=len(MediaType.choices),
    )
    territories = serializers.ListField(
        child=serializers.ChoiceField(choices=territory_choices()),
        min_length=1,
        max_length=300,
        help_text="ISO 3166-1 alpha-2 countries and/or regions (EU, EEA, NORDICS, DACH, "
        "BENELUX, UKI, NA, WORLDWIDE).",
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    category = KnownSlugField(
        slugs=category_slugs,
        max_length=40,
        help_text="A category's slug; the twin must be offered for it.",
    )
    intended_use = serializers.CharField(
        min_length=MIN_INTENDED_USE_CHARS,
        max_length=2000,
        validators=[
            RegexValidator(
                INTENDED_USE_WORDS,
                f"Describe the intended use in at least {MIN_INTENDED_USE_WORDS} words.",
            )
        ],
        help_text=f"Specifically what will be shown, where, for what product: at least "
        f"{MIN_INTENDED_USE_WORDS} words, enough of them specific (not 'marketing', "
        "'various').",
    )
    exclusive = serializers.BooleanField(default=False)
    max_uses = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=1_000_000,
        help_text="Empty: metered, paid per use.",
    )
    alteration_limits = serializers.ListField(
        child=serializers.ChoiceField(choices=ALTERATION_LIMITS),
        required=False,
        default=list,
        max_length=len(ALTERATION_LIMITS),
    )
    ai_training_forbidden = serializers.BooleanField(default=True)

    def to_terms(self) -> TermsInput:
        d = self.validated_data
        return TermsInput(
            media_types=list(d["media_types"]),
            territories=list(d["territories"]),
            start_date=d["start_date"],
            end_date=d["end_date"],
            category=d["category"],
            intended_use=d["intended_use"],
            exclusive=d["exclusive"],
            max_uses=d["max_uses"],
            alteration_limits=list(d["alteration_limits"]),
            ai_training_forbidden=d["ai_training_forbidden"],
        )


class LicenceRequestSerializer(TermsInputSerializer):
    twin = serializers.SlugField(max_length=140, help_text="The twin's slug in the catalogue.")


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SplitSerializer(serializers.Serializer):
    platform_fee = serializers.IntegerField()
    agency_commission = serializers.IntegerField()
    talent_share = serializers.IntegerField()


class QuoteLineSerializer(serializers.Serializer):
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    label = serializers.CharField()
    base_fee = serializers.IntegerField()
    per_use_fee = serializers.IntegerField()


class QuoteSerializer(serializers.Serializer):
    """A price for the terms, in minor units of `currency`. Nothing is reserved."""

    currency = serializers.CharField()
    lines = QuoteLineSerializer(many=True)
    base_total = serializers.IntegerField()
    territories = serializers.ListField(child=serializers.CharField())
    territory_scope = serializers.ChoiceField(choices=["country", "region", "worldwide"])
    territory_bps = serializers.IntegerField()
    duration_days = serializers.IntegerField()
    duration_label = serializers.CharField()
    duration_bps = serializers.IntegerField()
    exclusive = serializers.BooleanField()
    exclusivity_premium_bps = serializers.IntegerField()
    approval_premium_bps = serializers.IntegerField(
        help_text="The rate card's image-approval premium, when the terms carry the term (else 0)."
    )
    approval_premium = serializers.IntegerField(
        help_text="That premium as an amount, included in `total` (minor units)."
    )
    total = serializers.IntegerField()
    platform_fee_bps = serializers.IntegerField()
    agency_commission_bps = serializers.IntegerField()
    split = SplitSerializer()
    available = serializers.BooleanField()
    image_approval = serializers.CharField(
        allow_blank=True,
        help_text="The image-approval term these terms would carry (empty when the model "
        "does not ask to approve each image before use).",
    )
    conflict = serializers.CharField(
        allow_null=True,
        help_text="Why the slot is taken (window, category, territories; never by whom).",
    )


class TermsSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    split = serializers.SerializerMethodField()

    class Meta:
        model = LicenceTerms
        fields = [
            "version",
            "proposed_by",
            "media_types",
            "territories",
            "territory_label",
            "start_date",
            "end_date",
            "category",
            "category_name",
            "max_uses",
            "exclusive",
            "alteration_limits",
            "ai_training_forbidden",
            "image_approval",
            "approval_hours",
            "agency_may_answer",
            "intended_use",
            "revocation_notice_days",
            "currency",
            "total_fee",
            "split",
            "terms_hash",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "media_types": {"help_text": "Media types (social, web, …)."},
            "territories": {"help_text": "ISO 3166-1 alpha-2 country codes."},
        }

    @extend_schema_field(SplitSerializer)
    def get_split(self, terms: LicenceTerms) -> dict[str, Any]:
        return dict(terms.quote["split"])


class NamedSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class TwinRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    display_name = serializers.CharField()


class LicenceSerializer(serializers.ModelSerializer):
    """A licence as its parties see it: the brand, the agency and the model."""

    twin = TwinRefSerializer(read_only=True)
    brand = NamedSerializer(read_only=True)
    agency = NamedSerializer(read_only=True)
    terms = TermsSerializer(read_only=True, allow_null=True)
    effective_end = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Licence
        fields = [
            "reference",
            "status",
            "status_reason",
            "twin",
            "brand",
            "agency",
            "terms",
            "reserved_until",
            "activated_at",
            "ended_at",
            "ends_early_on",
            "effective_end",
            "uses_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TimelineEntrySerializer(serializers.Serializer):
    event = serializers.CharField(source="verb")
    at = serializers.DateTimeField(source="created_at")


class LicenceDetailSerializer(LicenceSerializer):
    versions = TermsSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()

    class Meta(LicenceSerializer.Meta):
        fields = [*LicenceSerializer.Meta.fields, "versions", "timeline"]
        read_only_fields = fields

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, licence: Licence) -> list[dict[str, Any]]:
        return TimelineEntrySerializer(timeline(licence), many=True).data  # type: ignore[return-value]


class LicenceListQuerySerializer(QuerySerializer):
    status = serializers.ListField(
        child=serializers.ChoiceField(choices=Licence.Status.choices),
        required=False,
        help_text="Only licences in these statuses.",
    )


# --- The model's consent --------------------------------------------------------------------


class ConsentRequestSerializer(LicenceSerializer):
    """A licence awaiting the model's consent: the exact terms, and the statement they sign."""

    statement = serializers.SerializerMethodField(
        help_text="The text the model agrees to or refuses, as the consent page shows it."
    )
    terms_hash = serializers.CharField(
        source="current_terms.terms_hash",
        read_only=True,
        help_text="SHA-256 of these terms: send it back with the consent.",
    )

    class Meta(LicenceSerializer.Meta):
        fields = [*LicenceSerializer.Meta.fields, "statement", "terms_hash"]
        read_only_fields = fields

    def get_statement(self, licence: Licence) -> str:
        return consent_statement(licence)


@extend_schema_field({"type": "boolean", "enum": [True]})
class TrueField(serializers.BooleanField):
    """A confirmation: only `true` is accepted."""


class ConsentInputSerializer(InputSerializer):
    """What the consent page asks of the model: the terms they read, their typed name and
    the confirmation."""

    terms_hash = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        help_text="The `terms_hash` of the terms shown. If the terms changed since, nothing "
        "is recorded (400 `terms_changed`): review them again.",
    )
    typed_name = serializers.CharField(
        max_length=150, help_text="Your full name, typed as your signature."
    )
    confirm = TrueField(help_text="Must be true: you have read these terms and give your consent.")

    def validate_confirm(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError(
                "Confirm that you have read these terms and give your consent."
            )
        return value


class ConsentSerializer(serializers.ModelSerializer):
    """The model's recorded decision on one version of the terms, and the licence after it."""

    licence = LicenceSerializer(read_only=True)

    class Meta:
        model = Consent
        fields = [
            "decision",
            "typed_name",
            "statement",
            "terms_hash",
            "reason",
            "created_at",
            "licence",
        ]
        read_only_fields = fields
