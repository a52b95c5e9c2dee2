"""Filters of the hand-off reports. Invalid input falls back to the defaults and is shown as a
field error (the view answers 400)."""

from datetime import date, timedelta
from typing import Any

from django import forms

from .models import RejectReason

MAX_RANGE_DAYS = 366 * 5


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


class ReportPeriodForm(forms.Form):
    first = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    default_months = 12

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last and first > last:
            raise forms.ValidationError("The start date must be on or before the end date.")
        if first and last and (last - first).days > MAX_RANGE_DAYS:
            raise forms.ValidationError("Pick a range of at most five years.")
        return data

    def period(self) -> tuple[date, date]:
        """The chosen days (inclusive), or the default: the last `default_months` months."""
        data = self._valid_data()
        if self.non_field_errors():
            data = {}
        last = data.get("last") or self.today
        first = data.get("first") or _months_back(last, self.default_months - 1)
        if first > last:
            first = _months_back(last, self.default_months - 1)
        if (last - first).days > MAX_RANGE_DAYS:
            first = last - timedelta(days=MAX_RANGE_DAYS)
        return first, last

    def _valid_data(self) -> dict[str, Any]:
        """The fields that are valid (each invalid one is left out, not the whole form)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    def chosen(self, name: str, default: str) -> str:
        return self._valid_data().get(name) or default


class ConversionFilterForm(ReportPeriodForm):
    interval = forms.ChoiceField(
        required=False,
        label="Per",
        choices=[("month", "Month"), ("quarter", "Quarter")],
    )


class LeadQualityFilterForm(ReportPeriodForm):
    default_months = 6
    by = forms.ChoiceField(
        required=False,
        label="Group by",
        choices=[("campaign", "Campaign"), ("channel", "Channel"), ("content", "Content item")],
        widget=forms.HiddenInput,
    )
    reason = forms.ChoiceField(
        required=False,
        label="Reject reason",
        choices=[("", "All reasons"), *RejectReason.choices],
    )
