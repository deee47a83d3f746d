"""The Summary step (issue 12): the one-page executive summary the workbook opens on.

- tblYearView, per family and Total, for the fiscal year containing CycleStart (Settings
  ``FiscalYearStart``): VolumeToDate and RevenueToDate from tblActuals (qty x UnitPrice) before
  CycleStart; VolumeRest and RevenueRest what the plan ships in the rest of the year
  (tblSupplyPlan Shipments, tblFinancePlan Revenue: what sells, as the Finance sheet counts
  it); Budget = the family's tblBudget rows of the year. Months without a budget row are named
  in Note and left out of both sides: GapToBudget = Revenue of the budgeted months - Budget,
  GapPct = GapToBudget / Budget. Volumes are totalled only when the families share a Unit.
- tblPlanChange, per family and each of the next :data:`CHANGE_PERIODS` plan periods: LastPlan
  (the previous cycle's consensus in History), ThisPlan (tblDemandPlan), Change, ChangePct,
  RevenueChange = sum over the items of (this - last) x UnitPrice (an item without a row in the
  last plan counts 0 there). The whole horizon's change is on the S&OP Plan sheet (Sales plan
  against Last cycle's plan).
- tblTopDecisions: the tblReconciliation rows that need a decision, the most revenue at stake
  first (:func:`~sop_xl.records.meeting.revenue_at_stake`), at most :data:`TOP_DECISIONS`.
- tblHeadlineKPIs: the tblKPIs rows named in :data:`HEADLINE_KPIS`; Status is a formula over
  tblKPIs, so it follows a target the user changes there.
- tblRevenueByMonth: the chart's data, per period of the fiscal year: actual revenue before
  CycleStart, plan revenue from it, budget (blank where a family that sells has none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, grid_of
from sop_xl.cycle.sop_plan import actual_grid, budget_grid, family_revenue
from sop_xl.errors import SopError
from sop_xl.periods import fiscal_year_label, fiscal_year_start
from sop_xl.records.meeting import cycle_plan, group_sum, previous_cycle, revenue_at_stake
from sop_xl.workbook.cellvalues import Formula

CHANGE_PERIODS = 6
"""Plan periods tblPlanChange lists: the near term the meeting acts on (half a year)."""
TOP_DECISIONS = 5
HEADLINE_KPIS = (
    "Revenue plan",
    "Gross margin %",
    "Projected fill rate",
    "Forecast accuracy",
    "Forecast error",
    "Days of supply",
    "Capacity utilization",
    "Working capital",
)
"""tblKPIs rows the Summary shows: those whose name starts with one of these, in table order."""
TOTAL = "Total"


@dataclass(frozen=True)
class SummaryResult:
    """The Summary sheet's tables, by name, and notes for the Log."""

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)


def fiscal_periods(inputs: CycleInputs) -> list[pd.Timestamp]:
    """The periods of the fiscal year containing CycleStart (on the plan's grid)."""
    month = int(inputs.settings.get("FiscalYearStart") or 1)
    start = inputs.periods[0]
    first = fiscal_year_start(start, month)
    end = first + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    return list(inputs.grid.between(first, end))


def _labels(inputs: CycleInputs, periods: list[pd.Timestamp]) -> str:
    return ", ".join(inputs.label(p) for p in periods)


def year_view(
    inputs: CycleInputs, supply_table: pd.DataFrame, finance_table: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """tblYearView and the per-family revenue and budget of the year (families x periods)."""
    items, start = inputs.items, inputs.periods[0]
    families = list(pd.unique(items["Family"].dropna()))
    year = fiscal_periods(inputs)
    past = [p for p in year if p < start]
    rest = [p for p in year if p in set(inputs.periods)]
    if "Shipments" not in set(supply_table["Measure"].dropna().astype(str).str.strip()):
        raise SopError("tblSupplyPlan has no Shipments rows: run the supply step again")
    shipped = grid_of(supply_table, "Item", inputs.labels, measure="Shipments")
    shipped = shipped.groupby(level=0).sum().reindex(items.index).fillna(0.0)
    shipped.columns = list(inputs.periods)
    volume_past = group_sum(actual_grid(inputs, past), items["Family"], families).sum(axis=1)
    volume_rest = group_sum(shipped[rest], items["Family"], families).sum(axis=1)
    revenue = family_revenue(inputs, finance_table, families, past + rest)
    budget = budget_grid(inputs, families, year)
    rows = []
    for family in families:
        got = budget.loc[family].notna()
        missing = [p for p in year if not got[p]]
        budgeted = [p for p in past + rest if got[p]]
        total_budget = float(budget.loc[family].sum()) if got.any() else np.nan
        gap = float(revenue.loc[family, budgeted].sum()) - total_budget
        note = f"no budget for {_labels(inputs, missing)}" if missing else ""
        rows.append([family, volume_past[family], volume_rest[family], total_budget, gap, note])
    frame = pd.DataFrame(rows, columns=["Family", "VolumeToDate", "VolumeRest", "Budget",
                                        "GapToBudget", "Note"])  # fmt: skip
    frame["RevenueToDate"] = revenue[past].sum(axis=1).reindex(families).to_numpy()
    frame["RevenueRest"] = revenue[rest].sum(axis=1).reindex(families).to_numpy()
    units = {u for u in items["Unit"].dropna()} or {"units"}
    total = {
        "Family": TOTAL,
        **{c: frame[c].sum(min_count=1) for c in ("RevenueToDate", "RevenueRest", "Budget")},
        "GapToBudget": frame["GapToBudget"].sum(min_count=1),
        "Note": "; ".join(
            f"{f}: {n[len('no budget for ') :]}"
            for f, n in zip(frame["Family"], frame["Note"], strict=True)
            if n
        ),  # fmt: skip
    }
    if len(units) == 1:
        total |= {c: frame[c].sum() for c in ("VolumeToDate", "VolumeRest")}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    if total["Note"]:
        frame.loc[frame.index[-1], "Note"] = "no budget for " + total["Note"]
    frame["Volume"] = frame["VolumeToDate"] + frame["VolumeRest"]
    frame["Revenue"] = frame["RevenueToDate"] + frame["RevenueRest"]
    frame["GapPct"] = frame["GapToBudget"] / frame["Budget"].where(frame["Budget"] != 0)
    if len(rest) < len([p for p in year if p >= start]):
        note = f"the plan ends at {inputs.labels[-1]}"
        frame["Note"] = [f"{n}; {note}" if n else note for n in frame["Note"]]
    columns = ["Family", "VolumeToDate", "VolumeRest", "Volume", "RevenueToDate", "RevenueRest",
               "Revenue", "Budget", "GapToBudget", "GapPct", "Note"]  # fmt: skip
    frame = frame[columns]
    numbers = columns[1:-1]
    frame[numbers] = frame[numbers].astype(float).round(2)
    frame["GapPct"] = frame["GapPct"].round(4)
    return frame, pd.concat({"revenue": revenue, "budget": budget}, axis=0)


def revenue_by_month(inputs: CycleInputs, grids: pd.DataFrame) -> pd.DataFrame:
    """tblRevenueByMonth from :func:`year_view`'s revenue and budget grids."""
    revenue, budget = grids.loc["revenue"], grids.loc["budget"]
    year = list(budget.columns)
    start = inputs.periods[0]
    missing = budget.isna() & (revenue.reindex(columns=year).fillna(0.0).abs() > 0)
    total_budget = budget.sum(axis=0, min_count=1).where(~missing.any(axis=0))
    total = revenue.sum(axis=0, min_count=1).reindex(year)
    return pd.DataFrame(
        {
            "Period": [inputs.label(p) for p in year],
            "Actual": [total[p] if p < start else np.nan for p in year],
            "Plan": [total[p] if p >= start else np.nan for p in year],
            "Budget": total_budget.reindex(year).to_numpy(),
        }
    ).round({"Actual": 2, "Plan": 2, "Budget": 2})


def plan_change(inputs: CycleInputs, demand_table: pd.DataFrame) -> pd.DataFrame:
    """tblPlanChange (see the module docstring)."""
    items = inputs.items
    families = list(pd.unique(items["Family"].dropna()))
    periods = list(inputs.periods[:CHANGE_PERIODS])
    labels = [inputs.label(p) for p in periods]
    this = grid_of(demand_table, "Item", labels).groupby(level=0).sum().reindex(items.index)
    this.columns = periods
    last = cycle_plan(inputs.history, previous_cycle(inputs.history, periods[0]), items.index)
    last = last.reindex(columns=periods)
    price = items["UnitPrice"].fillna(0.0)
    covered = last.notna().any(axis=0)
    change_value = (this.fillna(0.0) - last.fillna(0.0)).mul(price, axis=0)
    this_f = group_sum(this, items["Family"], families)
    last_f = group_sum(last, items["Family"], families)
    value_f = group_sum(change_value, items["Family"], families)
    rows = []
    for family in families:
        for period, label in zip(periods, labels, strict=True):
            old, new = last_f.at[family, period], this_f.at[family, period]
            change = new - old
            rows.append([
                family, label, old, new, change,
                change / old if old else np.nan,
                value_f.at[family, period] if covered[period] and old == old else np.nan,
            ])  # fmt: skip
    columns = ["Family", "Period", "LastPlan", "ThisPlan", "Change", "ChangePct", "RevenueChange"]
    frame = pd.DataFrame(rows, columns=columns)
    frame[columns[2:]] = frame[columns[2:]].astype(float).round(2)
    frame["ChangePct"] = frame["ChangePct"].round(4)
    return frame


def top_decisions(inputs: CycleInputs, reconciliation: pd.DataFrame) -> pd.DataFrame:
    """tblTopDecisions from tblReconciliation (see the module docstring)."""
    columns = ["Decision", "AtStake", "Family", "Period"]
    rec = reconciliation.copy()
    text = rec["DecisionNeeded"].map(lambda v: "" if v is None or v != v else str(v).strip())
    rec = rec[text != ""].assign(Decision=text[text != ""])
    if rec.empty:
        return pd.DataFrame(columns=columns)
    price = inputs.items.groupby("Family")["UnitPrice"].mean()

    def number(column: str) -> pd.Series:
        return pd.to_numeric(rec[column], errors="coerce")

    gap, supply, revenue, budget_gap = (
        number(c) for c in ("Gap", "Supply", "Revenue", "GapToBudget")
    )
    rec["AtStake"] = [
        revenue_at_stake(g, s, r, b, price.get(f, np.nan))
        for g, s, r, b, f in zip(gap, supply, revenue, budget_gap, rec["Family"], strict=True)
    ]
    rec["order"] = range(len(rec))
    rec = rec.sort_values(["AtStake", "order"], ascending=[False, True]).head(TOP_DECISIONS)
    rec["AtStake"] = rec["AtStake"].round(2)
    rec["Period"] = rec["Period"].map(str)
    return rec[columns].reset_index(drop=True)


def headline_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """tblHeadlineKPIs from tblKPIs (see the module docstring)."""
    columns = ["KPI", "Value", "Target", "Status", "Unit"]
    names = kpis["KPI"].map(lambda v: "" if v is None else str(v))
    keep = kpis[names.map(lambda n: n.startswith(HEADLINE_KPIS))]
    status = Formula(
        "=IFERROR(INDEX(tblKPIs[Status],MATCH(tblHeadlineKPIs[[#This Row],[KPI]],"
        'tblKPIs[KPI],0)),"")'
    )
    return pd.DataFrame(
        {
            "KPI": keep["KPI"].to_numpy(),
            "Value": pd.to_numeric(keep["Value"], errors="coerce").to_numpy(),
            "Target": pd.to_numeric(keep["Target"], errors="coerce").to_numpy(),
            "Status": [status] * len(keep),
            "Unit": keep["Unit"].to_numpy(),
        },
        columns=columns,
    )


def summary_step(
    inputs: CycleInputs,
    demand_table: pd.DataFrame,
    supply_table: pd.DataFrame,
    finance_table: pd.DataFrame,
    reconciliation: pd.DataFrame,
    kpis: pd.DataFrame,
) -> SummaryResult:
    """Every table of the Summary sheet (see the module docstring)."""
    view, grids = year_view(inputs, supply_table, finance_table)
    month = int(inputs.settings.get("FiscalYearStart") or 1)
    notes = []
    total_note = view["Note"].iloc[-1]
    if total_note:
        fy = fiscal_year_label(inputs.periods[0], month)
        notes.append(f"Summary {fy}: {total_note}")
    tables = {
        "tblYearView": view,
        "tblHeadlineKPIs": headline_kpis(kpis),
        "tblTopDecisions": top_decisions(inputs, reconciliation),
        "tblRevenueByMonth": revenue_by_month(inputs, grids),
        "tblPlanChange": plan_change(inputs, demand_table),
    }
    return SummaryResult(tables, notes)
