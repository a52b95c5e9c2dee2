"""Sample-ratio mismatch: are users split between variants as the weights say?

Pearson's chi-square goodness of fit: with observed users O_i, total N and expected shares
w_i / sum(w), E_i = N w_i / sum(w), the statistic X^2 = sum((O_i - E_i)^2 / E_i) has k - 1
degrees of freedom under correct assignment. A tiny p-value means the assignment or the logging
is broken, and the experiment's results should not be trusted until it is explained.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as sps

from .summary import StatsInputError

DEFAULT_SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class SrmResult:
    chi_square: float
    p_value: float
    mismatch: bool
    threshold: float
    expected: tuple[float, ...]


def srm_check(
    users: Sequence[int],
    weights: Sequence[float] | None = None,
    *,
    threshold: float = DEFAULT_SRM_THRESHOLD,
) -> SrmResult:
    """Chi-square test of observed users against the expected weights (equal if None);
    `mismatch` is p_value < threshold."""
    if len(users) < 2:
        raise StatsInputError("A sample-ratio check needs at least two variants.")
    if any(u < 0 for u in users):
        raise StatsInputError("User counts cannot be negative.")
    weights = list(weights) if weights is not None else [1.0] * len(users)
    if len(weights) != len(users):
        raise StatsInputError(
            f"There are {len(weights)} weights for {len(users)} variants; give one per variant."
        )
    if any(not w > 0 for w in weights):
        raise StatsInputError("Every weight must be positive.")
    if not 0 < threshold < 1:
        raise StatsInputError("The SRM threshold must be between 0 and 1.")
    total = sum(users)
    if total == 0:
        raise StatsInputError("There are no users.")
    share = sum(weights)
    expected = [total * w / share for w in weights]
    chi_square = sum((o - e) ** 2 / e for o, e in zip(users, expected, strict=True))
    p_value = float(sps.chi2.sf(chi_square, len(users) - 1))
    return SrmResult(
        chi_square=chi_square,
        p_value=p_value,
        mismatch=p_value < threshold,
        threshold=threshold,
        expected=tuple(expected),
    )
