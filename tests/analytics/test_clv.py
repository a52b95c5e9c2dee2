"""BG/NBD and Gamma-Gamma (analytics/clv.py) against independent evaluations: the model's
definition integrated numerically over its mixing distributions, and closed forms at special
parameters. The fit on the published CDNOW sample is in test_clv_cdnow.py."""

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from revline.analytics import clv
from revline.analytics.clv import BgNbdParams, ClvDataError, GammaGammaParams

# a > 1 keeps the Beta density bounded, so plain quadrature is accurate.
PARAMS = BgNbdParams(r=0.8, alpha=3.0, a=1.5, b=4.0, unit="week")
CUSTOMERS = [(0, 0.0, 10.0), (1, 4.0, 10.0), (3, 9.5, 12.0), (7, 20.0, 30.0)]


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(1500)
_U, _WU = (_NODES + 1) / 2, _WEIGHTS / 2


def _integrate(f, x: int, t_x: float) -> float:
    """The integral of f(lam, p) under the prior lam ~ Gamma(r, alpha), p ~ Beta(a, b), by a
    Gauss-Legendre product rule. lam = top * u^(1/r) and p = u^(1/a) make the integrand smooth
    (the densities' powers at 0 cancel the Jacobians); lam stops at `top`, where the likelihood,
    at most a Gamma(x + r, alpha + t_x) kernel, is negligible."""
    r, alpha, a, b = PARAMS.r, PARAMS.alpha, PARAMS.a, PARAMS.b
    top = (x + r + 12 * math.sqrt(x + r) + 20) / (alpha + t_x)
    lam = top * _U ** (1 / r)
    p = _U ** (1 / a)
    lam_weights = top**r / r * alpha**r / special.gamma(r) * np.exp(-alpha * lam) * _WU
    p_weights = (1 - p) ** (b - 1) / special.beta(a, b) / a * _WU
    grid_lam, grid_p = np.meshgrid(lam, p, indexing="ij")
    return float(np.einsum("i,ij,j->", lam_weights, f(grid_lam, grid_p), p_weights))


def _individual_likelihood(lam, p, x: int, t_x: float, T: float):
    # FHL 2005, equation 3: alive at T, or dropped out right after the last purchase.
    alive = (1 - p) ** x * lam**x * np.exp(-lam * T)
    dead = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x) if x > 0 else 0.0
    return alive + dead


def _alive_part(lam, p, x: int, T: float):
    return (1 - p) ** x * lam**x * np.exp(-lam * T)


# --- likelihood ---------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "t_x", "T"), CUSTOMERS)
def test_log_likelihood_equals_the_model_integrated_over_rates_and_dropout(x, t_x, T):
    # Given a customer's summary and known parameters
    expected = math.log(
        _integrate(lambda lam, p: _individual_likelihood(lam, p, x, t_x, T), x, t_x)
    )

    # When the closed form is evaluated
    got = clv.bgnbd_customer_log_likelihood(PARAMS, x, t_x, T, unit="week")

    # Then it equals the direct numerical integral
    assert float(got) == pytest.approx(expected, rel=1e-6)


def test_sample_log_likelihood_is_the_sum_over_customers():
    x, t_x, T = (np.array(col, dtype=float) for col in zip(*CUSTOMERS, strict=True))

    total = clv.bgnbd_log_likelihood(PARAMS, x, t_x, T, unit="week")

    each = [float(clv.bgnbd_customer_log_likelihood(PARAMS, *c, unit="week")) for c in CUSTOMERS]
    assert total == pytest.approx(sum(each), rel=1e-12)


# --- expected transactions ----------------------------------------------------------------


@pytest.mark.parametrize("t", [1.0, 10.0, 52.0])
def test_expected_transactions_equals_the_integral_over_dropout(t):
    # E[X(t) | lam, p] = (1 - exp(-lam p t)) / p; over lam ~ Gamma(r, alpha) the exponential
    # averages to (alpha / (alpha + p t))^r, leaving a one-dimensional integral over p.
    r, alpha = PARAMS.r, PARAMS.alpha
    expected, _ = integrate.quad(
        lambda p: (1 - (alpha / (alpha + p * t)) ** r) / p * stats.beta.pdf(p, PARAMS.a, PARAMS.b),
        0,
        1,
    )

    got = clv.bgnbd_expected_transactions(PARAMS, t, unit="week")

    assert float(got) == pytest.approx(expected, rel=1e-7)


def test_expected_transactions_without_dropout_is_the_nbd_mean():
    # Given a dropout chance a/(a+b) of practically zero, the model is the NBD: E[X(t)] = r t/alpha
    params = BgNbdParams(r=2.0, alpha=5.0, a=2.0, b=1e9, unit="week")

    got = clv.bgnbd_expected_transactions(params, np.array([1.0, 10.0, 40.0]), unit="week")

    assert got == pytest.approx([0.4, 4.0, 16.0], rel=1e-6)


def test_expected_transactions_at_time_zero_is_zero_and_grows_with_time():
    got = clv.bgnbd_expected_transactions(PARAMS, np.array([0.0, 5.0, 50.0, 500.0]), unit="week")

    assert got[0] == 0.0
    assert np.all(np.diff(got) > 0)


def test_expected_transactions_is_continuous_through_a_equal_to_one():
    below = BgNbdParams(r=0.8, alpha=3.0, a=1 - 1e-4, b=4.0, unit="week")
    at_one = BgNbdParams(r=0.8, alpha=3.0, a=1.0, b=4.0, unit="week")
    above = BgNbdParams(r=0.8, alpha=3.0, a=1 + 1e-4, b=4.0, unit="week")

    values = [
        float(clv.bgnbd_expected_transactions(p, 20.0, unit="week")) for p in (below, at_one, above)
    ]

    assert values[1] == pytest.approx((values[0] + values[2]) / 2, rel=1e-4)


# --- P(alive) and conditional expectations --------------------------------------------------


def test_p_alive_is_one_without_repeat_purchases():
    # In the BG/NBD model a customer can only drop out right after a purchase.
    got = clv.bgnbd_p_alive(PARAMS, [0, 0, 0], [0.0, 0.0, 0.0], [0.0, 10.0, 500.0], unit="week")

    assert got.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(("x", "t_x", "T"), CUSTOMERS[1:])
def test_p_alive_equals_the_posterior_chance_of_being_alive(x, t_x, T):
    evidence = _integrate(lambda lam, p: _individual_likelihood(lam, p, x, t_x, T), x, t_x)
    alive = _integrate(lambda lam, p: _alive_part(lam, p, x, T), x, t_x)

    got = clv.bgnbd_p_alive(PARAMS, x, t_x, T, unit="week")

    assert float(got) == pytest.approx(alive / evidence, rel=1e-6)


def test_p_alive_falls_the_longer_a_repeat_customer_has_been_silent():
    got = clv.bgnbd_p_alive(PARAMS, 3, 5.0, np.array([5.0, 10.0, 20.0, 40.0]), unit="week")

    assert got[0] > got[1] > got[2] > got[3]


@pytest.mark.parametrize(("x", "t_x", "T"), CUSTOMERS)
def test_conditional_expectation_equals_the_posterior_mean(x, t_x, T):
    # Given the purchases so far, the expected purchases in the next t: only the alive part of
    # the likelihood carries future purchases, (1 - exp(-lam p t)) / p of them.
    t = 26.0
    evidence = _integrate(lambda lam, p: _individual_likelihood(lam, p, x, t_x, T), x, t_x)
    future = _integrate(
        lambda lam, p: _alive_part(lam, p, x, T) * (1 - np.exp(-lam * p * t)) / p, x, t_x
    )

    got = clv.bgnbd_conditional_expected_transactions(PARAMS, t, x, t_x, T, unit="week")

    assert float(got) == pytest.approx(future / evidence, rel=1e-6)


def test_a_brand_new_customer_is_expected_to_buy_like_the_population():
    # x = t_x = T = 0: nothing is known yet, so equation 10 reduces to equation 7.
    t = np.array([1.0, 13.0, 52.0])

    conditional = clv.bgnbd_conditional_expected_transactions(PARAMS, t, 0, 0.0, 0.0, unit="week")

    assert conditional == pytest.approx(clv.bgnbd_expected_transactions(PARAMS, t, unit="week"))


# --- time units -----------------------------------------------------------------------------


def test_predictions_agree_across_time_units():
    # Given the weekly model and the same model expressed in days
    daily = PARAMS.in_unit("day")

    # Then alpha scales by 7, the rate per day is a seventh of the rate per week, and the same
    # customer gets the same predictions
    assert daily.alpha == pytest.approx(21.0)
    assert daily.mean_rate == pytest.approx(PARAMS.mean_rate / 7)
    weekly = clv.bgnbd_conditional_expected_transactions(PARAMS, 4, 3, 9.5, 12.0, unit="week")
    in_days = clv.bgnbd_conditional_expected_transactions(daily, 28, 3, 66.5, 84.0, unit="day")
    assert float(in_days) == pytest.approx(float(weekly), rel=1e-12)
    assert float(clv.bgnbd_p_alive(daily, 3, 66.5, 84.0, unit="day")) == pytest.approx(
        float(clv.bgnbd_p_alive(PARAMS, 3, 9.5, 12.0, unit="week")), rel=1e-12
    )


def test_times_in_another_unit_than_the_fit_are_refused():
    with pytest.raises(ValueError, match="fitted in weeks but the times given are in days"):
        clv.bgnbd_expected_transactions(PARAMS, 30, unit="day")
    with pytest.raises(ValueError, match="Unknown time unit 'month'"):
        clv.bgnbd_p_alive(PARAMS, 1, 1.0, 2.0, unit="month")  # type: ignore[arg-type]


# --- fitting --------------------------------------------------------------------------------


def _simulate(params: BgNbdParams, n: int, T: float, seed: int):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params.r, 1 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    xs, txs = np.zeros(n), np.zeros(n)
    for i in range(n):
        now, count = 0.0, 0
        while True:
            now += rng.exponential(1 / lam[i])
            if now > T:
                break
            count, last = count + 1, now
            if rng.random() < p[i]:
                break
        xs[i], txs[i] = count, last if count else 0.0
    return xs, txs, np.full(n, T)


def test_fit_recovers_the_parameters_of_simulated_customers():
    # Given 4,000 customers simulated from known parameters over 52 weeks (a fixed seed)
    truth = BgNbdParams(r=0.5, alpha=2.0, a=1.2, b=3.0, unit="week")
    x, t_x, T = _simulate(truth, 4000, 52.0, seed=7)

    # When the model is fitted
    fit = clv.bgnbd_fit(x, t_x, T, unit="week")

    # Then it converges near the truth, at a likelihood no worse than the truth's
    assert fit.converged is True
    assert fit.warnings == []
    assert fit.params.unit == "week"
    assert fit.params.mean_rate == pytest.approx(truth.mean_rate, rel=0.1)
    assert fit.params.mean_dropout == pytest.approx(truth.mean_dropout, rel=0.2)
    assert fit.log_likelihood >= clv.bgnbd_log_likelihood(truth, x, t_x, T, unit="week")
    assert fit.log_likelihood == pytest.approx(
        clv.bgnbd_log_likelihood(fit.params, x, t_x, T, unit="week"), rel=1e-12
    )


def test_fit_refuses_fewer_than_twenty_customers():
    x, t_x, T = np.ones(19), np.full(19, 3.0), np.full(19, 10.0)

    with pytest.raises(ClvDataError) as error:
        clv.bgnbd_fit(x, t_x, T, unit="week")

    assert str(error.value) == (
        "Only 19 customers with a purchase: the model needs at least 20 to estimate how often "
        "customers buy and when they stop."
    )


def test_fit_refuses_a_history_without_repeat_purchases():
    with pytest.raises(ClvDataError) as error:
        clv.bgnbd_fit(np.zeros(50), np.zeros(50), np.full(50, 20.0), unit="day")

    assert str(error.value) == (
        "No customer has bought more than once yet: the model learns from repeat purchases, "
        "so it cannot be fitted on this history."
    )


def test_fit_refuses_too_few_repeat_customers():
    x = np.array([1.0] * 3 + [0.0] * 40)
    t_x = np.array([2.0] * 3 + [0.0] * 40)

    with pytest.raises(ClvDataError, match="Only 3 customers bought more than once"):
        clv.bgnbd_fit(x, t_x, np.full(43, 10.0), unit="week")


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        (-1.0, 0.0, 5.0, "whole numbers"),
        (1.5, 1.0, 5.0, "whole numbers"),
        (1.0, 6.0, 5.0, "between 0 and the customer's age"),
        (2.0, 0.0, 5.0, "must have a recency above 0"),
        (math.nan, 0.0, 5.0, "missing or infinite"),
    ],
)
def test_fit_refuses_impossible_summaries(x, t_x, T, message):
    xs = np.array([x] + [1.0] * 30)
    t_xs = np.array([t_x] + [2.0] * 30)
    Ts = np.array([T] + [8.0] * 30)

    with pytest.raises(ClvDataError, match=message):
        clv.bgnbd_fit(xs, t_xs, Ts, unit="week")


# --- Gamma-Gamma ----------------------------------------------------------------------------

SPEND = GammaGammaParams(p=4.0, q=3.0, v=20.0)


@pytest.mark.parametrize(("x", "m"), [(1, 12.0), (3, 30.0), (10, 8.5)])
def test_spend_likelihood_equals_the_model_integrated_over_nu(x, m):
    # Given nu, the average of x purchases is Gamma(p x, rate nu x); nu ~ Gamma(q, rate v).
    def density(nu: float) -> float:
        return stats.gamma.pdf(m, SPEND.p * x, scale=1 / (nu * x)) * stats.gamma.pdf(
            nu, SPEND.q, scale=1 / SPEND.v
        )

    expected, _ = integrate.quad(density, 0, np.inf)

    got = clv.gamma_gamma_customer_log_likelihood(SPEND, x, m)

    assert float(got) == pytest.approx(math.log(expected), rel=1e-7)


def test_expected_spend_is_the_posterior_mean_and_shrinks_to_the_population_mean():
    # E[M | x, m] = p (v + m x) / (p x + q - 1); with x = 0 the population mean p v / (q - 1).
    got = clv.gamma_gamma_expected_spend(SPEND, np.array([0, 1, 3]), np.array([0.0, 12.0, 30.0]))

    assert got.tolist() == pytest.approx([40.0, 4 * 32 / 6, 4 * 110 / 14])
    assert SPEND.mean_spend == 40.0


def test_spend_fit_recovers_simulated_parameters_and_refuses_too_few_customers():
    # Given 3,000 customers whose purchase values follow the model (fixed seed)
    rng = np.random.default_rng(11)
    x = rng.integers(1, 8, 3000).astype(float)
    nu = rng.gamma(SPEND.q, 1 / SPEND.v, 3000)
    m = rng.gamma(SPEND.p * x, 1 / (nu * x))

    fit = clv.gamma_gamma_fit(x, m)

    assert fit.converged is True
    assert fit.n_customers == 3000
    assert fit.params.mean_spend == pytest.approx(SPEND.mean_spend, rel=0.1)
    with pytest.raises(ClvDataError, match="Only 4 customers with repeat purchases"):
        clv.gamma_gamma_fit([1, 2, 3, 1, 0, 0], [5.0, 6.0, 7.0, 8.0, 0.0, 0.0])


# --- lifetime value -------------------------------------------------------------------------


def test_undiscounted_value_is_expected_purchases_times_expected_spend():
    x, t_x, T, m = (
        np.array([0, 2, 5]),
        np.array([0.0, 6.0, 11.0]),
        np.full(3, 12.0),
        np.array([0.0, 25.0, 40.0]),
    )

    value = clv.customer_lifetime_value(
        PARAMS, SPEND, x, t_x, T, m, horizon=52, unit="week", annual_discount_rate=0.0
    )

    purchases = clv.bgnbd_conditional_expected_transactions(PARAMS, 52, x, t_x, T, unit="week")
    assert value == pytest.approx(purchases * clv.gamma_gamma_expected_spend(SPEND, x, m))


def test_discounting_lowers_value_by_the_weekly_rate_of_each_step():
    # Given a horizon of two weeks and 10% a year, each week's purchases are divided by
    # (1 + d)^k with d the weekly rate equivalent to 10% a year.
    d = 1.1 ** (7 / 365.25) - 1
    assert clv.per_unit_discount_rate(0.10, unit="week") == pytest.approx(d)
    one = clv.bgnbd_conditional_expected_transactions(PARAMS, 1, 2, 6.0, 12.0, unit="week")
    two = clv.bgnbd_conditional_expected_transactions(PARAMS, 2, 2, 6.0, 12.0, unit="week")
    spend = clv.gamma_gamma_expected_spend(SPEND, 2, 25.0)

    value = clv.customer_lifetime_value(
        PARAMS, SPEND, 2, 6.0, 12.0, 25.0, horizon=2, unit="week", annual_discount_rate=0.10
    )

    assert float(value) == pytest.approx(
        float(spend * (one / (1 + d) + (two - one) / (1 + d) ** 2))
    )


def test_value_with_a_margin_and_a_fractional_horizon():
    # The last step ends at the horizon itself: 1.5 weeks undiscounted is E[Y(1.5)] * E[M].
    value = clv.customer_lifetime_value(
        PARAMS,
        SPEND,
        2,
        6.0,
        12.0,
        25.0,
        horizon=1.5,
        unit="week",
        annual_discount_rate=0.0,
        margin=0.3,
    )

    purchases = clv.bgnbd_conditional_expected_transactions(PARAMS, 1.5, 2, 6.0, 12.0, unit="week")
    assert float(value) == pytest.approx(
        0.3 * float(purchases * clv.gamma_gamma_expected_spend(SPEND, 2, 25.0))
    )


def test_value_refuses_a_non_positive_horizon_and_a_unit_mismatch():
    with pytest.raises(ValueError, match="The horizon must be a positive length of time"):
        clv.customer_lifetime_value(
            PARAMS, SPEND, 1, 1.0, 2.0, 5.0, horizon=0, unit="week", annual_discount_rate=0.1
        )
    with pytest.raises(ValueError, match="fitted in weeks"):
        clv.customer_lifetime_value(
            PARAMS, SPEND, 1, 1.0, 2.0, 5.0, horizon=10, unit="day", annual_discount_rate=0.1
        )
