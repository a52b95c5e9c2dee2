"""The sales dashboard at /sales/."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from revline.core.models import User

from . import dashboard_selectors as widgets
from .forecast import period_bounds
from .forecast_selectors import local_midnight
from .models import ActivityKind, Pipeline


class DashboardForm(forms.Form):
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.all(), required=False, empty_label="Default pipeline"
    )


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = DashboardForm(request.GET or None)
    pipeline = form.cleaned_data.get("pipeline") if form.is_valid() else None
    now = timezone.now()
    today = timezone.localdate(now)
    start, end = period_bounds("month", today)
    by_stage = widgets.pipeline_by_stage(user=user, pipeline=pipeline)
    trend = widgets.win_trend(user=user, today=today)
    chart: dict[str, Any] = {
        "stages": {
            "labels": [s.name for s in by_stage.stages],
            "amount": [float(s.amount) for s in by_stage.stages],
            "deals": [s.deals for s in by_stage.stages],
        },
        "trend": {
            "labels": [m.month.strftime("%b %Y") for m in trend],
            "win_rate": [float(m.win_rate) if m.win_rate is not None else None for m in trend],
            "cycle": [float(m.cycle_days) if m.cycle_days is not None else None for m in trend],
        },
    }
    context = {
        "form": form,
        "month_start": start,
        "month_label": start.strftime("%B %Y"),
        "by_stage": by_stage,
        "closing": widgets.deals_closing(user=user, start=start, end=end),
        "trend": trend,
        "activity": widgets.activity_by_rep(
            user=user, start=local_midnight(start), end=local_midnight(end)
        ),
        "activity_kinds": ActivityKind.choices,
        "objections": widgets.top_objections(user=user, now=now),
        "attainment": widgets.quota_attainment(user=user, start=start, end=end),
        "chart": chart,
        "currency": settings.CURRENCY,
    }
    return render(request, "sales/dashboard.html", context, status=400 if form.errors else 200)
