"""The hand-off report pages: lead quality for marketing, lifecycle conversion for everyone.

Both show aggregates only, so every signed-in user may see them; no deal amounts are shown."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from revline.core.audience import audience_report

from . import report_selectors, reports
from .report_forms import ConversionFilterForm, LeadQualityFilterForm


def _days(value: Any) -> float | None:
    return round(value.total_seconds() / 86400, 2) if value is not None else None


@login_required
@require_GET
@audience_report
def lead_quality(request: HttpRequest) -> HttpResponse:
    form = LeadQualityFilterForm(request.GET or None, today=timezone.localdate())
    first, last = form.period()
    group_by = form.chosen("by", "campaign")
    reason = form.chosen("reason", "")
    report = report_selectors.lead_quality_report(first=first, last=last, group_by=group_by)
    recycled = report_selectors.recycled_leads(
        first=first, last=last, reason=reason, page=request.GET.get("page", 1)
    )
    top = report.rows[:12]
    chart = {
        "labels": [row.label for row in top],
        "accepted": [row.accepted for row in top],
        "rejected": [row.rejected for row in top],
        "open": [row.open for row in top],
        "opportunities": [row.opportunities for row in top],
        "customers": [row.customers for row in top],
        "reasons": [
            {"label": label, "count": report.total.reasons.get(value, 0)}
            for value, label in report.reasons
            if report.total.reasons.get(value)
        ],
    }
    params = request.GET.copy()
    params.pop("page", None)
    tabs = []
    for key, label in report_selectors.GROUP_LABELS.items():
        params["by"] = key
        tabs.append({"key": key, "label": label, "query": params.urlencode()})
    params["by"] = group_by
    context = {
        "form": form,
        "report": report,
        "reason_columns": [
            (v, label) for v, label in report.reasons if report.total.reasons.get(v)
        ],
        "chart_height": 120 + 34 * len(top),
        "recycled": recycled,
        "chart": chart,
        "tabs": tabs,
        "page_query": params.urlencode(),
    }
    return render(
        request, "leads/report_lead_quality.html", context, status=400 if form.errors else 200
    )


@login_required
@require_GET
@audience_report
def conversion(request: HttpRequest) -> HttpResponse:
    form = ConversionFilterForm(request.GET or None, today=timezone.localdate())
    first, last = form.period()
    report = report_selectors.conversion_report(
        first=first, last=last, interval=form.chosen("interval", "month")
    )
    shown = [i for i, (stage, _) in enumerate(report.stages) if stage != "subscriber"]
    chart = {
        "periods": [p.label for p in report.periods],
        "series": [
            {"label": report.stages[i][1], "data": [p.counts[i] for p in report.periods]}
            for i in shown
        ],
        "funnel": {
            "labels": [report.stages[i][1] for i in range(len(report.stages))],
            "reached": [row.reached for row in report.summary],
        },
        "days": [_days(row.median_time_in_stage) for row in report.summary],
    }
    context = {
        "form": form,
        "report": report,
        "chart": chart,
        "rows": list(zip(report.stages, report.summary, report.totals, strict=True)),
        "forward": reports.FORWARD,
    }
    return render(
        request, "leads/report_conversion.html", context, status=400 if form.errors else 200
    )
