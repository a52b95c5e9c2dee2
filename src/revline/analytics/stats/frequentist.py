"""Fixed-horizon (classical) comparison of a variant B with the control A."""

import math
from dataclasses import dataclass

from scipy import stats as sps

from .summary import MetricSummary, StatsInputError


@dataclass(frozen=True)
class Interval:
    lower: float
    upper: float

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def contains(self, value: float) -> bool:
        return self.lower <= value <= self.upper


@dataclass(frozen=True)
class WelchResult:
    effect: float  # mean_B - mean_A
    std_error: float
    t_stat: float
    df: float
    p_value: float
    interval: Interval


@dataclass(frozen=True)
class LiftResult:
    lift: float  # mean_B / mean_A - 1
    std_error: float
    interval: Interval


def difference_variance(a: MetricSummary, b: MetricSummary) -> float:
    """Variance of the difference of two independent means: V = s_A^2/n_A + s_B^2/n_B."""
    variance = a.variance / a.users + b.variance / b.users
    if variance <= 0:
        raise StatsInputError(
            f"Variants '{a.name}' and '{b.name}' both have zero variance (every user has the "
            "same value), so no test is possible."
        )
    return variance


def welch_t_test(a: MetricSummary, b: MetricSummary, *, alpha: float) -> WelchResult:
    """Welch's unequal-variance two-sided t-test of mean_B - mean_A = 0.

    d = mean_B - mean_A, SE = sqrt(s_A^2/n_A + s_B^2/n_B), t = d / SE,
    Welch-Satterthwaite df = SE^4 / ((s_A^2/n_A)^2/(n_A-1) + (s_B^2/n_B)^2/(n_B-1)),
    p = 2 * P(T_df > |t|), interval d -/+ t_{1-alpha/2, df} * SE.
    """
    va, vb = a.variance / a.users, b.variance / b.users
    se = math.sqrt(difference_variance(a, b))
    df = (va + vb) ** 2 / (va**2 / (a.users - 1) + vb**2 / (b.users - 1))
    effect = b.mean - a.mean
    t_stat = effect / se
    p_value = float(2 * sps.t.sf(abs(t_stat), df))
    half = float(sps.t.ppf(1 - alpha / 2, df)) * se
    return WelchResult(
        effect=effect,
        std_error=se,
        t_stat=t_stat,
        df=df,
        p_value=min(p_value, 1.0),
        interval=Interval(effect - half, effect + half),
    )


def lift_std_error(a: MetricSummary, b: MetricSummary) -> float | None:
    """Delta-method SE of the relative lift r = mean_B / mean_A - 1 (independent samples):

    Var(r) ~ s_B^2 / (n_B mean_A^2) + mean_B^2 s_A^2 / (n_A mean_A^4).
    None when the control mean is zero (the lift is undefined) or the estimate has no variance
    (e.g. no conversions at all in B).
    """
    if a.mean == 0:
        return None
    var = b.variance / (b.users * a.mean**2) + b.mean**2 * a.variance / (a.users * a.mean**4)
    return math.sqrt(var) if var > 0 else None


def relative_lift(a: MetricSummary, b: MetricSummary, *, alpha: float) -> LiftResult | None:
    """Relative lift r = mean_B / mean_A - 1 with a normal interval r -/+ z_{1-alpha/2} SE_delta.

    None when the lift or its variance is undefined (see lift_std_error).
    """
    se = lift_std_error(a, b)
    if se is None:
        return None
    lift = b.mean / a.mean - 1
    half = float(sps.norm.ppf(1 - alpha / 2)) * se
    return LiftResult(lift=lift, std_error=se, interval=Interval(lift - half, lift + half))
