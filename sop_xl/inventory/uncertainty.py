"""Safety stock from the forecast's own per-horizon errors (the uncertainty of the intervals).

The lead-time demand an order must cover is the demand of the next ``L + R`` periods (lead
time plus review period). Its uncertainty, given the forecast, is the error of the forecast
summed over those steps: :attr:`sop_xl.forecast.intervals.HorizonErrors.cumulative_sd`, from the
method's rolling-origin errors, the same errors that give ``sop_forecast_interval`` its bands.
Summing the errors of one origin, rather than adding one-step variances, keeps the
correlation between steps (an error in the level persists over the lead time).

Lead-time variability is added as in :func:`sop_xl.inventory.policy.lead_time_demand_sd`:

    sigma_LT = sqrt(sd_e(L + R)^2 + d^2 sd_L^2)

where ``sd_e(k)`` is the standard deviation of the error summed over ``k`` steps (fractional
``k`` interpolated).

Two corrections turn sigma_LT into a quantile, both checked by the simulation of
:mod:`sop_xl.inventory.simulation` (``benchmarks/safety_stock_simulation.py``):

- ``sd_e`` is estimated from a few rolling origins; a stock at ``z * sd_e`` with a noisy
  ``sd_e`` falls short of its service level on average (2 to 4 points at 95-98% in the
  simulation, where ``sd_e`` varied by 30% from review to review). The spread is widened by
  ``t_nu.ppf(p) / z(p)``, the ratio of the quantiles of the predictive (Student t) and the
  normal distribution (Hahn & Meeker, *Statistical Intervals*, 1991, sec. 4.6), at the
  quantile ``p`` where the stock sits: the service level for cycle service; for a fill rate,
  the cycle service that the stock solved with the plain spread gives (then solved again with
  the widened spread). ``nu`` is the spread's effective degrees of freedom
  (:func:`spread_dof`), not the count of origins that saw all ``L + R`` steps
  (:meth:`HorizonErrors.dof`): the fit ``c k + d k^2`` pools every origin's partial sums and
  is kept non-negative, so for ``L + R = 3`` from the usual 6 origins it varies like a
  chi-square with 6.0 degrees of freedom, not 5. With 5, the stock for normal demand was
  1.2 to 1.9 points above its cycle-service target (``benchmarks/safety_stock_simulation.py``).
- Demand cannot go below zero and is skewed when it varies much; the lead-time demand is
  taken as a gamma distribution with the forecast over L + R as its mean and that widened
  spread as its standard deviation (Silver, Pyke & Thomas 2017, sec. 6.11: the gamma for
  lead-time demand with a high coefficient of variation). At a low coefficient of variation
  it is the normal.

Then, with ``mu = d (L + R)``:

- cycle service: SS = max(0, Gamma.ppf(service_level) - mu);
- fill rate: SS = max(0, s - mu) with E[(X - s)+] - E[(Y - s)+] = Q (1 - service_level)
  (:func:`gamma_loss`), X the demand over L + R and Y over L alone (gamma likewise): the
  demand short in a cycle is what is short at its end less what was already owed at its
  start (Silver, Pyke & Thomas 2017, sec. 6.9.2).

For a cycle runner that keeps the normal formulas of :func:`sop_xl.inventory.policy.safety_stock`
(z * sqrt((L + R) sd^2 + ...)), :func:`equivalent_demand_sd` gives the per-period ``sd`` that
yields the same cycle-service safety stock.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np
from scipy import special, stats

from sop_xl.errors import SopError
from sop_xl.inventory.arrays import fraction, text_option
from sop_xl.inventory.policy import METHODS


class SummedErrors(Protocol):
    """What the safety stock needs of the forecast's errors (a ``HorizonErrors``)."""

    def over(self, periods: float) -> float:
        """Standard deviation of the forecast error summed over ``periods`` steps [units]."""
        ...

    def dof(self, periods: float) -> int:
        """Origins that saw all ``periods`` steps (the degrees of freedom when ``errors``
        has no table of errors for :func:`spread_dof`)."""
        ...


#: draws of the spread estimator that give its degrees of freedom (:func:`spread_dof`)
DOF_DRAWS = 4000


def spread_dof(errors: SummedErrors, periods: float) -> float:
    """Effective degrees of freedom of ``errors.over(periods)`` (see the module notes).

    The spread is not a mean square of ``errors.dof(periods)`` independent errors: it is the
    non-negative least-squares fit ``c k + d k^2`` to the squared sums of every origin's first
    ``k`` errors, all ``k`` together. Its degrees of freedom are those of a chi-square with the
    same relative variance (Satterthwaite 1946): ``nu = 2 E[V]^2 / Var[V]`` for the fitted
    variance ``V`` at ``periods``, when the errors are independent standard normal and the
    origins saw the steps these did. Computed by drawing such errors (fixed seed) and fitting
    them as :meth:`HorizonErrors.over` does; cached per pattern of seen steps. Errors that give
    only ``over`` and ``dof`` keep ``dof``.

    >>> from sop_xl.forecast import forecast_errors
    >>> errors = forecast_errors(np.linspace(50.0, 90.0, 60) % 17, 3, method="ses")
    >>> errors.dof(3), round(spread_dof(errors, 3), 1)
    (5, 6.0)
    """
    table = getattr(errors, "errors", None)
    if table is None or periods <= 0:
        return float(errors.dof(periods))
    seen = np.isfinite(np.cumsum(np.asarray(table, dtype=float), axis=1))
    key = (seen.tobytes(), seen.shape, float(periods))
    if key not in _DOF_CACHE:
        _DOF_CACHE[key] = _simulated_dof(seen, float(periods))
    return _DOF_CACHE[key]


_DOF_CACHE: dict[tuple[bytes, tuple[int, ...], float], float] = {}


def _simulated_dof(seen: np.ndarray, periods: float) -> float:
    rng = np.random.default_rng(20261203)
    draws = rng.standard_normal((DOF_DRAWS, *seen.shape))
    sums = np.cumsum(draws, axis=2)[:, seen] ** 2  # (draws, seen sums)
    k = np.nonzero(seen)[1] + 1.0
    columns = np.column_stack([k, k**2])
    if np.linalg.matrix_rank(columns) < 2:  # one step seen: c k alone
        c = np.maximum(sums @ k / (k @ k), 0.0)
        fitted = c * periods
    else:
        both = np.linalg.lstsq(columns, sums.T, rcond=None)[0].T  # (draws, 2)
        c_only = np.maximum(sums @ k / (k @ k), 0.0)
        d_only = np.maximum(sums @ k**2 / (k**2 @ k**2), 0.0)
        rss_c = ((sums - c_only[:, None] * k) ** 2).sum(axis=1)
        rss_d = ((sums - d_only[:, None] * k**2) ** 2).sum(axis=1)
        edge = np.where(rss_c <= rss_d, c_only * periods, d_only * periods**2)
        inside = (both >= 0).all(axis=1)
        fitted = np.where(inside, both[:, 0] * periods + both[:, 1] * periods**2, edge)
    spread = fitted.var()
    return float(2 * fitted.mean() ** 2 / spread) if spread > 0 else 1e6


def _protected(lead_time: float, review_period: float) -> float:
    for name, value in (("lead_time", lead_time), ("review_period", review_period)):
        if not math.isfinite(value) or value < 0:
            raise SopError(f"{name} must be >= 0; got {value:g}")
    return lead_time + review_period


def gamma_loss(stock: float, shape: float, scale: float) -> float:
    """E[(X - s)+] for X ~ gamma(shape, scale): the expected shortage at stock level s.

    ``mean * Q(shape + 1, s / scale) - s * Q(shape, s / scale)``, Q the regularised upper
    incomplete gamma function (Silver, Pyke & Thomas 2017, sec. 6.11; Burgin 1975).

    >>> round(gamma_loss(0.0, 2.0, 5.0), 6)  # at zero stock, the whole mean
    10.0
    >>> round(gamma_loss(10.0, 1.0, 10.0), 4)  # exponential: scale * exp(-s / scale)
    3.6788
    """
    return float(_gamma_loss(np.float64(stock), shape, scale))


def _gamma_loss(stock: np.ndarray, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
    x = stock / scale
    return shape * scale * special.gammaincc(shape + 1, x) - stock * special.gammaincc(shape, x)


def lead_time_sigma(
    errors: SummedErrors,
    demand_mean: float,
    lead_time: float,
    *,
    lead_time_sd: float = 0.0,
    review_period: float = 0.0,
) -> float:
    """sigma_LT = sqrt(sd_e(L + R)^2 + d^2 sd_L^2) [units] (see the module notes).

    >>> class Summed:
    ...     def over(self, periods): return 30.0
    ...     def dof(self, periods): return 5
    >>> lead_time_sigma(Summed(), 100, 2, lead_time_sd=0.4, review_period=1)
    50.0
    """
    periods = _protected(float(lead_time), float(review_period))
    if not math.isfinite(lead_time_sd) or lead_time_sd < 0:
        raise SopError(f"lead_time_sd must be >= 0; got {lead_time_sd:g}")
    if not math.isfinite(demand_mean) or demand_mean < 0:
        raise SopError(f"demand_mean must be >= 0; got {demand_mean:g}")
    summed = errors.over(periods) if periods > 0 else 0.0
    return math.sqrt(summed**2 + (demand_mean * lead_time_sd) ** 2)


def equivalent_demand_sd(
    errors: SummedErrors,
    lead_time: float,
    review_period: float = 0.0,
    *,
    service_level: float = 0.95,
) -> float:
    """Per-period sd for the normal cycle formula that gives :func:`forecast_safety_stock`.

    Parameters
    ----------
    errors : HorizonErrors
        The forecast's rolling-origin errors (:func:`sop_xl.forecast.forecast_errors`).
    lead_time : float
        L [periods].
    review_period : float
        R [periods].
    service_level : float, keyword-only
        Cycle service level [-] (the Student-t inflation depends on it).

    Returns
    -------
    float
        sd_e(L + R) / sqrt(L + R) * t_nu.ppf(level) / z(level) [units/period]; 0 when
        L + R = 0.

    Examples
    --------
    >>> class Flat:  # errors that add like independent ones of sd 10 per period
    ...     def over(self, periods): return 10 * periods ** 0.5
    ...     def dof(self, periods): return 10**9
    >>> round(equivalent_demand_sd(Flat(), 3, 1), 6)
    10.0
    """
    periods = _protected(float(lead_time), float(review_period))
    level = float(fraction(service_level, "service_level"))
    if periods == 0:
        return 0.0
    inflation = _widening(np.array([level]), np.array([spread_dof(errors, periods)]))[0]
    return errors.over(periods) / math.sqrt(periods) * float(inflation)


def forecast_safety_stock(
    errors: SummedErrors,
    demand_mean: float,
    lead_time: float,
    *,
    lead_time_sd: float = 0.0,
    service_level: float = 0.95,
    method: str = "cycle",
    order_qty: Any = None,
    review_period: float = 0.0,
) -> float:
    """Safety stock of one item from its forecast's errors summed over L + R.

    Parameters
    ----------
    errors : HorizonErrors
        The forecast's rolling-origin errors (:func:`sop_xl.forecast.forecast_errors`, with a
        horizon of at least L + R).
    demand_mean : float
        Mean demand per period, d [units/period] (it scales the lead-time variability).
    lead_time, lead_time_sd, review_period : float
        L, sd_L, R [periods].
    service_level : float
        Cycle service level or target fill rate, strictly between 0 and 1 [-].
    method : {"cycle", "fill_rate"}
        Which service measure ``service_level`` is.
    order_qty : float, optional
        Q [units], > 0; required for ``fill_rate``.

    Returns
    -------
    float
        SS [units] (see the module notes).

    Examples
    --------
    Errors summed over L + R = 3 periods with sd 30, from 5 origins (5 degrees of freedom),
    95% cycle service: the spread widens to 30 * t_5.ppf(0.95) / z(0.95) = 36.75, and the
    95% quantile of a gamma with mean 300 and that sd lies 62.9 above the mean:

    >>> class Summed:
    ...     def over(self, periods): return 30.0
    ...     def dof(self, periods): return 5
    >>> round(forecast_safety_stock(Summed(), 100, 2, review_period=1), 1)
    62.9
    >>> round(forecast_safety_stock(Summed(), 100, 2, review_period=1, method="fill_rate",
    ...                             service_level=0.95, order_qty=100), 1)
    21.9
    """
    method = text_option(method, "method", METHODS)
    level = float(fraction(service_level, "service_level"))
    sigma = lead_time_sigma(
        errors, demand_mean, lead_time, lead_time_sd=lead_time_sd, review_period=review_period
    )
    if sigma == 0:
        return 0.0
    periods = float(lead_time) + float(review_period)
    if method == "fill_rate" and (
        order_qty is None or not math.isfinite(order_qty) or order_qty <= 0
    ):
        raise SopError(f"order_qty must be > 0 for method 'fill_rate'; got {order_qty}")
    lead_sigma = lead_time_sigma(errors, demand_mean, lead_time, lead_time_sd=lead_time_sd)
    stock = gamma_safety_stock(
        np.array([float(demand_mean) * periods]),
        np.array([sigma]),
        np.array([spread_dof(errors, periods)]),
        service_level=level,
        method=method,
        order_qty=None if order_qty is None else np.array([float(order_qty)]),
        lead_mean=np.array([float(demand_mean) * float(lead_time)]),
        lead_sigma=np.array([lead_sigma]),
    )
    return float(stock[0])


def gamma_safety_stock(
    mean: np.ndarray,
    sigma: np.ndarray,
    dof: np.ndarray,
    *,
    service_level: float,
    method: str = "cycle",
    order_qty: np.ndarray | None = None,
    lead_mean: np.ndarray | None = None,
    lead_sigma: np.ndarray | None = None,
) -> np.ndarray:
    """Safety stocks for gamma lead-time demand with an estimated spread, many at once.

    The arithmetic of :func:`forecast_safety_stock` on arrays, inputs already checked.

    Parameters
    ----------
    mean : numpy.ndarray
        Forecast demand over L + R, mu [units].
    sigma : numpy.ndarray
        sigma_LT [units].
    dof : numpy.ndarray
        Degrees of freedom of sigma_LT.
    service_level : float, keyword-only
        Cycle service level or target fill rate [-].
    method : {"cycle", "fill_rate"}, keyword-only
    order_qty : numpy.ndarray, keyword-only
        Q [units] for ``fill_rate``.
    lead_mean, lead_sigma : numpy.ndarray, keyword-only
        Mean and sigma of the demand over L alone [units], for ``fill_rate``: the shortage
        already owed when a cycle starts is not the cycle's own (see the module notes);
        omitted = none.

    Returns
    -------
    numpy.ndarray
        SS [units], >= 0.

    Examples
    --------
    >>> gamma_safety_stock(np.array([300.0, 0.0]), np.array([30.0, 30.0]), np.array([5, 5]),
    ...                    service_level=0.95).round(1).tolist()
    [62.9, 60.5]
    """
    mean, sigma = np.asarray(mean, dtype=float), np.asarray(sigma, dtype=float)
    dof = np.maximum(np.asarray(dof, dtype=float), 1.0)
    level = float(service_level)
    stock = np.zeros(np.broadcast(mean, sigma, dof).shape)
    no_demand = (mean <= 0) & (sigma > 0)
    if method == "cycle":  # no demand forecast: the normal t quantile alone
        stock[no_demand] = np.maximum(0.0, stats.t.ppf(level, dof[no_demand]) * sigma[no_demand])
    gamma = (mean > 0) & (sigma > 0)
    if not gamma.any():
        return stock
    mu, sd, nu = mean[gamma], sigma[gamma], dof[gamma]
    if method == "cycle":
        spread = sd * _widening(np.full(mu.shape, level), nu)
        shape, scale = (mu / spread) ** 2, spread**2 / mu
        stock[gamma] = np.maximum(0.0, stats.gamma.ppf(level, shape, scale=scale) - mu)
        return stock
    target = np.broadcast_to(np.asarray(order_qty, dtype=float), mean.shape)[gamma] * (1 - level)
    if lead_mean is None or lead_sigma is None:
        early = (np.zeros(mu.shape), np.zeros(mu.shape))
    else:
        early = (np.broadcast_to(lead_mean, mean.shape)[gamma],
                 np.broadcast_to(lead_sigma, mean.shape)[gamma])  # fmt: skip
    # the fill rate sets the stock at some quantile of the lead-time demand; widen the
    # spread for that quantile (found with the plain spread first), then solve again
    plain = _fill_stock(mu, sd, target, *early)
    widen = _widening(stats.gamma.cdf(plain, (mu / sd) ** 2, scale=sd**2 / mu), nu)
    wide = _fill_stock(mu, sd * widen, target, early[0], early[1] * widen)
    stock[gamma] = np.maximum(0.0, wide - mu)
    return stock


def _widening(level: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """t_dof.ppf(level) / z(level), 1 at levels <= 50% (see the module notes)."""
    high = level > 0.5
    ratio = np.ones(level.shape)
    ratio[high] = stats.t.ppf(level[high], dof[high]) / special.ndtri(level[high])
    return ratio


def _fill_stock(
    mu: np.ndarray, sd: np.ndarray, target: np.ndarray, lead_mu: np.ndarray, lead_sd: np.ndarray
) -> np.ndarray:
    """The level s >= mu at which a cycle's shortage, E[(X - s)+] - E[(Y - s)+] for gamma X
    over L + R (mean mu, sd sd) and Y over L, is the target; mu when it is within already."""
    shape, scale = (mu / sd) ** 2, sd**2 / mu
    has_lead = (lead_mu > 0) & (lead_sd > 0)
    lead_shape = np.where(has_lead, (lead_mu / np.where(has_lead, lead_sd, 1)) ** 2, 1.0)
    lead_scale = np.where(has_lead, lead_sd**2 / np.where(has_lead, lead_mu, 1), 1.0)

    def shortage(s: np.ndarray) -> np.ndarray:
        owed = np.where(has_lead, _gamma_loss(s, lead_shape, lead_scale), 0.0)
        return _gamma_loss(s, shape, scale) - owed

    low, high = mu.copy(), mu + 50 * sd  # the shortage falls from low to high: bisect
    for _ in range(100):
        middle = (low + high) / 2
        short = shortage(middle) > target
        low, high = np.where(short, middle, low), np.where(short, high, middle)
    return np.where(shortage(mu) <= target, mu, high)
