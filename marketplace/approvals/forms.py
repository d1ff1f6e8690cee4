from __future__ import annotations

from django import forms
from django.utils import timezone

from marketplace.licensing import territories
from marketplace.licensing.models import LicenceTerms
from marketplace.talent.models import MediaType

from .models import ProofDecision
from .services import MAX_CAPTION, ProofInput


class ProofForm(forms.Form):
    """An image and its intended placement, within the licence's terms."""

    image = forms.FileField(
        label="Image", help_text="JPEG, PNG or WebP. The model sees it as you send it."
    )
    media_type = forms.ChoiceField(label="Media")
    territory = forms.ChoiceField(label="Territory")
    publish_on = forms.DateField(
        label="Publication date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    caption = forms.CharField(
        required=False,
        max_length=MAX_CAPTION,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Caption or copy",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=120)

    def __init__(self, *args: object, terms: LicenceTerms, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        names = territories.country_names()
        self.fields["media_type"].choices = [  # type: ignore[attr-defined]
            (m, MediaType(m).label) for m in terms.media_types
        ]
        self.fields["territory"].choices = [  # type: ignore[attr-defined]
            (code, names.get(code, code)) for code in terms.territories
        ]
        if not self.is_bound:
            self.initial.setdefault("publish_on", max(timezone.localdate(), terms.start_date))

    def proof(self) -> ProofInput:
        d = self.cleaned_data
        return ProofInput(
            media_type=d["media_type"],
            territory=d["territory"],
            publish_on=d["publish_on"],
            caption=d["caption"],
            image=d["image"],
            idempotency_key=d["idempotency_key"],
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ProofDecision.Decision.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=32767)
    note = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note to the brand",
        help_text="Needed to reject or ask for changes: say what to change.",
    )
