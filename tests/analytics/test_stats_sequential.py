"""Always-valid inference (mSPRT, Johari et al. 2017) against the paper's formula, its
guarantees, and the fixed-horizon interval."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from revline.analytics.stats import (
    MetricSummary,
    proportion_summary,
    sequential_test,
    welch_t_test,
)
from revline.analytics.stats.sequential import msprt_log_likelihood_ratio


def johari_lambda(n: int, sigma2: float, tau2: float, diff: float) -> float:
    """The paper's two-sample statistic for n users per arm and common variance sigma^2."""
    return math.sqrt(2 * sigma2 / (2 * sigma2 + n * tau2)) * math.exp(
        n**2 * tau2 * diff**2 / (4 * sigma2 * (2 * sigma2 + n * tau2))
    )


def test_p_value_is_one_over_the_papers_mixture_likelihood_ratio():
    # Given two arms of 500 users with common variance 4 and a difference of 0.5
    a = MetricSummary(name="A", users=500, mean=10.0, variance=4.0)
    b = MetricSummary(name="B", users=500, mean=10.5, variance=4.0)
    # When (tau = 0.1 * pooled sd = 0.2)
    result = sequential_test(a, b, alpha=0.05, mixing_sd=0.1)
    # Then
    assert result.tau == pytest.approx(0.2, rel=1e-12)
    expected = johari_lambda(500, 4.0, 0.04, 0.5)
    assert result.p_value == pytest.approx(1 / expected, rel=1e-9)
    # By hand: V = 2*4/500 = 0.016, 1/p = sqrt(0.016/0.056) * exp(0.04*0.25/(2*0.016*0.056))
    assert result.p_value == pytest.approx(1 / (math.sqrt(2 / 7) * math.exp(0.01 / 0.001792)))
    assert result.p_value == pytest.approx(0.0070553, rel=1e-4)


def test_the_interval_ends_where_the_likelihood_ratio_reaches_one_over_alpha():
    # Given
    a = MetricSummary(name="A", users=800, mean=1.0, variance=2.25)
    b = MetricSummary(name="B", users=800, mean=1.2, variance=2.25)
    # When
    result = sequential_test(a, b, alpha=0.05, mixing_sd=0.2)
    # Then at each end the mixture likelihood ratio against that value is exactly 20
    tau2 = (0.2 * 1.5) ** 2
    for end in (result.interval.lower, result.interval.upper):
        assert johari_lambda(800, 2.25, tau2, 0.2 - end) == pytest.approx(20, rel=1e-9)


def test_a_null_effect_gives_a_p_value_of_one():
    a = proportion_summary(name="A", users=1000, conversions=100)
    b = proportion_summary(name="B", users=1000, conversions=100)
    result = sequential_test(a, b, alpha=0.05)
    assert result.p_value == 1.0
    assert result.interval.contains(0.0)


def test_peeking_at_every_look_keeps_false_positives_below_alpha():
    # Given 400 A/A tests with a 10 % conversion rate, each looked at after every 250 users
    # per arm up to 5,000 (20 looks)
    rng = np.random.default_rng(20170813)
    runs, looks, step, alpha = 400, 20, 250, 0.05
    conv_a = rng.binomial(1, 0.1, size=(runs, looks * step)).cumsum(axis=1)
    conv_b = rng.binomial(1, 0.1, size=(runs, looks * step)).cumsum(axis=1)
    ever_sequential = ever_fixed = 0
    # When each run stops at the first look that is "significant"
    for run in range(runs):
        seq_hit = fixed_hit = False
        for look in range(1, looks + 1):
            n = look * step
            a = proportion_summary(name="A", users=n, conversions=int(conv_a[run, n - 1]))
            b = proportion_summary(name="B", users=n, conversions=int(conv_b[run, n - 1]))
            seq_hit = seq_hit or sequential_test(a, b, alpha=alpha).p_value < alpha
            fixed_hit = fixed_hit or welch_t_test(a, b, alpha=alpha).p_value < alpha
        ever_sequential += seq_hit
        ever_fixed += fixed_hit
    # Then the always-valid test stays below alpha, the fixed-horizon one does not
    assert ever_sequential / runs <= alpha
    assert ever_fixed / runs > 2 * alpha


@given(
    n_a=st.integers(50, 1_000_000),
    n_b=st.integers(50, 1_000_000),
    mean_a=st.floats(-1e3, 1e3),
    diff=st.floats(-10, 10),
    var_a=st.floats(1e-3, 1e3),
    var_b=st.floats(1e-3, 1e3),
    alpha=st.floats(0.01, 0.2),
    mixing_sd=st.floats(1e-3, 10),
)
def test_the_always_valid_interval_is_wider_than_the_fixed_horizon_one(
    n_a, n_b, mean_a, diff, var_a, var_b, alpha, mixing_sd
):
    a = MetricSummary(name="A", users=n_a, mean=mean_a, variance=var_a)
    b = MetricSummary(name="B", users=n_b, mean=mean_a + diff, variance=var_b)
    sequential = sequential_test(a, b, alpha=alpha, mixing_sd=mixing_sd)
    fixed = welch_t_test(a, b, alpha=alpha)
    assert sequential.interval.lower < fixed.interval.lower
    assert sequential.interval.upper > fixed.interval.upper
    # and its p-value is never smaller than the normal (z) test's
    z_p = 2 * sps.norm.sf(abs(fixed.effect) / fixed.std_error)
    assert sequential.p_value >= z_p * (1 - 1e-9)


def test_log_likelihood_ratio_is_zero_at_the_mixing_scale_limit():
    # tau -> 0 means no alternative at all: Lambda -> 1
    assert msprt_log_likelihood_ratio(estimate=3.0, variance=1.0, tau=1e-9) == pytest.approx(
        0.0, abs=1e-12
    )
