"""S&OP key performance indicators: one pure function per formula.

Inputs are plain numbers, arrays or pandas objects (totals over items and periods are taken
here, so the caller passes grids as they come); outputs are floats, shares as fractions. A
ratio whose denominator is 0 is NaN (undefined), never inf.

References: the S&OP metrics list (total sales, sales forecast vs actual, gross margin, working
capital, inventory turnover, capacity utilization, cycle times, production forecast) and
DESIGN.md "Definitions".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sop_xl.errors import SopError
from sop_xl.forecast import metrics


@dataclass(frozen=True)
class KPI:
    """One indicator as the KPI table shows it.

    Attributes
    ----------
    name : str
    value, target : float
        NaN = not available.
    unit : str
        ``%`` (value a fraction), a currency, ``days``, ``units``, ``h``, ``x`` or a count noun.
    definition : str
        How the value is computed, in one line.
    higher_is_better : bool
    tolerance : float
        Share of the target within which the status is ``watch`` rather than ``off target``.
    absolute : bool
        Compare the size of the value (bias: within plus or minus the target).
    fixed_target : bool
        The target is a policy the user may overwrite (kept from the table on the next run);
        otherwise it follows the data (a budget) and is recomputed every run.
    """

    name: str
    value: float
    target: float
    unit: str
    definition: str
    higher_is_better: bool = True
    tolerance: float = 0.1
    absolute: bool = False
    fixed_target: bool = True


def _total(values: Any) -> float:
    array = np.asarray(values, dtype=float)
    return float(np.nansum(array))


def ratio(numerator: Any, denominator: Any) -> float:
    """sum(numerator) / sum(denominator); NaN when the denominator sums to 0.

    >>> ratio([1, 2], [2, 4])
    0.5
    >>> ratio([1.0], [0.0])
    nan
    """
    den = _total(denominator)
    return _total(numerator) / den if den != 0 else float("nan")


def wape(actual: Any, forecast: Any) -> float:
    """Weighted absolute percentage error, :func:`sop_xl.forecast.metrics.wape`; NaN where it
    is undefined (every actual 0 but not every forecast), so that a KPI shows a blank.

    >>> wape([100, 200], [90, 230])
    0.13333333333333333
    >>> wape([0.0], [5.0])
    nan
    """
    return _where_defined(metrics.wape, actual, forecast)


def bias(actual: Any, forecast: Any) -> float:
    """sum(F - A) / sum|A| (positive = over-forecast), :func:`sop_xl.forecast.metrics.bias`;
    NaN where it is undefined.

    >>> bias([100, 200], [90, 230])
    0.06666666666666667
    """
    return _where_defined(metrics.bias, actual, forecast)


def _where_defined(metric: Any, actual: Any, forecast: Any) -> float:
    try:
        return metric(np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float))
    except SopError:
        return float("nan")


def inventory_turnover(cogs: Any, inventory_value: Any) -> float:
    """Turns: COGS over the periods / average inventory value over them [x].

    Parameters
    ----------
    cogs : array-like
        Cost of goods sold per period (any grid; it is summed) [currency].
    inventory_value : array-like, 1-D
        Inventory value per period (one total per period) [currency].

    >>> inventory_turnover([100, 100, 100, 100], [50, 50, 150, 150])
    4.0
    """
    average = float(np.nanmean(np.asarray(inventory_value, dtype=float)))
    return _total(cogs) / average if average > 0 else float("nan")


def working_capital(
    inventory_value: Any,
    revenue: Any,
    cogs: Any,
    dso: float = 45.0,
    dpo: float = 30.0,
    days_per_period: float = 30.0,
) -> np.ndarray:
    """Working capital per period: inventory + receivables - payables [currency].

    WC_t = inventory_value_t + revenue_t * DSO / days_per_period - COGS_t * DPO / days_per_period
    (DESIGN.md "Finance and reconciliation"); the arguments broadcast (one value for every
    period, or one per period).

    >>> working_capital([1000.0, 1200.0], [600.0, 600.0], [300.0, 360.0]).tolist()
    [1600.0, 1740.0]
    """
    if dso < 0 or dpo < 0:
        raise SopError(f"dso and dpo must be >= 0; got {dso:g} and {dpo:g}")
    if days_per_period <= 0:
        raise SopError(f"days_per_period must be above 0; got {days_per_period:g}")
    inventory = np.asarray(inventory_value, dtype=float)
    sales = np.asarray(revenue, dtype=float)
    cost = np.asarray(cogs, dtype=float)
    return inventory + sales * dso / days_per_period - cost * dpo / days_per_period


def fill_rate(shipped: Any, demand: Any) -> float:
    """Share of demand served in its period: sum shipped / sum demand.

    >>> fill_rate([90, 100], [100, 100])
    0.95
    """
    return ratio(shipped, demand)


def utilization(load: Any, available: Any) -> float:
    """Capacity used: sum load / sum available hours.

    >>> utilization([80, 120], [100, 100])
    1.0
    """
    return ratio(load, available)


def overload_hours(load: Any, available: Any) -> float:
    """Hours above the available ones, summed over resources and periods [h].

    >>> overload_hours([80, 120], [100, 100])
    20.0
    """
    load, available = np.asarray(load, dtype=float), np.asarray(available, dtype=float)
    if load.shape != available.shape:
        raise SopError(f"load and available must have the same shape; got {load.shape} and "
                       f"{available.shape}")  # fmt: skip
    return float(np.nansum(np.maximum(load - available, 0.0)))


def weighted_mean(values: Any, weights: Any) -> float:
    """sum(w * x) / sum(w) (e.g. cycle time weighted by production).

    >>> weighted_mean([2, 10], [3, 1])
    4.0
    """
    x, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(w))
    return ratio(x[keep] * w[keep], w[keep])


def margin_share(revenue: Any, cogs: Any) -> float:
    """Gross margin % = (revenue - COGS) / revenue.

    >>> margin_share([100, 300], [60, 180])
    0.4
    """
    rev = _total(revenue)
    return (rev - _total(cogs)) / rev if rev != 0 else float("nan")
