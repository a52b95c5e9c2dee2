"""The customer-value page: BG/NBD + Gamma-Gamma value of customers by acquisition source."""

import math
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from revline.core.audience import audience_report
from revline.people.exports import csv_lines, csv_response

from .clv_selectors import CustomerValueReport, GroupRow, contact_names, customer_value_report

UNITS = [("week", "Weeks"), ("day", "Days")]
DEFAULT_HORIZON = {"week": 52.0, "day": 365.0}
MAX_HORIZON = {"week": 520.0, "day": 3650.0}
EXPORTS = ("campaigns", "channels", "customers")
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"


class CustomerValueForm(forms.Form):
    as_of = forms.DateField(
        required=False,
        label="History up to",
        widget=DateInput,
        help_text="End of the purchase history the model learns from (default: today).",
    )
    unit = forms.ChoiceField(choices=UNITS, required=False, label="Time unit")
    horizon = forms.FloatField(
        required=False,
        label="Horizon",
        min_value=1,
        help_text="How far ahead to value customers, in the time unit (default: one year).",
    )
    discount = forms.FloatField(
        required=False,
        label="Discount rate % / year",
        min_value=0,
        max_value=100,
        help_text="Future revenue is worth less today (default: 10%).",
    )
    acquired_from = forms.DateField(required=False, label="First purchase from", widget=DateInput)
    acquired_to = forms.DateField(required=False, label="to", widget=DateInput)
    export = forms.ChoiceField(
        choices=[("", "")] + [(e, e) for e in EXPORTS], required=False, widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("as_of", "acquired_from", "acquired_to"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, "Enter a date between 2000 and 2100.")
        unit = data.get("unit") or "week"
        horizon = data.get("horizon")
        if horizon is not None and horizon > MAX_HORIZON[unit]:
            self.add_error("horizon", f"At most {MAX_HORIZON[unit]:.0f} {unit}s (ten years) ahead.")
        start, end = data.get("acquired_from"), data.get("acquired_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        return data


def _settings(form: CustomerValueForm) -> dict[str, Any]:
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    unit = data.get("unit") or "week"
    discount = data.get("discount")
    return {
        "as_of": data.get("as_of") or timezone.localdate(),
        "unit": unit,
        "horizon": data.get("horizon") or DEFAULT_HORIZON[unit],
        "annual_discount_rate": (10.0 if discount is None else discount) / 100,
        "acquired_from": data.get("acquired_from"),
        "acquired_to": data.get("acquired_to"),
    }


def _group_csv(rows: list[GroupRow], currency: str) -> list[list[Any]]:
    return [
        [
            row.label,
            row.customers,
            row.avg_value,
            row.total_value,
            round(row.avg_expected_purchases, 3),
            round(row.avg_p_alive, 3),
            row.avg_revenue_to_date,
            currency,
        ]
        for row in rows
    ]


def _export(report: CustomerValueReport, which: str) -> StreamingHttpResponse:
    unit = report.unit
    if which == "customers":
        names = contact_names(p.summary.contact_id for p in report.predictions)
        campaign_names = {row.campaign_id: row.label for row in report.by_campaign}
        header = [
            "contact_id", "contact", "first_purchase", "acquisition_campaign",
            "acquisition_channel", "repeat_purchases_x", f"recency_t_x_{unit}s",
            f"age_T_{unit}s", "avg_repeat_value", "revenue_to_date", "p_alive",
            f"expected_purchases_next_{report.horizon:g}_{unit}s", "expected_spend_per_purchase",
            "predicted_value", "currency",
        ]  # fmt: skip
        rows: list[list[Any]] = [
            [
                p.summary.contact_id,
                names.get(p.summary.contact_id, ""),
                p.summary.first_purchase.isoformat(),
                campaign_names.get(p.campaign_id, "") if p.campaign_id else "",
                p.channel,
                p.summary.x,
                round(p.summary.t_x, 4),
                round(p.summary.T, 4),
                round(p.summary.m, 2),
                p.summary.revenue,
                round(p.p_alive, 4),
                round(p.expected_purchases, 4),
                round(p.expected_spend, 2),
                round(p.value, 2),
                report.currency,
            ]
            for p in report.predictions
        ]
    else:
        first = "campaign" if which == "campaigns" else "channel"
        header = [
            first, "customers", "avg_predicted_value", "total_predicted_value",
            f"avg_expected_purchases_next_{report.horizon:g}_{unit}s", "avg_p_alive",
            "avg_revenue_to_date", "currency",
        ]  # fmt: skip
        groups = report.by_campaign if which == "campaigns" else report.by_channel
        rows = _group_csv(groups, report.currency)
    return csv_response(csv_lines(header, rows), f"customer-value-{which}.csv")


def _chart(rows: list[GroupRow]) -> dict[str, Any]:
    top = rows[:15]
    return {
        "labels": [row.label for row in top],
        "values": [float(row.avg_value) for row in top],
        "customers": [row.customers for row in top],
    }


@login_required
@require_GET
@audience_report
def customer_value(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = CustomerValueForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    chosen = _settings(form)
    report = customer_value_report(viewer=request.user, **chosen)  # type: ignore[arg-type]
    export = form.cleaned_data.get("export") if valid and form.is_bound else ""
    if export:
        if report.error:
            return HttpResponse(report.error, status=409, content_type="text/plain")
        return _export(report, export)
    mean_spend = report.spend_fit.params.mean_spend if report.spend_fit else math.inf
    context = {
        "form": form,
        "report": report,
        "discount_pct": report.annual_discount_rate * 100,
        "mean_spend": Decimal(str(round(mean_spend, 2))) if math.isfinite(mean_spend) else None,
        "tables": [
            {"name": "campaign", "export": "campaigns", "rows": report.by_campaign},
            {"name": "channel", "export": "channels", "rows": report.by_channel},
        ],
        "charts": {"campaigns": _chart(report.by_campaign), "channels": _chart(report.by_channel)},
        "query": request.GET.urlencode() if valid else "",
    }
    return render(request, "analytics/customer_value.html", context, status=200 if valid else 400)
