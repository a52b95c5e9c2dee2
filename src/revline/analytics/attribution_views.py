"""Attribution reports by any of the seven models, the model comparison, and ROI.

Views parse the filters, call one selector and render (or stream CSV). Filters come from the
query string with defaults for what is missing; a bad value answers 400 with the reason.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from revline.core.audience import audience_report
from revline.people.exports import csv_lines, csv_response

from .engine import MODEL_LABELS, MODELS
from .journeys import DIMENSION_LABELS, AttributionReport, attribution_report
from .roi_selectors import ROI_DIMENSIONS, RoiReport, RoiRow, roi_report

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_PERIOD_DAYS = 3 * 366
CHART_KEYS = 12
CREDITS, COMPARE = "credits", "compare"
VIEWS = ((CREDITS, "Credits by model"), (COMPARE, "Compare models"))
MODEL_CHOICES = [(m, MODEL_LABELS[m]) for m in MODELS]


class DateInput(forms.DateInput):
    input_type = "date"


class _PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=DateInput)
    end = forms.DateField(label="To", widget=DateInput)

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


class AttributionFilterForm(_PeriodForm):
    dimension = forms.ChoiceField(choices=list(DIMENSION_LABELS.items()), label="By")
    model = forms.ChoiceField(choices=MODEL_CHOICES, label="Model")
    half_life_days = forms.DecimalField(
        label="Half-life (days)",
        min_value=Decimal("0.1"),
        max_value=Decimal("365"),
        decimal_places=1,
        help_text="time decay",
    )
    markov_order = forms.IntegerField(
        label="Markov order", min_value=1, max_value=3, help_text="Markov chain"
    )
    view = forms.ChoiceField(choices=VIEWS, widget=forms.HiddenInput)
    field_order = ["dimension", "model", "start", "end", "half_life_days", "markov_order"]


class RoiFilterForm(_PeriodForm):
    dimension = forms.ChoiceField(
        choices=[(d, DIMENSION_LABELS[d]) for d in ROI_DIMENSIONS], label="By"
    )
    model = forms.ChoiceField(choices=MODEL_CHOICES, label="Attribution model")
    term_months = forms.IntegerField(
        label="Deal term (months)",
        min_value=1,
        max_value=120,
        help_text="months of revenue one won deal stands for (payback)",
    )
    field_order = ["dimension", "model", "start", "end", "term_months"]


def _bind(form_class: type[forms.Form], query: QueryDict, defaults: dict[str, Any]) -> Any:
    """The form bound to the query string, a default standing in for each missing or empty value."""
    data = {**defaults, **{k: v for k, v in query.items() if v != "" and k != "export"}}
    return form_class(data)


def _attribution_defaults(today: date) -> dict[str, Any]:
    return {
        "dimension": "channel",
        "model": "linear",
        "start": (today - timedelta(days=364)).isoformat(),
        "end": today.isoformat(),
        "half_life_days": "7",
        "markov_order": "1",
        "view": CREDITS,
    }


def _roi_defaults(today: date) -> dict[str, Any]:
    # The last twelve calendar months, this one included.
    year, month = (
        (today.year, today.month - 11) if today.month == 12 else (today.year - 1, today.month + 1)
    )
    return {
        "dimension": "campaign",
        "model": "linear",
        "start": date(year, month, 1).isoformat(),
        "end": today.isoformat(),
        "term_months": "12",
    }


def _bad_export(export: str) -> HttpResponse:
    return HttpResponse(
        f"Unknown export {export[:40]!r}.", status=400, content_type="text/plain; charset=utf-8"
    )


# --- attribution ---------------------------------------------------------------------------------


def _credits_csv(report: AttributionReport, model: str) -> Iterator[str]:
    total = sum((row.value[model] for row in report.rows), Decimal("0"))
    header = [report.dimension, "name", "conversions", f"revenue_{report.currency}", "share_pct"]
    rows = (
        [
            row.key,
            row.label,
            f"{row.conversions[model]:.4f}",
            row.value[model],
            f"{row.value[model] * 100 / total:.1f}" if total else "",
        ]
        for row in report.rows
    )
    return csv_lines(header, rows)


def _comparison_csv(report: AttributionReport) -> Iterator[str]:
    header = [report.dimension, "name"]
    header += [f"{m}_conversions" for m in report.models]
    header += [f"{m}_revenue_{report.currency}" for m in report.models]
    header.append("markov_removal_effect")
    rows = (
        [row.key, row.label]
        + [f"{row.conversions[m]:.4f}" for m in report.models]
        + [row.value[m] for m in report.models]
        + ["" if row.removal_effect is None else f"{row.removal_effect:.4f}"]
        for row in report.rows
    )
    return csv_lines(header, rows)


def _attribution_charts(report: AttributionReport, model: str) -> dict[str, Any]:
    top = report.rows[:CHART_KEYS]
    return {
        "labels": [row.label for row in top],
        "currency": report.currency,
        "datasets": [
            {"key": m, "label": MODEL_LABELS[m], "data": [float(row.value[m]) for row in top]}
            for m in report.models
        ],
        "effects": [round(100 * (row.removal_effect or 0.0), 2) for row in top]
        if report.has_removal_effects
        else [],
    }


@login_required
@require_GET
def attribution_models(request: HttpRequest) -> HttpResponseBase:
    today = timezone.localdate()
    form = _bind(AttributionFilterForm, request.GET, _attribution_defaults(today))
    export = request.GET.get("export", "")
    if export and export not in (CREDITS, COMPARE):
        return _bad_export(export)
    if not form.is_valid():
        context = {"form": form, "report": None, "views": VIEWS, "view": CREDITS}
        return render(request, "analytics/attribution_models.html", context, status=400)
    f = form.cleaned_data
    view = export or f["view"]
    model = f["model"]
    report = attribution_report(
        dimension=f["dimension"],
        models=[model] if view == CREDITS else list(MODELS),
        start=f["start"],
        end=f["end"],
        viewer=request.user,  # type: ignore[arg-type]
        markov_order=f["markov_order"],
        half_life_days=float(f["half_life_days"]),
    )
    if export == CREDITS:
        name = f"attribution-{f['dimension']}-{model}-{f['start']}-{f['end']}.csv"
        return csv_response(_credits_csv(report, model), name)
    if export == COMPARE:
        name = f"attribution-comparison-{f['dimension']}-{f['start']}-{f['end']}.csv"
        return csv_response(_comparison_csv(report), name)
    total = sum((row.value[model] for row in report.rows), Decimal("0")) if view == CREDITS else 0
    context = {
        "form": form,
        "report": report,
        "view": view,
        "views": VIEWS,
        "model": model,
        "model_label": MODEL_LABELS[model],
        "model_labels": [(m, MODEL_LABELS[m]) for m in report.models],
        "dimension_label": DIMENSION_LABELS[f["dimension"]],
        "credited_total": total,
        "chart": _attribution_charts(report, model),
        "query": _query_without(request.GET, "view", "export"),
    }
    return render(request, "analytics/attribution_models.html", context)


def _query_without(query: QueryDict, *names: str) -> str:
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


# --- ROI -------------------------------------------------------------------------------------------


def _blank(value: Decimal | None) -> Any:
    return "" if value is None else value


def _roi_line(row: RoiRow, channel: bool) -> list[Any]:
    f, r = row.figures, row.ratios
    line: list[Any] = [row.key, row.label]
    if channel:
        line.append(row.channel)
    line += [f.spend, f.leads, f.mqls, f.sqls, f.customers, f.pipeline, f.revenue]
    line += [_blank(v) for v in (r.roas, r.cost_per_lead, r.cost_per_mql, r.cost_per_sql)]
    line += [_blank(r.cac), _blank(r.payback_months)]
    return line


def _roi_csv(report: RoiReport) -> Iterator[str]:
    cur = report.currency
    with_channel = report.dimension == "campaign"
    header = [report.dimension, "name"] + (["channel"] if with_channel else [])
    header += [
        f"spend_{cur}", "leads", "mqls", "sqls", "customers", f"attributed_pipeline_{cur}",
        f"attributed_revenue_{cur}", "roas", f"cost_per_lead_{cur}", f"cost_per_mql_{cur}",
        f"cost_per_sql_{cur}", f"cac_{cur}", "payback_months",
    ]  # fmt: skip
    rows = [_roi_line(row, with_channel) for row in report.rows]
    if report.rows:
        rows.append(_roi_line(report.total, with_channel))
    return csv_lines(header, rows)


def _months_csv(report: RoiReport) -> Iterator[str]:
    cur = report.currency
    return csv_lines(
        ["month", f"spend_{cur}", f"attributed_revenue_{cur}"],
        ([p.month.strftime("%Y-%m"), p.spend, p.revenue] for p in report.months),
    )


@login_required
@require_GET
@audience_report
def roi(request: HttpRequest) -> HttpResponseBase:
    today = timezone.localdate()
    form = _bind(RoiFilterForm, request.GET, _roi_defaults(today))
    export = request.GET.get("export", "")
    if export and export not in ("roi", "months"):
        return _bad_export(export)
    if not form.is_valid():
        return render(request, "analytics/roi.html", {"form": form, "report": None}, status=400)
    f = form.cleaned_data
    report = roi_report(
        dimension=f["dimension"],
        model=f["model"],
        start=f["start"],
        end=f["end"],
        viewer=request.user,  # type: ignore[arg-type]
        term_months=f["term_months"],
    )
    if export == "roi":
        name = f"roi-{f['dimension']}-{f['model']}-{f['start']}-{f['end']}.csv"
        return csv_response(_roi_csv(report), name)
    if export == "months":
        return csv_response(_months_csv(report), f"spend-vs-revenue-{f['start']}-{f['end']}.csv")
    chart: dict[str, Any] = {
        "labels": [p.month.strftime("%b %Y") for p in report.months],
        "spend": [float(p.spend) for p in report.months],
        "revenue": [float(p.revenue) for p in report.months],
        "currency": report.currency,
    }
    context = {
        "form": form,
        "report": report,
        "model_label": MODEL_LABELS[report.model],
        "dimension_label": DIMENSION_LABELS[report.dimension],
        "chart": chart,
        "has_chart_data": any(chart["spend"]) or any(chart["revenue"]),
        "query": _query_without(request.GET, "export"),
    }
    return render(request, "analytics/roi.html", context)
