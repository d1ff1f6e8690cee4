from __future__ import annotations

from django import forms


class SignForm(forms.Form):
    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    typed_name = forms.CharField(max_length=150, label="Type your full name to sign")
    confirm = forms.BooleanField(
        label="I have reviewed this contract and sign it; my typed name is my signature"
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="Why you decline (shared with the other parties)",
    )
