"""CUPED from summary statistics: same answers as adjusting the raw data, and a variance that
shrinks by (1 - rho^2)."""

import numpy as np
import pytest

from revline.analytics.stats import (
    CovariateSums,
    StatsInputError,
    cuped_adjust,
    sums_summary,
)


def variant(name: str, y: np.ndarray, x: np.ndarray):
    summary = sums_summary(
        name=name, users=len(y), total=float(y.sum()), sum_squares=float((y**2).sum())
    )
    return summary, CovariateSums(
        sum_x=float(x.sum()), sum_x2=float((x**2).sum()), sum_xy=float((x * y).sum())
    )


def test_variance_shrinks_by_one_minus_rho_squared():
    # Given two variants with the same covariance structure (B is A shifted by +1)
    rng = np.random.default_rng(3)
    x = rng.normal(50, 10, 2000)
    y = 0.8 * x + rng.normal(0, 6, 2000)
    rho = np.corrcoef(x, y)[0, 1]
    # When
    result = cuped_adjust([variant("A", y, x), variant("B", y + 1, x)])
    # Then
    raw_variance = float(np.var(y, ddof=1))
    for adjusted in result.adjusted:
        assert adjusted.variance == pytest.approx(raw_variance * (1 - rho**2), rel=1e-9)
    assert result.variance_reduction == pytest.approx(rho**2, rel=1e-9)
    assert result.adjusted[1].mean - result.adjusted[0].mean == pytest.approx(1.0, rel=1e-9)


def test_summary_statistics_give_the_same_result_as_adjusting_raw_data():
    # Given different users in the two variants
    rng = np.random.default_rng(11)
    x_a, x_b = rng.gamma(2, 5, 700), rng.gamma(2, 5, 900)
    y_a = 3 + 0.5 * x_a + rng.normal(0, 4, 700)
    y_b = 4 + 0.5 * x_b + rng.normal(0, 4, 900)
    # When
    result = cuped_adjust([variant("A", y_a, x_a), variant("B", y_b, x_b)])
    # Then theta is the pooled within-variant regression slope ...
    centred = [(x - x.mean(), y - y.mean()) for x, y in ((x_a, y_a), (x_b, y_b))]
    theta = sum((cx * cy).sum() for cx, cy in centred) / sum((cx**2).sum() for cx, _ in centred)
    assert result.theta == pytest.approx(theta, rel=1e-9)
    # ... and each variant equals Y - theta (X - overall mean of X) computed row by row
    mean_x = np.r_[x_a, x_b].mean()
    for adjusted, (x, y) in zip(result.adjusted, ((x_a, y_a), (x_b, y_b)), strict=True):
        y_cuped = y - theta * (x - mean_x)
        assert adjusted.mean == pytest.approx(float(y_cuped.mean()), rel=1e-9)
        assert adjusted.variance == pytest.approx(float(np.var(y_cuped, ddof=1)), rel=1e-7)


def test_an_uncorrelated_covariate_changes_almost_nothing():
    rng = np.random.default_rng(5)
    x, y = rng.normal(0, 1, 5000), rng.normal(0, 1, 5000)
    result = cuped_adjust([variant("A", y, x), variant("B", y, x)])
    assert abs(result.variance_reduction) < 0.002


def test_a_constant_covariate_is_refused():
    y = np.array([1.0, 2.0, 3.0])
    x = np.array([5.0, 5.0, 5.0])
    with pytest.raises(StatsInputError, match="covariate has zero variance"):
        cuped_adjust([variant("A", y, x), variant("B", y, x)])


def test_sums_implying_a_correlation_above_one_are_refused():
    y = np.array([1.0, 2.0, 3.0])
    summary, _ = variant("A", y, y)
    # sum_xy of 100 with x = y would need corr > 1
    bad = CovariateSums(sum_x=6.0, sum_x2=14.0, sum_xy=100.0)
    with pytest.raises(StatsInputError, match="correlation above 1"):
        cuped_adjust([(summary, bad), variant("B", y, y)])
