from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from . import api_scopes
from .models import Role, Team, User

ACCESS_CHOICES = [("none", "No access"), ("read", "Read"), ("write", "Read and write")]


class TokenForm(forms.Form):
    """A token's name and, per API area, its access. The token never does more than its user's
    role allows; scopes narrow it further."""

    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. 'Zapier' or 'BI export'."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for area, description in api_scopes.AREAS.items():
            self.fields[f"scope_{area}"] = forms.ChoiceField(
                label=area.capitalize(),
                help_text=description,
                choices=ACCESS_CHOICES,
                initial="write",
            )

    def scope_fields(self) -> list[forms.BoundField]:
        return [self[f"scope_{area}"] for area in api_scopes.AREAS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        scopes = [
            f"{area}:{cleaned[f'scope_{area}']}"
            for area in api_scopes.AREAS
            if cleaned.get(f"scope_{area}", "none") != "none"
        ]
        if not scopes and not self.errors:
            raise forms.ValidationError("Give the token access to at least one area.")
        cleaned["scopes"] = scopes
        return cleaned


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices)
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This username is taken.")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email already exists.")
        return email


class UserEditForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    is_active = forms.BooleanField(required=False, label="Active")


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one,
    above the form otherwise."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
