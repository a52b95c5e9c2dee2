"""How many users each variant needs, for a two-sided test at level alpha with the given power.

Proportions (the pooled-variance normal approximation, e.g. Fleiss, Levin & Paik, "Statistical
Methods for Rates and Proportions", 3rd ed., eq. 4.14 without continuity correction):

    n = ( z_{1-alpha/2} sqrt(2 pbar (1 - pbar)) + z_{1-beta} sqrt(p1 (1-p1) + p2 (1-p2)) )^2
        / (p2 - p1)^2,    pbar = (p1 + p2) / 2,

rounded up. Baseline 10 %, an absolute MDE of 2 points (p2 = 12 %), alpha 0.05, power 0.8
gives 3,841 per variant.

Means (normal approximation, equal variances sigma^2):

    n = 2 (z_{1-alpha/2} + z_{1-beta})^2 sigma^2 / delta^2,  rounded up.

With several treatment variants each compared to the control, `comparisons` > 1 applies the
Bonferroni correction alpha / comparisons, so the chance of any false positive stays at alpha.
"""

import math
from dataclasses import dataclass

from scipy import stats as sps

from .summary import StatsInputError


@dataclass(frozen=True)
class SampleSizePlan:
    per_variant: int
    variants: int
    baseline: float  # p1 (proportions) or 0 (means)
    target: float  # p2, or the effect delta for means
    alpha: float  # after any multiple-comparison correction

    @property
    def total(self) -> int:
        return self.per_variant * self.variants


def _check_common(alpha: float, power: float, variants: int) -> None:
    if not 0 < alpha < 1:
        raise StatsInputError("alpha must be between 0 and 1 (e.g. 0.05).")
    if not 0 < power < 1:
        raise StatsInputError("power must be between 0 and 1 (e.g. 0.8).")
    if variants < 2:
        raise StatsInputError("An experiment needs at least two variants.")


def target_rate(*, baseline: float, mde: float, relative: bool) -> float:
    """p2 = p1 (1 + mde) for a relative MDE, p1 + mde for an absolute one."""
    if not 0 < baseline < 1:
        raise StatsInputError("The baseline rate must be between 0 and 1 (e.g. 0.10 for 10 %).")
    if mde == 0:
        raise StatsInputError("The minimum detectable effect cannot be zero.")
    target = baseline * (1 + mde) if relative else baseline + mde
    if not 0 < target < 1:
        raise StatsInputError(
            f"Baseline plus effect gives a rate of {target:.4g} ({target * 100:.4g} %), outside 0-1; "
            "use a smaller effect."
        )
    return target


def sample_size_proportions(
    *,
    baseline: float,
    mde: float,
    relative: bool = False,
    alpha: float = 0.05,
    power: float = 0.8,
    variants: int = 2,
    bonferroni: bool = False,
) -> SampleSizePlan:
    """Per-variant users for a two-sided test of two proportions (pooled formula above)."""
    _check_common(alpha, power, variants)
    p1 = baseline
    p2 = target_rate(baseline=baseline, mde=mde, relative=relative)
    level = alpha / (variants - 1) if bonferroni else alpha
    z_a = float(sps.norm.ppf(1 - level / 2))
    z_b = float(sps.norm.ppf(power))
    pbar = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    n = root**2 / (p2 - p1) ** 2
    return SampleSizePlan(
        per_variant=_ceil(n), variants=variants, baseline=p1, target=p2, alpha=level
    )


def sample_size_means(
    *,
    sd: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    variants: int = 2,
    bonferroni: bool = False,
) -> SampleSizePlan:
    """Per-variant users for a two-sided test of two means with standard deviation `sd`."""
    _check_common(alpha, power, variants)
    if not sd > 0:
        raise StatsInputError("The standard deviation must be positive.")
    if mde == 0:
        raise StatsInputError("The minimum detectable effect cannot be zero.")
    level = alpha / (variants - 1) if bonferroni else alpha
    z_a = float(sps.norm.ppf(1 - level / 2))
    z_b = float(sps.norm.ppf(power))
    n = 2 * (z_a + z_b) ** 2 * sd**2 / mde**2
    return SampleSizePlan(
        per_variant=_ceil(n), variants=variants, baseline=0.0, target=mde, alpha=level
    )


def _ceil(n: float) -> int:
    # 3841.0000000001 from rounding noise should not become 3842.
    return max(2, math.ceil(n - 1e-9))
