from typing import Any

from django import forms

from revline.campaigns.models import Campaign
from revline.tracking.models import TouchpointKind

from . import scoring
from .models import FitField, FitOperator

POINTS_HELP = f"{scoring.POINTS_MIN} to {scoring.POINTS_MAX}; negative points lower the score"


class FitRuleForm(forms.Form):
    field = forms.ChoiceField(label="Field", choices=FitField.choices)
    operator = forms.ChoiceField(label="Condition", choices=FitOperator.choices)
    value = forms.CharField(
        label="Value",
        required=False,
        max_length=500,
        help_text="Not case-sensitive. Empty for “is filled in” and “is empty”",
    )
    points = forms.IntegerField(label="Points", help_text=POINTS_HELP)
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"field", "operator", "points"} <= data.keys():
            errors = scoring.fit_rule_errors(
                field=data["field"],
                operator=data["operator"],
                value=data.get("value", ""),
                points=data["points"],
            )
            for name, message in errors.items():
                self.add_error(name, message)
        return data


class EngagementRuleForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    touchpoint_kind = forms.ChoiceField(label="Touch", choices=TouchpointKind.choices)
    url_pattern = forms.CharField(
        label="URL pattern",
        required=False,
        help_text="Optional regular expression the URL must contain, e.g. /pricing",
        widget=forms.TextInput(attrs={"placeholder": "/pricing"}),
    )
    campaign = forms.ModelChoiceField(
        label="Campaign",
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label="Any campaign",
    )
    points = forms.IntegerField(label="Points", help_text=POINTS_HELP)
    max_per_period = forms.IntegerField(
        label="At most (times)", required=False, help_text="Empty for no limit"
    )
    period_days = forms.IntegerField(label="per (days)", initial=1)
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"name", "touchpoint_kind", "points"} <= data.keys():
            errors = scoring.engagement_rule_errors(
                name=data["name"],
                touchpoint_kind=data["touchpoint_kind"],
                kinds=TouchpointKind.values,
                url_pattern=(data.get("url_pattern") or "").strip(),
                points=data["points"],
                max_per_period=data.get("max_per_period"),
                period_days=data.get("period_days"),
            )
            for name, message in errors.items():
                if name not in self.errors:
                    self.add_error(name, message)
        return data


class ScoringSettingsForm(forms.Form):
    engagement_half_life_days = forms.IntegerField(
        label="Engagement half-life (days)",
        required=False,
        help_text="Engagement points lose half their value in this many days; empty for no decay",
    )

    def clean_engagement_half_life_days(self) -> int | None:
        value = self.cleaned_data["engagement_half_life_days"]
        if message := scoring.half_life_error(value):
            raise forms.ValidationError(message)
        return value
