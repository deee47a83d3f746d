"""Step 3, supply plan: safety stock, reorder point, production, projected on-hand, coverage.

Per item, over the plan periods:

- **Safety stock** and **reorder point** d * (L + R) + SS (R = 0, service level per item or
  Settings), with d the mean consensus demand of the next 12 plan periods. Where the item's
  history allows, from the forecast's own errors (the uncertainty of the prediction
  intervals, one concept; issue 15): the forecast step measures each item's rolling-origin
  errors over its lead time (six origins over the last two years, the method kept fitted once
  and forwarded, :mod:`sop_xl.forecast.forward`), and
  :func:`sop_xl.inventory.forecast_items.with_item_errors` turns their spread summed over
  L + R, with lead-time variability, into SS (Student-t widening, gamma lead-time demand;
  :func:`sop_xl.inventory.uncertainty.forecast_safety_stock`); ``SigmaSource``
  ``forecast_errors``, ``Sigma`` the per-period standard deviation that gives the same SS in
  the normal formula. Other items (a family profile, no forecast, no demand ahead):
  SS = max(0, z * sqrt((L + R) * sigma^2 + d^2 * sd_L^2))
  (:func:`sop_xl.inventory.items.item_safety_stock`).
- **Which demand uncertainty (sigma)** for those: the forecast error, per period, because
  safety stock protects against what the plan gets wrong, not against swings it already
  foresees (seasons, trends, promotions). In order of preference:

  1. ``forecast_error``: the RMSE of lag-1 plans against actuals, from tblHistory snapshots
     (kind ``demand plan``, else ``forecast``), once an item has 6 pairs;
  2. ``holdout_mad``: 1.25 x the mean absolute error of this cycle's holdout forecast
     (HoldoutWAPE x mean actual over the holdout periods; 1.25 = sqrt(pi/2) turns a mean
     absolute deviation into a standard deviation for normal errors, Brown 1959);
  3. ``demand_sd``: the standard deviation of the item's demand history (new items).

- **Lead time** (issue 11): periods 1..ceil(LeadTime) + Settings ``FrozenPeriods`` of an item
  get no new production; only its open receipts (tblReceipts) arrive. End-of-life items are
  frozen over the whole horizon (no production) and get no safety stock.
- **Required**: the requirement per the Settings Strategy (chase or level; capacity = chase)
  from the next period on, ignoring capacity, the safety stock reached
  over Settings ``SafetyStockBuildPeriods`` periods (a linear ramp from what the frozen zone
  leaves), each period that produces makes at least the item's MOQ, rounded up to its LotSize
  (level produces in such campaigns; under capacity, a period's share of an overloaded
  resource may be less) (:func:`sop_xl.supply.production_plan_table`).
- **Production** (the plan): the requirement made capacity-feasible per resource and period
  (tblResources hours x (1 + Settings ``OvertimePct``)): pre-built up to Settings
  ``PrebuildPeriods`` periods early into free hours; what still does not fit is the
  **Shortfall** of the period it was due in, made up later when hours free up (backlog) or
  never. Scarce hours go by :func:`allocation_rank` (:mod:`sop_xl.supply.allocation`).
- **Backlog** (Settings ``Shortage`` = backlog, the default): demand not shipped is owed and
  shipped first when supply allows, starting from tblItems Backlog (blank = 0); with ``lost``
  it is lost. **Shipments** = min(on hand + receipts + production, backlog + demand): never
  more than what is on hand.
- **Projected on-hand** (net) I_t = I_(t-1) + receipts_t + production_t - demand_t from
  tblItems OnHand - Backlog (negative = backlog, a shortage; never below 0 with ``lost``), as
  ``sop_projected_inventory`` computes it with supply = receipts + production, and **days of
  supply** (forward coverage, Settings DaysPerPeriod).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, grid_of
from sop_xl.forecast.plan import error_matrices
from sop_xl.inventory.forecast_items import with_item_errors
from sop_xl.inventory.items import demand_variability, item_safety_stock
from sop_xl.supply import days_of_supply, production_plan_table
from sop_xl.workbook.schema import SUPPLY_MEASURES

MAD_TO_SD = 1.25
MEAN_PERIODS = 12


@dataclass(frozen=True)
class SupplyResult:
    """tblSupplyPlan, the policy per item and notes.

    Attributes
    ----------
    table : DataFrame
        tblSupplyPlan: Item, Measure, one column per plan period; one row per item and
        measure of :data:`~sop_xl.workbook.schema.SUPPLY_MEASURES`.
    policy : DataFrame
        Index Item: DemandMean, Sigma, SigmaSource, LeadTime, LeadTimeSD, ServiceLevel,
        SafetyStock, ReorderPoint.
    notes : list of str
    """

    table: pd.DataFrame
    policy: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def receipts_grid(inputs: CycleInputs) -> pd.DataFrame:
    """Open receipts per item and plan period (receipts before the cycle count as on hand
    already, so they are not added; receipts after the horizon are ignored)."""
    receipts = inputs.receipts.copy()
    receipts["label"] = [inputs.label(p) for p in receipts["period"]]
    grid = receipts.pivot_table(index="item", columns="label", values="qty", aggfunc="sum")
    return grid.reindex(index=inputs.items.index, columns=inputs.labels).fillna(0.0)


def lag1_plans(inputs: CycleInputs) -> pd.DataFrame | None:
    """Lag-1 plans from tblHistory (the plan each cycle made for its own first period)."""
    history = inputs.history
    if history.empty:
        return None
    for kind in ("demand plan", "forecast"):
        rows = history[(history["kind"] == kind) & (history["period"] == history["cycle"])]
        if not rows.empty:
            return rows[["item", "period", "qty"]]
    return None


def uncertainty(
    inputs: CycleInputs, demand: pd.DataFrame, forecast_table: pd.DataFrame
) -> pd.DataFrame:
    """Mean demand and sigma per item (see the module docstring for the order of sources)."""
    items = inputs.items.index
    actuals = inputs.actuals
    if actuals.empty:
        variability = pd.DataFrame({"mean": 0.0, "sd": 0.0, "sigma": 0.0,
                                    "sigma_source": "no demand"}, index=items)  # fmt: skip
    else:
        variability = demand_variability(actuals, forecasts=lag1_plans(inputs))
        variability = variability.reindex(items)
    holdout = int(inputs.settings["HoldoutPeriods"])
    if holdout and not actuals.empty and "HoldoutWAPE" in forecast_table.columns:
        wape = pd.Series(
            pd.to_numeric(forecast_table["HoldoutWAPE"], errors="coerce").to_numpy(),
            index=forecast_table["Item"].astype(str).str.strip(),
        ).reindex(items)
        last = actuals["period"].max()
        recent = actuals[actuals["period"] > inputs.grid.shift(last, -holdout)]
        mean_abs = recent["qty"].abs().groupby(recent["item"]).sum() / holdout
        mad = wape * mean_abs.reindex(items)
        use = (variability["sigma_source"] != "forecast_error") & mad.notna()
        variability.loc[use, "sigma"] = MAD_TO_SD * mad[use]
        variability.loc[use, "sigma_source"] = "holdout_mad"
    variability["sigma"] = variability["sigma"].fillna(0.0)
    variability["sigma_source"] = variability["sigma_source"].fillna("no demand")
    # the mean that the lead time consumes: the plan ahead, not the past
    variability["mean"] = demand.iloc[:, :MEAN_PERIODS].mean(axis=1).reindex(items)
    return variability


def supply_step(
    inputs: CycleInputs,
    demand_table: pd.DataFrame,
    forecast_table: pd.DataFrame,
    *,
    errors: pd.DataFrame | None = None,
) -> SupplyResult:
    """Supply plan of every item.

    Parameters
    ----------
    inputs : CycleInputs
    demand_table : DataFrame
        tblDemandPlan (from the demand step or the book).
    forecast_table : DataFrame
        tblForecast (its HoldoutWAPE gives the forecast error).
    errors : DataFrame or None, keyword-only
        Long ``item, origin, step, error``: the forecast's rolling-origin errors per item
        (:attr:`sop_xl.cycle.forecasting.ForecastResult.errors`); None = none (the sigma
        sources only).

    Returns
    -------
    SupplyResult
    """
    s = inputs.settings
    items = inputs.items
    labels = inputs.labels
    demand = grid_of(demand_table, "Item", labels).reindex(items.index).fillna(0.0)
    receipts = receipts_grid(inputs)
    variability = uncertainty(inputs, demand, forecast_table)
    policy = item_safety_stock(
        items.reset_index(), variability, service_level=float(s["ServiceLevel"])
    )
    if errors is not None and not errors.empty:
        policy = with_item_errors(policy, error_matrices(errors))
    eol = items["Status"] == "eol"
    policy.loc[eol, ["SafetyStock", "ReorderPoint"]] = 0.0
    opening = items["OnHand"].fillna(0.0)
    strategy = str(s["Strategy"]).lower()
    resource = items["Resource"].where(items["Resource"].isin(inputs.resources.index))
    frozen = float(s.get("FrozenPeriods") or 0)
    plan = production_plan_table(
        demand,
        opening,
        safety_stock=policy["SafetyStock"],
        strategy=strategy,
        lot_size=items["LotSize"].fillna(0.0),
        moq=items["MOQ"].fillna(0.0),
        resource=resource,
        hours_per_unit=items["HoursPerUnit"].fillna(0.0),
        capacity=inputs.resources,
        receipts=receipts,
        lead_time=items["LeadTime"].fillna(0.0),
        # an end-of-life item is frozen over the whole horizon: no new production
        frozen_periods=pd.Series(np.where(eol, len(labels), frozen), index=items.index),
        backlog=_opening_backlog(items),
        build_periods=int(s.get("SafetyStockBuildPeriods") or 1),
        shortage=str(s.get("Shortage") or "backlog"),
        prebuild_periods=int(
            s.get("PrebuildPeriods") if s.get("PrebuildPeriods") is not None else 3
        ),
        overtime=float(s.get("OvertimePct") or 0.0),
        priority=allocation_rank(items, forecast_table),
    )
    on_hand = plan.on_hand
    days = days_of_supply(
        on_hand.to_numpy(), demand.to_numpy(), days_per_period=float(s["DaysPerPeriod"])
    )
    safety = np.repeat(policy["SafetyStock"].to_numpy()[:, None], len(labels), axis=1)
    blocks = {
        "Demand": demand.to_numpy(),
        "Backlog": plan.shortage.to_numpy(),
        "Receipts": receipts.to_numpy(),
        "Required": plan.required.to_numpy(),
        "Production": plan.production.to_numpy(),
        "Shipments": plan.shipments.to_numpy(),
        "OnHand": on_hand.to_numpy(),
        "SafetyStock": safety,
        "Shortfall": plan.shortfall.to_numpy(),
        "DaysOfSupply": days,
    }
    n = len(items)
    stacked = np.stack([blocks[m] for m in SUPPLY_MEASURES], axis=1).reshape(-1, len(labels))
    table = pd.DataFrame(
        {"Item": np.repeat(items.index.to_numpy(), len(SUPPLY_MEASURES)),
         "Measure": np.tile(SUPPLY_MEASURES, n)}
    )  # fmt: skip
    # 4 decimals, not 1: rounded production would load a full resource above its hours
    values = pd.DataFrame(np.round(stacked, 4), columns=labels)
    table = pd.concat([table, values], axis=1)
    notes = []
    short = (on_hand < -1e-9).any(axis=1)
    if short.any():
        notes.append(
            f"{int(short.sum())} item(s) short in the plan: {', '.join(short.index[short][:8])}"
            + (" ..." if short.sum() > 8 else "")
        )
    lost = plan.lost.sum(axis=1)
    if (lost > 1e-6).any():
        notes.append(
            f"{lost.sum():,.0f} units of demand lost (Shortage = lost) on "
            f"{int((lost > 1e-6).sum())} item(s)"
        )
    short_made = plan.shortfall.sum(axis=1)
    if (short_made > 0.5).any():
        notes.append(
            f"capacity cannot make {short_made.sum():,.0f} units of the requirement in time "
            f"({int((short_made > 0.5).sum())} item(s)); {plan.unmet.sum():,.0f} stay unmade "
            "within the horizon. Scarce hours go to A items first, then B, C, then by gross "
            "margin per hour"
        )
    return SupplyResult(table=table, policy=policy, notes=notes)


ABC_RANK = {"A": 0, "B": 1, "C": 2}


def allocation_rank(items: pd.DataFrame, forecast_table: pd.DataFrame) -> pd.Series:
    """Rank of each item in the allocation of scarce hours (0 = served first).

    A items first, then B, then C, then items without a class (tblForecast ABC); within a
    class the highest gross margin per resource hour, (UnitPrice - UnitCost) / HoursPerUnit;
    then the order of tblItems.

    Examples
    --------
    >>> items = pd.DataFrame({"UnitPrice": [10.0, 10.0, 50.0], "UnitCost": [5.0, 2.0, 10.0],
    ...                       "HoursPerUnit": [1.0, 1.0, 1.0]}, index=["X", "Y", "Z"])
    >>> forecast = pd.DataFrame({"Item": ["X", "Y", "Z"], "ABC": ["A", "A", "B"]})
    >>> allocation_rank(items, forecast).tolist()
    [1, 0, 2]
    """
    abc = pd.Series(dtype=object)
    if "ABC" in forecast_table.columns and "Item" in forecast_table.columns:
        abc = pd.Series(forecast_table["ABC"].to_numpy(),
                        index=forecast_table["Item"].astype(str).str.strip())  # fmt: skip
    klass = abc.reindex(items.index).map(ABC_RANK).fillna(len(ABC_RANK)).to_numpy()
    hours = items["HoursPerUnit"].fillna(0.0).to_numpy(float)
    margin = (items["UnitPrice"].fillna(0.0) - items["UnitCost"].fillna(0.0)).to_numpy(float)
    with np.errstate(all="ignore"):
        per_hour = np.where(hours > 0, margin / np.where(hours > 0, hours, 1.0), np.inf)
    order = np.lexsort((np.arange(len(items)), -per_hour, klass))
    rank = np.empty(len(items), int)
    rank[order] = np.arange(len(items))
    return pd.Series(rank, index=items.index)


def _opening_backlog(items: pd.DataFrame) -> pd.Series:
    """tblItems Backlog (units owed at the start); blank or an absent column = 0."""
    if "Backlog" not in items.columns:
        return pd.Series(0.0, index=items.index)
    return items["Backlog"].fillna(0.0)
