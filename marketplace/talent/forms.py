from __future__ import annotations

from typing import cast

from django import forms

from marketplace.core.money import CHARGE_LIMITS, to_major, to_minor

from .models import (
    APPROVAL_PREMIUM_MAX_BPS,
    MAX_APPROVAL_HOURS,
    MIN_APPROVAL_HOURS,
    MULTIPLIER_MAX_BPS,
    MULTIPLIER_MIN_BPS,
    PREMIUM_MAX_BPS,
    Category,
    MediaType,
    RateCard,
    Talent,
)
from .services import RateCardInput, TwinDetails


class TalentForm(forms.Form):
    full_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="We email them a link to claim their login.")
    invite = forms.BooleanField(required=False, initial=True, label="Send the invitation now")


class TwinForm(forms.Form):
    talent = forms.ModelChoiceField(
        queryset=Talent.objects.none(), help_text="The person this twin depicts."
    )
    display_name = forms.CharField(max_length=120)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=4000, min_length=30
    )
    height_cm = forms.IntegerField(required=False, min_value=120, max_value=220)
    bust_cm = forms.IntegerField(required=False, min_value=50, max_value=160)
    waist_cm = forms.IntegerField(required=False, min_value=40, max_value=150)
    hips_cm = forms.IntegerField(required=False, min_value=50, max_value=170)
    dress_size_eu = forms.IntegerField(required=False, min_value=28, max_value=60)
    shoe_size_eu = forms.DecimalField(
        required=False, min_value=30, max_value=50, max_digits=3, decimal_places=1
    )
    hair = forms.CharField(required=False, max_length=30)
    eyes = forms.CharField(required=False, max_length=30)
    tags = forms.CharField(
        required=False,
        max_length=300,
        help_text="Comma-separated style tags, e.g. editorial, streetwear.",
    )
    permitted_categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Categories the agency offers this twin for. The talent's own restrictions "
        "always win.",
    )

    def __init__(
        self,
        *args: object,
        agency=None,
        editing: bool = False,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            del self.fields["talent"]
        else:
            talent_field = cast(forms.ModelChoiceField, self.fields["talent"])
            talent_field.queryset = Talent.objects.for_agency(agency)

    def clean_tags(self) -> list[str]:
        tags = [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]
        if len(tags) > 12:
            raise forms.ValidationError("Use at most 12 tags.")
        if any(len(t) > 40 for t in tags):
            raise forms.ValidationError("Each tag must be 40 characters or fewer.")
        return tags

    def details(self) -> TwinDetails:
        d = self.cleaned_data
        return TwinDetails(
            display_name=d["display_name"],
            description=d["description"],
            height_cm=d.get("height_cm"),
            bust_cm=d.get("bust_cm"),
            waist_cm=d.get("waist_cm"),
            hips_cm=d.get("hips_cm"),
            dress_size_eu=d.get("dress_size_eu"),
            shoe_size_eu=d.get("shoe_size_eu"),
            hair=d.get("hair", "").strip().lower(),
            eyes=d.get("eyes", "").strip().lower(),
            tags=d["tags"],
            permitted_categories=d["permitted_categories"],
        )


MULTIPLIER_FIELDS = [
    ("exclusivity_premium_bps", "Exclusivity premium (%)"),
    ("approval_premium_bps", "Image-approval premium (%)"),
    ("territory_country_bps", "One country (× %)"),
    ("territory_region_bps", "A region, e.g. EU (× %)"),
    ("territory_worldwide_bps", "Worldwide (× %)"),
    ("duration_3m_bps", "Up to 3 months (× %)"),
    ("duration_6m_bps", "Up to 6 months (× %)"),
    ("duration_12m_bps", "Up to 12 months (× %)"),
    ("duration_24m_bps", "Up to 24 months (× %)"),
]


# The premiums add to the fee (from 0 %); every other field multiplies it.
PERCENT_BOUNDS = {
    "exclusivity_premium_bps": (0, PREMIUM_MAX_BPS),
    "approval_premium_bps": (0, APPROVAL_PREMIUM_MAX_BPS),
}


class RateCardForm(forms.Form):
    """Fees in major units of the agency's currency; multipliers as percentages."""

    def __init__(
        self, *args: object, currency: str, rate_card: RateCard | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.currency = currency
        lines = {line.media_type: line for line in rate_card.lines.all()} if rate_card else {}
        low, high = (to_major(limit, currency) for limit in CHARGE_LIMITS[currency])
        for media in MediaType:
            line = lines.get(media.value)
            self.fields[f"base_{media.value}"] = forms.DecimalField(
                required=False,
                min_value=low,
                max_value=high,
                max_digits=12,
                decimal_places=2,
                label=f"{media.label}: base fee",
                initial=to_major(line.base_fee, currency) if line else None,
            )
            self.fields[f"use_{media.value}"] = forms.DecimalField(
                required=False,
                min_value=0,
                max_value=high,
                max_digits=12,
                decimal_places=2,
                label=f"{media.label}: per use",
                initial=to_major(line.per_use_fee, currency) if line else None,
            )
        for name, label in MULTIPLIER_FIELDS:
            low_bps, high_bps = PERCENT_BOUNDS.get(name, (MULTIPLIER_MIN_BPS, MULTIPLIER_MAX_BPS))
            self.fields[name] = forms.DecimalField(
                min_value=low_bps // 100,
                max_value=high_bps // 100,
                max_digits=7,
                decimal_places=2,
                label=label,
                initial=getattr(rate_card, name) / 100 if rate_card else None,
            )
        # Existing cards (and a new form) start at no premium: it is the agency's to set.
        self.fields["approval_premium_bps"].required = False
        self.fields["approval_premium_bps"].help_text = (
            "Added to the licence fee when the model approves every image before use "
            "(10 = +10 %; 0 for none). Per-use fees do not change."
        )

    def media_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(m.label, self[f"base_{m.value}"], self[f"use_{m.value}"]) for m in MediaType]

    def multiplier_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _ in MULTIPLIER_FIELDS]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        offered = False
        for media in MediaType:
            base, per_use = data.get(f"base_{media.value}"), data.get(f"use_{media.value}")
            if base or f"base_{media.value}" in self.errors:
                offered = True  # a base fee was typed (the field says what is wrong with it)
            elif per_use:
                self.add_error(f"base_{media.value}", "Set a base fee to offer this media type.")
        if not offered:
            raise forms.ValidationError("Offer at least one media type with a base fee.")
        return data

    def card(self) -> RateCardInput:
        d = self.cleaned_data
        lines = {}
        for media in MediaType:
            base = d.get(f"base_{media.value}")
            if base:
                lines[media.value] = (
                    to_minor(base, self.currency),
                    to_minor(d.get(f"use_{media.value}") or 0, self.currency),
                )
        return RateCardInput(
            lines=lines, **{name: int((d[name] or 0) * 100) for name, _ in MULTIPLIER_FIELDS}
        )


class TwinImageForm(forms.Form):
    image = forms.FileField(help_text="JPEG, PNG or WebP; at least 200 px a side.")
    alt_text = forms.CharField(required=False, max_length=200, label="Description")


class RestrictionsForm(forms.Form):
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Never use my likeness for",
    )


class ImageApprovalForm(forms.Form):
    """The model's default for new licences of one twin."""

    image_approval = forms.BooleanField(
        required=False, label="Every image needs my approval before use"
    )
    approval_hours = forms.IntegerField(
        min_value=MIN_APPROVAL_HOURS,
        max_value=MAX_APPROVAL_HOURS,
        initial=72,
        label="My answer time (hours)",
        help_text="Brands see the countdown. No answer in time is never an approval.",
    )
    agency_may_answer = forms.BooleanField(
        required=False, label="My agency may approve or reject for me"
    )
