from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings

from revline.core.models import User

from .booking_services import BOOKING_CONSENT_WORDING
from .slots import parse_slot_key

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
SLOT_LENGTHS = [(15, "15 minutes"), (20, "20 minutes"), (30, "30 minutes"), (45, "45 minutes")]
SLOT_LENGTHS += [(60, "1 hour"), (90, "1½ hours"), (120, "2 hours")]
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones()) if "/" in name or name == "UTC"]


class AvailabilityForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, label="Day")
    start_time = forms.TimeField(widget=TIME_INPUT, label="From")
    end_time = forms.TimeField(widget=TIME_INPUT, label="To")
    slot_minutes = forms.TypedChoiceField(
        choices=SLOT_LENGTHS, coerce=int, initial=30, label="Meeting length"
    )
    time_zone = forms.ChoiceField(choices=(), label="Time zone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone: Any = self.fields["time_zone"]
        zone.choices = time_zone_choices()
        zone.initial = settings.TIME_ZONE


class AvailabilityUserForm(forms.Form):
    """Which rep's availability an admin or manager is looking at (a GET filter)."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Rep")

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["user"]
        field.queryset = users


class HoneypotForm(forms.Form):
    # Honeypot: people leave it empty, naive bots fill it in.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A non-field error: the field is hidden from people, so nothing would show it.
        if data.get("website"):
            raise forms.ValidationError("Please leave the website field empty.")
        return data


class BookingForm(HoneypotForm):
    """The public booking form. The slot is checked against the rep's free slots by the service."""

    slot = forms.CharField(max_length=40, error_messages={"required": "Pick a time."})
    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, required=False, label="Last name")
    email = forms.EmailField(max_length=254, label="Work email")
    company_name = forms.CharField(max_length=200, required=False, label="Company")
    note = forms.CharField(
        max_length=2000,
        required=False,
        label="What would you like to talk about?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.BooleanField(required=False, label=BOOKING_CONSENT_WORDING)

    def clean_slot(self) -> datetime:
        starts_at = parse_slot_key(self.cleaned_data["slot"])
        if starts_at is None:
            raise forms.ValidationError("Pick one of the listed times.")
        return starts_at
