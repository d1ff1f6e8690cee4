from django import forms

from .models import API_SCOPES, Role


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your full name")
    password = forms.CharField(
        widget=forms.PasswordInput,
        min_length=10,
        help_text="At least 10 characters.",
        required=False,
    )


class InviteMemberForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What uses it, e.g. 'DAM sync'.")
    scopes = forms.MultipleChoiceField(
        choices=API_SCOPES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Give the key only what it needs.",
    )
