"""Per-variant summary statistics: the only input the experiment statistics need.

A variant is described by its number of users n, the sum S of the metric over users and the
sum of squares Q. For a conversion (proportion) metric each user contributes 0 or 1, so
S = Q = conversions. From these, mean = S / n and the unbiased sample variance is
s^2 = (Q - S^2 / n) / (n - 1).
"""

import math
from dataclasses import dataclass


class StatsInputError(ValueError):
    """Input that makes a statistic undefined; the message names the problem for the user."""


@dataclass(frozen=True)
class MetricSummary:
    """n users with sample mean `mean` and unbiased sample variance `variance` (n >= 2)."""

    name: str
    users: int
    mean: float
    variance: float

    @property
    def std_error(self) -> float:
        """Standard error of the mean: sqrt(s^2 / n)."""
        return math.sqrt(self.variance / self.users)


def _check_users(name: str, users: int) -> None:
    if users < 0:
        raise StatsInputError(f"Variant '{name}': users cannot be negative.")
    if users == 0:
        raise StatsInputError(f"Variant '{name}' has zero users.")
    if users < 2:
        raise StatsInputError(f"Variant '{name}' needs at least 2 users to estimate a variance.")


def proportion_summary(*, name: str, users: int, conversions: int) -> MetricSummary:
    """A conversion metric as a Bernoulli mean: p = c / n, s^2 = p (1 - p) n / (n - 1)."""
    _check_users(name, users)
    if conversions < 0:
        raise StatsInputError(f"Variant '{name}': conversions cannot be negative.")
    if conversions > users:
        raise StatsInputError(
            f"Variant '{name}' has more conversions ({conversions}) than users ({users})."
        )
    return sums_summary(name=name, users=users, total=conversions, sum_squares=conversions)


def sums_summary(*, name: str, users: int, total: float, sum_squares: float) -> MetricSummary:
    """A numeric metric from S = sum(y) and Q = sum(y^2): mean S/n, s^2 = (Q - S^2/n)/(n-1).

    Q must be at least S^2 / n (Cauchy-Schwarz); anything less cannot come from real data.
    """
    _check_users(name, users)
    if sum_squares < 0:
        raise StatsInputError(f"Variant '{name}': sum_squares cannot be negative.")
    if not (math.isfinite(total) and math.isfinite(sum_squares)):
        raise StatsInputError(f"Variant '{name}': sums must be finite numbers.")
    mean = total / users
    centred = sum_squares - total * mean
    # Rounding in Q - S^2/n can leave a tiny negative number for constant data.
    tolerance = 1e-9 * max(sum_squares, 1.0)
    if centred < -tolerance:
        raise StatsInputError(
            f"Variant '{name}': sum_squares ({sum_squares:g}) is smaller than sum^2 / users "
            f"({total * mean:g}), which no data can produce."
        )
    return MetricSummary(
        name=name, users=users, mean=mean, variance=max(centred, 0.0) / (users - 1)
    )


def pooled_variance(summaries: "list[MetricSummary] | tuple[MetricSummary, ...]") -> float:
    """Pooled within-variant variance: sum((n_i - 1) s_i^2) / sum(n_i - 1)."""
    dof = sum(s.users - 1 for s in summaries)
    return sum((s.users - 1) * s.variance for s in summaries) / dof
