"""Bayesian comparison: conjugate normal posterior, chance to win and expected loss, checked
against closed forms, numerical integration and a seeded Monte Carlo."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate
from scipy import stats as sps

from revline.analytics.stats import (
    MetricSummary,
    Prior,
    StatsInputError,
    bayesian_test,
    expected_losses,
    proportion_summary,
)


def test_posterior_is_the_precision_weighted_average_of_prior_and_data():
    # Given an estimate 0.5 with variance V = 4/400 + 4/400 = 0.02, and a prior N(0, 0.1^2)
    a = MetricSummary(name="A", users=400, mean=10.0, variance=4.0)
    b = MetricSummary(name="B", users=400, mean=10.5, variance=4.0)
    # When
    result = bayesian_test(a, b, alpha=0.05, prior=Prior(mean=0.0, sd=0.1))
    # Then: precision 1/0.01 + 1/0.02 = 150, mean (0 + 0.5/0.02) / 150 = 1/6
    assert result.posterior_mean == pytest.approx(1 / 6, rel=1e-12)
    assert result.posterior_sd == pytest.approx(math.sqrt(1 / 150), rel=1e-12)
    assert result.chance_to_win == pytest.approx(sps.norm.cdf((1 / 6) * math.sqrt(150)))
    assert result.chance_to_win == pytest.approx(0.979387, abs=1e-6)  # Phi(2.0412)
    assert result.interval.lower == pytest.approx(1 / 6 - 1.959964 * math.sqrt(1 / 150))


def test_default_prior_is_centred_on_zero_with_one_pooled_standard_deviation():
    a = MetricSummary(name="A", users=100, mean=1.0, variance=9.0)
    b = MetricSummary(name="B", users=300, mean=1.0, variance=16.0)
    result = bayesian_test(a, b, alpha=0.05)
    # pooled variance (99*9 + 299*16) / 398
    assert result.prior_mean == 0.0
    assert result.prior_sd == pytest.approx(math.sqrt((99 * 9 + 299 * 16) / 398), rel=1e-12)


def test_a_very_wide_prior_gives_the_classical_one_sided_answer():
    # Given 10 % vs 11 % on 5,000 users each
    a = proportion_summary(name="A", users=5000, conversions=500)
    b = proportion_summary(name="B", users=5000, conversions=550)
    # When
    result = bayesian_test(a, b, alpha=0.05, prior=Prior(sd=1e6))
    # Then P(B > A) = 1 - one-sided z-test p-value
    se = math.sqrt(a.variance / 5000 + b.variance / 5000)
    assert result.posterior_mean == pytest.approx(0.01, rel=1e-9)
    assert result.chance_to_win == pytest.approx(sps.norm.cdf(0.01 / se), rel=1e-9)


def test_expected_losses_equal_the_integrals_of_the_loss_functions():
    mu, sigma = 0.013, 0.02
    density = sps.norm(mu, sigma).pdf
    lose_b = integrate.quad(lambda d: -d * density(d), -np.inf, 0)[0]
    lose_a = integrate.quad(lambda d: d * density(d), 0, np.inf)[0]
    # When
    choose_b, keep_a = expected_losses(mu, sigma)
    # Then
    assert choose_b == pytest.approx(lose_b, rel=1e-8)
    assert keep_a == pytest.approx(lose_a, rel=1e-8)


def test_chance_to_win_and_risk_agree_with_a_seeded_monte_carlo():
    # Given
    a = proportion_summary(name="A", users=3000, conversions=300)
    b = proportion_summary(name="B", users=3000, conversions=330)
    result = bayesian_test(a, b, alpha=0.05, prior=Prior(mean=0.0, sd=0.05))
    # When the posterior is sampled 400,000 times
    rng = np.random.default_rng(42)
    draws = rng.normal(result.posterior_mean, result.posterior_sd, 400_000)
    # Then
    assert result.chance_to_win == pytest.approx(float((draws > 0).mean()), abs=0.003)
    assert result.expected_loss == pytest.approx(float(np.maximum(0, -draws).mean()), rel=0.02)
    assert result.expected_loss_control == pytest.approx(
        float(np.maximum(0, draws).mean()), rel=0.01
    )


def test_a_non_positive_prior_sd_is_refused():
    a = proportion_summary(name="A", users=100, conversions=10)
    b = proportion_summary(name="B", users=100, conversions=12)
    with pytest.raises(StatsInputError, match="prior standard deviation must be positive"):
        bayesian_test(a, b, alpha=0.05, prior=Prior(sd=0.0))


@given(mu=st.floats(-100, 100), sigma=st.floats(1e-3, 100))
def test_the_difference_of_the_two_risks_is_the_posterior_mean(mu, sigma):
    choose_b, keep_a = expected_losses(mu, sigma)
    assert choose_b >= 0 and keep_a >= 0
    assert keep_a - choose_b == pytest.approx(mu, abs=1e-9 * max(1.0, abs(mu), sigma))
