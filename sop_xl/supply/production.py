"""Production plans: chase, level and capacity-constrained, with minimum quantities and lot sizes.

:func:`production_plan` plans one item (capacity in units per period);
:func:`production_plan_table` plans every item at once (one row per item, one column per
period) with capacity in hours per resource and period, shared by the items on a resource.
Both run the same engine, vectorised over items; only the periods are stepped through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.inventory.arrays import numbers, text_option
from sop_xl.supply.projection import _match, _opening, _rows

STRATEGIES = ("chase", "level", "capacity")
_ROUNDING = 1e-9  # lot counts within this of a whole number are that number
_CRUMB = 1e-9  # units: a need smaller than this is floating-point residue, not a need


@dataclass(frozen=True)
class ProductionPlan:
    """A production plan and what it leads to.

    Attributes
    ----------
    production : ndarray, Series or DataFrame
        Production per period [units/period].
    on_hand : ndarray, Series or DataFrame
        Projected ending on-hand per period [units]; negative = unmet demand (backlog).
    shortage : ndarray, Series or DataFrame
        Backlog at the end of each period, max(0, -on_hand) [units].
    unmet : float or Series
        Units the strategy needed but capacity could not provide (per item) [units].
    """

    production: Any
    on_hand: Any
    shortage: Any
    unmet: Any


def _lots(
    quantity: np.ndarray, lot: np.ndarray | None, moq: np.ndarray | None = None
) -> np.ndarray:
    """Raise each positive quantity to its minimum (MOQ), then round it up to a multiple of
    its lot size (0 = no minimum, no rounding). A need below :data:`_CRUMB` units is no need:
    floating-point residue must not trigger a whole MOQ."""
    if lot is None and moq is None:
        return quantity
    quantity = np.where(quantity > _CRUMB, quantity, 0.0)
    if moq is not None:
        quantity = np.where(quantity > 0, np.maximum(quantity, moq), quantity)
    if lot is None:
        return quantity
    with np.errstate(all="ignore"):
        count = np.ceil(quantity / lot - _ROUNDING)
        return np.where((lot > 0) & (quantity > 0), count * lot, quantity)


def _chase(
    demand: np.ndarray,
    opening: np.ndarray,
    stock: np.ndarray,
    lot: np.ndarray | None,
    moq: np.ndarray | None = None,
) -> np.ndarray:
    """P_t = max(0, demand_t + SS - I_(t-1)), raised to the MOQ and rounded up to lots,
    period by period."""
    production = np.zeros_like(demand)
    level = opening.copy()
    for t in range(demand.shape[1]):
        quantity = _lots(np.maximum(0.0, demand[:, t] + stock - level), lot, moq)
        production[:, t] = quantity
        level = level + quantity - demand[:, t]
    return production


def _level(
    demand: np.ndarray,
    opening: np.ndarray,
    stock: np.ndarray,
    lot: np.ndarray | None,
    moq: np.ndarray | None = None,
) -> np.ndarray:
    """The same quantity q every period so that the last period ends at SS (never below 0).

    With a lot size or an MOQ, production comes in campaigns: a period produces (a whole
    number of lots, at least the MOQ) only when cumulative production has fallen behind the
    level line q x periods, so the total stays within one campaign of the need instead of
    rounding every period up.
    """
    periods = demand.shape[1]
    quantity = np.maximum(0.0, (stock + demand.sum(axis=1) - opening) / periods)
    if lot is None and moq is None:
        return np.repeat(quantity[:, None], periods, axis=1)
    production = np.zeros_like(demand)
    made = np.zeros(demand.shape[0])
    for t in range(periods):
        production[:, t] = _lots(np.maximum(0.0, quantity * (t + 1) - made), lot, moq)
        made = made + production[:, t]
    return production


def _constrain(
    required: np.ndarray, codes: np.ndarray, hours: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fit required production into capacity, pre-building in the latest earlier periods.

    Periods are visited from last to first; what does not fit in a period is carried to the
    period before it. Items sharing an overloaded resource get the same share of their need
    (need = own requirement + carried), so the load equals the available hours. What is still
    carried before the first period is unmet. ``codes`` is the resource row of each item
    (-1 = unconstrained); ``hours`` the hours per unit; ``capacity`` resources x periods.
    """
    production = np.zeros_like(required)
    carry = np.zeros(required.shape[0])
    bound = (codes >= 0) & (hours > 0)
    for t in range(required.shape[1] - 1, -1, -1):
        need = required[:, t] + carry
        load = np.bincount(
            codes[bound], weights=hours[bound] * need[bound], minlength=capacity.shape[0]
        )
        with np.errstate(all="ignore"):
            share = np.where(load > capacity[:, t], capacity[:, t] / load, 1.0)
        made = need.copy()
        made[bound] = need[bound] * share[codes[bound]]
        production[:, t] = made
        carry = need - made
    return production, carry


def _result(production, demand, opening, unmet, flat, template, index=None) -> ProductionPlan:
    on_hand = opening[:, None] + np.cumsum(production - demand, axis=1)
    shortage = np.maximum(0.0, -on_hand)
    if isinstance(template, pd.DataFrame):

        def frame(values):
            return pd.DataFrame(values, index=template.index, columns=template.columns)

        return ProductionPlan(
            frame(production),
            frame(on_hand),
            frame(shortage),
            pd.Series(unmet, index=template.index, name="unmet"),
        )
    if flat:
        if isinstance(template, pd.Series):
            production, on_hand, shortage = (
                pd.Series(v[0], index=template.index) for v in (production, on_hand, shortage)
            )
            return ProductionPlan(production, on_hand, shortage, float(unmet[0]))
        return ProductionPlan(production[0], on_hand[0], shortage[0], float(unmet[0]))
    return ProductionPlan(production, on_hand, shortage, unmet)


def production_plan(
    demand: Any,
    opening: float,
    *,
    safety_stock: float = 0.0,
    strategy: str = "chase",
    capacity: Any = None,
    lot_size: float | None = None,
    moq: float | None = None,
) -> ProductionPlan:
    """Production per period for one item.

    Parameters
    ----------
    demand : array-like or Series
        Demand per period [units/period].
    opening : float
        On-hand before the first period, I_0 [units].
    safety_stock : float
        Stock to hold at the end of every period, SS [units], >= 0.
    strategy : {"chase", "level", "capacity"}
        Case-insensitive.
    capacity : float or array-like, optional
        Units that can be produced per period (one value or one per period), >= 0; required
        for ``capacity``, ignored by the other strategies.
    lot_size : float, optional
        Production comes in multiples of it [units], > 0.
    moq : float, optional
        Minimum production quantity [units], >= 0: a period that produces makes at least this
        much (then rounded up to the lot size).

    Returns
    -------
    ProductionPlan
        production, on_hand, shortage per period, and unmet units (a float).

    Notes
    -----
    - chase: P_t = max(0, demand_t + SS - I_(t-1)); with a lot size each P_t > 0 is rounded
      up to a multiple and chase continues from the higher inventory.
    - level: P = max(0, (SS + sum(demand) - I_0) / T) every period; backlog in between is
      allowed and shows in ``on_hand``. With a lot size or MOQ it produces in campaigns: a
      whole number of lots (at least the MOQ) whenever cumulative production falls behind
      P x periods.
    - MOQ: each P_t > 0 of chase is at least the MOQ (then rounded up to a lot); under
      ``capacity`` a period's share of scarce capacity may be less.
    - capacity: chase, then what exceeds capacity_t is built in the latest earlier periods
      with spare capacity (with a lot size, capacity counts in whole lots); what still does not
      fit is ``unmet`` and shows as negative ``on_hand``.

    Examples
    --------
    Chase needs [10, 80, 120]; with 60 per period, 60 + 20 units are pre-built earlier and
    30 stay unmet:

    >>> plan = production_plan([50, 80, 120], 40, strategy="capacity", capacity=60)
    >>> plan.production.tolist(), plan.on_hand.tolist(), plan.unmet
    ([60.0, 60.0, 60.0], [50.0, 30.0, -30.0], 30.0)
    >>> production_plan([50, 80, 120], 40, lot_size=25).production.tolist()
    [25.0, 75.0, 125.0]

    With a minimum of 100, the first period makes 100 instead of 10, which covers the second:

    >>> production_plan([50, 80, 120], 40, moq=100).production.tolist()
    [100.0, 0.0, 110.0]
    """
    need, flat = _rows(demand, "demand")
    if need.shape[0] != 1:
        raise SopError(f"demand must be a single row or column; got {need.shape[0]} rows")
    start = _opening(opening, 1)
    stock = _scalar(safety_stock, "safety_stock", minimum=0)
    lot = None if lot_size is None else np.array([_scalar(lot_size, "lot_size", positive=True)])
    least = None if moq is None else np.array([_scalar(moq, "moq", minimum=0)])
    strategy = text_option(strategy, "strategy", STRATEGIES)
    if strategy == "level":
        production = _level(need, start, np.array([stock]), lot, least)
        return _result(production, need, start, np.zeros(1), flat, demand)
    production = _chase(need, start, np.array([stock]), lot, least)
    unmet = np.zeros(1)
    if strategy == "capacity":
        if capacity is None:
            raise SopError("capacity is required for strategy 'capacity'; got a blank")
        limit = _match(_rows(capacity, "capacity", minimum=0)[0], "capacity", need.shape)
        if lot is not None:  # whole lots only
            limit = np.floor(limit / lot[0] + _ROUNDING) * lot[0]
        production, unmet = _constrain(production, np.zeros(1, int), np.ones(1), limit)
    return _result(production, need, start, unmet, flat, demand)


def _scalar(value: Any, name: str, **rules: Any) -> float:
    array = numbers(value, name, **rules)
    if array.size != 1:
        raise SopError(f"{name} must be a single number; got {array.size} values")
    return float(array.reshape(-1)[0])


def _per_item(value: Any, name: str, items: pd.Index, **rules: Any) -> np.ndarray:
    """An item attribute (scalar or Series by item) aligned to ``items``."""
    if isinstance(value, pd.Series):
        missing = items.difference(value.index)
        if len(missing):
            raise SopError(f"{name} has no value for item {show(missing[0])}")
        value = value.reindex(items)
    array = numbers(value, name, **rules)
    return np.broadcast_to(array.reshape(-1) if array.size == 1 else array, (len(items),))


def production_plan_table(
    demand: pd.DataFrame,
    opening: Any,
    *,
    safety_stock: Any = 0.0,
    strategy: str = "chase",
    lot_size: Any = None,
    moq: Any = None,
    resource: pd.Series | None = None,
    hours_per_unit: Any = None,
    capacity: pd.DataFrame | pd.Series | None = None,
) -> ProductionPlan:
    """Production per item and period for every item in one call.

    Parameters
    ----------
    demand : DataFrame
        One row per item (index = item), one column per period [units/period].
    opening, safety_stock : float or Series by item
        On-hand before the first period and safety stock [units].
    strategy : {"chase", "level", "capacity"}
    lot_size : float or Series by item, optional
        Lot size per item [units]; NaN or 0 = no lot size.
    moq : float or Series by item, optional
        Minimum production quantity per item [units]: a period that produces makes at least
        this much (then rounded up to the lot size); NaN or 0 = no minimum.
    resource : Series by item, optional
        The resource each item is made on; blank = unconstrained. Required for ``capacity``.
    hours_per_unit : float or Series by item, optional
        Resource hours per unit [h/unit], >= 0. Required for ``capacity``.
    capacity : DataFrame or Series, optional
        Available hours per resource (index) and period (columns as in ``demand``), or one
        value per resource for every period [h/period]. Required for ``capacity``.

    Returns
    -------
    ProductionPlan
        DataFrames like ``demand`` and ``unmet`` as a Series by item.

    Notes
    -----
    As :func:`production_plan`; capacity is in hours and shared: in a period where a resource
    is overloaded every item on it gets the same fraction of its need, and the rest is
    pre-built earlier. Lots are kept by chase and level; where capacity binds, the shared
    quantities need not be whole lots nor reach the MOQ.

    Examples
    --------
    >>> demand = pd.DataFrame([[10, 30], [20, 20]], index=["A", "B"], columns=["M1", "M2"])
    >>> plan = production_plan_table(demand, 0, strategy="capacity",
    ...     resource=pd.Series({"A": "R1", "B": "R1"}), hours_per_unit=1.0,
    ...     capacity=pd.Series({"R1": 40.0}))
    >>> plan.production.values.tolist()
    [[16.0, 24.0], [24.0, 16.0]]
    """
    if not isinstance(demand, pd.DataFrame):
        raise SopError("demand must be a table with one row per item and one column per period")
    need = numbers(demand, "demand")
    items = demand.index
    start = _per_item(opening, "opening", items).astype(float)
    stock = _per_item(safety_stock, "safety_stock", items, minimum=0)
    lot = None
    if lot_size is not None:
        lot = _per_item(lot_size, "lot_size", items, minimum=0, blank=0.0)
    least = None if moq is None else _per_item(moq, "moq", items, minimum=0, blank=0.0)
    strategy = text_option(strategy, "strategy", STRATEGIES)
    if strategy == "level":
        production = _level(need, start, stock, lot, least)
        return _result(production, need, start, np.zeros(len(items)), False, demand)
    production = _chase(need, start, stock, lot, least)
    unmet = np.zeros(len(items))
    if strategy == "capacity":
        for value, name in ((resource, "resource"), (hours_per_unit, "hours_per_unit")):
            if value is None:
                raise SopError(f"{name} is required for strategy 'capacity'; got a blank")
        if capacity is None:
            raise SopError("capacity is required for strategy 'capacity'; got a blank")
        hours = _per_item(hours_per_unit, "hours_per_unit", items, minimum=0)
        codes, limit = _resources(resource, items, capacity, demand.columns)
        production, unmet = _constrain(production, codes, hours, limit)
    return _result(production, need, start, unmet, False, demand)


def _resources(resource: pd.Series, items: pd.Index, capacity: Any, periods: pd.Index):
    """Resource row of each item (-1 = none) and the hours matrix resources x periods."""
    if isinstance(capacity, pd.Series):
        capacity = pd.DataFrame(
            np.repeat(capacity.to_numpy()[:, None], len(periods), axis=1),
            index=capacity.index,
            columns=periods,
        )
    if not isinstance(capacity, pd.DataFrame):
        raise SopError("capacity must be a table of hours by resource and period")
    missing = periods.difference(capacity.columns)
    if len(missing):
        raise SopError(f"capacity has no column for period {show(missing[0])}")
    capacity = capacity[periods]
    limit = numbers(capacity, "capacity", minimum=0)
    names = resource.reindex(items)
    filled = names.notna() & (names.astype(str).str.strip() != "")
    codes = np.full(len(items), -1)
    lookup = pd.Index(capacity.index).get_indexer(names[filled])
    if (lookup < 0).any():
        i = int(np.flatnonzero(lookup < 0)[0])
        item = names[filled].index[i]
        raise SopError(
            f"resource {show(names[filled].iloc[i])} of item {show(item)} is not in capacity"
        )
    codes[filled.to_numpy()] = lookup
    return codes, limit
