"""The executive dashboard page and the CSV export of each of its tables (`?export=<table>`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from revline.core.audience import audience_report
from revline.people.exports import csv_lines, csv_response

from . import executive
from .attribution import MODEL_LABELS
from .executive import DateRange
from .executive_selectors import ExecutiveDashboard, executive_dashboard

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_DAYS = 3 * 366
PRESET_CHOICES = [
    (executive.MONTH, "This month"),
    (executive.QUARTER, "This quarter"),
    (executive.YEAR, "This year"),
    (executive.CUSTOM, "Custom dates"),
]
EXPORTS = ("summary", "funnel", "campaigns", "win_rate", "touches")


class DateInput(forms.DateInput):
    input_type = "date"


class ExecutiveRangeForm(forms.Form):
    preset = forms.ChoiceField(choices=PRESET_CHOICES, required=False, label="Period")
    start = forms.DateField(required=False, label="From", widget=DateInput)
    end = forms.DateField(required=False, label="To", widget=DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, "Enter a date between 2000 and 2100.")
        start, end = data.get("start"), data.get("end")
        if data.get("preset") == executive.CUSTOM:
            if start is None:
                self.add_error("start", "Choose the first day of the period.")
            if end is None:
                self.add_error("end", "Choose the last day of the period.")
        if start and end and start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        if start and end and (end - start).days >= MAX_DAYS:
            raise forms.ValidationError("Choose a period of at most three years.")
        return data

    def period(self, today: date) -> DateRange:
        """The chosen range: a preset around today, or custom dates (this quarter by default)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        preset = data.get("preset") or ""
        start, end = data.get("start"), data.get("end")
        if preset in executive.PRESETS:
            return executive.preset_range(preset, today)
        if start and end and (preset == executive.CUSTOM or not preset):
            return DateRange(start, end, executive.CUSTOM)
        return executive.preset_range(executive.QUARTER, today)


def _pct(value: Any) -> str:
    return "" if value is None else str(value)


def _rows(report: ExecutiveDashboard, table: str) -> tuple[list[str], Iterator[list[Any]]]:
    if table == "summary":
        header = ["measure", "value", "currency"]
        rows: list[list[Any]] = [
            ["won_revenue", report.won_revenue, report.currency],
            ["won_deals", report.won_deals, ""],
            ["open_pipeline", report.open_pipeline, report.currency],
            ["open_deals", report.open_deals, ""],
            ["target", "" if report.target is None else report.target, report.currency],
            ["attainment_percent", _pct(report.attainment), ""],
            ["coverage_percent", _pct(report.coverage), ""],
            ["ad_spend", report.spend, report.currency],
            ["new_customers", report.new_customers, ""],
            ["cac", "" if report.cac is None else report.cac, report.currency],
            ["win_rate_percent", _pct(report.win_rate), ""],
        ]
        return header, iter(rows)
    if table == "funnel":
        return ["stage", "contacts", "percent_of_previous", "percent_of_first", "moved_on"], (
            [
                step.label,
                step.count,
                _pct(step.from_previous),
                _pct(step.from_first),
                _pct(report.moved_on.get(step.stage)),
            ]
            for step in report.funnel
        )
    if table == "campaigns":
        models = list(MODEL_LABELS)
        return ["campaign", "channel", *[f"revenue_{m.value}" for m in models]], (
            [row.name, row.channel, *[row.revenue[m.value] for m in models]]
            for row in report.top_campaigns
        )
    if table == "win_rate":
        return ["month", "won", "lost", "win_rate_percent"], (
            [m.month.strftime("%Y-%m"), m.won, m.lost, _pct(m.rate)] for m in report.win_rate_trend
        )
    labels = [label for _, label in report.touch_channels]
    return ["month", *labels, "total", "identified"], (
        [
            m.month.strftime("%Y-%m"),
            *[m.by_channel.get(key, 0) for key, _ in report.touch_channels],
            m.total,
            m.identified,
        ]
        for m in report.touch_months
    )


def _charts(report: ExecutiveDashboard) -> dict[str, Any]:
    return {
        "target": {
            "won": float(report.won_revenue),
            "pipeline": float(report.open_pipeline),
            "target": float(report.target) if report.target is not None else None,
        },
        "funnel": {
            "labels": [step.label for step in report.funnel],
            "data": [step.count for step in report.funnel],
        },
        "campaigns": {
            "labels": [row.name for row in report.top_campaigns],
            "data": [float(row.revenue["linear"]) for row in report.top_campaigns],
        },
        "win_rate": {
            "labels": [m.label for m in report.win_rate_trend],
            "rate": [float(m.rate) if m.rate is not None else None for m in report.win_rate_trend],
            "closed": [m.closed for m in report.win_rate_trend],
        },
        "touches": {
            "labels": [m.month.strftime("%b %Y") for m in report.touch_months],
            "datasets": [
                {"label": label, "data": [m.by_channel.get(key, 0) for m in report.touch_months]}
                for key, label in report.touch_channels
            ],
        },
    }


@login_required
@require_GET
@audience_report
def executive_page(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = ExecutiveRangeForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    today = timezone.localdate()
    period = form.period(today) if valid else executive.preset_range(executive.QUARTER, today)
    export = request.GET.get("export")
    if export is not None and export not in EXPORTS:
        return HttpResponseBadRequest(
            f"Unknown table {export[:40]!r}; choose one of {', '.join(EXPORTS)}."
        )
    if export is not None and not valid:
        return HttpResponseBadRequest("Fix the period before exporting.")
    report = executive_dashboard(viewer=request.user, period=period)  # type: ignore[arg-type]
    if export is not None:
        header, rows = _rows(report, export)
        name = f"executive-{export}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
        return csv_response(csv_lines(header, rows), name)
    query = {"preset": period.preset}
    if period.preset == executive.CUSTOM:
        query |= {"start": period.start.isoformat(), "end": period.end.isoformat()}
    context = {
        "form": form,
        "report": report,
        "period": period,
        "charts": _charts(report),
        "export_query": urlencode(query),
        "model_labels": [(m.value, MODEL_LABELS[m]) for m in MODEL_LABELS],
    }
    return render(request, "analytics/executive.html", context, status=200 if valid else 400)
