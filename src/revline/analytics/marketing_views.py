"""The marketing dashboard page: one period, charts with their numbers beside them."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from revline.core.audience import audience_report

from . import dashboard

MAX_PERIOD_DAYS = 3 * 366
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
GROUPING = [("", "Automatic"), (dashboard.WEEK, "By week"), (dashboard.MONTH, "By month")]


class DateInput(forms.DateInput):
    input_type = "date"


class MarketingPeriodForm(forms.Form):
    start = forms.DateField(required=False, label="From", widget=DateInput)
    end = forms.DateField(required=False, label="To", widget=DateInput)
    group = forms.ChoiceField(choices=GROUPING, required=False, label="Group")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, "Enter a date between 2000 and 2100.")
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        if start and end and (end - start).days >= MAX_PERIOD_DAYS:
            raise forms.ValidationError("Choose a period of at most three years.")
        return data

    def period(self, today: date) -> dashboard.Period:
        """The chosen period; a missing bound makes a 90-day window with the other one."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        chosen_start: date | None = data.get("start")
        chosen_end: date | None = data.get("end")
        span = timedelta(days=89)
        if chosen_start is not None and chosen_end is not None:
            start, end = chosen_start, chosen_end
        elif chosen_start is not None:
            start, end = chosen_start, max(chosen_start, min(today, chosen_start + span))
        elif chosen_end is not None:
            start, end = chosen_end - span, chosen_end
        else:
            start, end = today - span, today
        bucket = data.get("group") or dashboard.auto_bucket(start, end)
        return dashboard.Period(start=start, end=end, bucket=bucket)


# One colour per channel, the same in every chart.
CHANNEL_COLORS = {
    "paid_search": "#4f46e5",
    "paid_social": "#0ea5e9",
    "display": "#22c55e",
    "email": "#f59e0b",
    "organic_social": "#ef4444",
    "content": "#8b5cf6",
    "pr": "#14b8a6",
    "events": "#ec4899",
    "referral": "#84cc16",
    "direct": "#f97316",
    "partner": "#06b6d4",
    dashboard.NO_CAMPAIGN: "#94a3b8",
}


def _series_chart(series: dashboard.Series | None) -> dict[str, Any]:
    if series is None:
        return {"labels": [], "datasets": []}
    return {
        "labels": series.labels,
        "datasets": [
            {"label": label, "data": counts, "color": CHANNEL_COLORS.get(key, "#64748b")}
            for key, label, counts, _ in series.channels
        ],
    }


@login_required
@require_GET
@audience_report
def marketing(request: HttpRequest) -> HttpResponse:
    form = MarketingPeriodForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    today = timezone.localdate()
    period = form.period(today) if valid else dashboard.default_period(today)
    report = dashboard.marketing_dashboard(period, viewer=request.user)  # type: ignore[arg-type]
    base_rows = [row for row in report.spend_rows if row.campaign.currency == report.currency][:12]
    charts = {
        "spend": {
            "labels": [row.campaign.name for row in base_rows],
            "budget": [float(row.campaign.budget) for row in base_rows],
            "spend_to_date": [float(row.spend_to_date) for row in base_rows],
            "spend_period": [float(row.spend_period) for row in base_rows],
        },
        "leads": _series_chart(report.leads_by_channel),
        "mqls": _series_chart(report.mqls_by_channel),
        "pipeline": {
            "labels": [row.campaign.name for row in report.top_pipeline],
            "data": [float(row.amount) for row in report.top_pipeline],
        },
        "revenue": {
            "labels": [row.campaign.name for row in report.top_revenue],
            "data": [float(row.amount) for row in report.top_revenue],
        },
    }
    context = {"form": form, "report": report, "charts": charts, "period": period}
    return render(request, "analytics/marketing.html", context, status=200 if valid else 400)
