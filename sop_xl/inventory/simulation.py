"""Check a safety stock by simulation: forecast, safety stock, periodic-review order-up-to.

:func:`order_up_to_levels` runs the planning loop a planner would: at every review ``t`` (every
``R`` periods) it forecasts the next ``L + R`` periods from the demand so far, takes the
safety stock from the forecast's rolling-origin errors summed over ``L + R``
(:func:`sop_xl.inventory.uncertainty.forecast_safety_stock`, here on all reviews at once with
:func:`~sop_xl.inventory.uncertainty.gamma_safety_stock`), and sets the order-up-to level
``S_t = F_(t+1) + ... + F_(t+L+R) + SS_t``. :func:`simulate_order_up_to` then plays that
policy against the demand that really happened:

- at a review, order ``S_t`` minus the inventory position (on hand - backorders + on order),
  never a negative quantity; it arrives ``L`` periods later, before that period's demand;
- demand is served from stock on hand; what is short is backordered;
- a **cycle** is the ``R`` periods from the arrival of one order to just before the next; it
  meets its **cycle service** when no demand in it waits (net stock >= 0 at its end);
- **fill rate**: the share of demand served from stock in the period it occurs.

The first ``L + R`` periods (before the first order can arrive) are not scored.

References
----------
.. [1] E. A. Silver, D. F. Pyke and D. J. Thomas, *Inventory and Production Management in
   Supply Chains*, 4th ed., CRC Press, 2017: sec. 6.9 (periodic review, order-up-to level,
   protection interval R + L).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sop_xl.errors import SopError
from sop_xl.inventory.uncertainty import gamma_safety_stock, spread_dof


@dataclass(frozen=True)
class PolicyOutcome:
    """What an order-up-to policy achieved in a simulation.

    Attributes
    ----------
    cycle_service : float
        Share of scored cycles without a backorder at their end [-].
    fill_rate : float
        Share of scored demand served from stock in its own period [-].
    cycles : int
        Cycles scored.
    """

    cycle_service: float
    fill_rate: float
    cycles: int


def simulate_order_up_to(
    demand: np.ndarray, order_up_to: np.ndarray, *, lead_time: int, review_period: int = 1
) -> PolicyOutcome:
    """Play a periodic-review order-up-to policy with backorders against a demand path.

    Parameters
    ----------
    demand : numpy.ndarray
        Demand per period [units], ``T`` periods.
    order_up_to : numpy.ndarray
        Order-up-to level S at each review [units]; review ``i`` is at period ``i * R``.
    lead_time : int, keyword-only
        L [periods], >= 0.
    review_period : int, keyword-only
        R [periods], >= 1.

    Returns
    -------
    PolicyOutcome

    Examples
    --------
    Demand 10 a period, L = 1, R = 1: S = 20 covers it exactly; S = 15 falls short by 5
    every period after the first arrival, so each cycle ends short and half is served:

    >>> simulate_order_up_to(np.full(10, 10.0), np.full(10, 20.0), lead_time=1)
    PolicyOutcome(cycle_service=1.0, fill_rate=1.0, cycles=8)
    >>> simulate_order_up_to(np.full(10, 10.0), np.full(10, 15.0), lead_time=1).cycle_service
    0.0
    """
    if lead_time < 0 or review_period < 1:
        raise SopError(
            f"lead_time must be >= 0 and review_period >= 1; got {lead_time}, {review_period}"
        )
    periods = demand.size
    reviews = np.arange(0, periods, review_period)
    if order_up_to.size < reviews.size:
        raise SopError(f"order_up_to needs {reviews.size} levels; got {order_up_to.size}")
    arriving = np.zeros(periods + lead_time + 1)
    net = float(order_up_to[0])  # start at the first order-up-to level, nothing on order
    on_order = 0.0
    warm = lead_time + review_period
    served = wanted = 0.0
    ends_ok = ends = 0
    for t in range(periods):
        net += arriving[t]
        on_order -= arriving[t]
        if t % review_period == 0:
            quantity = max(float(order_up_to[t // review_period]) - (net + on_order), 0.0)
            if lead_time == 0:
                net += quantity
            else:
                arriving[t + lead_time] += quantity
                on_order += quantity
        if t >= warm:
            served += min(float(demand[t]), max(net, 0.0))
            wanted += float(demand[t])
        net -= float(demand[t])
        # the cycle of the order placed at t - L - R + 1 ends here
        if t >= warm and (t - lead_time + 1) % review_period == 0:
            ends += 1
            ends_ok += int(net >= -1e-9)
    return PolicyOutcome(
        cycle_service=ends_ok / ends if ends else float("nan"),
        fill_rate=served / wanted if wanted > 0 else 1.0,
        cycles=ends,
    )


@dataclass(frozen=True)
class PlannedLevels:
    """Forecasts and error spreads at each review of a simulated history.

    Attributes
    ----------
    covered : numpy.ndarray
        Forecast demand over the next L + R periods at each review [units].
    per_period : numpy.ndarray
        Mean forecast per period over them [units/period].
    summed_sd : numpy.ndarray
        Standard deviation of the forecast error summed over L + R at each review [units].
    dof : numpy.ndarray
        Its effective degrees of freedom (:func:`~sop_xl.inventory.uncertainty.spread_dof`).
    lead_sd : numpy.ndarray or None
        The same over L alone [units] (for the fill rate).
    """

    covered: np.ndarray
    per_period: np.ndarray
    summed_sd: np.ndarray
    dof: np.ndarray
    lead_sd: np.ndarray | None = None


def plan_reviews(
    demand: np.ndarray,
    start: int,
    *,
    lead_time: int,
    review_period: int = 1,
    method: str = "auto",
    season_length: int = 12,
    refresh: int = 1,
) -> PlannedLevels:
    """Forecast and error spread at every review from ``start`` on, from the demand before it.

    The errors (``forecast_errors``, a fit per rolling origin) are recomputed every
    ``refresh`` reviews; the forecast at every review.
    """
    from sop_xl.forecast import forecast, forecast_errors  # the inventory core stays light

    steps = lead_time + review_period
    covered, per_period, summed, dof, lead = [], [], [], [], []
    for i, t in enumerate(range(start, demand.size, review_period)):
        history = demand[:t]
        mean = forecast(history, steps, method=method, season_length=season_length).mean
        if i % refresh == 0:
            errors = forecast_errors(history, steps, method=method, season_length=season_length)
        covered.append(mean.sum())
        per_period.append(mean.mean())
        summed.append(errors.over(steps))
        dof.append(spread_dof(errors, steps))
        lead.append(errors.over(lead_time))
    return PlannedLevels(*(np.array(v) for v in (covered, per_period, summed, dof, lead)))


def order_up_to_levels(
    plan: PlannedLevels,
    *,
    lead_time: int,
    review_period: int = 1,
    service_level: float,
    method: str = "cycle",
) -> np.ndarray:
    """S at each review: forecast over L + R plus the safety stock for ``service_level``.

    ``fill_rate`` uses one review period's forecast demand as the order quantity.

    >>> plan = PlannedLevels(*np.array([[300.0], [100.0], [30.0], [5]]))
    >>> order_up_to_levels(plan, lead_time=2, service_level=0.95).round(1).tolist()
    [362.9]
    """
    steps = lead_time + review_period
    order = np.maximum(plan.per_period * review_period, 1e-9) if method == "fill_rate" else None
    stock = gamma_safety_stock(
        plan.per_period * steps,
        plan.summed_sd,
        plan.dof,
        service_level=service_level,
        method=method,
        order_qty=order,
        lead_mean=plan.per_period * lead_time,
        lead_sigma=plan.lead_sd,
    )
    return plan.covered + stock
