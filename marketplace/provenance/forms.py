from django import forms


class VerifyForm(forms.Form):
    image = forms.FileField(label="Picture to check", help_text="JPEG, PNG or WebP.")
