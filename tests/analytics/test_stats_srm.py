"""Sample-ratio mismatch check against scipy.stats.chisquare."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from revline.analytics.stats import StatsInputError, srm_check


def test_an_even_split_that_drifted_is_flagged():
    # Given 10,000 vs 10,400 users on a 50/50 test
    result = srm_check([10_000, 10_400])
    # Then chi^2 = 2 * 200^2 / 10,200
    reference = sps.chisquare([10_000, 10_400])
    assert result.chi_square == pytest.approx(80_000 / 10_200, rel=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.p_value == pytest.approx(0.0051, abs=1e-4)
    assert result.mismatch is False  # 0.0051 is above the default 0.001
    assert srm_check([10_000, 10_400], threshold=0.01).mismatch is True


def test_weights_set_the_expected_counts():
    # Given a 20/30/50 split
    users = [2100, 2950, 4950]
    result = srm_check(users, [20, 30, 50])
    reference = sps.chisquare(users, f_exp=[2000, 3000, 5000])
    assert result.expected == pytest.approx((2000, 3000, 5000))
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)


def test_a_broken_assignment_is_a_mismatch():
    result = srm_check([5000, 4000])
    assert result.p_value < 1e-20
    assert result.mismatch is True


@pytest.mark.parametrize(
    ("users", "weights", "message"),
    [
        ([100], None, "at least two variants"),
        ([100, 100], [1, 1, 1], "3 weights for 2 variants"),
        ([100, 100], [1, 0], "must be positive"),
        ([0, 0], None, "no users"),
        ([100, -1], None, "cannot be negative"),
    ],
)
def test_bad_input_is_refused(users, weights, message):
    with pytest.raises(StatsInputError, match=message):
        srm_check(users, weights)


@given(
    st.lists(st.integers(1, 1_000_000), min_size=2, max_size=8).flatmap(
        lambda users: st.tuples(
            st.just(users), st.lists(st.floats(0.01, 100), min_size=len(users), max_size=len(users))
        )
    )
)
def test_p_value_equals_scipy_chisquare(data):
    users, weights = data
    total = sum(users)
    expected = [total * w / sum(weights) for w in weights]
    reference = sps.chisquare(users, f_exp=expected)
    assert srm_check(users, weights).p_value == pytest.approx(
        reference.pvalue, rel=1e-6, abs=1e-300
    )
