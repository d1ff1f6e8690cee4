from __future__ import annotations

from django import forms

from marketplace.licensing import territories
from marketplace.licensing.models import Licence
from marketplace.licensing.usage_rules import ReportWindow
from marketplace.provenance.options import CopyChoicesForm
from marketplace.talent.models import MediaType

from .services import UsageInput


class UsageForm(CopyChoicesForm):
    field_order = ["used_on", "media_type", "territory", "asset_reference", "image"]
    used_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), label="Date of use"
    )
    media_type = forms.ChoiceField(choices=MediaType.choices, label="Media")
    territory = forms.ChoiceField(choices=(), label="Territory")
    asset_reference = forms.CharField(
        max_length=300, label="Asset reference", help_text="File name, URL or your DAM id."
    )
    image = forms.FileField(
        required=False,
        label="Image (optional)",
        help_text="A thumbnail of the placement, shown to the model.",
    )
    idempotency_key = forms.CharField(max_length=120, widget=forms.HiddenInput)

    def __init__(
        self, *args: object, licence: Licence, window: ReportWindow | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        terms = licence.current_terms
        if window is not None and window.first and window.last:
            # The browser offers only the days the service accepts; the default is one of them.
            self.fields["used_on"].initial = window.default
            self.fields["used_on"].widget.attrs.update(
                min=window.first.isoformat(), max=window.last.isoformat()
            )
            self.fields[
                "used_on"
            ].help_text = f"Between {window.first:%Y-%m-%d} and {window.last:%Y-%m-%d}."
        elif window is not None:
            for field in self.fields.values():
                field.disabled = True
        self.fields["media_type"].choices = [  # type: ignore[attr-defined]
            (m, MediaType(m).label) for m in terms.media_types
        ]
        names = territories.country_names()
        # By name, as people look for a country; a worldwide licence lists every one.
        self.fields["territory"].choices = sorted(  # type: ignore[attr-defined]
            ((c, f"{names.get(c, c)} ({c})") for c in terms.territories), key=lambda o: o[1]
        )

    def usage(self) -> UsageInput:
        d = self.cleaned_data
        return UsageInput(
            used_on=d["used_on"],
            media_type=d["media_type"],
            territory=d["territory"],
            asset_reference=d["asset_reference"],
            idempotency_key=d["idempotency_key"],
            image=d.get("image"),
            **self.copy_choices(),
        )
