from __future__ import annotations

from datetime import timedelta
from typing import cast

from django import forms
from django.utils import timezone

from marketplace.talent.models import MAX_APPROVAL_HOURS, MIN_APPROVAL_HOURS, Category, Twin

from . import territories
from .models import ALTERATION_LIMITS
from .terms import TermsInput
from .widgets import TerritoryPicker


class TermsForm(forms.Form):
    """The scope of a licence, for a request or a counter-offer on one twin."""

    media_types = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label="Media")
    territories = forms.MultipleChoiceField(
        widget=TerritoryPicker,
        help_text="Tick regions, countries or both: a region stands for all its countries.",
    )
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        to_field_name="slug",
        label="Industry / product category",
        empty_label="Choose a category",
    )
    exclusive = forms.BooleanField(
        required=False, label="Exclusive for this category, territories and window"
    )
    max_uses = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1_000_000,
        label="Maximum uses",
        help_text="Leave empty for metered use, paid per use.",
        error_messages={
            "min_value": "Allow at least one use, or leave it empty for metered use.",
            "max_value": "At most 1,000,000 uses; leave it empty for metered use.",
            "invalid": "Enter a whole number of uses, or leave it empty for metered use.",
        },
    )
    alteration_limits = forms.MultipleChoiceField(
        choices=ALTERATION_LIMITS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Alteration limits",
    )
    ai_training_forbidden = forms.BooleanField(
        required=False, initial=True, label="AI training with the twin is forbidden"
    )
    intended_use = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="What will be shown, where, for which product or collection.",
    )

    def __init__(self, *args: object, twin: Twin, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.twin = twin
        self.fields["media_types"].choices = [  # type: ignore[attr-defined]
            (line.media_type, line.get_media_type_display()) for line in twin.rate_card.lines.all()
        ]
        self.fields["territories"].choices = [  # type: ignore[attr-defined]
            ("Regions", territories.region_choices()),
            ("Countries", territories.country_choices()),
        ]
        category = cast(forms.ModelChoiceField, self.fields["category"])
        category.queryset = twin.permitted_categories.exclude(
            pk__in=twin.talent.restricted_categories.values("pk")
        )
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("start_date", today + timedelta(days=7))
            self.initial.setdefault("end_date", today + timedelta(days=7 + 90))
            self.initial.setdefault("ai_training_forbidden", True)

    def terms(self) -> TermsInput:
        d = self.cleaned_data
        return TermsInput(
            media_types=list(d["media_types"]),
            territories=list(d["territories"]),
            start_date=d["start_date"],
            end_date=d["end_date"],
            category=d["category"].slug,
            intended_use=d["intended_use"],
            exclusive=d["exclusive"],
            max_uses=d["max_uses"],
            alteration_limits=list(d["alteration_limits"]),
            ai_training_forbidden=d["ai_training_forbidden"],
        )

    @classmethod
    def initial_from(cls, terms) -> dict[str, object]:
        return {
            "media_types": terms.media_types,
            "territories": terms.territories,
            "start_date": terms.start_date,
            "end_date": terms.end_date,
            "category": terms.category.slug,
            "exclusive": terms.exclusive,
            "max_uses": terms.max_uses,
            "alteration_limits": terms.alteration_limits,
            "ai_training_forbidden": terms.ai_training_forbidden,
            "intended_use": terms.intended_use,
        }


class CounterTermsForm(TermsForm):
    """The agency's counter-offer: the scope, and the image-approval term for this licence
    (the model's default for the twin to start with; she consents to what is sent)."""

    image_approval = forms.BooleanField(
        required=False, label="Every image needs the model's approval before use"
    )
    approval_hours = forms.IntegerField(
        required=False,
        min_value=MIN_APPROVAL_HOURS,
        max_value=MAX_APPROVAL_HOURS,
        label="The model's answer time (hours)",
        help_text="Empty: the model's own answer time for this twin.",
    )
    agency_may_answer = forms.BooleanField(
        required=False, label="The agency may answer for the model"
    )

    def __init__(self, *args: object, twin: Twin, **kwargs: object) -> None:
        super().__init__(*args, twin=twin, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("image_approval", twin.image_approval)
            self.initial.setdefault("approval_hours", twin.approval_hours)
            self.initial.setdefault("agency_may_answer", twin.agency_may_answer)

    def terms(self) -> TermsInput:
        terms = super().terms()
        d = self.cleaned_data
        terms.image_approval = d["image_approval"]
        terms.approval_hours = d["approval_hours"]
        terms.agency_may_answer = d["agency_may_answer"]
        return terms

    @classmethod
    def initial_from(cls, terms) -> dict[str, object]:
        return {
            **TermsForm.initial_from(terms),
            "image_approval": terms.image_approval,
            "approval_hours": terms.approval_hours,
            "agency_may_answer": terms.agency_may_answer,
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )


class ConsentForm(forms.Form):
    terms_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)
    typed_name = forms.CharField(max_length=150, label="Type your full name to sign")
    confirm = forms.BooleanField(label="I have read these terms and give my consent")


class RevokeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        label="Reason (shared with your agency)",
    )
    confirm = forms.BooleanField(
        label="I understand: no new licences, and active licences "
        "end at the earliest point their terms allow"
    )
