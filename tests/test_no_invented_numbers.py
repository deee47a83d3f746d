"""Issue 10 section 4: numbers that must not be invented, probed as a user would.

A small workbook (the demo cut to three Heating items: HE-101, HE-108 and the end-of-life
HE-109, six plan periods) goes through ``sop-xl run`` or ``sop-xl validate``: a missing budget
month stays blank and named, a family promotion reaches the plan in full, and cells that cannot
be meant are refused with their cell named instead of exit 0 (or a traceback).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sop_udfs
from sop_xl.cli import main
from sop_xl.demo import demo_tables
from sop_xl.inventory.policy import safety_stock
from sop_xl.workbook.book import new_book, open_book
from sop_xl.workbook.fill import fill_inputs

ITEMS = ("HE-101", "HE-108", "HE-109")  # HE-109 is the demo's end-of-life item
PLAN = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def small_tables() -> dict[str, pd.DataFrame]:
    """The demo's input tables for three Heating items, one resource and six plan periods."""
    tables = demo_tables()
    for name in ("tblItems", "tblActuals", "tblReceipts", "tblAdjustments"):
        frame = tables[name]
        tables[name] = frame[frame["Item"].isin(ITEMS)].reset_index(drop=True)
    resources = tables["tblResources"]
    tables["tblResources"] = resources[resources["Resource"] == "ASSY"].reset_index(drop=True)
    budget = tables["tblBudget"]
    tables["tblBudget"] = budget[budget["Family"] == "Heating"].reset_index(drop=True)
    tables["tblScenarios"] = tables["tblScenarios"].iloc[:0]
    set_setting(tables, "Horizon", len(PLAN))
    return tables


def set_setting(tables: dict[str, pd.DataFrame], key: str, value) -> None:
    settings = tables["tblSettings"].set_index("Key")
    settings.loc[key, "Value"] = value
    tables["tblSettings"] = settings.reset_index()


def write(folder: Path, tables: dict[str, pd.DataFrame], name: str = "plan.xlsx") -> Path:
    book = new_book()
    fill_inputs(book.workbook, tables)
    return book.save(folder / name)


def run(path: Path) -> int:
    return main(["run", str(path), "--jobs", "1"])


def by(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    return frame.set_index(list(keys) if len(keys) > 1 else keys[0])


# ------------------------------------------------------------------------------------------------
# a missing budget month is not 0
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def part_budget(tmp_path_factory):
    """Budget rows only for 2025-10 to 2026-02: three months of the last year, two of the plan."""
    tables = small_tables()
    budget = tables["tblBudget"]
    keep = (budget["Period"] >= pd.Timestamp("2025-10-01")) & (
        budget["Period"] <= pd.Timestamp("2026-02-01")
    )
    tables["tblBudget"] = budget[keep].reset_index(drop=True)
    path = write(tmp_path_factory.mktemp("budget"), tables)
    assert run(path) == 0
    given = {
        p.strftime("%Y-%m"): v for p, v in zip(budget["Period"], budget["Revenue"], strict=True)
    }
    return open_book(path), given


def test_reconciliation_leaves_budget_blank_and_names_the_month(part_budget):
    book, given = part_budget
    rec = by(book.read_table("tblReconciliation"), "Period")
    assert rec.loc["2026-01", "Budget"] == given["2026-01"]
    assert rec.loc["2026-01", "GapToBudget"] == pytest.approx(
        rec.loc["2026-01", "Revenue"] - given["2026-01"], abs=0.01
    )
    for label in PLAN[2:]:
        row = rec.loc[label]
        assert row["Revenue"] > 0
        assert row["Budget"] is None and row["GapToBudget"] is None  # was 0 and the revenue
        assert f"no budget for {label}" in row["Flag"]
        assert "budget gap" not in (row["DecisionNeeded"] or "")


def test_finance_plan_and_chart_have_no_budget_where_none_was_given(part_budget):
    book, given = part_budget
    finance = by(book.read_table("tblFinancePlan"), "Measure")
    assert finance.loc["Budget", "2026-02"] == given["2026-02"]
    for label in PLAN[2:]:
        assert finance.loc["Budget", label] is None
        assert finance.loc["GapToBudget", label] is None
    trend = by(book.read_table("tblKPITrend"), "Period")["Budget"]
    assert trend["2025-09"] is None and trend["2025-10"] == given["2025-10"]
    assert [trend[label] for label in PLAN] == [given["2026-01"], given["2026-02"]] + [None] * 4


def test_budget_targets_cover_the_same_months_as_the_values(part_budget):
    book, _ = part_budget
    kpis = by(book.read_table("tblKPIs"), "KPI")
    sales = kpis.loc["Total sales, last 12 months"]
    assert sales["Value"] > 0
    # was the budget of 3 months against 12 months of sales
    assert sales["Target"] is None
    assert "no budget for Heating in 2025-01 to 2025-09 (9 periods)" in sales["Definition"]
    plan = kpis.loc["Revenue plan, next 12 months"]
    assert plan["Target"] is None
    assert "no budget for Heating in 2026-03 to 2026-06 (4 periods)" in plan["Definition"]
    assert kpis.loc["Gross margin, next 12 months", "Target"] is None


# ------------------------------------------------------------------------------------------------
# a family adjustment is spread over the items that sell
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def family_promotion(tmp_path_factory):
    """One adjustment: Heating +500 units in 2026-02; the demo budget covers every month."""
    tables = small_tables()
    adjustments = tables["tblAdjustments"].iloc[:0].astype(object)
    row = dict.fromkeys(adjustments.columns)
    row.update(Family="Heating", Period=pd.Timestamp("2026-02-01"), Qty=500.0, Type="promotion")
    tables["tblAdjustments"] = pd.DataFrame([row], columns=adjustments.columns)
    path = write(tmp_path_factory.mktemp("promotion"), tables)
    assert run(path) == 0
    return open_book(path), tables


def test_family_qty_reaches_the_plan_in_full_and_the_log_says_where(family_promotion):
    book, _ = family_promotion
    forecast = by(book.read_table("tblForecast"), "Item")["2026-02"].astype(float)
    demand = by(book.read_table("tblDemandPlan"), "Item")["2026-02"].astype(float)
    added = demand - forecast
    # was +468: the eol item's share was cut to what its stock serves
    assert added[["HE-101", "HE-108"]].sum() == pytest.approx(500.0, abs=0.02)
    assert added["HE-101"] > 0 and added["HE-108"] > 0
    assert demand["HE-109"] <= forecast["HE-109"]  # the eol item takes no share
    log = book.read_table("tblLog")["Messages"].iloc[-1]
    assert "Heating 2026-02 +500 over 2 of 3 items" in log


def test_a_full_budget_still_gives_the_targets(family_promotion):
    book, tables = family_promotion
    budget = tables["tblBudget"]
    last_year = budget[budget["Period"].dt.year == 2025]["Revenue"].sum()
    kpis = by(book.read_table("tblKPIs"), "KPI")
    assert kpis.loc["Total sales, last 12 months", "Target"] == pytest.approx(last_year)
    assert kpis.loc["Total sales, last 12 months", "Definition"] == (
        "Actual qty x UnitPrice; target: budget"
    )
    rec = book.read_table("tblReconciliation")
    assert (
        rec["Budget"].notna().all() and not rec["Flag"].fillna("").str.contains("no budget").any()
    )


# ------------------------------------------------------------------------------------------------
# silent garbage: refused, naming the cell
# ------------------------------------------------------------------------------------------------
def _add_actual(tables: dict[str, pd.DataFrame], period) -> None:
    row = pd.DataFrame([{"Item": "HE-101", "Period": period, "Qty": 100.0}])
    tables["tblActuals"] = pd.concat([tables["tblActuals"], row], ignore_index=True)


def _hours(tables: dict[str, pd.DataFrame], value: float) -> None:
    tables["tblResources"] = tables["tblResources"].assign(HoursPerPeriod=value)


PROBES = {
    "DSO nan": (
        lambda t: set_setting(t, "DSO", "nan"),
        "Settings row 17 Value: setting DSO must be a number; got 'nan'",
    ),
    "Horizon nan": (  # was a ValueError traceback
        lambda t: set_setting(t, "Horizon", "nan"),
        "Settings row 8 Value: setting Horizon must be a number; got 'nan'",
    ),
    "HistoryPeriods nan": (
        lambda t: set_setting(t, "HistoryPeriods", "nan"),
        "Settings row 23 Value: setting HistoryPeriods must be a number; got 'nan'",
    ),
    "HoursPerPeriod 1e308": (
        lambda t: _hours(t, 1e308),
        "Capacity row 5 HoursPerPeriod: HoursPerPeriod must be between 0 and 1,000,000 hours "
        "per period; got 1e+308",
    ),
    "actual in 1900": (
        lambda t: _add_actual(t, pd.Timestamp("1900-01-01")),
        "Actuals row 113 Period: period 1900-01 is 123 years before the other actuals "
        "(2023-01 to 2025-12): a date typo?",
    ),
    "actual in 3024": (  # was a pandas AssertionError traceback
        lambda t: _add_actual(t, "3024-01"),
        "Actuals row 113 Period: period must be in the years 1900 to 2199; got '3024-01'",
    ),
    "actuals after CycleStart": (
        lambda t: set_setting(t, "CycleStart", "2025-11"),
        "Actuals row 40 Period: 3 row(s) of Actuals after CycleStart 2025-11 (2025-12, rows 40, "
        "76, 112): actuals are past sales",
    ),
    "CycleStart 1990-01": (  # was an all-zero plan
        lambda t: set_setting(t, "CycleStart", "1990-01"),
        "Settings row 7 Value: CycleStart 1990-01 is before the last actual period 2025-12",
    ),
    "CycleStart 3024-01": (
        lambda t: set_setting(t, "CycleStart", "3024-01"),
        "Settings row 7 Value: setting CycleStart must be a period in the years 1900 to 2199",
    ),
    "HoldoutPeriods = history": (  # was no holdout, silently
        lambda t: set_setting(t, "HoldoutPeriods", 36),
        "Settings row 12 Value: HoldoutPeriods 36 leaves no item a holdout: the actuals span 36 "
        "periods and an item needs 6 before its holdout to fit on; set at most 30",
    ),
}


@pytest.mark.parametrize("probe", list(PROBES))
def test_garbage_is_refused_by_validate_and_run_naming_the_cell(probe, tmp_path, capsys):
    edit, message = PROBES[probe]
    tables = small_tables()
    edit(tables)
    path = write(tmp_path, tables)
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    said = capsys.readouterr()
    assert message in said.out + said.err
    assert run(path) == 1
    err = capsys.readouterr().err
    assert err.startswith("sop-xl: error: 1 error(s) in the inputs, nothing was written")
    assert message in err and "Traceback" not in err
    assert path.read_bytes() == before


def test_sane_inputs_pass_the_new_checks(tmp_path, capsys):
    tables = small_tables()
    # the last actuals month is CycleStart (left out of the plan, as before): 35 periods of
    # actuals, of which 29 held out leave the 6 to fit on
    set_setting(tables, "CycleStart", "2025-12")
    set_setting(tables, "HoldoutPeriods", 29)
    _hours(tables, 1e6)
    path = write(tmp_path, tables)
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    set_setting(tables, "HoldoutPeriods", 30)
    path = write(tmp_path, tables, "thirty.xlsx")
    assert main(["validate", str(path)]) == 1
    assert "HoldoutPeriods 30 leaves no item a holdout" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# safety stock is never negative
# ------------------------------------------------------------------------------------------------
def test_safety_stock_below_half_service_is_zero_not_negative():
    # sigma = 20 sqrt(2) = 28.3 and z(1e-12) = -7.03: it was -199
    assert sop_udfs.sop_safety_stock(100, 20, 2, service_level=1e-12) == 0.0
    assert sop_udfs.sop_safety_stock([[100], [100]], [[20], [20]], 2, service_level=[[0.3], [0.95]]
                                     ) == [[0.0], [pytest.approx(46.5235, abs=1e-4)]]  # fmt: skip
    assert safety_stock(100, 20, 2, service_level=0.5) == 0.0
    levels = np.array([0.01, 0.2, 0.49, 0.51, 0.9])
    stock = safety_stock(np.full(5, 100.0), np.full(5, 20.0), np.full(5, 2.0),
                         service_level=levels)  # fmt: skip
    assert (stock >= 0).all() and (stock[:3] == 0).all() and (stock[3:] > 0).all()
