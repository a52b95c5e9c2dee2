"""Reads for experiments: the list, and an experiment's results with every statistic.

The numbers come from the exposures in a handful of grouped queries; the statistics are the
pure functions of revline.analytics.stats (the same ones POST /api/v1/experiments/analyze runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from revline.analytics.stats import (
    Analysis,
    Comparison,
    CovariateSums,
    SrmResult,
    StatsInputError,
    VariantInput,
    analyze_experiment,
    srm_check,
)

from .models import Experiment, Exposure, Variant

# Longer tests are charted by week so the chart stays readable.
MAX_DAILY_POINTS = 120


def experiments_for_list(*, audience: bool = True) -> QuerySet[Experiment]:
    """Every experiment with its target and its counts (users exposed, conversions).

    Without `audience` (a reader who does not see every contact, core.audience) both counts are
    None: they count every visitor and contact."""
    experiments = Experiment.objects.select_related("landing_page", "email")
    if not audience:
        none = Value(None, output_field=IntegerField())
        return experiments.annotate(users=none, conversions=none)
    return experiments.annotate(
        users=Count("exposures"),
        conversions=Count("exposures", filter=Q(exposures__converted_at__isnull=False)),
    )


@dataclass(frozen=True)
class VariantRow:
    variant: Variant
    users: int
    conversions: int
    expected_share: float  # of users, from the weights

    @property
    def rate(self) -> float | None:
        return self.conversions / self.users if self.users else None


@dataclass(frozen=True)
class ComparisonRow:
    """One variant against the control, by each method."""

    variant: Variant
    welch: Comparison
    sequential: Comparison
    bayesian: Comparison


@dataclass
class Results:
    experiment: Experiment
    rows: list[VariantRow]
    users: int
    conversions: int
    comparisons: list[ComparisonRow] = field(default_factory=list)
    srm: SrmResult | None = None
    cuped_requested: bool = False
    cuped: Analysis | None = None  # the frequentist analysis with CUPED, when it applies
    cuped_note: str = ""  # why CUPED is not applied, when requested
    not_enough: str = ""  # why there are no statistics yet
    warnings: tuple[str, ...] = ()
    series: dict[str, Any] = field(default_factory=dict)

    @property
    def control(self) -> VariantRow:
        return next(row for row in self.rows if row.variant.is_control)

    @property
    def srm_mismatch(self) -> bool:
        return self.srm is not None and self.srm.mismatch

    @property
    def variance_reduction(self) -> float | None:
        return self.cuped.cuped.variance_reduction if self.cuped and self.cuped.cuped else None


def _counts(experiment: Experiment) -> dict[int, dict[str, float]]:
    rows = (
        Exposure.objects.filter(experiment=experiment)
        .values("variant_id")
        .annotate(
            users=Count("pk"),
            conversions=Count("pk", filter=Q(converted_at__isnull=False)),
            sum_x=Sum("pre_period_touches"),
            sum_x2=Sum(F("pre_period_touches") * F("pre_period_touches")),
            sum_xy=Sum("pre_period_touches", filter=Q(converted_at__isnull=False)),
        )
        .order_by()
    )
    return {
        row["variant_id"]: {
            key: float(row[key] or 0)
            for key in ("users", "conversions", "sum_x", "sum_x2", "sum_xy")
        }
        for row in rows
    }


def _analyses(
    rows: list[VariantRow], alpha: float, cuped: dict[str, CovariateSums] | None
) -> dict[str, Analysis]:
    inputs = [
        VariantInput(name=row.variant.name, users=row.users, conversions=row.conversions)
        for row in rows
    ]
    control = next(row.variant.name for row in rows if row.variant.is_control)
    weights = [row.variant.weight for row in rows]
    return {
        method: analyze_experiment(
            metric="proportion",
            method=method,
            variants=inputs,
            control=control,
            alpha=alpha,
            weights=weights,
            cuped=cuped,
        )
        for method in ("frequentist", "sequential", "bayesian")
    }


def _daily_series(experiment: Experiment, variants: list[Variant]) -> dict[str, Any]:
    """Cumulative conversion rate per variant at the end of each day: conversions so far over
    users exposed so far (each counted on the day it happened)."""
    if experiment.started_at is None:
        return {"labels": [], "datasets": []}
    tz = timezone.get_current_timezone()
    start = timezone.localtime(experiment.started_at, tz).date()
    end_at = experiment.stopped_at or timezone.now()
    end = timezone.localtime(end_at, tz).date()
    days = (end - start).days + 1
    step = 1 if days <= MAX_DAILY_POINTS else 7
    exposures = (
        Exposure.objects.filter(experiment=experiment)
        .annotate(day=TruncDate("exposed_at", tzinfo=tz))
        .values("variant_id", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    conversions = (
        Exposure.objects.filter(experiment=experiment, converted_at__isnull=False)
        .annotate(day=TruncDate("converted_at", tzinfo=tz))
        .values("variant_id", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    exposed: dict[tuple[int, date], int] = {(r["variant_id"], r["day"]): r["n"] for r in exposures}
    converted: dict[tuple[int, date], int] = {
        (r["variant_id"], r["day"]): r["n"] for r in conversions
    }
    labels: list[str] = []
    points: dict[int, list[float | None]] = {v.pk: [] for v in variants}
    totals: dict[int, list[int]] = {v.pk: [0, 0] for v in variants}
    day = start
    while day <= end:
        for variant in variants:
            totals[variant.pk][0] += exposed.get((variant.pk, day), 0)
            totals[variant.pk][1] += converted.get((variant.pk, day), 0)
        last_of_step = (day - start).days % step == step - 1 or day == end
        if last_of_step:
            labels.append(day.isoformat())
            for variant in variants:
                users, conv = totals[variant.pk]
                points[variant.pk].append(round(100 * conv / users, 3) if users else None)
        day += timedelta(days=1)
    return {
        "labels": labels,
        "step_days": step,
        "datasets": [
            {"label": f"{v.name}{' (control)' if v.is_control else ''}", "data": points[v.pk]}
            for v in variants
        ],
    }


def experiment_results(*, experiment: Experiment, cuped: bool = False) -> Results:
    """Per-variant users, conversions and rate; every variant against the control by Welch's
    test, the always-valid sequential test and the Bayesian model; the sample-ratio check; with
    `cuped`, the same adjusted with the pre-period touches (when the covariate varies)."""
    variants = list(experiment.variants.select_related("landing_page"))
    counts = _counts(experiment)
    total_weight = sum(v.weight for v in variants) or 1
    rows = [
        VariantRow(
            variant=v,
            users=int(counts.get(v.pk, {}).get("users", 0)),
            conversions=int(counts.get(v.pk, {}).get("conversions", 0)),
            expected_share=v.weight / total_weight,
        )
        for v in variants
    ]
    results = Results(
        experiment=experiment,
        rows=rows,
        users=sum(r.users for r in rows),
        conversions=sum(r.conversions for r in rows),
        cuped_requested=cuped,
        series=_daily_series(experiment, variants),
    )
    if len(rows) < 2 or not any(r.variant.is_control for r in rows):
        results.not_enough = "The experiment needs a control and at least one more variant."
        return results
    if results.users:
        try:
            results.srm = srm_check([r.users for r in rows], [r.variant.weight for r in rows])
        except StatsInputError:
            results.srm = None
    try:
        analyses = _analyses(rows, experiment.alpha, None)
    except StatsInputError as exc:
        results.not_enough = str(exc)
        return results
    if cuped:
        sums = {
            v.name: CovariateSums(
                sum_x=counts.get(v.pk, {}).get("sum_x", 0.0),
                sum_x2=counts.get(v.pk, {}).get("sum_x2", 0.0),
                sum_xy=counts.get(v.pk, {}).get("sum_xy", 0.0),
            )
            for v in variants
        }
        try:
            adjusted = _analyses(rows, experiment.alpha, sums)
        except StatsInputError as exc:
            results.cuped_note = f"CUPED is not applied: {exc}"
        else:
            analyses = adjusted
            results.cuped = adjusted["frequentist"]
    by_name = {v.name: v for v in variants}
    for welch, sequential, bayesian in zip(
        analyses["frequentist"].comparisons,
        analyses["sequential"].comparisons,
        analyses["bayesian"].comparisons,
        strict=True,
    ):
        results.comparisons.append(
            ComparisonRow(
                variant=by_name[welch.variant],
                welch=welch,
                sequential=sequential,
                bayesian=bayesian,
            )
        )
    results.warnings = analyses["frequentist"].warnings
    return results


def experiment_days(experiment: Experiment, now: datetime | None = None) -> int | None:
    """Whole days the experiment has run (so far), None before it starts."""
    if experiment.started_at is None:
        return None
    end = experiment.stopped_at or now or timezone.now()
    return max((end - experiment.started_at).days, 0)
