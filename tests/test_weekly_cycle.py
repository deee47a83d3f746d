"""A weekly plan end to end: the demo company on ISO weeks, run, KPIs, snapshot (issue 9 item 4).

The weekly variant keeps a few demo items and spreads each month of their last two years of
actuals over its weeks (qty x 7 / days in the month, by the month of the week's Monday), so a
year of weeks carries about the demand of a year of months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from sop_xl.cycle import roll_forward, run_cycle, snapshot
from sop_xl.demo import CYCLE_START, demo_tables
from sop_xl.periods import WEEK
from sop_xl.workbook import schema
from sop_xl.workbook.book import new_book
from sop_xl.workbook.fill import fill_inputs

ITEMS = ["GA-101", "GA-102", "HE-101", "HE-102", "KI-101", "KI-112", "SP-101", "SP-102"]
FIRST_WEEK = pd.Timestamp("2024-01-01")  # a Monday, 2024-W01
LAST_WEEK = pd.Timestamp("2025-12-29")  # a Monday, 2026-W01: the week of the last actual
CYCLE_WEEK = LAST_WEEK + pd.Timedelta(weeks=1)  # 2026-W02
HORIZON = 26


def _per_week(monthly: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Spread month totals (indexed by month start) over the weeks starting in each month."""
    months = weeks.to_period("M").to_timestamp()
    return monthly.reindex(months).to_numpy(float) * 7 / weeks.days_in_month.to_numpy()


def _weeks_after_start(months: int) -> pd.Timestamp:
    return CYCLE_WEEK + pd.Timedelta(weeks=round(months * 52 / 12))


def weekly_demo_tables() -> dict[str, pd.DataFrame]:
    """The demo's input tables for a few items, on ISO weeks."""
    tables = {name: frame.copy() for name, frame in demo_tables().items()}
    weeks = pd.date_range(FIRST_WEEK, LAST_WEEK, freq="W-MON")

    items = tables["tblItems"]
    items = items[items["Item"].isin(ITEMS)].reset_index(drop=True)
    items["LeadTime"] = (items["LeadTime"] * 52 / 12).round()
    items["LeadTimeSD"] = (items["LeadTimeSD"] * 52 / 12).round(1)
    # launch and end months as the weeks their first day falls in; a like item left out is gone
    for column in ("LaunchPeriod", "EndPeriod"):
        items[column] = [p - pd.Timedelta(days=p.weekday()) if p == p and p is not None else None
                         for p in items[column]]  # fmt: skip
    items["LikeItem"] = items["LikeItem"].where(items["LikeItem"].isin(ITEMS), None)
    tables["tblItems"] = items

    actuals = tables["tblActuals"]
    rows = []
    for item, part in actuals[actuals["Item"].isin(ITEMS)].groupby("Item"):
        qty = _per_week(part.set_index("Period")["Qty"], weeks)
        rows += [(item, w, round(q)) for w, q in zip(weeks, qty, strict=True) if q == q]
    tables["tblActuals"] = pd.DataFrame(rows, columns=["Item", "Period", "Qty"])

    budget = tables["tblBudget"]
    plan_weeks = pd.date_range(
        LAST_WEEK - pd.Timedelta(weeks=51), periods=52 + HORIZON, freq="W-MON"
    )
    rows = []
    for family, part in budget.groupby("Family"):
        revenue = _per_week(part.set_index("Period")["Revenue"], plan_weeks)
        rows += [(family, w, round(r)) for w, r in zip(plan_weeks, revenue, strict=True) if r == r]
    tables["tblBudget"] = pd.DataFrame(rows, columns=["Family", "Period", "Revenue"])

    def months_in(period: pd.Timestamp) -> int:
        return (period.year - CYCLE_START.year) * 12 + period.month - CYCLE_START.month

    receipts = tables["tblReceipts"]
    receipts = receipts[receipts["Item"].isin(ITEMS)].copy()
    receipts["Period"] = [_weeks_after_start(months_in(p)) for p in receipts["Period"]]
    tables["tblReceipts"] = receipts.reset_index(drop=True)

    adjustments = tables["tblAdjustments"]
    keep = adjustments["Item"].isin(ITEMS) | adjustments["Family"].notna()
    adjustments = adjustments[keep].copy()
    adjustments["Period"] = [_weeks_after_start(months_in(p)) for p in adjustments["Period"]]
    tables["tblAdjustments"] = adjustments.reset_index(drop=True)

    resources = tables["tblResources"]
    resources["HoursPerPeriod"] = (resources["HoursPerPeriod"] * 12 / 52).round()
    tables["tblResources"] = resources

    settings = tables["tblSettings"].set_index("Key")
    settings.loc["PeriodType", "Value"] = "Week"
    settings.loc["CycleStart", "Value"] = WEEK.label(CYCLE_WEEK)
    settings.loc["Horizon", "Value"] = HORIZON
    settings.loc["SeasonLength", "Value"] = 52
    settings.loc["DaysPerPeriod", "Value"] = 7
    settings.loc["HistoryPeriods", "Value"] = 3
    tables["tblSettings"] = settings.reset_index()[schema.table("tblSettings").headers]
    return tables


@dataclass(frozen=True)
class WeeklyRun:
    """What the weekly cycle left: the tables after the run, after the snapshot, after the
    roll forward to the next week and a run on one more week of actuals."""

    tables: dict[str, pd.DataFrame]
    report: object
    history: pd.DataFrame
    snapshot_message: str
    roll_message: str
    next_tables: dict[str, pd.DataFrame]


READ = ("tblForecast", "tblDemandPlan", "tblSupplyPlan", "tblCapacity", "tblFinancePlan",
        "tblKPIs", "tblKPITrend", "tblFVA")  # fmt: skip


@pytest.fixture(scope="module")
def weekly():
    inputs = weekly_demo_tables()
    book = new_book()
    fill_inputs(book.workbook, inputs)
    report = run_cycle(book, save=False, n_jobs=1)
    tables = {name: book.read_table(name) for name in READ}
    snapped = snapshot(book, save=False)
    history = book.read_table("tblHistory")
    rolled = roll_forward(book, save=False)
    # the actuals of the first plan week arrive: 50 units of every item
    week = pd.DataFrame([(i, CYCLE_WEEK, 50.0) for i in ITEMS], columns=["Item", "Period", "Qty"])
    fill_inputs(book.workbook, {"tblActuals": pd.concat([inputs["tblActuals"], week])})
    run_cycle(book, save=False, n_jobs=1)
    later = {name: book.read_table(name) for name in READ}
    return inputs, WeeklyRun(tables, report, history, snapped.message, rolled.message, later)


def _week_headers(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if WEEK.is_label(str(c))]


def test_plan_tables_have_week_headers(weekly):
    _, run = weekly
    expected = WEEK.labels(WEEK.range(CYCLE_WEEK, HORIZON))
    assert expected[0] == "2026-W02" and expected[-1] == "2026-W27"
    for name in ("tblForecast", "tblDemandPlan", "tblSupplyPlan", "tblCapacity", "tblFinancePlan"):
        table = run.tables[name]
        assert _week_headers(table) == expected, name
        assert not any(str(c).startswith("2026-0") for c in table.columns), name  # no months
    forecast = run.tables["tblForecast"]
    assert sorted(forecast["Item"]) == sorted(ITEMS)
    assert run.report.rows["tblForecast"] == len(ITEMS)
    trend = run.tables["tblKPITrend"]
    assert len(trend) == 52 + HORIZON  # a year of past weeks, then the plan
    assert trend["Period"].iloc[0] == "2025-W02" and trend["Period"].iloc[51] == "2026-W01"


def test_kpis_are_finite_and_a_year_is_52_weeks(weekly):
    tables, run = weekly
    kpis = run.tables["tblKPIs"].set_index("KPI")
    values = kpis["Value"]
    # the cycle's indicators are all numbers; the records ones (lag accuracy, FVA, cycle time)
    # wait for a snapshot and the next actuals, as on the monthly demo
    cycle_kpis = values.loc[:"Replenishment lead time"]
    # issue 11: the average utilization became one peak utilization per resource, and items
    # below safety stock joined: 18 - 1 + 1 + resources
    assert len(cycle_kpis) == 18 + len(tables["tblResources"])
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in cycle_kpis), cycle_kpis
    assert values["Plan error, lag 1 (WAPE)"] is None
    assert "Sales vs forecast, last 6 weeks" in kpis.index
    # "Total sales, last 12 months" is the revenue of the last 52 weeks of actuals
    actuals = tables["tblActuals"]
    last_year = actuals[actuals["Period"] > LAST_WEEK - pd.Timedelta(weeks=52)]
    price = tables["tblItems"].set_index("Item")["UnitPrice"]
    revenue = float((last_year["Qty"] * last_year["Item"].map(price)).sum())
    assert values["Total sales, last 12 months"] == pytest.approx(revenue, rel=1e-9)
    # ... about the demo's monthly last 12 months of these items, not 12 weeks of it
    monthly = demo_tables()["tblActuals"]
    monthly = monthly[monthly["Item"].isin(ITEMS) & (monthly["Period"] >= "2025-01-01")]
    months = float((monthly["Qty"] * monthly["Item"].map(price)).sum())
    assert values["Total sales, last 12 months"] == pytest.approx(months, rel=0.05)
    # its target, the budget of the last 52 weeks, is the demo's budget of the last 12 months
    budget = demo_tables()["tblBudget"]
    year_budget = float(
        budget.loc[budget["Period"].between("2025-01-01", "2025-12-01"), "Revenue"].sum()
    )
    assert kpis.loc["Total sales, last 12 months", "Target"] == pytest.approx(year_budget, rel=0.02)
    # the plan's year is 52 weeks of demand
    plan = run.tables["tblFinancePlan"]
    revenue_rows = plan[plan["Measure"] == "Revenue"]
    year = _week_headers(plan)[:52]
    assert values["Revenue plan, next 12 months"] == pytest.approx(
        float(revenue_rows[year].to_numpy(float).sum()), rel=1e-6
    )


def test_snapshot_roll_forward_and_lag_accuracy_of_a_weekly_plan(weekly):
    _, run = weekly
    history = run.history
    assert set(history["Cycle"]) == {"2026-W02"}
    items = history[history["Kind"] == "forecast"]
    assert sorted(set(items["Period"])) == ["2026-W02", "2026-W03", "2026-W04"]  # HistoryPeriods
    assert len(items) == 3 * len(ITEMS)
    assert "cycle 2026-W02" in run.snapshot_message
    assert "CycleStart 2026-W03 (plan 2026-W03 to 2026-W28)" in run.roll_message
    assert _week_headers(run.next_tables["tblDemandPlan"])[0] == "2026-W03"
    # lag 1: last week's plan for 2026-W02 against its actuals, one pair per item
    fva = run.next_tables["tblFVA"].set_index("Step")
    assert fva.loc["consensus", "Pairs"] == len(ITEMS)
    plan = history[(history["Kind"] == "demand plan") & (history["Period"] == "2026-W02")]
    planned = plan["Qty"].to_numpy(float)
    wape = np.abs(planned - 50.0).sum() / (50.0 * len(ITEMS))
    assert fva.loc["consensus", "Lag1WAPE"] == pytest.approx(wape, abs=1e-4)
    kpis = run.next_tables["tblKPIs"].set_index("KPI")["Value"]
    assert kpis["Plan error, lag 1 (WAPE)"] == pytest.approx(wape, abs=1e-4)
