from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms

from revline.content.models import Form
from revline.core.models import Team, User

from .models import LeadSettings, RejectReason, RoutingMethod, RoutingRule

WEEKDAYS = [
    ("0", "Mon"),
    ("1", "Tue"),
    ("2", "Wed"),
    ("3", "Thu"),
    ("4", "Fri"),
    ("5", "Sat"),
    ("6", "Sun"),
]


class AcceptForm(forms.Form):
    create_deal = forms.BooleanField(required=False, label="Create a deal")
    deal_name = forms.CharField(
        max_length=200, required=False, help_text="Empty: named after the company"
    )
    amount = forms.DecimalField(
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        required=False,
        initial=Decimal("0"),
        help_text="Estimated value; refine it on the deal",
    )


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Pick a reason…"), *RejectReason.choices])
    note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Marketing sees this when nurturing the contact",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == RejectReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", "Say in a few words why, when the reason is “Other”.")
        return data


class ContactMoveForm(RejectForm):
    """Recycle or disqualify a contact from its page (the reason list is the same)."""

    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label="Reassign to")

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = candidates  # type: ignore[attr-defined]


class QueueFilterForm(forms.Form):
    rep = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="All reps"
    )

    def __init__(self, *args: Any, reps: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = reps  # type: ignore[attr-defined]
        self.fields["rep"].widget.attrs["aria-label"] = "Rep"


class RoutingRuleForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        label="Rep",
        help_text="Assign every match to this rep…",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        help_text="…or round-robin among the team's active reps",
    )

    class Meta:
        model = RoutingRule
        fields = ["name", "method", "countries", "industries", "user", "team", "is_active"]
        help_texts = {
            "countries": "Territory rules: 2-letter ISO codes, comma-separated, e.g. DE, AT, CH",
            "industries": "Industry rules: company industries, comma-separated",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = RoutingMethod.choices  # type: ignore[attr-defined]


class LeadSettingsForm(forms.ModelForm):
    hand_raiser_forms = forms.ModelMultipleChoiceField(
        queryset=Form.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Submitting one of these forms (e.g. “Contact sales”) makes the contact an MQL",
    )
    business_days = forms.MultipleChoiceField(choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple)
    fallback_owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Gets the MQLs no routing rule matches (the hand-off is flagged)",
    )
    sla_hours = forms.IntegerField(
        min_value=1, max_value=720, label="SLA (business hours)", help_text=""
    )

    class Meta:
        model = LeadSettings
        fields = [
            "mql_fit_min",
            "mql_engagement_min",
            "mql_on_meeting_booked",
            "hand_raiser_forms",
            "sla_hours",
            "business_days",
            "business_day_start",
            "business_day_end",
            "business_timezone",
            "fallback_owner",
            "notify_by_email",
        ]
        labels = {
            "mql_fit_min": "Fit score at least",
            "mql_engagement_min": "Engagement score at least",
            "business_day_start": "Business day starts",
            "business_day_end": "Business day ends",
            "business_timezone": "Timezone",
        }
        widgets = {
            "business_day_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "business_day_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["business_days"] = [
                d.strip() for d in self.instance.business_days.split(",") if d.strip()
            ]
        self.fields["sla_hours"].help_text = "A rep has this long to first touch a new MQL"
        for key in ("mql_fit_min", "mql_engagement_min"):
            self.fields[key].widget.attrs.update({"min": -1_000_000, "max": 1_000_000})

    def clean_business_days(self) -> str:
        return ",".join(sorted(self.cleaned_data["business_days"]))

    def clean_business_timezone(self) -> str:
        name = self.cleaned_data["business_timezone"].strip()
        try:
            ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            raise forms.ValidationError(
                "Unknown timezone; use a name like Europe/Berlin or America/New_York."
            ) from None
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("business_day_start"), data.get("business_day_end")
        if start and end and start >= end:
            self.add_error("business_day_end", "The business day must end after it starts.")
        return data

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("hand_raiser_forms", None)
        return data
