"""Bayesian comparison with a Gaussian prior on the effect and a normal likelihood.

The effect is delta = mean_B - mean_A. Prior: delta ~ N(m0, s0^2). Likelihood (normal
approximation of the estimate): d | delta ~ N(delta, V) with d = mean_B - mean_A observed and
V = s_A^2/n_A + s_B^2/n_B. Conjugacy gives the posterior delta ~ N(mu, sigma^2) with

    1/sigma^2 = 1/s0^2 + 1/V,     mu = sigma^2 (m0/s0^2 + d/V).

Chance to win P(B > A) = P(delta > 0) = Phi(mu / sigma).
Expected loss (risk) of a choice = the expected amount by which it is worse than the other:
    choose B: E[max(0, -delta)] = sigma phi(mu/sigma) - mu Phi(-mu/sigma)
    keep A:   E[max(0,  delta)] = sigma phi(mu/sigma) + mu Phi(mu/sigma)
(both in metric units; their difference is mu).

The default prior (m0 = 0, s0 = one pooled standard deviation of the metric) is weakly
informative: real A/B effects are almost always far smaller than one standard deviation of the
per-user metric, so the data dominate as soon as there are a few dozen users.
"""

import math
from dataclasses import dataclass

from scipy import stats as sps

from .frequentist import Interval, difference_variance
from .summary import MetricSummary, StatsInputError, pooled_variance


@dataclass(frozen=True)
class Prior:
    """Gaussian prior on mean_B - mean_A in metric units; sd None means the default scale."""

    mean: float = 0.0
    sd: float | None = None


@dataclass(frozen=True)
class BayesianResult:
    posterior_mean: float
    posterior_sd: float
    interval: Interval  # equal-tailed credible interval
    chance_to_win: float
    expected_loss: float  # of choosing B
    expected_loss_control: float  # of keeping A
    prior_mean: float
    prior_sd: float


def normal_posterior(
    *, estimate: float, variance: float, prior_mean: float, prior_sd: float
) -> tuple[float, float]:
    """(mu, sigma) of the posterior of a normal mean with known variance and a normal prior."""
    precision = 1 / prior_sd**2 + 1 / variance
    post_var = 1 / precision
    return post_var * (prior_mean / prior_sd**2 + estimate / variance), math.sqrt(post_var)


def expected_losses(mu: float, sigma: float) -> tuple[float, float]:
    """(E[max(0, -delta)], E[max(0, delta)]) for delta ~ N(mu, sigma^2)."""
    z = mu / sigma
    pdf = float(sps.norm.pdf(z))
    choose_b = sigma * pdf - mu * float(sps.norm.cdf(-z))
    keep_a = sigma * pdf + mu * float(sps.norm.cdf(z))
    # Tiny negative values are cancellation noise when one choice is almost surely right.
    return max(choose_b, 0.0), max(keep_a, 0.0)


def bayesian_test(
    a: MetricSummary, b: MetricSummary, *, alpha: float, prior: Prior | None = None
) -> BayesianResult:
    """Posterior of mean_B - mean_A, chance to win and expected loss of each choice."""
    prior = prior or Prior()
    variance = difference_variance(a, b)
    prior_sd = prior.sd if prior.sd is not None else math.sqrt(pooled_variance([a, b]))
    if not prior_sd > 0:
        raise StatsInputError("The prior standard deviation must be positive.")
    mu, sigma = normal_posterior(
        estimate=b.mean - a.mean, variance=variance, prior_mean=prior.mean, prior_sd=prior_sd
    )
    z = float(sps.norm.ppf(1 - alpha / 2))
    loss_b, loss_a = expected_losses(mu, sigma)
    return BayesianResult(
        posterior_mean=mu,
        posterior_sd=sigma,
        interval=Interval(mu - z * sigma, mu + z * sigma),
        chance_to_win=float(sps.norm.cdf(mu / sigma)),
        expected_loss=loss_b,
        expected_loss_control=loss_a,
        prior_mean=prior.mean,
        prior_sd=prior_sd,
    )
