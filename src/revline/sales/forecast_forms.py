"""Forms of the forecast, quota and dashboard pages (filters and the quota grid's year)."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from revline.core.models import Team, User

from .forecast import add_months, period_bounds, period_label
from .forecast_selectors import PeriodChoice, sellers_visible_to, teams_visible_to
from .models import ForecastCategory, Pipeline, QuotaPeriod

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
MAX_CUSTOM_DAYS = 366

PERIODS = [
    ("this_month", "This month"),
    ("next_month", "Next month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("next_quarter", "Next quarter"),
    ("last_quarter", "Last quarter"),
    ("custom", "Custom dates"),
]


def named_period(name: str, today: date) -> PeriodChoice:
    kind = "quarter" if name.endswith("quarter") else "month"
    step = 3 if kind == "quarter" else 1
    shift = {"this": 0, "next": step, "last": -step}[name.split("_")[0]]
    start, _ = period_bounds(kind, add_months(period_bounds(kind, today)[0], shift))
    start, end = period_bounds(kind, start)
    return PeriodChoice(kind=kind, start=start, end=end, label=period_label(kind, start))


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class ForecastFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False, initial="this_month")
    start = forms.DateField(required=False, label="From", widget=DATE_INPUT)
    end = forms.DateField(required=False, label="To (inclusive)", widget=DATE_INPUT)
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.all(), required=False, empty_label="All pipelines"
    )
    owner = UserChoiceField(queryset=User.objects.none(), required=False, empty_label="Any owner")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Any team", label="Team"
    )

    def __init__(self, *args: Any, user: User, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = sellers_visible_to(user)
        team_field: Any = self.fields["team"]
        team_field.queryset = teams_visible_to(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError("Give both dates of a custom period.")
            if start > end:
                raise forms.ValidationError("The start date must be on or before the end date.")
            if (end - start).days >= MAX_CUSTOM_DAYS:
                raise forms.ValidationError("A custom period can span at most a year.")
        return data

    def chosen_period(self) -> PeriodChoice:
        data = self.cleaned_data if self.is_valid() else {}
        name = data.get("period") or "this_month"
        if name == "custom":
            start, end = data["start"], data["end"] + timedelta(days=1)
            last = data["end"]
            label = f"{start:%b} {start.day}, {start.year} – {last:%b} {last.day}, {last.year}"
            return PeriodChoice(kind="custom", start=start, end=end, label=label)
        return named_period(name, self.today)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {key: data.get(key) for key in ("pipeline", "owner", "team")}


class ForecastCategoryForm(forms.Form):
    forecast_category = forms.ChoiceField(choices=ForecastCategory.choices)
    next = forms.CharField(required=False, max_length=2000)


class QuotaYearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    period = forms.ChoiceField(choices=QuotaPeriod.choices, required=False)

    def chosen(self, today: date) -> tuple[int, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("year") or today.year, data.get("period") or QuotaPeriod.MONTH
