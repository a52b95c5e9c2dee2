"""Welch's t-test and the delta-method relative lift, against scipy and hand-worked values."""

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from revline.analytics.stats import (
    MetricSummary,
    StatsInputError,
    proportion_summary,
    relative_lift,
    sums_summary,
    welch_t_test,
)


def summary_of(name: str, values: np.ndarray) -> MetricSummary:
    return sums_summary(
        name=name,
        users=len(values),
        total=float(values.sum()),
        sum_squares=float((values**2).sum()),
    )


def test_a_proportion_is_a_bernoulli_mean_with_sample_variance():
    # When
    s = proportion_summary(name="A", users=1000, conversions=100)
    # Then
    assert s.mean == 0.1
    assert s.variance == pytest.approx(0.1 * 0.9 * 1000 / 999, rel=1e-12)


def test_sums_give_the_unbiased_sample_variance():
    # Given the values 1, 2, 3, 6 (mean 3, sample variance (4 + 1 + 0 + 9) / 3)
    # When
    s = sums_summary(name="A", users=4, total=12, sum_squares=1 + 4 + 9 + 36)
    # Then
    assert s.mean == 3
    assert s.variance == pytest.approx(14 / 3, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"users": 0, "conversions": 0}, "zero users"),
        ({"users": -5, "conversions": 0}, "cannot be negative"),
        ({"users": 10, "conversions": -1}, "cannot be negative"),
        ({"users": 10, "conversions": 11}, "more conversions (11) than users (10)"),
        ({"users": 1, "conversions": 1}, "at least 2 users"),
    ],
)
def test_impossible_proportions_are_refused(kwargs, message):
    with pytest.raises(StatsInputError, match=re.escape(message)):
        proportion_summary(name="A", **kwargs)


def test_sum_squares_below_sum_squared_over_n_is_refused():
    # Given sum 10 over 4 users, so sum_squares must be at least 25
    with pytest.raises(StatsInputError, match="no data can produce"):
        sums_summary(name="A", users=4, total=10, sum_squares=24)


def test_constant_data_has_zero_variance_despite_rounding():
    # Given 3 users with 0.1 each: 0.1 + 0.1 + 0.1 and 3 * 0.01 do not round exactly
    s = sums_summary(name="A", users=3, total=0.1 + 0.1 + 0.1, sum_squares=0.01 * 3)
    assert s.variance == 0.0


def test_welch_on_raw_data_matches_scipy_ttest_ind():
    # Given raw numbers for two variants
    rng = np.random.default_rng(7)
    a_values = rng.normal(10, 3, size=40)
    b_values = rng.normal(11, 5, size=55)
    # When
    result = welch_t_test(summary_of("A", a_values), summary_of("B", b_values), alpha=0.05)
    # Then it equals scipy's Welch test on the raw data (B - A)
    reference = sps.ttest_ind(b_values, a_values, equal_var=False)
    ci = reference.confidence_interval(0.95)
    assert result.t_stat == pytest.approx(reference.statistic, rel=1e-9)
    assert result.df == pytest.approx(reference.df, rel=1e-9)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.interval.lower == pytest.approx(ci.low, rel=1e-9)
    assert result.interval.upper == pytest.approx(ci.high, rel=1e-9)


def test_welch_on_conversions_matches_scipy_on_zero_one_data():
    # Given 100 of 1000 and 120 of 1000 users converted
    a = np.r_[np.ones(100), np.zeros(900)]
    b = np.r_[np.ones(120), np.zeros(880)]
    # When
    result = welch_t_test(
        proportion_summary(name="A", users=1000, conversions=100),
        proportion_summary(name="B", users=1000, conversions=120),
        alpha=0.1,
    )
    # Then
    reference = sps.ttest_ind(b, a, equal_var=False)
    ci = reference.confidence_interval(0.9)
    assert result.effect == pytest.approx(0.02, abs=1e-15)
    # SE by hand: sqrt((0.1*0.9 + 0.12*0.88) / 999)
    assert result.std_error == pytest.approx(math.sqrt((0.09 + 0.1056) / 999), rel=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.p_value == pytest.approx(0.15307, abs=1e-5)
    assert (result.interval.lower, result.interval.upper) == pytest.approx((ci.low, ci.high))


def test_welch_matches_scipy_from_stats_with_one_constant_variant():
    # Given the control never converts (variance 0) and B sometimes does
    a = proportion_summary(name="A", users=200, conversions=0)
    b = proportion_summary(name="B", users=300, conversions=9)
    # When
    result = welch_t_test(a, b, alpha=0.05)
    # Then
    reference = sps.ttest_ind_from_stats(
        b.mean, math.sqrt(b.variance), 300, 0.0, 0.0, 200, equal_var=False
    )
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)


def test_two_constant_variants_cannot_be_tested():
    a = proportion_summary(name="A", users=50, conversions=0)
    b = proportion_summary(name="B", users=50, conversions=50)
    with pytest.raises(StatsInputError, match="'A' and 'B' both have zero variance"):
        welch_t_test(a, b, alpha=0.05)


def test_relative_lift_uses_the_delta_method_variance():
    # Given 10 % vs 12 % conversion on 1000 users each
    a = proportion_summary(name="A", users=1000, conversions=100)
    b = proportion_summary(name="B", users=1000, conversions=120)
    # When
    lift = relative_lift(a, b, alpha=0.05)
    # Then, by hand: Var = s_B^2/(n p_A^2) + p_B^2 s_A^2/(n p_A^4)
    s2_a, s2_b = 0.09 * 1000 / 999, 0.1056 * 1000 / 999
    se = math.sqrt(s2_b / (1000 * 0.01) + 0.0144 * s2_a / (1000 * 0.0001))
    assert lift is not None
    assert lift.lift == pytest.approx(0.2, rel=1e-12)
    assert lift.std_error == pytest.approx(se, rel=1e-12)
    assert lift.std_error == pytest.approx(0.153439, abs=1e-6)
    assert lift.interval.lower == pytest.approx(0.2 - 1.959964 * se, rel=1e-6)
    assert lift.interval.upper == pytest.approx(0.2 + 1.959964 * se, rel=1e-6)


def test_delta_method_agrees_with_a_seeded_simulation_of_the_ratio():
    # Given large variants where the normal approximation holds
    n_a, n_b, p_a, p_b = 20_000, 20_000, 0.05, 0.055
    a = proportion_summary(name="A", users=n_a, conversions=round(n_a * p_a))
    b = proportion_summary(name="B", users=n_b, conversions=round(n_b * p_b))
    lift = relative_lift(a, b, alpha=0.05)
    # When the experiment is replayed 20,000 times
    rng = np.random.default_rng(2017)
    ratios = rng.binomial(n_b, p_b, 20_000) / n_b / (rng.binomial(n_a, p_a, 20_000) / n_a) - 1
    # Then the spread of the simulated lift matches the delta-method SE within 3 %
    assert lift is not None
    assert float(np.std(ratios)) == pytest.approx(lift.std_error, rel=0.03)


def test_lift_is_undefined_when_the_control_mean_is_zero():
    a = proportion_summary(name="A", users=100, conversions=0)
    b = proportion_summary(name="B", users=100, conversions=3)
    assert relative_lift(a, b, alpha=0.05) is None


@given(
    n_a=st.integers(2, 10_000),
    n_b=st.integers(2, 10_000),
    c_a=st.floats(0, 1),
    c_b=st.floats(0, 1),
)
def test_swapping_the_variants_negates_the_effect_and_keeps_the_p_value(n_a, n_b, c_a, c_b):
    a = proportion_summary(name="A", users=n_a, conversions=round(c_a * n_a))
    b = proportion_summary(name="B", users=n_b, conversions=round(c_b * n_b))
    if a.variance == 0 and b.variance == 0:
        return
    forward = welch_t_test(a, b, alpha=0.05)
    backward = welch_t_test(b, a, alpha=0.05)
    assert backward.effect == -forward.effect
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-9, abs=1e-300)
    assert 0 <= forward.p_value <= 1
    assert forward.interval.contains(forward.effect)
