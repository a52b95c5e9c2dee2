"""The sample-size planner against textbook formula values."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from revline.analytics.stats import StatsInputError, sample_size_means, sample_size_proportions


def test_ten_percent_baseline_and_two_points_needs_3841_per_variant():
    # Given baseline 10 %, MDE 2 points absolute, alpha 0.05, power 0.8 (pooled formula)
    plan = sample_size_proportions(baseline=0.10, mde=0.02, alpha=0.05, power=0.8)
    # Then, by hand: (1.959964 sqrt(2*.11*.89) + 0.841621 sqrt(.09 + .1056))^2 / .02^2 = 3840.9
    by_hand = (1.959964 * math.sqrt(0.1958) + 0.841621 * math.sqrt(0.1956)) ** 2 / 0.0004
    assert by_hand == pytest.approx(3840.9, abs=0.1)
    assert plan.per_variant == 3841
    assert plan.total == 7682
    assert plan.target == pytest.approx(0.12)


def test_a_relative_mde_is_a_share_of_the_baseline():
    # 20 % relative on 10 % is the same 12 % target
    plan = sample_size_proportions(baseline=0.10, mde=0.20, relative=True)
    assert plan.per_variant == 3841


def test_the_planned_size_is_the_smallest_with_the_requested_power():
    # Power of the pooled z-test at n per arm, computed the other way round
    p1, p2, z = 0.10, 0.12, sps.norm.ppf(0.975)
    pbar = (p1 + p2) / 2

    def power(n: int) -> float:
        num = abs(p2 - p1) * math.sqrt(n) - z * math.sqrt(2 * pbar * (1 - pbar))
        return float(sps.norm.cdf(num / math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))))

    n = sample_size_proportions(baseline=p1, mde=p2 - p1).per_variant
    assert power(n) >= 0.8 > power(n - 1)


def test_means_half_a_standard_deviation_needs_63_per_variant():
    # 2 (1.959964 + 0.841621)^2 / 0.5^2 = 62.79
    plan = sample_size_means(sd=1.0, mde=0.5, alpha=0.05, power=0.8)
    assert plan.per_variant == 63


def test_bonferroni_splits_alpha_over_the_comparisons():
    plan = sample_size_proportions(baseline=0.1, mde=0.02, variants=3, bonferroni=True)
    assert plan.alpha == 0.025
    assert (
        plan.per_variant == sample_size_proportions(baseline=0.1, mde=0.02, alpha=0.025).per_variant
    )
    assert plan.total == plan.per_variant * 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"baseline": 0.0, "mde": 0.01}, "baseline rate must be between 0 and 1"),
        ({"baseline": 0.1, "mde": 0.0}, "cannot be zero"),
        ({"baseline": 0.95, "mde": 0.1}, "outside 0-1"),
        ({"baseline": 0.1, "mde": 0.01, "alpha": 1.5}, "alpha must be between 0 and 1"),
        ({"baseline": 0.1, "mde": 0.01, "power": 0.0}, "power must be between 0 and 1"),
        ({"baseline": 0.1, "mde": 0.01, "variants": 1}, "at least two variants"),
    ],
)
def test_bad_plans_are_refused(kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        sample_size_proportions(**kwargs)


@given(
    baseline=st.floats(0.01, 0.5),
    small=st.floats(0.001, 0.1),
    factor=st.floats(1.1, 4),
)
def test_a_larger_effect_never_needs_more_users(baseline, small, factor):
    big = small * factor
    if baseline + big >= 1:
        return
    n_small = sample_size_proportions(baseline=baseline, mde=small).per_variant
    n_big = sample_size_proportions(baseline=baseline, mde=big).per_variant
    assert n_big <= n_small
