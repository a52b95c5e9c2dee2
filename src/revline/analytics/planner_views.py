"""The sample-size planner: how many users an A/B test needs before it starts."""

import math
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .stats import SampleSizePlan, StatsInputError, sample_size_proportions

DEFAULTS = {
    "baseline_rate": "10",
    "mde": "2",
    "mde_kind": "absolute",
    "alpha": "0.05",
    "power": "0.8",
    "variants": "2",
}
# The chart shows the effect the user asked for and a range of effects around it.
CURVE_FACTORS = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


class SampleSizeForm(forms.Form):
    baseline_rate = forms.FloatField(
        label="Baseline conversion rate (%)",
        min_value=0.01,
        max_value=99.99,
        help_text="Today's conversion rate of the control, e.g. 10.",
    )
    mde = forms.FloatField(
        label="Minimum detectable effect",
        min_value=0.0001,
        max_value=10_000,
        help_text="The smallest change worth detecting.",
    )
    mde_kind = forms.ChoiceField(
        label="Effect is",
        choices=[
            ("absolute", "percentage points (10 % → 12 % is 2)"),
            ("relative", "% of the baseline (10 % → 12 % is 20)"),
        ],
    )
    alpha = forms.FloatField(
        label="Significance level (alpha)",
        min_value=0.0001,
        max_value=0.5,
        help_text="Chance of a false positive; 0.05 is usual.",
    )
    power = forms.FloatField(
        label="Power",
        min_value=0.5,
        max_value=0.999,
        help_text="Chance to detect a real effect of that size; 0.8 is usual.",
    )
    variants = forms.IntegerField(
        label="Variants (including the control)", min_value=2, max_value=20
    )
    bonferroni = forms.BooleanField(
        label="Correct for several comparisons (Bonferroni)", required=False
    )
    daily_users = forms.IntegerField(
        label="Users per day entering the test",
        required=False,
        min_value=1,
        max_value=10**9,
        help_text="Optional: to estimate how long the test runs.",
    )


def _plan(data: dict[str, Any], mde: float) -> SampleSizePlan:
    relative = data["mde_kind"] == "relative"
    return sample_size_proportions(
        baseline=data["baseline_rate"] / 100,
        mde=mde / 100,
        relative=relative,
        alpha=data["alpha"],
        power=data["power"],
        variants=data["variants"],
        bonferroni=data["bonferroni"],
    )


def _days(total: int, daily: int | None) -> int | None:
    return math.ceil(total / daily) if daily else None


@login_required
def sample_size(request: HttpRequest) -> HttpResponse:
    form = SampleSizeForm(request.GET or DEFAULTS)
    plan, curve = None, []
    if form.is_valid():
        data = form.cleaned_data
        try:
            plan = _plan(data, data["mde"])
        except StatsInputError as exc:
            form.add_error("mde", str(exc))
        else:
            for factor in CURVE_FACTORS:
                try:
                    point = _plan(data, data["mde"] * factor)
                except StatsInputError:
                    continue  # an effect that leaves the 0-100 % range is simply not drawn
                curve.append(
                    {
                        "mde": f"{data['mde'] * factor:.4g}",
                        "target": f"{point.target * 100:.4g}",
                        "per_variant": point.per_variant,
                        "total": point.total,
                        "days": _days(point.total, data["daily_users"]),
                        "chosen": factor == 1.0,
                    }
                )
    context = {
        "form": form,
        "plan": plan,
        "days": _days(plan.total, form.cleaned_data.get("daily_users")) if plan else None,
        "rates": (f"{plan.baseline * 100:.4g}", f"{plan.target * 100:.4g}") if plan else None,
        "unit": "pts" if form.data.get("mde_kind") != "relative" else "%",
        "curve": curve,
        "chart": {
            "labels": [p["mde"] for p in curve],
            "values": [p["per_variant"] for p in curve],
        },
    }
    return render(
        request, "analytics/sample_size.html", context, status=400 if form.errors else 200
    )
