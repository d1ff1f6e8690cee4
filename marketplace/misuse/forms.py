from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from marketplace.licensing import territories
from marketplace.talent.models import MediaType, Twin

from .services import SightingInput


class SightingForm(forms.Form):
    # An id, not a choice among the viewer's twins: the service decides whose twin it is, and
    # anyone else's answers 404 as on every page.
    twin = forms.IntegerField(label="Twin", widget=forms.Select)
    url = forms.CharField(
        required=False,
        max_length=2000,  # the service says why past its own limit, with the field named
        label="Web address (if you have it)",
        help_text="Where you saw it: https://… Leave empty if you only have a screenshot.",
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    screenshot = forms.FileField(
        required=False,
        label="Screenshot (if you have one)",
        help_text="JPEG, PNG or WebP. We keep it as evidence, with its SHA-256 fingerprint.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    seen_on = forms.DateField(
        label="Day you saw it",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    territory = forms.ChoiceField(choices=(), label="Country where you saw it")
    media_type = forms.ChoiceField(choices=MediaType.choices, label="Kind of use")
    note = forms.CharField(
        required=False,
        max_length=500,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, twins: QuerySet[Twin], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(twin.pk, twin.display_name) for twin in twins]
        field = self.fields["twin"]
        field.widget = forms.HiddenInput() if len(choices) == 1 else forms.Select(choices=choices)
        if choices:
            field.initial = choices[0][0]
        today = timezone.localdate()
        self.fields["seen_on"].initial = today
        self.fields["seen_on"].widget.attrs["max"] = today.isoformat()
        self.fields["territory"].choices = sorted(  # type: ignore[attr-defined]
            territories.country_names().items(), key=lambda item: item[1]
        )

    def sighting(self) -> SightingInput:
        d = self.cleaned_data
        return SightingInput(
            twin_id=d["twin"],
            seen_on=d["seen_on"],
            territory=d["territory"],
            media_type=d["media_type"],
            url=d["url"],
            screenshot=d.get("screenshot"),
            note=d["note"],
        )


class MoveCaseForm(forms.Form):
    to = forms.CharField(max_length=20, widget=forms.HiddenInput)
    note = forms.CharField(
        required=False,
        max_length=500,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
