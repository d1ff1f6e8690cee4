from django import forms

from .options import LabelLanguage, LabelPosition, SourceType


class VerifyForm(forms.Form):
    image = forms.FileField(label="Picture to check", help_text="JPEG, PNG or WebP.")


class CopyChoicesForm(forms.Form):
    """How a use's credentialed and labelled copies are made: asked wherever a brand gives the
    picture of a use (reporting it, or adding its final asset later). Blank takes the default."""

    source_type = forms.ChoiceField(
        choices=SourceType.choices,
        initial=SourceType.TRAINED,
        required=False,
        label="The picture is",
        help_text="Written into its Content Credentials (IPTC digital source type).",
    )
    label_language = forms.ChoiceField(
        choices=LabelLanguage.choices,
        initial=LabelLanguage.EN,
        required=False,
        label="AI label language",
        help_text="The labelled copy carries a visible “AI-generated” label (EU AI Act art. 50).",
    )
    label_position = forms.ChoiceField(
        choices=LabelPosition.choices,
        initial=LabelPosition.BOTTOM_RIGHT,
        required=False,
        label="AI label corner",
    )

    def copy_choices(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(name) or ""
            for name in ("source_type", "label_language", "label_position")
        }


class FinalAssetForm(CopyChoicesForm):
    """The final asset of a use reported without its picture, and how its copies are made."""

    field_order = ["image"]
    image = forms.FileField(
        label="Final picture",
        help_text="JPEG, PNG or WebP, as published. It is shown to the model and credentialed.",
    )

    def first_error(self) -> str:
        """The first problem, named by its field's label."""
        name, errors = next(iter(self.errors.items()))
        field = self.fields.get(name)
        return f"{field.label}: {errors[0]}" if field is not None else str(errors[0])
