from __future__ import annotations

from typing import Any

from django import forms

from marketplace.accounts.models import Organisation

from .models import CrewMember, CrewRole
from .services import CreditInput, NewCrewMember


class CrewMemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})"


class CreditForm(forms.Form):
    crew_member = CrewMemberChoiceField(
        queryset=CrewMember.objects.none(),
        required=False,
        empty_label="— someone new (name and email below) —",
        label="Crew member",
    )
    full_name = forms.CharField(max_length=150, required=False, label="New person's name")
    email = forms.EmailField(
        required=False,
        label="New person's email",
        help_text="We email them a link to a login of their own.",
    )
    role = forms.ChoiceField(choices=CrewRole.choices)
    work = forms.CharField(
        max_length=200,
        label="Shoot or work",
        help_text="What the credit is for, e.g. “SS26 studio scan”.",
    )
    work_date = forms.DateField(
        required=False, label="Date (optional)", widget=forms.DateInput(attrs={"type": "date"})
    )
    invite = forms.BooleanField(
        required=False, initial=True, label="Email a new person their invitation now"
    )

    def __init__(self, *args: Any, agency: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["crew_member"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = CrewMember.objects.for_agency(agency).order_by("full_name", "id")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("crew_member")
        named = data.get("full_name") or data.get("email")
        if chosen and named:
            raise forms.ValidationError(
                "Choose a crew member from the list or add someone new, not both."
            )
        if not chosen:
            if not data.get("full_name") and "full_name" not in self.errors:
                self.add_error("full_name", "Give the new person's name, or choose from the list.")
            if not data.get("email") and "email" not in self.errors:
                self.add_error("email", "Give the new person's email, or choose from the list.")
        return data

    def credit(self) -> CreditInput:
        d = self.cleaned_data
        return CreditInput(role=d["role"], work=d["work"], work_date=d.get("work_date"))

    def new_person(self) -> NewCrewMember | None:
        d = self.cleaned_data
        if d.get("crew_member"):
            return None
        return NewCrewMember(full_name=d["full_name"], email=d["email"])
