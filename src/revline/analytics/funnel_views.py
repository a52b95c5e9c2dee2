"""The funnel pages: the lifecycle funnel and event funnels, each with CSV export (?export=…).

Funnels show counts and times only, no deal amounts, so every signed-in user may see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from revline.core.audience import audience_report
from revline.people.exports import csv_lines, csv_response

from . import funnel_selectors, funnels
from .funnel_forms import EventFunnelForm, LifecycleFunnelForm


def _days(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 86400, 2) if value is not None else None


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _stage_csv(steps: Iterable[funnels.FunnelStep]) -> Iterable[list[Any]]:
    for s in steps:
        yield [
            s.label, s.count, _blank(s.step_rate), _blank(s.overall_rate),
            _blank(_days(s.median_from_previous)), s.timed,
        ]  # fmt: skip


def _counts_csv(label: str, steps: list[funnels.FunnelStep]) -> list[Any]:
    return [label, *(s.count for s in steps), _blank(steps[-1].overall_rate)]


@login_required
@require_GET
@audience_report
def lifecycle_funnel(request: HttpRequest) -> HttpResponseBase:
    form = LifecycleFunnelForm(request.GET or None, today=timezone.localdate())
    first, last = form.period()
    report = funnel_selectors.lifecycle_funnel_report(
        first=first,
        last=last,
        interval=form.chosen("interval", "month"),
        breakdown=form.chosen("by", "campaign"),
        segment=form.chosen_segment(),
        now=timezone.now(),
    )
    stage_labels = [funnels.STAGE_LABELS[s] for s in funnels.FUNNEL_STAGES]
    export = request.GET.get("export")
    name = f"funnel-{first:%Y%m%d}-{last:%Y%m%d}"
    if export == "stages":
        header = ["Stage", "Count", "Conversion from previous (%)", "Conversion overall (%)",
                  "Median days from previous", "Contacts timed"]  # fmt: skip
        return csv_response(csv_lines(header, _stage_csv(report.steps)), f"{name}.csv")
    if export == "cohorts":
        header = ["Cohort", *stage_labels, "Visitor to customer (%)"]
        rows = (_counts_csv(c.label, c.steps) for c in report.cohorts)
        return csv_response(csv_lines(header, rows), f"{name}-cohorts.csv")
    if export == "groups":
        header = [report.breakdown_label, *stage_labels, "Visitor to customer (%)"]
        rows = (_counts_csv(g.label, g.steps) for g in report.groups)
        return csv_response(csv_lines(header, rows), f"{name}-{report.breakdown}.csv")

    params = request.GET.copy()
    params.pop("export", None)
    tabs = []
    for key, label in funnel_selectors.BREAKDOWNS.items():
        params["by"] = key
        tabs.append({"key": key, "label": label, "query": params.urlencode()})
    params["by"] = report.breakdown
    chart = {
        "labels": [s.label for s in report.steps],
        "counts": [s.count for s in report.steps],
        "rates": [s.overall_rate for s in report.steps],
    }
    context = {
        "form": form,
        "report": report,
        "chart": chart,
        "stage_labels": stage_labels,
        "tabs": tabs,
        "query": params.urlencode(),
        "customer_rate": report.steps[-1].overall_rate,
    }
    status = 400 if form.errors else 200
    return render(request, "analytics/funnel_lifecycle.html", context, status=status)


@login_required
@require_GET
@audience_report
def event_funnel(request: HttpRequest) -> HttpResponseBase:
    form = EventFunnelForm(request.GET or None, today=timezone.localdate())
    first, last = form.period()
    steps = form.steps()
    report = None
    if steps is not None:
        report = funnel_selectors.event_funnel_report(
            steps=steps, first=first, last=last, window_days=form.window_days()
        )
    if report is not None and request.GET.get("export") == "steps":
        header = ["Step", "Definition", "People", "Dropped", "Conversion from previous (%)",
                  "Conversion overall (%)"]  # fmt: skip
        rows = (
            [r.number, r.label, r.count, r.dropped, _blank(r.step_rate), _blank(r.overall_rate)]
            for r in report.rows
        )
        name = f"event-funnel-{first:%Y%m%d}-{last:%Y%m%d}.csv"
        return csv_response(csv_lines(header, rows), name)
    params = request.GET.copy()
    params.pop("export", None)
    chart = (
        {
            "labels": [f"{r.number}. {r.label}" for r in report.rows],
            "counts": [r.count for r in report.rows],
            "dropped": [r.dropped for r in report.rows],
        }
        if report is not None
        else None
    )
    context = {
        "form": form,
        "report": report,
        "chart": chart,
        "query": params.urlencode(),
        "first": first,
        "last": last,
    }
    status = 400 if form.errors else 200
    return render(request, "analytics/funnel_events.html", context, status=status)
