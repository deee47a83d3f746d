"""Pre-S&OP reconciliation: volume plan against supply, revenue against budget, margin.

Definitions (per period): sales = min(demand, supply); revenue = sales * price;
COGS = sales * unit_cost; gross margin = revenue - COGS; margin % = gross margin / revenue (0
when revenue is 0); gap = supply - demand (negative = shortage); gap to budget = revenue -
budget. A family and period without a budget has no budget (NaN, a blank cell) and no gap to
budget: a missing budget is never read as 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.inventory.arrays import numbers

LABELS = (
    "demand",
    "supply",
    "gap",
    "revenue",
    "budget",
    "gap to budget",
    "gross margin",
    "margin %",
)
TABLE_COLUMNS = (
    "Demand",
    "Supply",
    "Gap",
    "Revenue",
    "Budget",
    "GapToBudget",
    "COGS",
    "GrossMargin",
    "MarginPct",
)


def _period_values(value: Any, name: str, periods: int | None, **rules: Any) -> np.ndarray:
    array = numbers(value, name, **rules).reshape(-1)
    if array.size == 0:
        raise SopError(f"{name} has no numbers; got an empty range")
    if periods is not None and array.size not in (1, periods):
        raise SopError(f"lengths must match: demand has {periods} periods, {name} has {array.size}")
    return array


def _margin_pct(margin: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(revenue == 0, 0.0, margin / np.where(revenue == 0, 1.0, revenue))


def reconcile(demand: Any, supply: Any, price: Any, unit_cost: Any, budget: Any) -> pd.DataFrame:
    """Demand vs supply and revenue vs budget, per period.

    Parameters
    ----------
    demand : array-like
        Demand plan per period [units/period].
    supply : array-like
        Supply plan (production + receipts) per period, same length [units/period].
    price : float or array-like
        Unit price, one value or one per period [currency/unit], >= 0.
    unit_cost : float or array-like
        Unit cost, one value or one per period [currency/unit], >= 0.
    budget : float or array-like
        Revenue budget, one value or one per period [currency/period].

    Returns
    -------
    DataFrame
        Rows demand, supply, gap, revenue, budget, gap to budget, gross margin, margin %
        (a fraction); one column per period (0, 1, ...).

    Examples
    --------
    >>> table = reconcile([100, 120], [110, 100], 10, 6, [1000, 1300])
    >>> table.loc[["gap", "revenue", "gap to budget", "margin %"]].values.tolist()
    [[10.0, -20.0], [1000.0, 1000.0], [0.0, -300.0], [0.4, 0.4]]
    """
    need = _period_values(demand, "demand", None)
    periods = need.size
    made = _period_values(supply, "supply", periods)
    if made.size != periods:
        raise SopError(f"lengths must match: demand has {periods} periods, supply has {made.size}")
    unit_price = _period_values(price, "price", periods, minimum=0)
    cost = _period_values(unit_cost, "unit_cost", periods, minimum=0)
    plan = _period_values(budget, "budget", periods)
    sales = np.minimum(need, made)
    revenue = sales * unit_price
    margin = revenue - sales * cost
    rows = [
        need,
        made,
        made - need,
        revenue,
        np.broadcast_to(plan, (periods,)),
        revenue - plan,
        margin,
        _margin_pct(margin, revenue),
    ]
    return pd.DataFrame(np.vstack(rows), index=list(LABELS))


def reconcile_table(plan: pd.DataFrame, budget: pd.DataFrame | None = None) -> pd.DataFrame:
    """Reconciliation per family and period from an item-level plan, for the cycle runner.

    Parameters
    ----------
    plan : DataFrame
        Long, one row per item and period, columns ``family, period, demand, supply, price,
        unit_cost`` [units/period, currency/unit].
    budget : DataFrame, optional
        Columns ``family, period, revenue`` [currency/period]; a family and period without a
        row (or with a blank revenue) has no budget: Budget and GapToBudget are NaN there.

    Returns
    -------
    DataFrame
        One row per family and period: Family, Period, Demand, Supply, Gap, Revenue, Budget,
        GapToBudget, COGS, GrossMargin, MarginPct. Sales are min(demand, supply) per *item*, so
        one item's surplus does not hide another's shortage in the family revenue.

    Examples
    --------
    >>> plan = pd.DataFrame({"family": ["F", "F"], "period": ["2025-01", "2025-01"],
    ...     "demand": [10, 10], "supply": [15, 5], "price": [2.0, 2.0], "unit_cost": [1.0, 1.0]})
    >>> row = reconcile_table(plan).iloc[0]
    >>> row[["Gap", "Revenue", "GrossMargin"]].astype(float).tolist()
    [0.0, 30.0, 15.0]
    """
    needed = ("family", "period", "demand", "supply", "price", "unit_cost")
    missing = [c for c in needed if c not in plan.columns]
    if missing:
        raise SopError(f"plan must have columns {', '.join(needed)}; missing {show(missing)}")
    demand = numbers(plan["demand"], "demand")
    supply = numbers(plan["supply"], "supply")
    price = numbers(plan["price"], "price", minimum=0)
    cost = numbers(plan["unit_cost"], "unit_cost", minimum=0)
    sales = np.minimum(demand, supply)
    frame = pd.DataFrame(
        {
            "Family": plan["family"].to_numpy(),
            "Period": plan["period"].to_numpy(),
            "Demand": demand,
            "Supply": supply,
            "Revenue": sales * price,
            "COGS": sales * cost,
        }
    )
    out = frame.groupby(["Family", "Period"], sort=True, as_index=False).sum()
    out["Budget"] = np.nan
    if budget is not None:
        for col in ("family", "period", "revenue"):
            if col not in budget.columns:
                raise SopError(f"budget must have columns family, period, revenue; missing {col!r}")
        given = budget.dropna(subset=["revenue"])
        given = given.assign(revenue=numbers(given["revenue"], "budget"))  # no text, no inf
        amounts = given.groupby(["family", "period"])["revenue"].sum()
        keys = pd.MultiIndex.from_frame(out[["Family", "Period"]])
        out["Budget"] = amounts.reindex(keys).to_numpy(dtype=float)
    out["Gap"] = out["Supply"] - out["Demand"]
    out["GapToBudget"] = out["Revenue"] - out["Budget"]
    out["GrossMargin"] = out["Revenue"] - out["COGS"]
    out["MarginPct"] = _margin_pct(out["GrossMargin"].to_numpy(), out["Revenue"].to_numpy())
    return out[["Family", "Period", *TABLE_COLUMNS]]
