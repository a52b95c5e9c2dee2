"""CUPED (Deng, Xu, Kohavi & Walker, WSDM 2013): variance reduction with a pre-period covariate.

Each user has the metric Y (during the test) and a covariate X measured before the test started
(e.g. the same metric in the previous 4 weeks), which the treatment cannot have changed. The
adjusted metric is Y' = Y - theta (X - mean_X); it has the same expected difference between
variants and a variance smaller by the factor (1 - rho^2), rho = corr(Y, X).

Inputs per variant, from summary statistics only: the metric summary (n, mean, variance) and
sum_x = sum(X), sum_x2 = sum(X^2), sum_xy = sum(X * Y) over the same users. With the centred
within-variant sums Sxx = sum_x2 - sum_x^2/n, Sxy = sum_xy - sum_x sum_y / n,
Syy = (n - 1) s_Y^2:

    theta   = sum_v Sxy_v / sum_v Sxx_v           (pooled within variants)
    mean'_v = mean_Y,v - theta (mean_X,v - mean_X) (mean_X over all users)
    s'^2_v  = (Syy_v - 2 theta Sxy_v + theta^2 Sxx_v) / (n_v - 1)

Pooling within variants keeps theta free of the treatment effect on Y.
"""

import math
from dataclasses import dataclass

from .summary import MetricSummary, StatsInputError


@dataclass(frozen=True)
class CovariateSums:
    sum_x: float
    sum_x2: float
    sum_xy: float


@dataclass(frozen=True)
class CupedResult:
    theta: float
    adjusted: tuple[MetricSummary, ...]
    variance_reduction: float  # 1 - pooled adjusted variance / pooled variance


def cuped_adjust(
    variants: "list[tuple[MetricSummary, CovariateSums]]",
) -> CupedResult:
    """CUPED-adjusted summaries of every variant (see the module docstring for the formulas)."""
    centred: list[tuple[float, float, float]] = []
    for summary, cov in variants:
        n = summary.users
        if not all(math.isfinite(v) for v in (cov.sum_x, cov.sum_x2, cov.sum_xy)):
            raise StatsInputError(f"Variant '{summary.name}': covariate sums must be finite.")
        sum_y = summary.mean * n
        sxx = cov.sum_x2 - cov.sum_x**2 / n
        sxy = cov.sum_xy - cov.sum_x * sum_y / n
        syy = (n - 1) * summary.variance
        tolerance = 1e-9 * max(abs(cov.sum_x2), 1.0)
        if sxx < -tolerance:
            raise StatsInputError(
                f"Variant '{summary.name}': covariate sum_x2 is smaller than sum_x^2 / users, "
                "which no data can produce."
            )
        sxx = max(sxx, 0.0)
        if sxy**2 > sxx * syy * (1 + 1e-9) + tolerance:
            raise StatsInputError(
                f"Variant '{summary.name}': covariate sum_xy is inconsistent with the other sums "
                "(it implies a correlation above 1)."
            )
        centred.append((sxx, sxy, syy))
    total_sxx = sum(c[0] for c in centred)
    if total_sxx <= 0:
        raise StatsInputError("The CUPED covariate has zero variance, so it cannot reduce any.")
    theta = sum(c[1] for c in centred) / total_sxx
    users = sum(s.users for s, _ in variants)
    mean_x = sum(cov.sum_x for _, cov in variants) / users
    adjusted = []
    for (summary, cov), (sxx, sxy, syy) in zip(variants, centred, strict=True):
        n = summary.users
        residual = max(syy - 2 * theta * sxy + theta**2 * sxx, 0.0)
        adjusted.append(
            MetricSummary(
                name=summary.name,
                users=n,
                mean=summary.mean - theta * (cov.sum_x / n - mean_x),
                variance=residual / (n - 1),
            )
        )
    before = sum(c[2] for c in centred)
    after = sum((s.users - 1) * s.variance for s in adjusted)
    reduction = 1 - after / before if before > 0 else 0.0
    return CupedResult(theta=theta, adjusted=tuple(adjusted), variance_reduction=reduction)
