"""One call that analyses an experiment from per-variant summary statistics.

Every non-control variant is compared with the control (no multiple-comparison correction: with
many variants, compare the p-values with alpha / number of comparisons, or use the planner's
Bonferroni option when sizing the test). The sample-ratio check always runs on the raw user
counts.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .bayesian import Prior, bayesian_test
from .cuped import CovariateSums, CupedResult, cuped_adjust
from .frequentist import Interval, relative_lift, welch_t_test
from .sequential import DEFAULT_MIXING_SD, sequential_lift_interval, sequential_test
from .srm import DEFAULT_SRM_THRESHOLD, SrmResult, srm_check
from .summary import MetricSummary, StatsInputError, proportion_summary, sums_summary

Metric = Literal["proportion", "mean"]
Method = Literal["frequentist", "sequential", "bayesian"]
METRICS: tuple[Metric, ...] = ("proportion", "mean")
METHODS: tuple[Method, ...] = ("frequentist", "sequential", "bayesian")
MAX_VARIANTS = 20


@dataclass(frozen=True)
class VariantInput:
    """Users and either conversions (proportion) or sum and sum_squares (mean)."""

    name: str
    users: int
    conversions: int | None = None
    total: float | None = None
    sum_squares: float | None = None


@dataclass(frozen=True)
class Comparison:
    variant: str
    effect: float  # absolute: mean_B - mean_A (posterior mean for bayesian)
    interval: Interval
    relative_lift: float | None
    relative_interval: Interval | None
    p_value: float | None = None
    chance_to_win: float | None = None
    expected_loss: float | None = None  # of choosing this variant
    expected_loss_control: float | None = None  # of keeping the control
    significant: bool | None = None  # interval excludes 0 (frequentist/sequential)


@dataclass(frozen=True)
class Analysis:
    metric: Metric
    method: Method
    alpha: float
    control: str
    summaries: tuple[MetricSummary, ...]
    comparisons: tuple[Comparison, ...]
    srm: SrmResult
    cuped: CupedResult | None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _summary(metric: Metric, variant: VariantInput) -> MetricSummary:
    if metric == "proportion":
        if variant.conversions is None:
            raise StatsInputError(f"Variant '{variant.name}' needs 'conversions'.")
        return proportion_summary(
            name=variant.name, users=variant.users, conversions=variant.conversions
        )
    if variant.total is None or variant.sum_squares is None:
        raise StatsInputError(f"Variant '{variant.name}' needs 'sum' and 'sum_squares'.")
    return sums_summary(
        name=variant.name, users=variant.users, total=variant.total, sum_squares=variant.sum_squares
    )


def _relative(effect: float, interval: Interval, control_mean: float) -> tuple[float, Interval]:
    ends = sorted((interval.lower / control_mean, interval.upper / control_mean))
    return effect / control_mean, Interval(ends[0], ends[1])


def _compare(
    a: MetricSummary,
    b: MetricSummary,
    *,
    method: Method,
    alpha: float,
    prior: Prior | None,
    mixing_sd: float,
) -> Comparison:
    if method == "bayesian":
        post = bayesian_test(a, b, alpha=alpha, prior=prior)
        rel, rel_interval = (
            _relative(post.posterior_mean, post.interval, a.mean) if a.mean else (None, None)
        )
        return Comparison(
            variant=b.name,
            effect=post.posterior_mean,
            interval=post.interval,
            relative_lift=rel,
            relative_interval=rel_interval,
            chance_to_win=post.chance_to_win,
            expected_loss=post.expected_loss,
            expected_loss_control=post.expected_loss_control,
        )
    lift = relative_lift(a, b, alpha=alpha)
    if method == "sequential":
        seq = sequential_test(a, b, alpha=alpha, mixing_sd=mixing_sd)
        effect, interval, p_value = seq.effect, seq.interval, seq.p_value
        rel_interval = sequential_lift_interval(a, b, alpha=alpha, mixing_sd=mixing_sd)
    else:
        welch = welch_t_test(a, b, alpha=alpha)
        effect, interval, p_value = welch.effect, welch.interval, welch.p_value
        rel_interval = lift.interval if lift else None
    return Comparison(
        variant=b.name,
        effect=effect,
        interval=interval,
        relative_lift=b.mean / a.mean - 1 if a.mean else None,
        relative_interval=rel_interval,
        p_value=p_value,
        significant=not interval.contains(0.0),
    )


def analyze_experiment(
    *,
    metric: Metric,
    method: Method,
    variants: Sequence[VariantInput],
    control: str,
    alpha: float = 0.05,
    weights: Sequence[float] | None = None,
    prior: Prior | None = None,
    mixing_sd: float = DEFAULT_MIXING_SD,
    srm_threshold: float = DEFAULT_SRM_THRESHOLD,
    cuped: Mapping[str, CovariateSums] | None = None,
) -> Analysis:
    """Compare every variant with `control` by `method`; raises StatsInputError naming the
    problem when the input cannot be analysed (see VariantInput and the stats modules)."""
    if metric not in METRICS:
        raise StatsInputError(f"Unknown metric '{metric}'; use one of {', '.join(METRICS)}.")
    if method not in METHODS:
        raise StatsInputError(f"Unknown method '{method}'; use one of {', '.join(METHODS)}.")
    if not 0 < alpha < 1:
        raise StatsInputError("alpha must be between 0 and 1 (e.g. 0.05).")
    if len(variants) < 2:
        raise StatsInputError("An experiment needs at least two variants: a control and one more.")
    if len(variants) > MAX_VARIANTS:
        raise StatsInputError(f"At most {MAX_VARIANTS} variants can be analysed at once.")
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise StatsInputError("Variant names must be unique.")
    if control not in names:
        raise StatsInputError(f"The control '{control}' is not one of the variants.")
    summaries = [_summary(metric, v) for v in variants]
    if all(s.variance == 0 for s in summaries):
        raise StatsInputError(
            "Every variant has zero variance (e.g. no conversions at all, or every user has the "
            "same value), so there is nothing to test."
        )
    srm = srm_check([v.users for v in variants], weights, threshold=srm_threshold)
    cuped_result = None
    if cuped is not None:
        unknown = set(cuped) - set(names)
        missing = [n for n in names if n not in cuped]
        if unknown:
            raise StatsInputError(f"CUPED sums for unknown variants: {', '.join(sorted(unknown))}.")
        if missing:
            raise StatsInputError(f"CUPED sums are missing for: {', '.join(missing)}.")
        cuped_result = cuped_adjust([(s, cuped[s.name]) for s in summaries])
        summaries = list(cuped_result.adjusted)
    by_name = {s.name: s for s in summaries}
    a = by_name[control]
    comparisons = tuple(
        _compare(a, b, method=method, alpha=alpha, prior=prior, mixing_sd=mixing_sd)
        for b in summaries
        if b.name != control
    )
    warnings = []
    if srm.mismatch:
        warnings.append(
            f"Sample-ratio mismatch (p = {srm.p_value:.2g} < {srm.threshold:g}): users were not "
            "split as the weights say; check the assignment and logging before trusting results."
        )
    if a.mean == 0:
        warnings.append("The control's mean is zero, so relative lifts are undefined.")
    for comparison in comparisons:
        if not all(math.isfinite(x) for x in (comparison.effect, *_ends(comparison.interval))):
            raise StatsInputError("The numbers are too large to analyse; check the sums.")
    return Analysis(
        metric=metric,
        method=method,
        alpha=alpha,
        control=control,
        summaries=tuple(summaries),
        comparisons=comparisons,
        srm=srm,
        cuped=cuped_result,
        warnings=tuple(warnings),
    )


def _ends(interval: Interval) -> tuple[float, float]:
    return interval.lower, interval.upper
