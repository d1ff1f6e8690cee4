from django import forms

from .options import LabelLanguage, LabelPosition, SourceType


class VerifyForm(forms.Form):
    image = forms.FileField(label="Picture to check", help_text="JPEG, PNG or WebP.")


class FinalAssetForm(forms.Form):
    """The final asset of a use reported without its picture, and how its copies are made."""

    image = forms.FileField(
        label="Final picture",
        help_text="JPEG, PNG or WebP, as published. It is shown to the model and credentialed.",
    )
    source_type = forms.ChoiceField(
        choices=SourceType.choices, initial=SourceType.TRAINED, label="The picture is"
    )
    label_language = forms.ChoiceField(
        choices=LabelLanguage.choices, initial=LabelLanguage.EN, label="AI label language"
    )
    label_position = forms.ChoiceField(
        choices=LabelPosition.choices, initial=LabelPosition.BOTTOM_RIGHT, label="AI label corner"
    )

    def choices(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name]
            for name in ("source_type", "label_language", "label_position")
        }

    def first_error(self) -> str:
        """The first problem, named by its field's label."""
        name, errors = next(iter(self.errors.items()))
        field = self.fields.get(name)
        return f"{field.label}: {errors[0]}" if field is not None else str(errors[0])
