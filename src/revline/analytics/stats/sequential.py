"""Always-valid inference: results that may be looked at any number of times while a test runs.

We use the mixture sequential probability ratio test (mSPRT) with a normal mixing distribution
of Johari, Koomen, Pekelis & Walsh, "Peeking at A/B Tests" (KDD 2017), in its two-sample form.
With the estimate d = mean_B - mean_A and its variance V = s_A^2/n_A + s_B^2/n_B (the plug-in
normal approximation), and the effect mixed over N(theta_0, tau^2), the mixture likelihood ratio
against theta_0 is

    Lambda(theta_0) = sqrt(V / (V + tau^2)) * exp(tau^2 (d - theta_0)^2 / (2 V (V + tau^2))).

For n_A = n_B = n and V = 2 sigma^2 / n this is exactly the paper's statistic. Rejecting when
Lambda >= 1/alpha keeps the type-I error below alpha however often one looks (Ville's
inequality). The always-valid p-value is min(1, 1/Lambda(0)) and the confidence sequence is
{theta_0 : Lambda(theta_0) < 1/alpha}, i.e.

    d -/+ sqrt( V (V + tau^2) / tau^2 * (2 ln(1/alpha) + ln((V + tau^2) / V)) ).

Someone who looks repeatedly should keep the smallest p-value and the intersection of the
intervals seen so far; each single result here is valid on its own.

The tuning parameter tau is the standard deviation of the mixing distribution, given here in
units of the metric's pooled standard deviation sigma (`mixing_sd`, default 0.1): the interval
is tightest when true effects are around that size. It must be chosen before the test starts.
"""

import math
from dataclasses import dataclass

from .frequentist import Interval, difference_variance, lift_std_error
from .summary import MetricSummary, StatsInputError, pooled_variance

DEFAULT_MIXING_SD = 0.1


@dataclass(frozen=True)
class SequentialResult:
    effect: float
    interval: Interval
    p_value: float
    tau: float  # mixing standard deviation in metric units


def msprt_log_likelihood_ratio(*, estimate: float, variance: float, tau: float) -> float:
    """ln Lambda for H0: effect = 0 (see the module docstring)."""
    total = variance + tau**2
    return 0.5 * math.log(variance / total) + tau**2 * estimate**2 / (2 * variance * total)


def msprt_half_width(*, variance: float, tau: float, alpha: float) -> float:
    """Half-width of the always-valid interval at level 1 - alpha."""
    total = variance + tau**2
    return math.sqrt(
        variance * total / tau**2 * (2 * math.log(1 / alpha) + math.log(total / variance))
    )


def msprt_p_value(*, estimate: float, variance: float, tau: float) -> float:
    """Always-valid p-value min(1, 1 / Lambda(0))."""
    log_lr = msprt_log_likelihood_ratio(estimate=estimate, variance=variance, tau=tau)
    return 1.0 if log_lr <= 0 else math.exp(-log_lr)


def mixing_tau(a: MetricSummary, b: MetricSummary, *, mixing_sd: float) -> float:
    """tau in metric units: mixing_sd times the pooled standard deviation of the two variants."""
    if mixing_sd <= 0:
        raise StatsInputError("The mixing standard deviation must be positive.")
    return mixing_sd * math.sqrt(pooled_variance([a, b]))


def sequential_test(
    a: MetricSummary, b: MetricSummary, *, alpha: float, mixing_sd: float = DEFAULT_MIXING_SD
) -> SequentialResult:
    """mSPRT always-valid p-value and (1 - alpha) interval for mean_B - mean_A."""
    variance = difference_variance(a, b)
    tau = mixing_tau(a, b, mixing_sd=mixing_sd)
    effect = b.mean - a.mean
    half = msprt_half_width(variance=variance, tau=tau, alpha=alpha)
    return SequentialResult(
        effect=effect,
        interval=Interval(effect - half, effect + half),
        p_value=msprt_p_value(estimate=effect, variance=variance, tau=tau),
        tau=tau,
    )


def sequential_lift_interval(
    a: MetricSummary, b: MetricSummary, *, alpha: float, mixing_sd: float = DEFAULT_MIXING_SD
) -> Interval | None:
    """The same boundary applied to the relative lift: its delta-method variance, and tau
    rescaled to relative units (tau / |mean_A|). None when the control mean is zero."""
    se = lift_std_error(a, b)
    if se is None:
        return None
    tau = mixing_tau(a, b, mixing_sd=mixing_sd) / abs(a.mean)
    lift = b.mean / a.mean - 1
    half = msprt_half_width(variance=se**2, tau=tau, alpha=alpha)
    return Interval(lift - half, lift + half)
