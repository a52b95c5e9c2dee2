from django import forms

from .models import EventType
from .services import SUBSCRIBABLE


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="An https:// address on the public internet that accepts POST requests.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/revline"}),
    )
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=[(value, f"{value} — {EventType(value).label}") for value in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
