"""Step 7, KPIs: the indicators of the executive meeting and the totals behind its charts.

Every metric of the S&OP metrics list (total sales, sales forecast vs actual, gross margin,
working capital, inventory turnover, capacity utilization, cycle times, production forecast)
plus forecast error (WAPE), bias, forecast value added, days of supply and the projected
fill rate. History figures use the last year of actual periods (or the holdout periods, for
the forecast measures); plan figures the first year of plan periods ("next 12 months"): a
year is the grid's ``per_year`` periods, 12 months or 52 weeks, and "next 3 months" a quarter
of it (3 months, 13 weeks).

Targets: policy targets (accuracy, turnover, utilization, ...) have defaults below and are kept
from tblKPIs when a user typed another number; targets that follow the data (the budget) are
recomputed every run. A budget target covers the same family periods as its value: when a
family sells in a period of the window without a budget row, the target is blank and the
definition names the missing cells (``no budget for Kitchen in 2027-07``), never a budget of 0
or of fewer months than the value. Status is a cell formula (value against target), so a
changed target recolours at once in Excel.

tblKPITrend: one row per period, the last year of actual periods then the plan: Actual (units), the
Forecast (the holdout forecast over the holdout periods, with items that have no holdout at
their actuals, then the consensus demand), projected OnHand (positive stock) and SafetyStock,
capacity Utilization of the busiest resource in each period (an average over resources would
hide the one that is full), Revenue (actual, then plan) and Budget (blank in a period without a
budget, see :func:`sop_xl.cycle.finance.period_budget`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_xl.cycle.finance import (
    ItemFlows,
    budget_grid,
    families_of,
    family_money,
    missing_budget,
    missing_budget_text,
    period_budget,
)
from sop_xl.cycle.inputs import CycleInputs, grid_of
from sop_xl.kpi import (
    KPI,
    bias,
    fill_rate,
    inventory_turnover,
    margin_share,
    overload_hours,
    ratio,
    wape,
    weighted_mean,
)
from sop_xl.supply import days_of_supply
from sop_xl.workbook import schema


def year_of(inputs: CycleInputs) -> int:
    """Periods in a year on the plan's grid: 12 months or 52 weeks."""
    return inputs.grid.per_year


def quarter_of(inputs: CycleInputs) -> int:
    """Periods in a quarter on the plan's grid: 3 months or 13 weeks."""
    return inputs.grid.per_year // 4


@dataclass(frozen=True)
class KPIResult:
    """tblKPIs and tblKPITrend."""

    table: pd.DataFrame
    trend: pd.DataFrame
    kpis: tuple[KPI, ...]


def _actual_revenue(inputs: CycleInputs, periods: list[pd.Timestamp]) -> pd.Series:
    actuals = inputs.actuals[inputs.actuals["period"].isin(periods)]
    price = inputs.items["UnitPrice"].fillna(0.0)
    revenue = actuals["qty"] * actuals["item"].map(price).fillna(0.0).to_numpy()
    return revenue.groupby(actuals["period"]).sum().reindex(periods).fillna(0.0)


def _actual_cogs(inputs: CycleInputs, periods: list[pd.Timestamp]) -> float:
    actuals = inputs.actuals[inputs.actuals["period"].isin(periods)]
    cost = inputs.items["UnitCost"].fillna(0.0)
    return float((actuals["qty"] * actuals["item"].map(cost).fillna(0.0)).sum())


def _family_revenue(inputs: CycleInputs, periods: list[pd.Timestamp]) -> pd.DataFrame:
    """Actual revenue as families x period labels [currency]."""
    actuals = inputs.actuals[inputs.actuals["period"].isin(periods)]
    items = inputs.items
    revenue = actuals["qty"] * actuals["item"].map(items["UnitPrice"].fillna(0.0)).fillna(0.0)
    frame = pd.DataFrame(
        {
            "family": actuals["item"].map(items["Family"]).to_numpy(),
            "label": [inputs.label(p) for p in actuals["period"]],
            "revenue": revenue.to_numpy(),
        }
    )
    grid = frame.pivot_table(index="family", columns="label", values="revenue", aggfunc="sum")
    labels = [inputs.label(p) for p in periods]
    return grid.reindex(index=families_of(inputs), columns=labels).fillna(0.0)


def budget_target(budget: pd.DataFrame, revenue: pd.DataFrame) -> tuple[float, str]:
    """The budget over a window as a target for the revenue over it [currency], and a note.

    Parameters
    ----------
    budget, revenue : DataFrame
        Families x period labels of the window; budget NaN where no budget row exists.

    Returns
    -------
    target : float
        The sum of the budget; NaN when there is none, or when a family sells in a period
        without a budget (the target would cover fewer months than the value).
    note : str
        ``no budget for F in P`` for those cells, else blank.

    Examples
    --------
    >>> budget = pd.DataFrame([[100.0, float("nan")]], index=["F"], columns=["2027-06", "2027-07"])
    >>> budget_target(budget, budget.fillna(80.0))
    (nan, 'no budget for F in 2027-07')
    >>> budget_target(budget, budget.fillna(0.0))
    (100.0, '')
    """
    missing = missing_budget(budget, revenue)
    if missing.to_numpy().any():
        return float("nan"), missing_budget_text(missing)
    if budget.isna().to_numpy().all():
        return float("nan"), ""
    return float(np.nansum(budget.to_numpy())), ""


def _target_note(definition: str, note: str) -> str:
    return f"{definition}; no target: {note}" if note else definition


def last_periods(inputs: CycleInputs, count: int) -> list[pd.Timestamp]:
    """The last ``count`` periods with actuals (the grid, not only periods with rows)."""
    if inputs.actuals.empty:
        return []
    end = inputs.actuals["period"].max()
    grid = pd.date_range(end=end, periods=count, freq=inputs.grid.freq)
    return [p for p in grid if p >= inputs.actuals["period"].min()]


def net_requirement(inputs: CycleInputs, flows: ItemFlows, labels: list[str]) -> float:
    """What production must bring over ``labels`` to meet demand and end at safety stock:
    sum over items of max(0, demand - receipts + SS - opening on-hand) [units].

    End-of-life items need nothing (they sell their stock).
    """
    items = inputs.items
    need = (
        flows.demand[labels].sum(axis=1)
        - flows.receipts[labels].sum(axis=1)
        + flows.safety_stock[labels[-1]]
        - items["OnHand"].fillna(0.0)
    )
    return float(need.clip(lower=0.0)[items["Status"] != "eol"].sum())


def indicators(
    inputs: CycleInputs,
    flows: ItemFlows,
    capacity_table: pd.DataFrame,
    holdout: pd.DataFrame,
) -> list[KPI]:
    """The KPIs with their default targets (see the module docstring)."""
    s = inputs.settings
    cur = str(s.get("Currency") or "EUR")
    labels = inputs.labels
    year = labels[: year_of(inputs)]
    opening_backlog = inputs.items.get("Backlog", pd.Series(0.0, index=inputs.items.index))
    served = flows.served_in_period(opening_backlog.fillna(0.0).to_numpy())
    near = labels[: quarter_of(inputs)]
    history = last_periods(inputs, year_of(inputs))
    money = family_money(inputs, flows)
    total = {m: grid.sum(axis=0) for m, grid in money.items()}
    past_revenue = _actual_revenue(inputs, history)
    past_target, past_note = budget_target(
        budget_grid(inputs, families_of(inputs), history), _family_revenue(inputs, history)
    )
    plan_target, plan_note = budget_target(money["Budget"][year], money["Revenue"][year])
    past_margin = margin_share(past_revenue.sum(), _actual_cogs(inputs, history))
    plan_revenue = float(total["Revenue"][year].sum())
    plan_budget = plan_target if plan_target == plan_target else 0.0
    on_hand = flows.on_hand.clip(lower=0.0).sum(axis=0)
    demand = flows.demand.sum(axis=0)
    dos = days_of_supply(on_hand.to_numpy(), demand.to_numpy(),
                         days_per_period=float(s["DaysPerPeriod"]))  # fmt: skip
    production = flows.production.clip(lower=0.0)
    hold = f"last {int(s['HoldoutPeriods'])}" if len(holdout) else "no holdout"
    unit = inputs.grid.unit
    nan = float("nan")
    a = holdout["actual"].to_numpy(float) if len(holdout) else np.array([])
    f = holdout["forecast"].to_numpy(float) if len(holdout) else np.array([])
    naive = holdout["naive"].to_numpy(float) if len(holdout) else np.array([])
    wc = total["WorkingCapital"][year].mean()
    inventory = total["InventoryValue"][year]
    return [
        KPI("Total sales, last 12 months", past_revenue.sum(), past_target, cur,
            _target_note("Actual qty x UnitPrice; target: budget", past_note), True, 0.05,
            fixed_target=False),
        KPI(f"Sales vs forecast, {hold} {unit}s", ratio(a, f) - 1 if len(a) else nan, 0.05, "%",
            "Actual / statistical forecast - 1 (holdout)", False, 0.5, absolute=True),
        KPI("Forecast error (WAPE)", wape(a, f) if len(a) else nan, 0.3, "%",
            "sum|F - A| / sum A over the holdout", False, 0.2),
        KPI("Forecast bias", bias(a, f) if len(a) else nan, 0.05, "%",
            "sum(F - A) / sum A; + = over-forecast", False, 0.5, absolute=True),
        KPI("Forecast value added vs naive", wape(a, naive) - wape(a, f) if len(a) else nan, 0.0,
            "%", "WAPE of naive minus WAPE of forecast", True, 0.0),
        KPI("Revenue plan, next 12 months", plan_revenue, plan_budget or nan, cur,
            _target_note("Shipped units x price; target: budget", plan_note), True, 0.05,
            fixed_target=False),
        KPI("Gross margin, next 12 months", float(total["GrossMargin"][year].sum()),
            plan_budget * past_margin if plan_budget and past_margin == past_margin else nan,
            cur, _target_note("Revenue - COGS; target: budget x margin %", plan_note), True,
            0.05, fixed_target=False),
        KPI("Gross margin %, next 12 months",
            margin_share(total["Revenue"][year], total["COGS"][year]), past_margin, "%",
            "Gross margin / revenue; target: last 12 months", True, 0.05, fixed_target=False),
        KPI("Working capital, avg next 12 months", wc, 0.2 * plan_revenue, cur,
            "Inventory + receivables - payables", False, 0.1, fixed_target=False),
        KPI("Inventory turnover, next 12 months",
            inventory_turnover(total["COGS"][year], inventory), 6.0, "x",
            "COGS / average inventory value", True, 0.15),
        KPI("Days of supply, avg next 12 months", float(np.mean(dos[: year_of(inputs)])), 45.0,
            "days", "On-hand / demand ahead, all items", False, 0.33),
        KPI("Projected fill rate", fill_rate(served, flows.demand.to_numpy()),
            float(s["ServiceLevel"]), "%", "Demand shipped in its period / demand", True, 0.02),
        KPI("Items short in the plan", float((flows.on_hand < -SHORT_UNITS).any(axis=1).sum()),
            0.0, "items", "Items with a projected backlog in some period", False, 0.0),
        KPI("Items below safety stock", float(below_safety_stock(inputs, flows).sum()), 0.0,
            "items", "Items whose projected on-hand falls below safety stock after their lead "
            "time, frozen and build-up periods", False, 0.0),
        *peak_utilization(capacity_table, labels),
        KPI("Overload hours, requirement", overload_total(capacity_table, labels), 0.0, "h",
            "Hours the requirement needs above the available ones (OverloadHours), all "
            "resources and periods", False, 0.0),
        KPI("Production plan, next 3 months", float(production[near].to_numpy().sum()),
            net_requirement(inputs, flows, near), "units",
            "Planned production; target: net requirement", True, 0.1, fixed_target=False),
        KPI("Production cycle time", weighted_mean(inputs.items["CycleTimeDays"],
            production.sum(axis=1)), 7.0, "days", "CycleTimeDays weighted by production",
            False, 0.2),
        KPI("Replenishment lead time",
            weighted_mean(inputs.items["LeadTime"] * float(s["DaysPerPeriod"]),
                          flows.demand.sum(axis=1)), 45.0, "days",
            "LeadTime x DaysPerPeriod, weighted by demand", False, 0.2),
    ]  # fmt: skip


SHORT_UNITS = 0.5  # a backlog or a dip under safety stock smaller than this is rounding


def below_safety_stock(inputs: CycleInputs, flows: ItemFlows) -> pd.Series:
    """Per item: does the projected on-hand fall below the safety stock (by more than half a
    unit) in a period after its lead time, Settings FrozenPeriods and SafetyStockBuildPeriods,
    i.e. where the plan should already hold it?"""
    s = inputs.settings
    items = inputs.items
    lead = np.ceil(items["LeadTime"].fillna(0.0).to_numpy(float) - 1e-9)
    start = lead + float(s.get("FrozenPeriods") or 0) + int(s.get("SafetyStockBuildPeriods") or 1)
    periods = np.arange(len(inputs.labels))[None, :]
    gap = (flows.safety_stock - flows.on_hand).to_numpy()
    due = periods >= start[:, None]
    eol = (items["Status"] == "eol").to_numpy()[:, None]
    return pd.Series(((gap > SHORT_UNITS) & due & ~eol).any(axis=1), index=items.index)


NAMED_RESOURCES = 3
"""Peak-utilization KPIs named one by one; with more resources the busiest two are named and
the rest share one row (the KPI sheet keeps room for its charts)."""


def peak_utilization(capacity_table: pd.DataFrame, labels: list[str]) -> list[KPI]:
    """The highest planned utilization of each resource over the horizon, the resource and
    period named (an average over resources would hide the one that is full). Where the
    requirement needs more than the hours, the definition says how much (RequiredLoad /
    Available at its peak). Up to :data:`NAMED_RESOURCES` resources get a row each; beyond,
    the two busiest do and one row gives the peak of the others."""
    load = grid_of(capacity_table, "Resource", labels, measure="Load")
    available = grid_of(capacity_table, "Resource", labels, measure="Available")
    need = grid_of(capacity_table, "Resource", labels, measure="RequiredLoad")
    util = load / available.where(available > 0)
    wanted = (need / available.where(available > 0)).reindex(util.index)
    peaks = util.max(axis=1).fillna(-1.0).sort_values(ascending=False, kind="stable")
    named = list(peaks.index) if len(peaks) <= NAMED_RESOURCES else list(peaks.index[:2])
    rest = [r for r in peaks.index if r not in named]
    out = []
    for group in [[r] for r in named] + ([rest] if rest else []):
        block = util.loc[group]
        if block.notna().to_numpy().any():
            where = block.stack().idxmax()
            value = float(block.at[where])
            text = f"peak of {where[0]} in {where[1]}" if len(group) > 1 else f"peak in {where[1]}"
            required = wanted.loc[group].stack() if wanted.notna().to_numpy().any() else None
            if required is not None and len(required) and required.max() > 1.0 + 1e-9:
                top = required.idxmax()
                text += f"; the requirement needs {required.max():.0%} of its hours ({top[1]})"
        else:
            value, text = float("nan"), "no hours"
        name = (f"Peak utilization, {group[0]}" if len(group) == 1
                else f"Peak utilization, {len(group)} other resources")  # fmt: skip
        out.append(KPI(name, value, 0.85, "%", f"Highest planned load / available hours; {text}",
                       False, 0.15))  # fmt: skip
    return out


def overload_total(capacity_table: pd.DataFrame, labels: list[str]) -> float:
    """Sum of tblCapacity OverloadHours (the requirement above available hours) [h]; a table
    written before issue 11 gives Load above Available."""
    over = grid_of(capacity_table, "Resource", labels, measure="OverloadHours")
    if not over.empty:
        return float(over.to_numpy().sum())
    load = grid_of(capacity_table, "Resource", labels, measure="Load")
    available = grid_of(capacity_table, "Resource", labels, measure="Available")
    return overload_hours(load.to_numpy(), available.to_numpy())


RENAMED = {"Forecast accuracy (WAPE)": "Forecast error (WAPE)"} | {
    f"Plan accuracy, lag {lag} (WAPE)": f"Plan error, lag {lag} (WAPE)" for lag in (1, 3)
}
"""Earlier KPI names (issue 12: a WAPE is an error, not an accuracy); typed targets carry over."""


def kpi_table(kpis: list[KPI], previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """tblKPIs rows; a policy target typed in ``previous`` (the table as it was) is kept."""
    kept: dict[str, float] = {}
    if previous is not None and not previous.empty and {"KPI", "Target"} <= set(previous):
        for name, target in zip(previous["KPI"], previous["Target"], strict=True):
            if isinstance(target, (int, float)) and not isinstance(target, bool):
                if target == target:
                    name = str(name).strip()
                    kept[RENAMED.get(name, name)] = float(target)
    rows = []
    for k in kpis:
        target = kept.get(k.name, k.target) if k.fixed_target else k.target
        rows.append(
            {
                "KPI": k.name,
                "Value": None if k.value != k.value else round(float(k.value), 4),
                "Target": None if target != target else round(float(target), 4),
                "Status": schema.kpi_status_formula(k.higher_is_better, k.tolerance, k.absolute),
                "Unit": k.unit,
                "Definition": k.definition,
            }
        )
    return pd.DataFrame(rows, columns=schema.table("tblKPIs").headers)


def trend_table(
    inputs: CycleInputs, flows: ItemFlows, capacity_table: pd.DataFrame, holdout: pd.DataFrame
) -> pd.DataFrame:
    """tblKPITrend: the last year of actual periods, then the plan periods."""
    history = last_periods(inputs, year_of(inputs))
    labels = inputs.labels
    actuals = inputs.actuals[inputs.actuals["period"].isin(history)]
    actual = actuals.groupby("period")["qty"].sum().reindex(history).fillna(0.0)
    forecast = pd.Series(np.nan, index=history)
    if len(holdout):
        with_holdout = set(holdout["item"])
        others = actuals[~actuals["item"].isin(with_holdout)].groupby("period")["qty"].sum()
        fc = holdout.groupby("period")["forecast"].sum()
        forecast.loc[fc.index] = fc + others.reindex(fc.index).fillna(0.0)
    load = grid_of(capacity_table, "Resource", labels, measure="Load")
    available = grid_of(capacity_table, "Resource", labels, measure="Available")
    busiest = (load / available.where(available > 0)).max(axis=0)
    money = family_money(inputs, flows)
    past_budget = budget_grid(inputs, families_of(inputs), history)
    empty = [None] * len(history)
    frame = pd.DataFrame(
        {
            "Period": [inputs.label(p) for p in history] + labels,
            "Actual": list(actual.round(0)) + [None] * len(labels),
            "Forecast": list(forecast.round(0)) + list(flows.demand.sum(axis=0).round(0)),
            "OnHand": empty + list(flows.on_hand.clip(lower=0.0).sum(axis=0).round(0)),
            "SafetyStock": empty + list(flows.safety_stock.sum(axis=0).round(0)),
            "Utilization": empty + list(busiest.round(4)),
            "Revenue": list(_actual_revenue(inputs, history).round(0))
            + list(money["Revenue"].sum(axis=0).round(0)),
            "Budget": list(period_budget(past_budget, _family_revenue(inputs, history)).round(0))
            + list(period_budget(money["Budget"], money["Revenue"]).round(0)),
        }
    )
    return frame.astype(object).where(frame.notna(), None)


def kpi_step(
    inputs: CycleInputs,
    flows: ItemFlows,
    capacity_table: pd.DataFrame,
    holdout: pd.DataFrame,
    previous: pd.DataFrame | None = None,
) -> KPIResult:
    """tblKPIs and tblKPITrend.

    Parameters
    ----------
    inputs : CycleInputs
    flows : ItemFlows
        The supply plan's grids (:func:`sop_xl.cycle.finance.item_flows`).
    capacity_table : DataFrame
        tblCapacity.
    holdout : DataFrame
        The forecast step's holdout (``item, period, actual, forecast, naive``).
    previous : DataFrame, optional
        tblKPIs as it was (for the targets users typed).
    """
    kpis = indicators(inputs, flows, capacity_table, holdout)
    return KPIResult(kpi_table(kpis, previous), trend_table(inputs, flows, capacity_table,
                     holdout), tuple(kpis))  # fmt: skip
