"""Production plans: chase, level and capacity-constrained, lead-time feasible, with backlog.

:func:`production_plan` plans one item (capacity in units per period);
:func:`production_plan_table` plans every item at once (one row per item, one column per
period) with capacity in hours per resource and period, shared by the items on a resource.
Both run the same engine, vectorised over items; only the periods are stepped through.

Definitions (DESIGN.md, "Supply"; issue 11), per item and period t = 1..T:

- **Frozen zone**: periods 1..F with F = ceil(lead time) + frozen periods get no new
  production; only the open receipts R_t arrive. New supply lands from period F + 1 on.
- **Net inventory** N_t = N_(t-1) + R_t + P_t - D_t with N_0 = on-hand - backlog at the start;
  N_t < 0 is a backlog (units owed). With ``shortage="lost"`` unshipped demand is lost
  instead: N_t = max(0, N_(t-1) + R_t + P_t - D_t).
- **Safety-stock ramp**: the target S_t rises linearly from S_0 = min(max(N_F, 0), SS) (what
  the frozen zone leaves) to SS over ``build_periods`` periods after the frozen zone:
  S_(F+k) = S_0 + (SS - S_0) * min(1, k / build_periods); 1 = at once.
- **chase**: P_t = max(0, D_t + S_t - N_(t-1) - R_t) after the frozen zone (N_(t-1) < 0: the
  backlog is caught up), raised to the MOQ and rounded up to lots.
- **Shipments** = min(on hand at the start of t + R_t + P_t, backlog owed + D_t): never more
  than what is on hand; the backlog is shipped first when supply allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.inventory.arrays import numbers, text_option
from sop_xl.supply import allocation
from sop_xl.supply.projection import _match, _opening, _rows

STRATEGIES = ("chase", "level", "capacity")
MAX_LEAD_TIME = 1_000
"""Longest lead time [periods] (83 years of months): more is a typo, refused by name."""
SHORTAGES = ("backlog", "lost")
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
        Projected ending net inventory per period, N_t [units]; negative = backlog (units
        owed to customers).
    shortage : ndarray, Series or DataFrame
        Backlog at the end of each period, max(0, -on_hand) [units].
    unmet : float or Series
        Units the strategy needed but capacity could not provide (per item) [units].
    required : ndarray, Series or DataFrame, optional
        The lead-time-feasible requirement of the strategy before capacity [units/period]
        (equal to ``production`` for chase and level).
    shipments : ndarray, Series or DataFrame, optional
        Units shipped per period: min(on hand + receipts + production, backlog + demand).
    lost : ndarray, Series or DataFrame, optional
        Demand lost per period (``shortage="lost"``; zeros with backlog) [units/period].
    shortfall : ndarray, Series or DataFrame, optional
        The part of the requirement due in each period that capacity could not make in time
        [units] (:mod:`sop_xl.supply.allocation`); zeros without capacity.
    """

    production: Any
    on_hand: Any
    shortage: Any
    unmet: Any
    required: Any = None
    shipments: Any = None
    lost: Any = None
    shortfall: Any = None


@dataclass(frozen=True)
class _Item:
    """The per-item inputs of the engine, as arrays (items x periods or one per item)."""

    demand: np.ndarray
    receipts: np.ndarray
    start: np.ndarray  # N_0 = on-hand - backlog
    owed: np.ndarray  # backlog at the start (shipped first from the opening on-hand)
    stock: np.ndarray  # SS
    free: np.ndarray  # index of the first period that may produce (= F)
    build: int  # periods over which SS is reached, >= 1
    lost: bool  # shortage = lost


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


def _step(level: np.ndarray, flow: np.ndarray, lost: bool) -> np.ndarray:
    """Net inventory after one period's ``flow`` (receipts + production - demand)."""
    level = level + flow
    return np.maximum(level, 0.0) if lost else level


def _chase(item: _Item, lot: np.ndarray | None, moq: np.ndarray | None = None) -> np.ndarray:
    """P_t = max(0, D_t + S_t - N_(t-1) - R_t) after the frozen zone (S_t the ramped safety
    stock), raised to the MOQ and rounded up to lots, period by period."""
    demand, receipts = item.demand, item.receipts
    production = np.zeros_like(demand)
    level = item.start.copy()
    base = np.zeros_like(level)
    for t in range(demand.shape[1]):
        base = np.where(item.free == t, np.clip(level, 0.0, item.stock), base)
        share = np.clip((t - item.free + 1) / item.build, 0.0, 1.0)
        target = base + (item.stock - base) * share
        need = np.maximum(0.0, demand[:, t] + target - level - receipts[:, t])
        quantity = np.where(t >= item.free, _lots(need, lot, moq), 0.0)
        production[:, t] = quantity
        level = _step(level, receipts[:, t] + quantity - demand[:, t], item.lost)
    return production


def _level(item: _Item, lot: np.ndarray | None, moq: np.ndarray | None = None) -> np.ndarray:
    """The same quantity q every period after the frozen zone, so that the last period ends
    at SS (never below 0): q = max(0, (SS + sum D - sum R - N_0) / (T - F)).

    With a lot size or an MOQ, production comes in campaigns: a period produces (a whole
    number of lots, at least the MOQ) only when cumulative production has fallen behind the
    level line q x periods, so the total stays within one campaign of the need instead of
    rounding every period up.
    """
    demand = item.demand
    periods = demand.shape[1]
    left = np.maximum(periods - item.free, 0)
    total = item.stock + demand.sum(axis=1) - item.receipts.sum(axis=1) - item.start
    with np.errstate(all="ignore"):
        quantity = np.where(left > 0, np.maximum(0.0, total) / np.maximum(left, 1), 0.0)
    steps = np.arange(periods)[None, :] - item.free[:, None] + 1  # 1 in the first free period
    if lot is None and moq is None:
        return np.where(steps > 0, quantity[:, None], 0.0)
    production = np.zeros_like(demand)
    made = np.zeros(demand.shape[0])
    for t in range(periods):
        line = quantity * np.maximum(steps[:, t], 0)
        production[:, t] = np.where(
            steps[:, t] > 0, _lots(np.maximum(0.0, line - made), lot, moq), 0.0
        )
        made = made + production[:, t]
    return production


def _flows(production: np.ndarray, item: _Item) -> dict[str, np.ndarray]:
    """On hand (net), backlog, shipments and lost demand of a production plan.

    Shipments_t = max(0, min(on hand_(t-1) + R_t + P_t, backlog_(t-1) + D_t)); with
    backlog N_t = N_(t-1) + R_t + P_t - D_t, with lost sales N_t never goes below 0 and
    what is not shipped is lost.
    """
    demand, receipts = item.demand, item.receipts
    flow = receipts + production - demand
    if item.lost:
        on_hand = np.zeros_like(demand)
        level = item.start.copy()
        for t in range(demand.shape[1]):
            level = np.maximum(level + flow[:, t], 0.0)
            on_hand[:, t] = level
    else:  # one cumulative sum, as projected_inventory, so the two agree to the last bit
        on_hand = item.start[:, None] + np.cumsum(flow, axis=1)
    # at the start on hand and backlog may both be > 0; after a period one of them is 0
    stock = np.concatenate([(item.start + item.owed)[:, None], on_hand[:, :-1]], axis=1)
    owing = np.concatenate([item.owed[:, None], -on_hand[:, :-1]], axis=1)
    available = np.maximum(stock, 0.0) + receipts + production
    owed = np.maximum(owing, 0.0) + demand
    shipments = np.maximum(0.0, np.minimum(available, owed))
    lost = np.maximum(0.0, owed - shipments) if item.lost else np.zeros_like(demand)
    return {
        "production": production,
        "on_hand": on_hand,
        "shortage": np.where(on_hand < 0, -on_hand, 0.0),
        "shipments": shipments,
        "lost": lost,
    }


_FRAMES = ("production", "on_hand", "shortage", "required", "shipments", "lost", "shortfall")


def _result(
    production: np.ndarray,
    required: np.ndarray,
    item: _Item,
    unmet: np.ndarray,
    shortfall: np.ndarray,
    flat: bool,
    template: Any,
) -> ProductionPlan:
    grids = _flows(production, item) | {"required": required, "shortfall": shortfall}
    if isinstance(template, pd.DataFrame):
        frames = {
            k: pd.DataFrame(grids[k], index=template.index, columns=template.columns)
            for k in _FRAMES
        }
        return ProductionPlan(**frames, unmet=pd.Series(unmet, index=template.index, name="unmet"))
    if flat:
        if isinstance(template, pd.Series):
            rows = {k: pd.Series(grids[k][0], index=template.index) for k in _FRAMES}
        else:
            rows = {k: grids[k][0] for k in _FRAMES}
        return ProductionPlan(**rows, unmet=float(unmet[0]))
    return ProductionPlan(**{k: grids[k] for k in _FRAMES}, unmet=unmet)


def _free_periods(lead_time: np.ndarray, frozen: np.ndarray) -> np.ndarray:
    """F = ceil(lead time) + frozen periods (a lead time within 1e-9 of a whole number is
    that number); at most 2 * MAX_LEAD_TIME, so the whole number never overflows."""
    free = np.ceil(lead_time - _ROUNDING) + frozen
    return np.clip(free, 0, 2 * MAX_LEAD_TIME).astype(int)


@dataclass(frozen=True)
class _Capacity:
    """Capacity inputs of the engine: resource row per item (-1 = none), hours per unit,
    hours per resource and period, pre-build periods (None = any), overtime share, and the
    rank of each item in the allocation rule (0 = served first)."""

    codes: np.ndarray
    hours: np.ndarray
    limit: np.ndarray
    prebuild: int | None = None
    overtime: float = 0.0
    priority: np.ndarray | None = None


def _fit(required: np.ndarray, item: _Item, capacity: _Capacity) -> allocation.Fitted:
    """The requirement made capacity-feasible (:mod:`sop_xl.supply.allocation`)."""
    n, periods = required.shape
    rank = capacity.priority if capacity.priority is not None else np.arange(n)
    allocator = allocation.Allocator(capacity.codes, capacity.hours, np.asarray(rank))
    limit = capacity.limit * (1.0 + capacity.overtime)
    prebuild = periods if capacity.prebuild is None else min(int(capacity.prebuild), periods)
    production, shortfall = allocation.prebuild_pass(
        required, allocator, limit, item.free, prebuild
    )
    path = _flows(required, item)["on_hand"]
    ahead = np.cumsum(production - required + shortfall, axis=1)
    target = np.concatenate([item.start[:, None], path + ahead], axis=1)

    def flows(level: np.ndarray, t: int, made: np.ndarray) -> np.ndarray:
        return _step(level, item.receipts[:, t] + made - item.demand[:, t], item.lost)

    extra = allocation.catch_up_pass(production, target, flows, allocator, limit, item.free)
    return allocation.Fitted(production + extra, shortfall, extra)


def _plan(
    item: _Item,
    strategy: str,
    lot: np.ndarray | None,
    moq: np.ndarray | None,
    capacity: _Capacity | None,
    flat: bool,
    template: Any,
) -> ProductionPlan:
    """The engine shared by both entry points: requirement, capacity, then the flows."""
    n = item.demand.shape[0]
    if strategy == "level":
        required = _level(item, lot, moq)
    else:
        required = _chase(item, lot, moq)
    production, unmet, shortfall = required, np.zeros(n), np.zeros_like(required)
    if capacity is not None:
        fitted = _fit(required, item, capacity)
        production, unmet, shortfall = fitted.production, fitted.unmet, fitted.shortfall
    return _result(production, required, item, unmet, shortfall, flat, template)


def production_plan(
    demand: Any,
    opening: float,
    *,
    safety_stock: float = 0.0,
    strategy: str = "chase",
    capacity: Any = None,
    lot_size: float | None = None,
    moq: float | None = None,
    lead_time: float = 0.0,
    receipts: Any = None,
    backlog: float = 0.0,
    build_periods: int = 1,
    shortage: str = "backlog",
) -> ProductionPlan:
    """Production per period for one item.

    Parameters
    ----------
    demand : array-like or Series
        Demand per period [units/period].
    opening : float
        On-hand before the first period [units].
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
    lead_time : float
        Replenishment lead time [periods], >= 0: periods 1..ceil(lead_time) get no production.
    receipts : array-like, optional
        Open orders arriving per period [units/period], >= 0 (blank = 0).
    backlog : float
        Units owed to customers at the start [units], >= 0.
    build_periods : int
        Periods after the lead time over which the safety stock is reached, >= 1 (1 = at once).
    shortage : {"backlog", "lost"}
        Whether unshipped demand is owed (and shipped first when supply allows) or lost.

    Returns
    -------
    ProductionPlan
        production, on_hand (net, negative = backlog), shortage, required, shipments, lost per
        period, and unmet units (a float).

    Notes
    -----
    See the module docstring for the frozen zone, the safety-stock ramp and shipments.

    - chase: P_t = max(0, demand_t + S_t - N_(t-1) - R_t); with a lot size each P_t > 0 is
      rounded up to a multiple and chase continues from the higher inventory.
    - level: P = max(0, (SS + sum(demand) - sum(receipts) - N_0) / (T - F)) every period after
      the frozen zone; backlog in between is allowed and shows in ``on_hand``. With a lot size
      or MOQ it produces in campaigns: a whole number of lots (at least the MOQ) whenever
      cumulative production falls behind P x periods.
    - MOQ: each P_t > 0 of chase is at least the MOQ (then rounded up to a lot); under
      ``capacity`` a period's share of scarce capacity may be less.
    - capacity: chase, then what exceeds capacity_t is built in the latest earlier periods
      with spare capacity, never inside the lead time (with a lot size, capacity counts in
      whole lots); what still does not fit is ``unmet`` and shows as negative ``on_hand``.

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

    A 3-period lead time: nothing arrives before period 4, which catches up the backlog of 300:

    >>> plan = production_plan([100] * 6, 0, lead_time=3)
    >>> plan.production.tolist(), plan.shipments.tolist()
    ([0.0, 0.0, 0.0, 400.0, 100.0, 100.0], [0.0, 0.0, 0.0, 400.0, 100.0, 100.0])
    """
    need, flat = _rows(demand, "demand")
    if need.shape[0] != 1:
        raise SopError(f"demand must be a single row or column; got {need.shape[0]} rows")
    stock = _scalar(safety_stock, "safety_stock", minimum=0)
    lot = None if lot_size is None else np.array([_scalar(lot_size, "lot_size", positive=True)])
    least = None if moq is None else np.array([_scalar(moq, "moq", minimum=0)])
    strategy = text_option(strategy, "strategy", STRATEGIES)
    lead = _scalar(lead_time, "lead_time", minimum=0, maximum=MAX_LEAD_TIME)
    incoming = np.zeros_like(need)
    if receipts is not None:
        incoming = _match(_rows(receipts, "receipts", blank=0.0, minimum=0)[0], "receipts",
                          need.shape)  # fmt: skip
    owed = _scalar(backlog, "backlog", minimum=0)
    item = _Item(
        demand=need,
        receipts=incoming,
        start=_opening(opening, 1) - owed,
        owed=np.array([owed]),
        stock=np.array([stock]),
        free=_free_periods(np.array([lead]), np.zeros(1)),
        build=_build(build_periods),
        lost=text_option(shortage, "shortage", SHORTAGES) == "lost",
    )
    constrained = None
    if strategy == "capacity":
        if capacity is None:
            raise SopError("capacity is required for strategy 'capacity'; got a blank")
        limit = _match(_rows(capacity, "capacity", minimum=0)[0], "capacity", need.shape)
        if lot is not None:  # whole lots only
            limit = np.floor(limit / lot[0] + _ROUNDING) * lot[0]
        constrained = _Capacity(np.zeros(1, int), np.ones(1), limit)
    return _plan(item, strategy, lot, least, constrained, flat, demand)


def _build(value: Any) -> int:
    """Safety-stock build periods as a whole number >= 1 (0 counts as 1: at once)."""
    number = _scalar(value, "build_periods", minimum=0)
    if number != math.floor(number):
        raise SopError(f"build_periods must be a whole number; got {show(value)}")
    return max(1, int(number))


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
    receipts: pd.DataFrame | None = None,
    lead_time: Any = 0.0,
    frozen_periods: Any = 0,
    backlog: Any = 0.0,
    build_periods: int = 1,
    shortage: str = "backlog",
    prebuild_periods: int | None = None,
    overtime: float = 0.0,
    priority: pd.Series | None = None,
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
    receipts : DataFrame, optional
        Open orders per item and period, like ``demand`` [units/period]; blank = 0.
    lead_time, frozen_periods : float or Series by item
        Lead time [periods] and further frozen periods, >= 0: periods 1..ceil(lead time) +
        frozen get no production (only receipts).
    backlog : float or Series by item
        Units owed to customers at the start, >= 0 (NaN = 0).
    build_periods : int
        Periods after the frozen zone over which the safety stock is reached (1 = at once).
    shortage : {"backlog", "lost"}
    prebuild_periods : int, optional
        Periods production may move earlier than it is due into free capacity (None = any).
    overtime : float
        Share of extra hours every resource may work, 0 <= overtime <= 1.
    priority : Series by item, optional
        Rank of each item in the allocation rule (lower = served first); blank = item order.

    Returns
    -------
    ProductionPlan
        DataFrames like ``demand`` and ``unmet`` as a Series by item. ``required`` is the
        strategy's requirement ignoring capacity; ``production`` the capacity-feasible plan;
        ``shortfall`` what capacity could not make in time.

    Notes
    -----
    As :func:`production_plan`. When ``resource``, ``hours_per_unit`` and ``capacity`` are
    given, the plan fits every strategy's requirement into the hours of each resource (for
    ``capacity`` they are required; ``capacity`` plans as chase): pre-builds, shortfall,
    catch-up and the allocation rule between items as in :mod:`sop_xl.supply.allocation`.
    Lots are kept by chase and level; where capacity binds, the quantities need not be whole
    lots nor reach the MOQ.

    Examples
    --------
    A is served first; B's 10 units that do not fit in M2 are pre-built in M1:

    >>> demand = pd.DataFrame([[10, 30], [20, 20]], index=["A", "B"], columns=["M1", "M2"])
    >>> plan = production_plan_table(demand, 0, strategy="capacity",
    ...     resource=pd.Series({"A": "R1", "B": "R1"}), hours_per_unit=1.0,
    ...     capacity=pd.Series({"R1": 40.0}))
    >>> plan.production.values.tolist()
    [[10.0, 30.0], [30.0, 10.0]]
    """
    if not isinstance(demand, pd.DataFrame):
        raise SopError("demand must be a table with one row per item and one column per period")
    need = numbers(demand, "demand")
    items = demand.index
    incoming = np.zeros_like(need)
    if receipts is not None:
        if not isinstance(receipts, pd.DataFrame):
            raise SopError("receipts must be a table like demand (items x periods)")
        frame = receipts.reindex(index=items, columns=demand.columns)
        incoming = numbers(frame, "receipts", minimum=0, blank=0.0)
    lot = None
    if lot_size is not None:
        lot = _per_item(lot_size, "lot_size", items, minimum=0, blank=0.0)
    owed = np.asarray(_per_item(backlog, "backlog", items, minimum=0, blank=0.0), dtype=float)
    item = _Item(
        demand=need,
        receipts=incoming,
        start=_per_item(opening, "opening", items).astype(float) - owed,
        owed=owed,
        stock=_per_item(safety_stock, "safety_stock", items, minimum=0),
        free=_free_periods(
            _per_item(lead_time, "lead_time", items, minimum=0, maximum=MAX_LEAD_TIME, blank=0.0),
            _per_item(frozen_periods, "frozen_periods", items, minimum=0, blank=0.0),
        ),
        build=_build(build_periods),
        lost=text_option(shortage, "shortage", SHORTAGES) == "lost",
    )
    least = None if moq is None else _per_item(moq, "moq", items, minimum=0, blank=0.0)
    strategy = text_option(strategy, "strategy", STRATEGIES)
    given = {"resource": resource, "hours_per_unit": hours_per_unit, "capacity": capacity}
    if strategy == "capacity":
        for name, value in given.items():
            if value is None:
                raise SopError(f"{name} is required for strategy 'capacity'; got a blank")
    constrained = None
    if all(value is not None for value in given.values()):
        hours = _per_item(hours_per_unit, "hours_per_unit", items, minimum=0)
        codes, limit = _resources(resource, items, capacity, demand.columns)
        extra = _scalar(overtime, "overtime", minimum=0, maximum=1)
        rank = None
        if priority is not None:
            rank = _per_item(priority, "priority", items, minimum=0).astype(float)
        if prebuild_periods is not None:
            prebuild_periods = int(_scalar(prebuild_periods, "prebuild_periods", minimum=0))
        constrained = _Capacity(codes, hours, limit, prebuild_periods, extra, rank)
    return _plan(item, strategy, lot, least, constrained, False, demand)


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
