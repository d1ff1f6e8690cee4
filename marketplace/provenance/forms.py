from django import forms

from .options import CopyChoicesForm


class VerifyForm(forms.Form):
    image = forms.FileField(label="Picture to check", help_text="JPEG, PNG or WebP.")


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
