"""The S&OP Plan step (issue 12): the family S&OP grid of the executive meeting, tblSOPPlan.

One block of rows per family, then one for the total, each read along one line: Family,
Measure, Unit, one column per period from :data:`PAST_PERIODS` periods before CycleStart to the
end of the horizon, then the calendar quarters ``YYYY-Qn`` and the fiscal years ``FYyyyy``
(Settings ``FiscalYearStart``) those periods touch. Past periods show actuals, future periods
the plan. Per family f and period t (units are the family's Unit, money the Settings Currency):

- Sales plan: future, the consensus (sum of tblDemandPlan over f's items); past, the consensus
  that was current when t began, from History (:func:`~sop_xl.records.meeting.plan_for_periods`);
- Sales actual (past): tblActuals; Difference = Sales actual - Sales plan (+ = sold more than
  planned); Cumulative difference: its running sum over the past periods shown;
- Last cycle's plan: the previous cycle's consensus in History (blank where it has none);
- Production plan, Inventory (projected on-hand), Backlog: tblSupplyPlan's Production, OnHand
  and Backlog summed; Days of supply: the family's on-hand against its demand ahead (DESIGN.md's
  days-of-supply rule on the family totals);
- Capacity utilization (Unit ``% <resource>``): tblCapacity's Utilization of the family's main
  resource, the one most of its planned load hours fall on (most of its items, without load);
- Revenue: past, actual qty x UnitPrice; future, tblFinancePlan Revenue (what ships x price);
  Budget: tblBudget (blank where no budget row: never 0); Gap to budget = Revenue - Budget.

The total block sums the families. Unit rows are summed only when every family has the same
Unit; otherwise the total shows value only (Revenue, Budget, Gap to budget) and the utilization
of all resources together. A quarter or fiscal year appears when its periods end within the
horizon (a fiscal year cut by the horizon's end would pass a part for the whole); it sums the
flows over all its periods, actuals from tblActuals before the periods shown included
(:func:`~sop_xl.records.meeting.bucket_value`: a plan sum is blank when a period of it has no
plan), takes stocks at its last period and utilization as load / available hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, grid_of
from sop_xl.periods import fiscal_year_label, fiscal_year_start, quarter_label
from sop_xl.records.meeting import (
    Rule,
    bucket_value,
    cycle_plan,
    group_sum,
    plan_for_periods,
    previous_cycle,
    ratio_of_sums,
    running_difference,
)
from sop_xl.supply.projection import days_of_supply
from sop_xl.workbook.schema import SOP_MEASURES

PAST_PERIODS = 3
"""Periods before CycleStart the grid shows (their actuals against the plan made for them)."""
TOTAL = "Total"
IN_UNITS = SOP_MEASURES[:9]
"""Rows in the family's unit (and days of supply, a ratio of two of them): Sales plan .. Backlog."""
VALUE_MEASURES = ("Revenue", "Budget", "Gap to budget")
BUCKET_RULES: dict[str, Rule] = {
    "Sales actual": "sum_known",
    "Difference": "sum_known",
    "Cumulative difference": "last_known",
    "Inventory": "last",
    "Days of supply": "last",
    "Backlog": "last",
}  # every other measure: "sum"; Capacity utilization: load / available


@dataclass(frozen=True)
class SopPlanResult:
    """tblSOPPlan and notes for the Log."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Calendar:
    """The periods of the grid: the shown ones, and the wider span its buckets need."""

    shown: list[pd.Timestamp]
    span: list[pd.Timestamp]  # from the start of the first bucket to the horizon's end
    past: list[pd.Timestamp]  # periods of ``span`` before CycleStart
    buckets: dict[str, list[pd.Timestamp]]  # label -> its periods, quarters then years


def calendar(inputs: CycleInputs) -> Calendar:
    """The periods shown, the quarters and fiscal years they touch that end in the horizon."""
    grid, start, end = inputs.grid, inputs.periods[0], inputs.periods[-1]
    month = int(inputs.settings.get("FiscalYearStart") or 1)
    shown = inputs.history_periods(PAST_PERIODS) + list(inputs.periods)
    first = shown[0]
    quarter_start = pd.Timestamp(year=first.year, month=3 * ((first.month - 1) // 3) + 1, day=1)
    span = list(grid.between(min(quarter_start, fiscal_year_start(first, month)), end))
    after = grid.shift(end, 1)
    buckets: dict[str, list[pd.Timestamp]] = {}
    for name in (quarter_label, lambda p: fiscal_year_label(p, month)):
        touched = {name(p) for p in shown}
        for label in dict.fromkeys(name(p) for p in span):
            if label in touched and label != name(after):  # ends within the horizon
                buckets[label] = [p for p in span if name(p) == label]
    return Calendar(shown, span, [p for p in span if p < start], buckets)


def _item_grid(inputs: CycleInputs, table: pd.DataFrame, measure: str | None) -> pd.DataFrame:
    """A plan table's item rows over the plan periods, columns as timestamps."""
    grid = grid_of(table, "Item", inputs.labels, measure=measure)
    grid = grid.groupby(level=0).sum().reindex(inputs.items.index)
    grid.columns = list(inputs.periods)
    return grid


def actual_grid(
    inputs: CycleInputs, periods: list[pd.Timestamp], value: str = "qty"
) -> pd.DataFrame:
    """Actual units (``value="qty"``) or revenue (``"revenue"``) as items x periods (0 = no row)."""
    actuals = inputs.actuals[inputs.actuals["period"].isin(periods)]
    amount = actuals["qty"]
    if value == "revenue":
        amount = amount * actuals["item"].map(inputs.items["UnitPrice"].fillna(0.0)).fillna(0.0)
    frame = pd.DataFrame({"item": actuals["item"], "period": actuals["period"], "v": amount})
    grid = frame.pivot_table(index="item", columns="period", values="v", aggfunc="sum")
    return grid.reindex(index=inputs.items.index, columns=periods).fillna(0.0)


def budget_grid(inputs: CycleInputs, families: list[str], periods: list) -> pd.DataFrame:
    """tblBudget as families x periods [currency]; NaN where no budget row exists."""
    budget = inputs.budget
    grid = budget.pivot_table(index="family", columns="period", values="revenue", aggfunc="sum")
    return grid.reindex(index=families, columns=periods).astype(float)


def family_revenue(
    inputs: CycleInputs, finance_table: pd.DataFrame, families: list[str], periods: list
) -> pd.DataFrame:
    """Revenue as families x periods [currency]: actual before CycleStart, plan from it."""
    start = inputs.periods[0]
    past = [p for p in periods if p < start]
    family = inputs.items["Family"]
    actual = group_sum(actual_grid(inputs, past, "revenue"), family, families)
    plan = grid_of(finance_table, "Family", inputs.labels, measure="Revenue")
    plan = plan.groupby(level=0).sum().reindex(families)
    plan.columns = list(inputs.periods)
    both = pd.concat([actual.reindex(columns=past), plan], axis=1)
    return both.reindex(columns=periods)


def _units(inputs: CycleInputs, families: list[str]) -> dict[str, str]:
    """Each family's Unit ('mixed' when its items differ, 'units' when none is given)."""
    out = {}
    for family in families:
        units = {u for u in inputs.items.loc[inputs.items["Family"] == family, "Unit"] if u}
        out[family] = units.pop() if len(units) == 1 else ("mixed" if units else "units")
    return out


def _main_resources(inputs: CycleInputs, production: pd.DataFrame) -> dict[str, str | None]:
    """The resource most of a family's planned load hours fall on (most items when no load)."""
    items = inputs.items
    hours = production.sum(axis=1) * items["HoursPerUnit"].fillna(0.0)
    out: dict[str, str | None] = {}
    for family, members in items.groupby("Family"):
        on = members["Resource"].dropna()
        if on.empty:
            out[family] = None
            continue
        load = hours.reindex(on.index).groupby(on).sum()
        out[family] = str(load.idxmax() if load.max() > 0 else on.value_counts().idxmax())
    return out


class _Grids:
    """Everything the blocks are made of, over the calendar's span."""

    def __init__(self, inputs, demand_table, supply_table, capacity_table, finance_table, cal):
        self.inputs, self.cal = inputs, cal
        items = inputs.items
        self.families = list(pd.unique(items["Family"].dropna()))
        self.family = items["Family"]
        span, past = cal.span, cal.past
        self.demand = _item_grid(inputs, demand_table, None)
        supply = {m: _item_grid(inputs, supply_table, m) for m in self._measures(supply_table)}
        self.supply = supply
        history = plan_for_periods(inputs.history, past, list(items.index))
        last = cycle_plan(
            inputs.history, previous_cycle(inputs.history, inputs.periods[0]), list(items.index)
        )
        self.plan = pd.concat([history, self.demand], axis=1).reindex(columns=span)
        self.last = last.reindex(columns=span)
        self.actual = actual_grid(inputs, past).reindex(columns=span)
        self.revenue = family_revenue(inputs, finance_table, self.families, span)
        self.budget = budget_grid(inputs, self.families, span)
        self.capacity = {
            m: self._resource_grid(capacity_table, m) for m in ("Load", "Available", "Utilization")
        }
        self.resources = _main_resources(inputs, supply["Production"])
        self.units = _units(inputs, self.families)

    @staticmethod
    def _measures(supply_table: pd.DataFrame) -> list[str]:
        have = set(supply_table["Measure"].dropna().astype(str).str.strip())
        return [m for m in ("Demand", "Production", "OnHand", "Backlog") if m in have]

    def _resource_grid(self, capacity_table: pd.DataFrame, measure: str) -> pd.DataFrame:
        grid = grid_of(capacity_table, "Resource", self.inputs.labels, measure=measure)
        grid.columns = list(self.inputs.periods)
        return grid.reindex(columns=self.cal.span)

    def sums(self, grid: pd.DataFrame) -> pd.DataFrame:
        """Item grid -> families x span (NaN where no item has a value)."""
        return group_sum(grid.reindex(columns=self.cal.span), self.family, self.families)


def _block(
    grids: _Grids, rows: dict[str, pd.Series], utilization: pd.Series
) -> dict[str, pd.Series]:
    """Every measure of one block over the span, by measure name."""
    inputs = grids.inputs
    days = float(inputs.settings["DaysPerPeriod"])
    future = list(inputs.periods)
    difference, cumulative = running_difference(rows["Sales actual"], rows["Sales plan"])
    on_hand, demand = rows["OnHand"], rows["Demand"]
    cover = pd.Series(np.nan, index=grids.cal.span)
    if on_hand[future].notna().all():
        cover[future] = days_of_supply(
            on_hand[future].to_numpy(),
            demand[future].fillna(0.0).to_numpy(),
            days_per_period=days,
        )
    revenue, budget = rows["Revenue"], rows["Budget"]
    values = {
        "Sales plan": rows["Sales plan"],
        "Sales actual": rows["Sales actual"],
        "Difference": difference,
        "Cumulative difference": cumulative,
        "Last cycle's plan": rows["Last cycle's plan"],
        "Production plan": rows["Production"],
        "Inventory": on_hand,
        "Days of supply": cover,
        "Backlog": rows["Backlog"],
        "Capacity utilization": utilization,
        "Revenue": revenue,
        "Budget": budget,
        "Gap to budget": revenue - budget,
    }
    return values


def _rows_of(grids: _Grids, key: str | None) -> dict[str, pd.Series]:
    """The source rows of a family (``key``) or of all families (None)."""
    span = grids.cal.span

    def pick(frame: pd.DataFrame) -> pd.Series:
        if key is not None:
            return frame.loc[key]
        return frame.sum(axis=0, min_count=1)

    empty = pd.DataFrame(np.nan, index=grids.families, columns=span)
    supply = {m: grids.sums(grids.supply[m]) if m in grids.supply else empty for m in
              ("Demand", "Production", "OnHand", "Backlog")}  # fmt: skip
    actual = grids.sums(grids.actual)
    rows = {
        "Sales plan": pick(grids.sums(grids.plan)),
        "Sales actual": pick(actual),
        "Last cycle's plan": pick(grids.sums(grids.last)),
        **{m: pick(frame) for m, frame in supply.items()},
        "Revenue": pick(grids.revenue),
    }
    if key is not None:
        rows["Budget"] = grids.budget.loc[key]
    else:  # blank where a family that sells has no budget: a partial total is no budget
        missing = grids.budget.isna() & (grids.revenue.fillna(0.0).abs() > 0)
        rows["Budget"] = grids.budget.sum(axis=0, min_count=1).where(~missing.any(axis=0))
    rows["Sales actual"] = rows["Sales actual"].where(
        pd.Series([p < grids.inputs.periods[0] for p in span], index=span)
    )
    return rows


def _utilization(grids: _Grids, family: str | None) -> tuple[tuple[pd.Series, tuple], str]:
    """(utilization row, (load, available) rows for the buckets), and the Unit text."""
    cap = grids.capacity
    if family is None:  # all resources together
        load, available = cap["Load"].sum(min_count=1), cap["Available"].sum(min_count=1)
        return (ratio_row(load, available), (load, available)), "% all"
    resource = grids.resources.get(family)
    if resource is None or resource not in cap["Load"].index:
        blank = pd.Series(np.nan, index=grids.cal.span)
        return (blank, (blank, blank)), "%"
    return (cap["Utilization"].loc[resource], (cap["Load"].loc[resource],
            cap["Available"].loc[resource])), f"% {resource}"  # fmt: skip


def ratio_row(load: pd.Series, available: pd.Series) -> pd.Series:
    """Load / available per period (NaN where available is 0 or unknown)."""
    return load / available.where(available > 0)


def _at(series: pd.Series, periods: pd.Index) -> pd.Series:
    """``series[periods]`` by position: a list of labels costs pandas milliseconds per call,
    and the plan asks it for every measure, family and bucket. A missing label raises as
    ``series[periods]`` does."""
    positions = series.index.get_indexer(periods)
    if (positions < 0).any():
        return series[periods]
    return series.iloc[positions]


def sop_plan_step(
    inputs: CycleInputs,
    demand_table: pd.DataFrame,
    supply_table: pd.DataFrame,
    capacity_table: pd.DataFrame,
    finance_table: pd.DataFrame,
) -> SopPlanResult:
    """tblSOPPlan from the plan tables (see the module docstring).

    Parameters
    ----------
    inputs : CycleInputs
    demand_table, supply_table, capacity_table, finance_table : DataFrame
        tblDemandPlan, tblSupplyPlan, tblCapacity, tblFinancePlan (this run's or the book's).
    """
    cal = calendar(inputs)
    grids = _Grids(inputs, demand_table, supply_table, capacity_table, finance_table, cal)
    currency = str(inputs.settings.get("Currency") or "")
    units = grids.units
    shared = len(set(units.values())) == 1 and "mixed" not in units.values()
    blocks = [*grids.families, TOTAL]
    labels = [inputs.label(p) for p in cal.shown] + list(cal.buckets)
    out: list[list] = []
    notes: list[str] = []
    if not shared:
        notes.append("tblSOPPlan: the families have different units; the total is in value only")
    bucket_periods = [pd.Index(periods) for periods in cal.buckets.values()]  # built once
    for family in blocks:
        key = None if family == TOTAL else family
        (util, (load, available)), util_unit = _utilization(grids, key)
        values = _block(grids, _rows_of(grids, key), util)
        unit = units.get(family) or (next(iter(units.values())) if units else "units")
        for measure in SOP_MEASURES:
            if key is None and not shared and measure in IN_UNITS:
                continue
            series = values[measure]
            shown = series.reindex(cal.shown).tolist()
            buckets = []
            for periods in bucket_periods:
                if measure == "Capacity utilization":
                    buckets.append(ratio_of_sums(_at(load, periods), _at(available, periods)))
                else:
                    rule = BUCKET_RULES.get(measure, "sum")
                    buckets.append(bucket_value(_at(series, periods), rule))
            decimals = 4 if measure == "Capacity utilization" else 2
            numbers = np.round(np.array(shown + buckets, dtype=float), decimals)
            shown_unit = {"Capacity utilization": util_unit, "Days of supply": "days"}.get(
                measure, currency if measure in VALUE_MEASURES else unit
            )
            out.append([family, measure, shown_unit, *numbers])
    table = pd.DataFrame(out, columns=["Family", "Measure", "Unit", *labels])
    return SopPlanResult(table, notes)
