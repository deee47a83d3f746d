"""The meeting pack (issue 12, items 1-2): the S&OP Plan grid and the Summary sheet.

The numbers are checked against the workbook's own tables, computed here independently:
per family, Sales plan = the sum of tblDemandPlan over its items; Cumulative difference is the
running sum of Difference; YearView's Budget = the tblBudget rows of the fiscal year; LastPlan
= History's consensus of the previous cycle (the demo rolled into 2026-02 with one snapshot).
"""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_xl.cycle import run_cycle
from sop_xl.periods import fiscal_year_label, fiscal_year_start, is_bucket_label, quarter_label
from sop_xl.records.meeting import bucket_value, revenue_at_stake, running_difference
from sop_xl.workbook.book import open_book

ts = pd.Timestamp


def _numbers(frame: pd.DataFrame, columns) -> pd.DataFrame:
    return frame[list(columns)].apply(pd.to_numeric, errors="coerce")


@pytest.fixture(scope="module")
def finished(demo_finished_file):
    book = open_book(demo_finished_file)
    names = ("tblSOPPlan", "tblDemandPlan", "tblItems", "tblBudget", "tblYearView",
             "tblPlanChange", "tblTopDecisions", "tblReconciliation", "tblActuals")  # fmt: skip
    return {name: book.read_table(name) for name in names}


@pytest.fixture(scope="module")
def rerun(demo_rolled, tmp_path_factory):
    """The rolled demo (cycle 2026-02, History holds cycle 2026-01) run again."""
    path = tmp_path_factory.mktemp("pack") / "rolled.xlsx"
    shutil.copy(demo_rolled.path, path)
    run_cycle(open_book(path), n_jobs=1)
    return path


def test_sales_plan_is_the_demand_plan_of_the_family_items(finished):
    sop, demand = finished["tblSOPPlan"], finished["tblDemandPlan"]
    labels = [c for c in demand.columns if c[:2] == "20"]
    plan = _numbers(demand, labels).groupby(demand["Family"].to_numpy()).sum()
    rows = sop[sop["Measure"] == "Sales plan"].set_index("Family")
    for family in plan.index:
        got = pd.to_numeric(rows.loc[family, labels])
        np.testing.assert_allclose(got.to_numpy(float), plan.loc[family].to_numpy(), atol=0.02)
    total = pd.to_numeric(rows.loc["Total", labels]).to_numpy(float)
    np.testing.assert_allclose(total, plan.sum().to_numpy(), atol=0.1)


def test_grid_runs_from_three_periods_before_the_start_with_quarters_and_years(finished):
    headers = list(finished["tblSOPPlan"].columns)
    assert headers[:6] == ["Family", "Measure", "Unit", "2025-10", "2025-11", "2025-12"]
    assert "2026-01" in headers and "2027-06" in headers
    buckets = [h for h in headers if is_bucket_label(h)]
    # horizon 2026-01..2027-06: FY2027 would be cut at June, so it is left out
    assert buckets == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1",
                       "2027-Q2", "FY2025", "FY2026"]  # fmt: skip
    sop = finished["tblSOPPlan"].set_index(["Family", "Measure"])
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    revenue = pd.to_numeric(sop.loc[("Garden", "Revenue"), months]).sum()
    assert float(sop.loc[("Garden", "Revenue"), "FY2026"]) == pytest.approx(revenue, abs=0.1)


def test_units_and_value_rows(finished):
    sop = finished["tblSOPPlan"]
    garden = sop[sop["Family"] == "Garden"].set_index("Measure")["Unit"]
    assert garden["Sales plan"] == "pcs" and garden["Revenue"] == "EUR"
    assert garden["Days of supply"] == "days" and garden["Capacity utilization"] == "% MOULD"


def test_budget_never_zero_where_no_budget_row(finished):
    """Past periods show tblBudget; a family-period without a budget row stays blank."""
    sop = finished["tblSOPPlan"].set_index(["Family", "Measure"])
    budget = finished["tblBudget"]
    row = budget[(budget["Family"] == "Spares") & (budget["Period"] == dt.datetime(2025, 11, 1))]
    assert float(sop.loc[("Spares", "Budget"), "2025-11"]) == float(row["Revenue"].iloc[0])
    assert (
        pd.isna(sop.loc[("Garden", "Budget"), "2027-06"])
        == (
            budget[(budget["Family"] == "Garden") & (budget["Period"] == dt.datetime(2027, 6, 1))]
        ).empty
    )


def test_year_view_budget_is_the_budget_rows_of_the_fiscal_year(finished):
    view = finished["tblYearView"].set_index("Family")
    budget = finished["tblBudget"]
    in_year = budget[
        [dt.datetime(2026, 1, 1) <= p < dt.datetime(2027, 1, 1) for p in budget["Period"]]
    ]
    by_family = in_year.groupby("Family")["Revenue"].sum()
    for family, value in by_family.items():
        assert float(view.loc[family, "Budget"]) == pytest.approx(value)
    assert float(view.loc["Total", "Budget"]) == pytest.approx(by_family.sum())
    revenue = _numbers(view, ["RevenueToDate", "RevenueRest", "Revenue", "Budget", "GapToBudget"])
    np.testing.assert_allclose(
        revenue["Revenue"], revenue["RevenueToDate"] + revenue["RevenueRest"]
    )
    np.testing.assert_allclose(
        revenue["GapToBudget"], revenue["Revenue"] - revenue["Budget"], atol=0.05
    )


def test_top_decisions_are_the_largest_stakes_of_the_reconciliation(finished):
    top = finished["tblTopDecisions"]
    rec = finished["tblReconciliation"]
    assert 0 < len(top) <= 5
    stakes = pd.to_numeric(top["AtStake"]).to_numpy()
    assert (np.diff(stakes) <= 0).all()
    for decision in top["Decision"]:
        assert decision in set(rec["DecisionNeeded"])
    # no reconciliation decision puts more revenue below budget than the fifth one shown
    needed = rec[rec["DecisionNeeded"].fillna("") != ""]
    worst = (-pd.to_numeric(needed["GapToBudget"], errors="coerce")).max()
    assert stakes[0] >= worst - 0.01


def test_rerun_last_plan_is_the_previous_cycles_consensus(rerun, demo_rolled):
    book = open_book(rerun)
    change = book.read_table("tblPlanChange")
    items = book.read_table("tblItems").set_index("Item")
    consensus = demo_rolled.hand[
        "consensus"
    ]  # tblDemandPlan 2026-01 of cycle 2026-01 (Feb not kept)
    history = book.read_table("tblHistory")
    last = history[(history["Cycle"] == "2026-01") & (history["Kind"] == "demand plan")]
    feb = last[last["Period"] == "2026-02"].set_index("Item")["Qty"].astype(float)
    by_family = feb.groupby(items.loc[feb.index, "Family"]).sum()
    rows = change[change["Period"] == "2026-02"].set_index("Family")
    for family, value in by_family.items():
        assert float(rows.loc[family, "LastPlan"]) == pytest.approx(value, abs=0.02)
        this, old = float(rows.loc[family, "ThisPlan"]), float(rows.loc[family, "LastPlan"])
        assert float(rows.loc[family, "Change"]) == pytest.approx(this - old, abs=0.02)
    assert len(consensus)  # the fixture's snapshot plan exists


def test_rerun_past_period_difference_and_cumulative(rerun, demo_rolled):
    book = open_book(rerun)
    sop = book.read_table("tblSOPPlan").set_index(["Family", "Measure"])
    items = book.read_table("tblItems").set_index("Item")
    family = items["Family"]
    actual = demo_rolled.hand["actual"].groupby(family).sum()
    plan = demo_rolled.hand["consensus"].groupby(family).sum()
    for name in actual.index:
        assert float(sop.loc[(name, "Sales actual"), "2026-01"]) == pytest.approx(actual[name])
        assert float(sop.loc[(name, "Sales plan"), "2026-01"]) == pytest.approx(
            plan[name], abs=0.05
        )
        diff = float(sop.loc[(name, "Difference"), "2026-01"])
        assert diff == pytest.approx(actual[name] - plan[name], abs=0.05)
        past = ["2025-11", "2025-12", "2026-01"]
        diffs = pd.to_numeric(sop.loc[(name, "Difference"), past]).fillna(0.0).cumsum()
        assert float(sop.loc[(name, "Cumulative difference"), "2026-01"]) == pytest.approx(
            diffs.iloc[-1], abs=0.05
        )


def test_run_opens_on_the_summary(demo_finished_file):
    wb = load_workbook(demo_finished_file, read_only=True)
    assert wb.active.title == "Summary"
    views = load_workbook(demo_finished_file)
    assert [ws.title for ws in views.worksheets if ws.sheet_view.tabSelected] == ["Summary"]


def test_a_rewrite_drops_the_old_quarter_and_year_columns():
    """Quarter and fiscal-year headers belong to the table like period headers: a rerun whose
    horizon moved drops those it no longer has, while a user's own column stays."""
    from sop_xl.workbook import schema
    from sop_xl.workbook.tables import Location
    from sop_xl.workbook.writeplan import plan_table

    old_headers = ("Family", "Measure", "Unit", "2025-10", "2025-Q4", "FY2025", "My note")
    old = Location("tblSOPPlan", "S&OP Plan", "A4:G5", 4, 1, 7, 5, old_headers)
    frame = pd.DataFrame([["F", "Revenue", "EUR", 1.0, 2.0]],
                         columns=["Family", "Measure", "Unit", "2025-11", "2026-Q1"])  # fmt: skip
    plan = plan_table(old, schema.table("tblSOPPlan"), frame)
    assert plan.headers == ("Family", "Measure", "Unit", "2025-11", "2026-Q1", "My note")


# ------------------------------------------------------------------------------------------
# the pure parts
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("period", "start", "label"),
    [("2026-01-01", 1, "FY2026"), ("2025-04-01", 4, "FY2026"), ("2026-03-01", 4, "FY2026"),
     ("2025-09-01", 10, "FY2025"), ("2025-10-01", 10, "FY2026")],
)  # fmt: skip
def test_fiscal_year_named_by_the_year_it_ends(period, start, label):
    assert fiscal_year_label(ts(period), start) == label
    assert fiscal_year_label(fiscal_year_start(ts(period), start), start) == label


def test_quarters():
    assert [quarter_label(ts(f"2026-{m:02d}-01")) for m in (1, 3, 4, 12)] == [
        "2026-Q1", "2026-Q1", "2026-Q2", "2026-Q4"]  # fmt: skip


def test_running_difference_adds_up():
    actual = pd.Series([10.0, 12.0, 9.0, np.nan])
    plan = pd.Series([11.0, 10.0, 10.0, 10.0])
    diff, cum = running_difference(actual, plan)
    assert diff.tolist()[:3] == [-1.0, 2.0, -1.0] and np.isnan(diff.iloc[3])
    assert cum.tolist()[:3] == [-1.0, 1.0, 0.0]


def test_bucket_sum_is_blank_when_a_period_has_no_plan():
    assert np.isnan(bucket_value(pd.Series([1.0, np.nan]), "sum"))
    assert bucket_value(pd.Series([1.0, 2.0]), "sum") == 3.0
    assert bucket_value(pd.Series([4.0, 5.0]), "last") == 5.0


def test_revenue_at_stake_takes_the_larger_risk():
    assert revenue_at_stake(-10, 100, 5_000, -200, 40.0) == 500.0  # 10 units at 50 each
    assert revenue_at_stake(0, 100, 5_000, -800, 40.0) == 800.0
    assert revenue_at_stake(-10, 0, 0, np.nan, 40.0) == 400.0  # nothing ships: the list price
    assert revenue_at_stake(5, 100, 5_000, 300, 40.0) == 0.0


def test_months_without_a_budget_are_named_not_counted_as_zero(unrun_demo):
    from sop_xl.workbook import tables

    book = open_book(unrun_demo)
    ws, tbl = tables.find_table(book.workbook, "tblBudget")
    loc = tables.locate(ws, tbl)
    budget = book.read_table("tblBudget")
    gone = budget[(budget["Family"] == "Garden") & budget["Period"].isin(
        [dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1)])]  # fmt: skip
    for row in gone.index:  # the frame's index is the Excel row
        for col in range(loc.first_col, loc.last_col + 1):
            ws.cell(row, col).value = None
    report = run_cycle(book, save=False, n_jobs=1)
    view = report.tables["tblYearView"].set_index("Family")
    kept = budget.drop(gone.index)
    in_year = kept[(kept["Family"] == "Garden")
                   & kept["Period"].between(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 1))]  # fmt: skip
    assert view.loc["Garden", "Budget"] == pytest.approx(in_year["Revenue"].sum())
    assert view.loc["Garden", "Note"] == "no budget for 2026-11, 2026-12"
    months = report.tables["tblRevenueByMonth"].set_index("Period")
    plan = report.tables["tblSOPPlan"].set_index(["Family", "Measure"])
    budgeted = [f"2026-{m:02d}" for m in range(1, 11)]
    revenue = pd.to_numeric(plan.loc[("Garden", "Revenue"), budgeted]).sum()
    assert view.loc["Garden", "GapToBudget"] == pytest.approx(
        revenue - in_year["Revenue"].sum(), abs=0.05
    )
    assert pd.isna(months.loc["2026-11", "Budget"])  # a partial total is no budget
    assert pd.isna(plan.loc[("Garden", "Budget"), "2026-11"])
    assert pd.isna(plan.loc[("Garden", "Budget"), "FY2026"])
