"""KPIs from cells: inventory turnover, working capital and S&OP cycle time (issue 12) give the
KPI tab's numbers for the demo, refuse bad input with #SOP! text, and work through xlwings'
own server machinery."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from conftest import STEP_STARTS
from openpyxl import load_workbook

import sop_udfs as udfs
from sop_xl.workbook.book import open_book
from sop_xl.workbook.start_steps import start_steps

from xlwings_server import through_xlwings


# ---------------------------------------------------------------------------------------------
# exact cell outputs (worked by hand)
# ---------------------------------------------------------------------------------------------
def test_inventory_turnover_sums_cogs_over_mean_inventory():
    # COGS 400 over four periods, inventory 50, 50, 150, 150: mean 100, so 4 turns
    assert udfs.sop_inventory_turnover([[100, 100, 100, 100]], [[50, 50, 150, 150]]) == 4.0
    # a blank inventory period is missing (mean of the rest), a blank COGS period is 0
    assert udfs.sop_inventory_turnover([[100], [None], [100]], [[50], [None], [150]]) == 2.0
    assert udfs.sop_inventory_turnover([[100, 100]], 50) == 4.0


def test_working_capital_per_period():
    # 1000 + 600 * 45 / 30 - 300 * 30 / 30 = 1600; 1200 + 900 - 360 = 1740
    assert udfs.sop_working_capital([[1000], [1200]], [[600], [600]], [[300], [360]]) == [
        [1600.0],
        [1740.0],
    ]
    # weeks: 1000 + 700 * 30 / 7 - 70 * 60 / 7 = 1000 + 3000 - 600
    assert udfs.sop_working_capital([[1000, 1000]], 700, 70, 30, 60, 7) == [[3400.0, 3400.0]]
    assert udfs.sop_working_capital(1000, 600, 300) == 1600.0


def test_cycle_time_mean_days_over_the_pairs_given():
    starts = [[dt.datetime(2026, 1, 2)], [dt.datetime(2026, 2, 3)], [None]]
    ends = [[dt.datetime(2026, 1, 20)], ["2026-02-19"], [dt.datetime(2026, 3, 9)]]
    assert udfs.sop_cycle_time(starts, ends) == 17.0  # (18 + 16) / 2; the third has no start
    assert udfs.sop_cycle_time(46024, 46042) == 18.0  # Excel serials of 2 and 20 Jan 2026


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (
            lambda: udfs.sop_inventory_turnover([[1, 2]], [[0, 0]]),
            "#SOP! inventory_value must have a mean above 0 (turnover is undefined); got 0",
        ),
        (
            lambda: udfs.sop_inventory_turnover([[1, 2]], [[5, -1]]),
            "#SOP! inventory_value must be >= 0; got -1.0",
        ),
        (
            lambda: udfs.sop_inventory_turnover([[1, 2, 3]], [[5, 5]]),
            "#SOP! lengths must match: cogs has 3 values, inventory_value has 2 values",
        ),
        (
            lambda: udfs.sop_working_capital(1, 1, 1, -5),
            "#SOP! dso must be at least 0; got -5",
        ),
        (
            lambda: udfs.sop_working_capital(1, 1, 1, 45, 30, 0),
            "#SOP! days_per_period must be above 0; got 0",
        ),
        (
            lambda: udfs.sop_working_capital([[1, "#N/A"]], 1, 1),
            "#SOP! inventory_value contains an error value; got '#N/A' at row position 2",
        ),
        (
            lambda: udfs.sop_cycle_time([[46042]], [[46024]]),
            "#SOP! end_dates must not be before start_dates; got 2026-01-02 before 2026-01-20 "
            "at position 1",
        ),
        (
            lambda: udfs.sop_cycle_time([[46024], [46030]], [[46042]]),
            "#SOP! lengths must match: start_dates has 2 values, end_dates has 1",
        ),
        (
            lambda: udfs.sop_cycle_time([["soon"]], [[46042]]),
            "#SOP! start_dates must be dates; got 'soon' at position 1",
        ),
        (
            lambda: udfs.sop_cycle_time([[None]], [[46042]]),
            "#SOP! start_dates and end_dates have no pair with both dates given",
        ),
    ],
)
def test_refusals_show_sop_text(call, text):
    assert call() == text


# ---------------------------------------------------------------------------------------------
# the KPI tab's numbers for the demo
# ---------------------------------------------------------------------------------------------
def _kpi(path, name):
    return open_book(path).read_table("tblKPIs").set_index("KPI").at[name, "Value"]


def _plan_total(path, measure, periods):
    """One row per plan period: the measure summed over the families of tblFinancePlan."""
    table = open_book(path).read_table("tblFinancePlan")
    labels = [c for c in table.columns if c not in ("Family", "Measure")][:periods]
    rows = table[table["Measure"] == measure]
    return [[float(rows[label].astype(float).sum()) for label in labels]]


def test_turnover_and_working_capital_match_the_kpi_tab(demo_finished_file):
    path = demo_finished_file
    cogs = _plan_total(path, "COGS", 12)
    inventory = _plan_total(path, "InventoryValue", 12)
    revenue = _plan_total(path, "Revenue", 12)
    turnover = udfs.sop_inventory_turnover(cogs, inventory)
    assert turnover == pytest.approx(_kpi(path, "Inventory turnover, next 12 months"), abs=6e-5)
    settings = open_book(path).settings()
    per_period = udfs.sop_working_capital(
        inventory, revenue, cogs, settings["DSO"], settings["DPO"], settings["DaysPerPeriod"]
    )[0]
    assert len(per_period) == 12
    mean = sum(per_period) / 12
    assert mean == pytest.approx(_kpi(path, "Working capital, avg next 12 months"), rel=1e-7)
    # the same as tblFinancePlan's own WorkingCapital row, period by period
    assert per_period == pytest.approx(_plan_total(path, "WorkingCapital", 12)[0], abs=0.05)


def test_cycle_time_matches_the_kpi_tab(demo_finished_file, demo_rolled):
    # the demo run dated steps 1 and 5 itself (the KPI: meeting = step 5's start)
    steps, _ = start_steps(open_book(demo_finished_file))
    cell = udfs.sop_cycle_time(steps["start"].iloc[0].to_pydatetime(), steps["start"].iloc[4])
    assert cell == _kpi(demo_finished_file, "S&OP cycle time")
    # typed dates (conftest) for cycle 2026-01: the snapshot recorded 18 days in History
    history = open_book(demo_rolled.path).read_table("tblHistory")
    recorded = float(history.loc[history["Kind"] == "cycle time", "Qty"].iloc[0])
    assert udfs.sop_cycle_time(STEP_STARTS[0], STEP_STARTS[4]) == recorded == 18.0


def test_the_start_sheet_dates_are_date_cells(demo_finished_file):
    """What a manager's own KPI tab would point sop_cycle_time at: real dates, not text."""
    ws = load_workbook(demo_finished_file)["Start"]
    assert isinstance(ws.cell(11, 4).value, dt.datetime)
    assert pd.Timestamp(ws.cell(11, 4).value) == pd.Timestamp(ws.cell(15, 4).value)


# ---------------------------------------------------------------------------------------------
# through xlwings' server machinery
# ---------------------------------------------------------------------------------------------
CALLS = [
    ("sop_inventory_turnover", [[[100, 100, 100, 100]], [[50, 50, 150, 150]]]),
    ("sop_working_capital", [[[1000], [1200]], [[600], [600]], [[300], [360]], None, None, None]),
    ("sop_working_capital", [[[1000]], [[600]], [[300]], [[30]], [[60]], [[7]]]),
    ("sop_cycle_time", [[["2026-01-02"], ["2026-02-03"]], [["2026-01-20"], ["2026-02-19"]]]),
    ("sop_cycle_time", [[[46042]], [[46024]]]),
    ("sop_inventory_turnover", [[[1, "#N/A"]], [[5, 5]]]),
]


def test_xlwings_registers_them_and_returns_what_the_plain_call_returns():
    meta, results = through_xlwings(CALLS)
    functions = {f["name"]: f for f in meta["functions"]}
    for name in {name for name, _ in CALLS}:
        entry = functions[name.upper()]
        assert entry["description"] == getattr(udfs, name).__doc__.strip()
        for parameter in entry["parameters"]:
            assert parameter["description"], f"{name}({parameter['name']}) has no doc"
            assert parameter["dimensionality"] == "matrix"
    for (name, args), through in zip(CALLS, results, strict=True):
        plain = getattr(udfs, name)(*args)
        plain = plain if isinstance(plain, list) else [[plain]]
        assert through == plain, (name, through, plain)
    assert results[0] == [[4.0]]
    assert results[3] == [[17.0]]
    assert results[4][0][0].startswith("#SOP! end_dates must not be before start_dates")
    assert (
        not math.isnan(results[2][0][0]) and results[2][0][0] == 1000 + 600 * 30 / 7 - 300 * 60 / 7
    )


def test_cycle_time_refuses_dates_pandas_cannot_hold():
    """Found by the fuzz test: year 1, 9999-12-31 and serial numbers past 2261 gave an
    internal error (pandas' nanosecond dates end in 2262); they are refused by name."""
    for value in (dt.date(1, 1, 1), dt.datetime(9999, 12, 31), 2_900_000, 10**400):
        text = udfs.sop_cycle_time([value], [46_020])
        assert text.startswith("#SOP! start_dates must be dates"), text
    assert udfs.sop_cycle_time([dt.date(2026, 1, 1)], [dt.date(2026, 1, 21)]) == 20.0
