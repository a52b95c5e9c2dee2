"""Customer lifetime value: the BG/NBD purchase model and the Gamma-Gamma spend model.

Pure functions over numpy arrays, no ORM. References:
- P. S. Fader, B. G. S. Hardie, K. L. Lee (2005), "Counting your customers the easy way: an
  alternative to the Pareto/NBD model", Marketing Science 24(2). Equation numbers below are the
  paper's; on the CDNOW sample (2,357 customers, 39 weeks) it reports r = 0.243, alpha = 4.414,
  a = 0.793, b = 2.426, log-likelihood -9582.4.
- P. S. Fader, B. G. S. Hardie (2013), "The Gamma-Gamma model of monetary value" (note):
  p = 6.25, q = 3.74, gamma = 15.44 on the same sample.

Every customer is summarised over a calibration period by
- x: repeat purchases (purchases after the first; the first one only marks the start),
- t_x: time from the first purchase to the last one (0 when x = 0),
- T: time from the first purchase to the end of the calibration period,
- m: average value of the x repeat purchases (Gamma-Gamma only; customers with x > 0).

TIME UNIT. t_x, T, every horizon t, and the BG/NBD scale parameter alpha are measured in one
unit, "day" or "week", which every function with a time argument takes as its keyword `unit`
and checks against the fitted parameters: mixing days and weeks silently would scale
predictions by 7. r and alpha describe purchase rates per unit of time (mean rate r / alpha
per unit while alive); a and b the chance of dropping out after each purchase (no unit).
The Gamma-Gamma model has no time in it: it models the value of one purchase.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

TimeUnit = Literal["day", "week"]
DAYS_PER_UNIT: dict[str, float] = {"day": 1.0, "week": 7.0}

# Below these the fit is refused: the four BG/NBD parameters (three Gamma-Gamma ones) are not
# identified by a handful of customers, and without repeat purchases there is nothing to fit.
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 5

Array = NDArray[np.float64]


class ClvDataError(ValueError):
    """The purchase history cannot support a fit (too few customers, no repeat purchases,
    values out of range); the message says which, in words for the report page."""


def _check_unit(unit: str) -> None:
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"Unknown time unit {unit!r}: use 'day' or 'week'.")


def _same_unit(params_unit: str, unit: str) -> None:
    _check_unit(unit)
    if params_unit != unit:
        raise ValueError(
            f"The parameters were fitted in {params_unit}s but the times given are in {unit}s."
        )


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    unit: TimeUnit

    @property
    def mean_rate(self) -> float:
        """The average customer's purchases per unit of time while active: r / alpha."""
        return self.r / self.alpha

    @property
    def mean_dropout(self) -> float:
        """The average chance of stopping for good after a purchase: a / (a + b)."""
        return self.a / (self.a + self.b)

    def in_unit(self, unit: TimeUnit) -> BgNbdParams:
        """The same model with times in another unit: only alpha (a time scale) changes."""
        _check_unit(unit)
        factor = DAYS_PER_UNIT[self.unit] / DAYS_PER_UNIT[unit]
        return BgNbdParams(self.r, self.alpha * factor, self.a, self.b, unit)


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float  # the note's gamma (a scale of spend, in the currency)

    @property
    def mean_spend(self) -> float:
        """The population's expected average spend per purchase, p*v/(q-1); inf when q <= 1."""
        return self.p * self.v / (self.q - 1) if self.q > 1 else math.inf


@dataclass(frozen=True)
class FitResult:
    params: BgNbdParams
    log_likelihood: float
    n_customers: int
    n_repeat_customers: int
    converged: bool
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    n_customers: int
    converged: bool
    warnings: list[str] = field(default_factory=list)


def _arrays(*values: ArrayLike) -> list[Array]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    return list(np.broadcast_arrays(*arrays))


def _check_summary(x: Array, t_x: Array, T: Array) -> None:
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(T))):
        raise ClvDataError("The purchase history contains missing or infinite values.")
    if np.any(x < 0) or np.any(np.floor(x) != x):
        raise ClvDataError("Repeat purchases (x) must be whole numbers of at least 0.")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ClvDataError("Recency must lie between 0 and the customer's age (0 <= t_x <= T).")
    if np.any((x > 0) & (t_x <= 0)):
        raise ClvDataError("A customer with repeat purchases must have a recency above 0.")


# --- BG/NBD ---------------------------------------------------------------------------------


def bgnbd_customer_log_likelihood(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, unit: TimeUnit
) -> Array:
    """ln L(r, alpha, a, b | x, t_x, T) of each customer (FHL 2005, equation 6)."""
    _same_unit(params.unit, unit)
    xs, txs, Ts = _arrays(x, t_x, T)
    return _log_likelihood(params.r, params.alpha, params.a, params.b, xs, txs, Ts)


def _log_likelihood(
    r: float, alpha: float, a: float, b: float, x: Array, t_x: Array, T: Array
) -> Array:
    # L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
    #   + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)),
    # summed in logs: the terms under- and overflow for large x.
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            repeat,
            np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def bgnbd_log_likelihood(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, unit: TimeUnit
) -> float:
    """The sample's log-likelihood: the sum over customers of equation 6."""
    return float(np.sum(bgnbd_customer_log_likelihood(params, x, t_x, T, unit=unit)))


def _starts(mean_T: float) -> list[NDArray[np.float64]]:
    # Several starts on the log scale: the likelihood surface has long flat ridges in (a, b).
    return [
        np.log([r, alpha, a, b])
        for r, alpha, a, b in (
            (1.0, 1.0, 1.0, 1.0),
            (0.5, max(mean_T / 8, 0.1), 0.5, 2.0),
            (0.25, max(mean_T / 4, 0.1), 1.0, 3.0),
            (1.0, max(mean_T, 0.1), 2.0, 5.0),
            (0.1, max(mean_T / 20, 0.05), 0.3, 1.0),
        )
    ]


_LOG_BOUNDS = [(-12.0, 12.0)] * 4


def bgnbd_fit(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    unit: TimeUnit,
    min_customers: int = MIN_CUSTOMERS,
) -> FitResult:
    """Maximum-likelihood BG/NBD parameters for the customers (x, t_x, T), times in `unit`.

    The parameters are fitted on the log scale (so they stay positive) with L-BFGS-B from
    several starts, the best then polished with Nelder-Mead. Raises ClvDataError when there are
    fewer than `min_customers` customers or fewer than MIN_REPEAT_CUSTOMERS with a repeat
    purchase; a fit that does not converge is returned with converged=False and a warning.
    """
    _check_unit(unit)
    xs, txs, Ts = _arrays(x, t_x, T)
    xs, txs, Ts = xs.ravel(), txs.ravel(), Ts.ravel()
    _check_summary(xs, txs, Ts)
    n = len(xs)
    repeaters = int(np.count_nonzero(xs > 0))
    if n < min_customers:
        raise ClvDataError(
            f"Only {n} customer{'s' if n != 1 else ''} with a purchase: the model needs at "
            f"least {min_customers} to estimate how often customers buy and when they stop."
        )
    if repeaters == 0:
        raise ClvDataError(
            "No customer has bought more than once yet: the model learns from repeat "
            "purchases, so it cannot be fitted on this history."
        )
    if repeaters < MIN_REPEAT_CUSTOMERS:
        raise ClvDataError(
            f"Only {repeaters} customer{'s' if repeaters != 1 else ''} bought more than once: "
            f"the model needs at least {MIN_REPEAT_CUSTOMERS} repeat customers."
        )
    # Customers with the same summary share one likelihood term: fit on the distinct rows.
    rows, counts = np.unique(np.column_stack([xs, txs, Ts]), axis=0, return_counts=True)
    ux, utx, uT = rows[:, 0], rows[:, 1], rows[:, 2]
    weights = counts.astype(float)

    def objective(theta: NDArray[np.float64]) -> float:
        r, alpha, a, b = np.exp(theta)
        value = -float(np.dot(weights, _log_likelihood(r, alpha, a, b, ux, utx, uT))) / n
        return value if np.isfinite(value) else 1e100

    best: optimize.OptimizeResult | None = None
    for start in _starts(float(np.mean(Ts))):
        result = optimize.minimize(objective, start, method="L-BFGS-B", bounds=_LOG_BOUNDS)
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    polished = optimize.minimize(
        objective,
        best.x,
        method="Nelder-Mead",
        bounds=_LOG_BOUNDS,
        options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 3000, "maxfev": 3000},
    )
    final = polished if polished.fun <= best.fun else best
    converged = bool(best.success or polished.success) and bool(final.fun < 1e99)
    r, alpha, a, b = (float(v) for v in np.exp(final.x))
    params = BgNbdParams(r=r, alpha=alpha, a=a, b=b, unit=unit)
    warnings = []
    if not converged:
        warnings.append("The fit did not converge: treat the parameters and values as rough.")
    if np.any(np.abs(final.x) > 11.5):
        warnings.append(
            "A parameter ran to the edge of its range: the history does not pin the model down "
            "(too few customers or too short a period)."
        )
    if n < 10 * MIN_CUSTOMERS:
        warnings.append(
            f"The fit rests on {n} customers: estimates from fewer than {10 * MIN_CUSTOMERS} "
            "are uncertain."
        )
    return FitResult(
        params=params,
        log_likelihood=-float(final.fun) * n,
        n_customers=n,
        n_repeat_customers=repeaters,
        converged=converged,
        warnings=warnings,
    )


def _hyp2f1(a: ArrayLike, b: ArrayLike, c: ArrayLike, z: ArrayLike) -> Array:
    return np.asarray(special.hyp2f1(a, b, c, z), dtype=float)


def _a_not_one(a: float) -> float:
    # Equations 7 and 10 divide by a - 1; both are continuous in a, so step just off the pole.
    return a + 1e-7 if abs(a - 1) < 1e-7 else a


def bgnbd_expected_transactions(params: BgNbdParams, t: ArrayLike, *, unit: TimeUnit) -> Array:
    """E[X(t)]: expected purchases of a new customer in (0, t], t in `unit` (equation 7).

    E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]
    """
    _same_unit(params.unit, unit)
    ts = np.asarray(t, dtype=float)
    r, alpha, b = params.r, params.alpha, params.b
    a = _a_not_one(params.a)
    z = ts / (alpha + ts)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + ts)) ** r * _hyp2f1(r, b, a + b - 1, z))


def bgnbd_p_alive(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, unit: TimeUnit
) -> Array:
    """P(alive | x, t_x, T): the chance each customer has not dropped out by T.

    1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)); exactly 1 when x = 0, since in
    the BG/NBD model a customer can drop out only right after a purchase.
    """
    _same_unit(params.unit, unit)
    xs, txs, Ts = _arrays(x, t_x, T)
    return 1.0 / (1.0 + _odds_dead(params, xs, txs, Ts))


def _odds_dead(params: BgNbdParams, x: Array, t_x: Array, T: Array) -> Array:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(a)
            - np.log(np.where(repeat, b + x - 1, 1.0))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(repeat, np.exp(np.minimum(log_odds, 700.0)), 0.0)


def bgnbd_conditional_expected_transactions(
    params: BgNbdParams,
    t: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    unit: TimeUnit,
) -> Array:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T+t] of each customer (equation 10).

    ((a+b+x-1)/(a-1)) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
    divided by 1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x); all times in `unit`.
    """
    _same_unit(params.unit, unit)
    ts, xs, txs, Ts = _arrays(t, x, t_x, T)
    r, alpha, b = params.r, params.alpha, params.b
    a = _a_not_one(params.a)
    z = ts / (alpha + Ts + ts)
    head = (a + b + xs - 1) / (a - 1)
    tail = 1 - ((alpha + Ts) / (alpha + Ts + ts)) ** (r + xs) * _hyp2f1(
        r + xs, b + xs, a + b + xs - 1, z
    )
    return head * tail / (1.0 + _odds_dead(params, xs, txs, Ts))


# --- Gamma-Gamma ---------------------------------------------------------------------------


def gamma_gamma_customer_log_likelihood(
    params: GammaGammaParams, x: ArrayLike, m: ArrayLike
) -> Array:
    """ln f(m | p, q, v, x) of each customer with x > 0 purchases of average value m.

    f = G(px+q) / (G(px) G(q)) * v^q (m x)^(px-1) x / (v + m x)^(px+q)  (Fader & Hardie 2013).
    """
    xs, ms = _arrays(x, m)
    return _gg_log_likelihood(params.p, params.q, params.v, xs, ms)


def _gg_log_likelihood(p: float, q: float, v: float, x: Array, m: Array) -> Array:
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m * x)
        + np.log(x)
        - (px + q) * np.log(v + m * x)
    )


def gamma_gamma_log_likelihood(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> float:
    return float(np.sum(gamma_gamma_customer_log_likelihood(params, x, m)))


def gamma_gamma_fit(
    x: ArrayLike, m: ArrayLike, *, min_customers: int = MIN_REPEAT_CUSTOMERS
) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from customers with x > 0 repeat purchases of
    average value m > 0 (customers with x = 0 carry no spend information and are dropped).

    Log-parameterised L-BFGS-B from several starts, polished with Nelder-Mead. Raises
    ClvDataError when fewer than `min_customers` customers have repeat purchases with a value.
    """
    xs, ms = _arrays(x, m)
    xs, ms = xs.ravel(), ms.ravel()
    if np.any(~np.isfinite(ms)) or np.any(ms < 0):
        raise ClvDataError("Purchase values must be 0 or more.")
    keep = (xs > 0) & (ms > 0)
    xs, ms = xs[keep], ms[keep]
    n = len(xs)
    if n < min_customers:
        raise ClvDataError(
            f"Only {n} customer{'s' if n != 1 else ''} with repeat purchases of a known value: "
            f"the spend model needs at least {min_customers}."
        )

    def objective(theta: NDArray[np.float64]) -> float:
        p, q, v = np.exp(theta)
        value = -float(np.sum(_gg_log_likelihood(p, q, v, xs, ms))) / n
        return value if np.isfinite(value) else 1e100

    scale = float(np.mean(ms))
    best: optimize.OptimizeResult | None = None
    for p0, q0, v_factor in ((1.0, 1.0, 1.0), (2.0, 3.0, 0.5), (5.0, 4.0, 0.5), (0.5, 2.0, 2.0)):
        start = np.log([p0, q0, max(scale * v_factor, 1e-6)])
        result = optimize.minimize(objective, start, method="L-BFGS-B", bounds=[(-12, 14)] * 3)
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    polished = optimize.minimize(
        objective,
        best.x,
        method="Nelder-Mead",
        bounds=[(-12, 14)] * 3,
        options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 3000, "maxfev": 3000},
    )
    final = polished if polished.fun <= best.fun else best
    converged = bool(best.success or polished.success) and bool(final.fun < 1e99)
    p, q, v = (float(val) for val in np.exp(final.x))
    warnings = []
    if not converged:
        warnings.append("The spend model did not converge: treat predicted spend as rough.")
    if q <= 1:
        warnings.append(
            "The spend model's q is at most 1, so the average spend has no finite mean: "
            "spend predictions lean on each customer's own average."
        )
    if n >= 3 and np.std(xs) > 0 and np.std(ms) > 0:
        corr = float(np.corrcoef(xs, ms)[0, 1])
        if abs(corr) > 0.3:
            warnings.append(
                f"Purchase frequency and spend are correlated ({corr:.2f}); the spend model "
                "assumes they are independent."
            )
    return GammaGammaFit(
        params=GammaGammaParams(p=p, q=q, v=v),
        log_likelihood=-float(final.fun) * n,
        n_customers=n,
        converged=converged,
        warnings=warnings,
    )


def gamma_gamma_expected_spend(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> Array:
    """E[M | p, q, v, m, x]: each customer's expected average spend per future purchase.

    (v + m x) p / (p x + q - 1): a weighted mean of the population mean p v / (q - 1) and the
    customer's own average m, the weight on m growing with x. With x = 0 it is the population
    mean (needs q > 1).
    """
    xs, ms = _arrays(x, m)
    p, q, v = params.p, params.q, params.v
    return (v + ms * xs) * p / (p * xs + q - 1)


# --- Lifetime value -----------------------------------------------------------------------


def per_unit_discount_rate(annual_discount_rate: float, *, unit: TimeUnit) -> float:
    """The rate per `unit` equivalent to an annual one: (1 + annual)^(days per unit/365.25) - 1."""
    _check_unit(unit)
    if annual_discount_rate <= -1:
        raise ValueError("The discount rate must be above -100%.")
    return float((1 + annual_discount_rate) ** (DAYS_PER_UNIT[unit] / 365.25) - 1)


def customer_lifetime_value(
    bgnbd: BgNbdParams,
    spend: GammaGammaParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    m: ArrayLike,
    *,
    horizon: float,
    unit: TimeUnit,
    annual_discount_rate: float,
    margin: float = 1.0,
) -> Array:
    """Each customer's discounted expected value over the next `horizon` units of time.

    CLV = margin * E[M] * sum_{k=1..K} (E[Y(k)] - E[Y(k-1)]) / (1 + d)^k

    where E[Y(k)] is the conditional expected purchases in (T, T+k] (BG/NBD, equation 10),
    E[M] the expected spend per purchase (Gamma-Gamma), K = ceil(horizon) steps of one `unit`
    (the last step ends at `horizon`), and d the per-unit rate equivalent to the annual
    discount rate. Purchases in step k are discounted as if made at its end. With d = 0 the
    sum telescopes to E[Y(horizon)]. m of customers with x = 0 is ignored.
    """
    _same_unit(bgnbd.unit, unit)
    if horizon <= 0 or not math.isfinite(horizon):
        raise ValueError("The horizon must be a positive length of time.")
    xs, txs, Ts, ms = _arrays(x, t_x, T, m)
    d = per_unit_discount_rate(annual_discount_rate, unit=unit)
    steps = math.ceil(horizon - 1e-9)
    ends: Sequence[float] = [min(float(k), horizon) for k in range(1, steps + 1)]
    # The purchase sum depends on (x, t_x, T) only: compute it once per distinct summary.
    summaries = np.column_stack([xs.ravel(), txs.ravel(), Ts.ravel()])
    distinct, inverse = np.unique(summaries, axis=0, return_inverse=True)
    ux, utx, uT = distinct[:, 0], distinct[:, 1], distinct[:, 2]
    total = np.zeros(len(distinct), dtype=float)
    previous = np.zeros(len(distinct), dtype=float)
    for k, end in enumerate(ends, start=1):
        current = bgnbd_conditional_expected_transactions(bgnbd, end, ux, utx, uT, unit=unit)
        total += (current - previous) / (1 + d) ** k
        previous = current
    purchases = total[inverse.ravel()].reshape(xs.shape)
    spend_each = gamma_gamma_expected_spend(spend, xs, np.where(xs > 0, ms, 0.0))
    return margin * spend_each * purchases
