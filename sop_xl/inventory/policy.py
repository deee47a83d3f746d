"""Safety stock, reorder point, fill rate and economic order quantity.

Every function works on one item (scalars) or on many at once (lists, arrays, Series: one value
per item, scalars broadcast); a Series in gives a Series out with the same index. Bad inputs
raise :class:`~sop_xl.errors.SopError` naming the argument, the rule and the value.

Symbols (per period; a period is a month or a week, whatever the demand is counted in):
d = mean demand, sd_d its standard deviation, L = lead time, sd_L its standard deviation,
R = review period, Q = order quantity, z = NORM.S.INV(service level), G = standard normal loss.

References
----------
.. [1] L. V. Snyder and Z.-J. M. Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., Wiley,
   2019: sec. 4.3 (base-stock policy), sec. 5.2-5.3 ((r, Q) policy, type-2 service), eq. 3.4
   (EOQ), appendix C.3 (normal loss function).
.. [2] S. Chopra and P. Meindl, *Supply Chain Management: Strategy, Planning, and Operation*,
   ch. 12 (safety inventory: cycle service level, fill rate, lead-time uncertainty).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from sop_xl.errors import SopError
from sop_xl.inventory.arrays import fraction, numbers, output, same_length, text_option

METHODS = ("cycle", "fill_rate")
_SQRT_HALF_PI = np.sqrt(np.pi / 2)
_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)

# The rule of each argument that several functions take (safety_stock, fill_rate,
# reorder_point, lead_time_demand_sd): stated once, so that all of them refuse the same value
# with the same message.
_RULES: dict[str, dict[str, Any]] = {
    "demand_mean": {"minimum": 0},
    "demand_sd": {"minimum": 0},
    "lead_time": {"minimum": 0},
    "lead_time_sd": {"minimum": 0},
    "review_period": {"minimum": 0},
    "safety_stock": {},  # may be negative (a planned shortage)
    "order_qty": {"positive": True},
}


def _checked(**values: Any) -> dict[str, np.ndarray]:
    """Each argument as a float array checked by its rule, in the order given."""
    return {name: numbers(value, name, **_RULES[name]) for name, value in values.items()}


def _matched(**arrays: np.ndarray) -> list[np.ndarray]:
    """Arrays whose lengths must match (single values broadcast), broadcast to one shape."""
    same_length(**arrays)
    return list(np.broadcast_arrays(*arrays.values()))


def _lead_time_sigma(
    demand_mean: Any, demand_sd: Any, lead_time: Any, lead_time_sd: Any, review_period: Any
) -> np.ndarray:
    """Check the arguments of :func:`lead_time_demand_sd`; its sigma as an array [units].

    The first step of :func:`safety_stock` (both methods) and :func:`fill_rate`.
    """
    d, sd, lt, lt_sd, review = _matched(
        **_checked(
            demand_mean=demand_mean,
            demand_sd=demand_sd,
            lead_time=lead_time,
            lead_time_sd=lead_time_sd,
            review_period=review_period,
        )
    )
    return np.asarray(np.sqrt((lt + review) * sd**2 + d**2 * lt_sd**2), dtype=float)


def normal_loss(k: Any) -> Any:
    """Standard normal loss function G(k) = E[(Z - k)+].

    Parameters
    ----------
    k : float or array-like
        Standardised stock level [-].

    Returns
    -------
    float or ndarray
        G(k) = pdf(k) - k * (1 - cdf(k)) [-]: the expected shortfall of a standard normal
        variable beyond ``k``.

    Notes
    -----
    Snyder & Shen eq. (C.22); Excel: ``NORM.S.DIST(k,FALSE) - k*(1-NORM.S.DIST(k,TRUE))``.

    Examples
    --------
    Snyder & Shen table C.3 (as in stockpyl ``standard_normal_loss(-1.4)``):

    >>> round(normal_loss(-1.4), 6)
    1.436668
    """
    x = numbers(k, "k")
    loss = np.empty(x.shape)
    low = x < 0
    loss[low] = np.exp(-0.5 * x[low] ** 2 - _LOG_SQRT_2PI) - x[low] * special.ndtr(-x[low])
    # for k >= 0, pdf(k) - k*sf(k) through the scaled complementary error function keeps its
    # precision where the two terms nearly cancel (large k)
    high = x[~low]
    mills = _SQRT_HALF_PI * special.erfcx(high / np.sqrt(2))
    loss[~low] = np.exp(-0.5 * high**2 - _LOG_SQRT_2PI) * (1 - high * mills)
    return output(loss, k)


def _log_loss(k: np.ndarray) -> np.ndarray:
    """log G(k) for k >= 0 without underflow."""
    mills = _SQRT_HALF_PI * special.erfcx(k / np.sqrt(2))
    return -0.5 * k**2 - _LOG_SQRT_2PI + np.log1p(-k * mills)


def inverse_normal_loss(loss: Any) -> Any:
    """The k >= 0 with G(k) = ``loss``; 0 when ``loss`` >= G(0) = 0.3989.

    Solved by Newton's method on log G, started right of the root (where pdf(k) = loss), from
    where it converges monotonically because log G is concave (G is log-concave).

    >>> round(inverse_normal_loss(0.0355), 4)
    1.4147
    """
    target = numbers(loss, "loss", positive=True)
    k = np.zeros(target.shape)
    inside = target < 1 / np.sqrt(2 * np.pi)  # else G(k) = loss has its root at k <= 0
    log_target = np.log(target[inside])
    root = np.sqrt(-2.0 * (log_target + _LOG_SQRT_2PI))  # pdf(root) = loss > G(root)
    for _ in range(60):
        mills = _SQRT_HALF_PI * special.erfcx(root / np.sqrt(2))
        slope = -mills / (1 - root * mills)  # d log G / dk
        step = (_log_loss(root) - log_target) / slope
        root = np.maximum(0.0, root - step)
        if np.all(np.abs(step) < 1e-12 * np.maximum(1.0, root)):
            break
    k[inside] = root
    return output(k, loss)


def lead_time_demand_sd(
    demand_mean: Any,
    demand_sd: Any,
    lead_time: Any,
    *,
    lead_time_sd: Any = 0.0,
    review_period: Any = 0.0,
) -> Any:
    """Standard deviation of demand over the lead time plus review period.

    Parameters
    ----------
    demand_mean : float or array-like
        Mean demand per period, d [units/period].
    demand_sd : float or array-like
        Standard deviation of demand per period, sd_d [units/period] (or the forecast error
        RMSE per period, see :func:`sop_xl.inventory.items.forecast_rmse`).
    lead_time : float or array-like
        Replenishment lead time, L [periods].
    lead_time_sd : float or array-like
        Standard deviation of the lead time, sd_L [periods].
    review_period : float or array-like
        Time between reviews, R [periods]; 0 for continuous review.

    Returns
    -------
    float, ndarray or Series
        sigma = sqrt((L + R) * sd_d^2 + d^2 * sd_L^2) [units].

    Notes
    -----
    Demand and lead time independent; demand per period independent across periods
    (Chopra & Meindl ch. 12, "impact of supply uncertainty").

    Examples
    --------
    >>> lead_time_demand_sd(100, 20, 4)
    40.0
    >>> round(lead_time_demand_sd(100, 20, 4, lead_time_sd=1), 3)
    107.703
    """
    sigma = _lead_time_sigma(demand_mean, demand_sd, lead_time, lead_time_sd, review_period)
    return output(sigma, demand_mean, demand_sd, lead_time, lead_time_sd, review_period)


def safety_stock(
    demand_mean: Any,
    demand_sd: Any,
    lead_time: Any,
    *,
    lead_time_sd: Any = 0.0,
    service_level: Any = 0.95,
    method: str = "cycle",
    order_qty: Any = None,
    review_period: Any = 0.0,
) -> Any:
    """Safety stock for a cycle service level or a fill rate.

    Parameters
    ----------
    demand_mean, demand_sd, lead_time, lead_time_sd, review_period
        As in :func:`lead_time_demand_sd` [units/period, units/period, periods, periods,
        periods].
    service_level : float or array-like
        ``cycle``: probability of no stockout per replenishment cycle; ``fill_rate``: target
        share of demand served from stock. Strictly between 0 and 1 [-].
    method : {"cycle", "fill_rate"}
        Which service measure ``service_level`` is (case-insensitive).
    order_qty : float or array-like, optional
        Order quantity Q [units]; required (> 0) for ``fill_rate``.

    Returns
    -------
    float, ndarray or Series
        Safety stock SS [units].

    Notes
    -----
    sigma = sqrt((L + R) * sd_d^2 + d^2 * sd_L^2).

    - cycle: SS = max(0, z * sigma), z = NORM.S.INV(service_level) (Snyder & Shen sec. 4.3.2).
      Below a 50% service level z is negative; the stock kept for safety is then none, never a
      negative quantity (a level of 1e-12 gave -199 units for sigma = 28), as the fill-rate
      branch does.
    - fill_rate (type 2, backorders): find k with G(k) = Q * (1 - service_level) / sigma,
      then SS = max(0, k * sigma) (Snyder & Shen sec. 5.3.4; Chopra & Meindl ch. 12).

    Examples
    --------
    Chopra & Meindl, lead-time uncertainty: d = 2,500/day, sd_d = 500, L = 7 days,
    sd_L = 7 days, 90 % cycle service gives about 22,491 units:

    >>> round(safety_stock(2500, 500, 7, lead_time_sd=7, service_level=0.9))
    22491
    >>> round(safety_stock(2500, 500, 2, service_level=0.975, method="fill_rate",
    ...                    order_qty=10000), 1)
    66.7
    >>> safety_stock([100, 100], [20, 20], [1, 4], service_level=0.95).round(2).tolist()
    [32.9, 65.79]
    >>> float(safety_stock(100, 20, 2, service_level=0.3))
    0.0
    """
    method = text_option(method, "method", METHODS)
    sigma = _lead_time_sigma(demand_mean, demand_sd, lead_time, lead_time_sd, review_period)
    level = fraction(service_level, "service_level")
    inputs = (demand_mean, demand_sd, lead_time, lead_time_sd, service_level, review_period)
    if method == "cycle":
        same_length(sigma=sigma, service_level=level)
        return output(np.maximum(0.0, special.ndtri(level) * sigma), *inputs)
    if order_qty is None:
        raise SopError("order_qty is required for method 'fill_rate'; got a blank")
    sigma, level, quantity = _matched(
        sigma=sigma, service_level=level, **_checked(order_qty=order_qty)
    )
    stock = np.zeros(sigma.shape)
    varying = sigma > 0
    if varying.any():
        k = inverse_normal_loss(quantity[varying] * (1 - level[varying]) / sigma[varying])
        stock[varying] = np.maximum(0.0, np.asarray(k) * sigma[varying])
    return output(stock, *inputs, order_qty)


def fill_rate(
    safety_stock: Any,
    demand_mean: Any,
    demand_sd: Any,
    lead_time: Any,
    order_qty: Any,
    *,
    lead_time_sd: Any = 0.0,
    review_period: Any = 0.0,
) -> Any:
    """Expected fill rate (type 2 service) that a safety stock gives.

    Parameters
    ----------
    safety_stock : float or array-like
        Safety stock SS [units] (may be negative).
    demand_mean, demand_sd, lead_time, lead_time_sd, review_period
        As in :func:`lead_time_demand_sd`.
    order_qty : float or array-like
        Order quantity Q [units], > 0.

    Returns
    -------
    float, ndarray or Series
        beta = 1 - sigma * G(SS / sigma) / Q [-], clipped at 0 (the approximation goes
        negative when the expected shortage per cycle exceeds Q); 1 when sigma = 0 and SS >= 0.

    Notes
    -----
    Snyder & Shen eq. (5.27) with n(r) = sigma * G((r - mu) / sigma); Chopra & Meindl ch. 12
    (expected shortage per cycle, ESC = sigma * G(SS / sigma); fill rate = 1 - ESC / Q).

    Examples
    --------
    Chopra & Meindl: weekly demand 2,500, sd 500, lead time 2 weeks, Q = 10,000 and a safety
    stock of 1,000 give a fill rate of 0.9975:

    >>> round(fill_rate(1000, 2500, 500, 2, 10000), 4)
    0.9975
    """
    checked = _checked(safety_stock=safety_stock, order_qty=order_qty)
    sigma = _lead_time_sigma(demand_mean, demand_sd, lead_time, lead_time_sd, review_period)
    stock, quantity, sigma = _matched(**checked, sigma=sigma)
    shortage = np.where(stock < 0, -stock, 0.0)  # sigma = 0: the shortage is certain
    varying = sigma > 0
    if varying.any():
        shortage = shortage.astype(float, copy=True)
        k = stock[varying] / sigma[varying]
        shortage[varying] = sigma[varying] * np.asarray(normal_loss(k))
    rate = np.clip(1 - shortage / quantity, 0.0, 1.0)
    inputs = (safety_stock, demand_mean, demand_sd, lead_time, order_qty, lead_time_sd)
    return output(rate, *inputs, review_period)


def reorder_point(
    demand_mean: Any, lead_time: Any, safety_stock: Any, *, review_period: Any = 0.0
) -> Any:
    """Reorder point (continuous review) or order-up-to level (periodic review).

    Parameters
    ----------
    demand_mean : float or array-like
        Mean demand per period, d [units/period].
    lead_time : float or array-like
        Lead time, L [periods].
    safety_stock : float or array-like
        Safety stock, SS [units].
    review_period : float or array-like
        Review period, R [periods]; 0 for continuous review.

    Returns
    -------
    float, ndarray or Series
        ROP = d * (L + R) + SS [units].

    Examples
    --------
    Snyder & Shen example 4.3 as a base-stock level (stockpyl ``newsvendor_normal(0.18, 0.70,
    50, 8)`` = 56.604): one-period review, no lead time, service = 0.70 / 0.88:

    >>> ss = safety_stock(50, 8, 0, service_level=0.70 / 0.88, review_period=1)
    >>> round(reorder_point(50, 0, ss, review_period=1), 3)
    56.604
    """
    d, lt, stock, review = _matched(
        **_checked(
            demand_mean=demand_mean,
            lead_time=lead_time,
            safety_stock=safety_stock,
            review_period=review_period,
        )
    )
    return output(d * (lt + review) + stock, demand_mean, lead_time, safety_stock, review_period)


def eoq(annual_demand: Any, order_cost: Any, unit_cost: Any, holding_rate: Any) -> Any:
    """Economic order quantity.

    Parameters
    ----------
    annual_demand : float or array-like
        Demand per year, lambda [units/year], >= 0.
    order_cost : float or array-like
        Fixed cost per order, K [currency/order], >= 0.
    unit_cost : float or array-like
        Cost of one unit, c [currency/unit], > 0.
    holding_rate : float or array-like
        Holding cost per year as a fraction of unit cost, i [1/year], > 0; h = i * c.

    Returns
    -------
    float, ndarray or Series
        Q* = sqrt(2 * lambda * K / (c * i)) [units].

    Examples
    --------
    Snyder & Shen example 3.1 (K = 8, h = 0.225, lambda = 1,300; stockpyl
    ``economic_order_quantity``):

    >>> round(eoq(1300, 8, 1.0, 0.225), 4)
    304.0468
    """
    demand = numbers(annual_demand, "annual_demand", minimum=0)
    cost = numbers(order_cost, "order_cost", minimum=0)
    price = numbers(unit_cost, "unit_cost", positive=True)
    rate = numbers(holding_rate, "holding_rate", positive=True)
    same_length(annual_demand=demand, order_cost=cost, unit_cost=price, holding_rate=rate)
    quantity = np.sqrt(2 * demand * cost / (price * rate))
    return output(quantity, annual_demand, order_cost, unit_cost, holding_rate)
