"""Plan records on workbooks: two cycles end to end, re-snapshots, scenarios beside the base.

The multi-cycle test of issue 6: the demo is run and snapshot (cycle 2026-01), rolled forward,
given the "new" month 2026-01 of actuals from a known series, run and snapshot again (cycle
2026-02); its lag-1 WAPE, bias and FVA are then checked against numbers computed here by hand
from the plans the first cycle wrote and the known actuals.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import fill_start_dates
from openpyxl import load_workbook

from sop_xl.cycle import run_cycle, snapshot
from sop_xl.workbook import tables
from sop_xl.workbook.book import open_book


def _kpi(frame: pd.DataFrame, name: str):
    return frame.set_index("KPI").at[name, "Value"]


@pytest.fixture(scope="module")
def first(demo_finished_file):
    """The demo after one whole cycle: the session's, read only (the tests copy it). Its Start
    dates are blank; conftest.fill_start_dates gives a copy cycle 2026-01's."""
    return demo_finished_file


@pytest.fixture(scope="module")
def two_cycles(demo_rolled, tmp_path_factory):
    """Start dates, snapshot, roll forward, add 2026-01's actuals (conftest.demo_rolled), run,
    snapshot: the workbook and facts."""
    path = tmp_path_factory.mktemp("two") / "plan.xlsx"
    shutil.copy(demo_rolled.path, path)
    done = {"snapshot 1": demo_rolled.snapshot, "roll forward": demo_rolled.roll_forward}
    done["run 2"] = run_cycle(open_book(path), n_jobs=1)
    done["snapshot 2"] = snapshot(open_book(path))
    return path, done, demo_rolled.hand


def _wape(forecast: pd.Series, actual: pd.Series) -> float:
    total_error = 0.0
    total_actual = 0.0
    for item in actual.index:
        total_error += abs(forecast[item] - actual[item])
        total_actual += abs(actual[item])
    return total_error / total_actual


def test_first_snapshot_and_roll_forward(two_cycles, demo_rolled):
    path, done, _ = two_cycles
    assert str(done["snapshot 1"]) == (
        "cycle 2026-01: 2,521 rows to History (forecast 792, demand plan 792, supply plan 792, "
        "revenue 72, gross margin 72, cycle time 1)"
    )
    assert done["roll forward"].message == (
        "cycle 2026-01 -> 2026-02: CycleStart 2026-02 (plan 2026-02 to 2027-07); 1 adjustment(s) "
        "of past periods moved to tblAdjustmentHistory; 6 Start step(s) reset; run the cycle "
        "for the new plan"
    )
    book = open_book(path)
    assert book.settings()["CycleStart"] == pd.Timestamp("2026-02-01")
    assert book.settings()["Horizon"] == 18
    moved = book.read_table("tblAdjustmentHistory")
    assert moved[["Cycle", "Item", "Period", "Qty", "Type"]].values.tolist() == [
        ["2026-01", "KI-112", "2026-01", 150.0, "new product"]
    ]
    adjustments = book.read_table("tblAdjustments")
    # the demo's 7 (HE-109's phase-out is its EndPeriod, issue 15) less the one moved, compacted
    assert len(adjustments) == 6 and list(adjustments.index) == list(range(5, 11))
    history = book.read_table("tblHistory")
    cycle_time = history[history["Kind"] == "cycle time"]
    # cycle 2026-01 from the typed Start dates; 2026-02 from the dates its run and snapshot set
    assert cycle_time[["Cycle", "Item", "Period", "Qty"]].values.tolist() == [
        ["2026-01", "S&OP cycle", "2026-01", 18.0],
        ["2026-02", "S&OP cycle", "2026-02", 0.0],
    ]
    ws = load_workbook(demo_rolled.path)["Start"]  # as the roll forward left it
    assert [ws.cell(r, 3).value for r in range(11, 17)] == ["not started"] * 6
    assert [ws.cell(r, 4).value for r in range(11, 17)] == [None] * 6
    # then the run of the whole cycle and the snapshot: every step advanced, dated that day
    ws = load_workbook(path)["Start"]
    assert [ws.cell(r, 3).value for r in range(11, 17)] == ["done"] * 5 + ["in progress"]
    assert len({ws.cell(r, 4).value for r in range(11, 17)}) == 1
    assert len(book.read_table("tblDecisions")) == 4  # decisions stay


def test_lag1_accuracy_and_fva_by_hand(two_cycles):
    _, done, hand = two_cycles
    actual = hand["actual"]
    wape = {step: _wape(hand[step], actual) for step in ("naive", "statistical", "consensus")}
    bias = sum(hand["consensus"][i] - actual[i] for i in actual.index) / actual.abs().sum()
    kpis = done["run 2"].tables["tblKPIs"]
    assert _kpi(kpis, "Plan error, lag 1 (WAPE)") == pytest.approx(wape["consensus"], abs=6e-5)
    assert _kpi(kpis, "Plan bias, lag 1") == pytest.approx(bias, abs=6e-5)
    assert _kpi(kpis, "FVA statistical vs naive, lag 1") == pytest.approx(
        wape["naive"] - wape["statistical"], abs=6e-5
    )
    assert _kpi(kpis, "FVA overrides (consensus vs statistical), lag 1") == pytest.approx(
        wape["statistical"] - wape["consensus"], abs=6e-5
    )
    assert pd.isna(_kpi(kpis, "Plan error, lag 3 (WAPE)"))  # needs cycle 2025-11's plan
    # nobody typed the new cycle's Start dates: the run dated steps 1 and 5 with its own day
    assert _kpi(kpis, "S&OP cycle time") == 0.0

    fva = done["run 2"].tables["tblFVA"].set_index("Step")
    for step in ("naive", "statistical", "consensus"):
        assert fva.at[step, "Lag1WAPE"] == pytest.approx(wape[step], abs=6e-5)
    assert fva.at["consensus", "Lag1FVA"] == pytest.approx(
        wape["statistical"] - wape["consensus"], abs=6e-5
    )
    assert fva.at["naive", "Pairs"] == 44.0
    assert fva["Lag3WAPE"].tolist() == [None, None, None]

    # the per-item table: the item whose overrides hurt most comes first
    per_item = {
        item: (abs(hand["statistical"][item] - actual[item])
               - abs(hand["consensus"][item] - actual[item])) / abs(actual[item])
        for item in actual.index
        if actual[item]
    }  # fmt: skip
    worst = min(per_item, key=per_item.get)
    table = done["run 2"].tables["tblForecastAccuracy"]
    items = table[table["Level"] == "item"]
    assert items.iloc[0]["Name"] == worst
    assert items.iloc[0]["Lag1OverrideFVA"] == pytest.approx(per_item[worst], abs=6e-5)
    assert table.iloc[0]["Name"] == "Total"
    assert table.iloc[0]["Lag1Consensus"] == pytest.approx(wape["consensus"], abs=6e-5)


def test_second_snapshot_keeps_the_first_and_replaces_itself(two_cycles, tmp_path):
    path, done, _ = two_cycles
    assert str(done["snapshot 2"]).startswith("cycle 2026-02: 2,521 rows to History")
    history = open_book(path).read_table("tblHistory")
    assert history["Cycle"].value_counts().to_dict() == {"2026-01": 2521, "2026-02": 2521}
    first_rows = history[history["Cycle"] == "2026-01"].values.tolist()

    again = tmp_path / "again.xlsx"
    shutil.copy(path, again)
    result = snapshot(open_book(again))
    assert "; replaced the 2,521 rows of the earlier snapshot of 2026-02 (taken " in str(result)
    after = open_book(again).read_table("tblHistory")
    assert len(after) == len(history)  # never duplicated
    assert after[after["Cycle"] == "2026-01"].values.tolist() == first_rows  # untouched
    log = open_book(again).read_table("tblLog")
    assert log["Action"].tolist() == [
        "run cycle",
        "snapshot",
        "roll forward",
        "run cycle",
        "snapshot",
        "snapshot",
    ]
    assert log["Messages"].iloc[-1] == str(result)
    assert (log["Rows"] > 0).all() and log["User"].notna().all()


def test_scenarios_leave_the_base_plan_alone(first, tmp_path):
    """The same plan with and without tblScenarios: every base output is the same."""
    with_scenarios = open_book(first)
    compare = with_scenarios.read_table("tblScenarioCompare")
    assert compare["Scenario"].unique().tolist() == ["Hot summer", "Price +3%", "Supplier delay"]
    rows = compare.set_index(["Scenario", "Family", "Measure"])
    garden = rows.loc[("Hot summer", "Garden", "Demand")]
    # +20% by hand (each of the 12 x 18 plan cells is rounded to 2 decimals)
    assert garden["WhatIf"] == pytest.approx(1.2 * garden["Base"], abs=12 * 18 * 0.005)
    assert rows.loc[("Hot summer", "Heating", "Demand"), "Difference"] == 0.0
    price = rows.loc[("Price +3%", "Total", "Revenue")]
    assert price["DiffPct"] == pytest.approx(0.03, abs=1e-4)
    # a month longer lead time: more demand falls inside it, less ships (issue 11: nothing new
    # lands within a lead time) where capacity does not bind (Spares); Garden, short of
    # moulding hours in summer, shipped a little more (+0.1%) with the larger safety stock of a
    # longer lead time, built before the overload. The effect on working capital depends on
    # capacity, so no sign
    assert rows.loc[("Supplier delay", "Spares", "Supply"), "Difference"] < 0
    assert rows.loc[("Supplier delay", "Spares", "Revenue"), "Difference"] < 0

    without = tmp_path / "no_scenarios.xlsx"
    shutil.copy(first, without)
    wb = load_workbook(without)
    ws, tbl = tables.find_table(wb, "tblScenarios")
    loc = tables.locate(ws, tbl)
    for row in ws.iter_rows(min_row=loc.first_data_row, max_row=loc.last_row,
                            min_col=loc.first_col, max_col=loc.last_col):  # fmt: skip
        for cell in row:
            cell.value = None
    wb.save(without)
    report = run_cycle(open_book(without), ["demand", "supply", "capacity", "finance",
                                            "reconcile", "kpis"], n_jobs=1)  # fmt: skip
    assert report.rows["tblScenarioCompare"] == 0
    for name in ("tblDemandPlan", "tblSupplyPlan", "tblCapacity", "tblFinancePlan",
                 "tblReconciliation", "tblKPIs", "tblKPITrend", "tblFVA"):  # fmt: skip
        a = with_scenarios.read_table(name)
        b = open_book(without).read_table(name)
        assert a.astype(object).where(a.notna(), None).values.tolist() == (
            b.astype(object).where(b.notna(), None).values.tolist()
        ), name


def _set_setting(path, key, value) -> None:
    wb = load_workbook(path)
    ws, tbl = tables.find_table(wb, "tblSettings")
    loc = tables.locate(ws, tbl)
    rows = [
        r
        for r in range(loc.first_data_row, loc.last_row + 1)
        if ws.cell(r, loc.first_col).value == key
    ]
    ws.cell(rows[0], loc.first_col + 1).value = value
    wb.save(path)


def test_history_periods_keeps_the_first_plan_periods_of_each_item(first, tmp_path):
    path = tmp_path / "short.xlsx"
    shutil.copy(first, path)
    fill_start_dates(path)
    _set_setting(path, "HistoryPeriods", 3)
    result = snapshot(open_book(path))
    history = open_book(path).read_table("tblHistory")
    items = history[history["Kind"].isin(["forecast", "demand plan", "supply plan"])]
    assert sorted(items["Period"].unique()) == ["2026-01", "2026-02", "2026-03"]
    assert items.groupby("Kind")["Item"].nunique().to_dict() == {
        "demand plan": 44, "forecast": 44, "supply plan": 44}  # fmt: skip
    finance = history[history["Kind"].isin(["revenue", "gross margin"])]
    assert finance.groupby("Kind")["Period"].nunique().to_dict() == {
        "gross margin": 18, "revenue": 18}  # fmt: skip
    # 44 items x 3 kinds x 3 periods + 4 families x 2 kinds x 18 periods + the cycle time
    assert len(history) == 44 * 3 * 3 + 4 * 2 * 18 + 1
    assert str(result).startswith(f"cycle 2026-01: {len(history):,} rows to History")


def test_snapshot_refused_when_history_would_not_fit_on_a_sheet(first, tmp_path, monkeypatch):
    from sop_xl.cycle import actions
    from sop_xl.errors import SopError

    path = tmp_path / "full.xlsx"
    shutil.copy(first, path)
    fill_start_dates(path)
    before = path.read_bytes()
    monkeypatch.setattr(actions, "EXCEL_ROWS", 2_000)  # a sheet of 2,000 rows, header on row 4
    with pytest.raises(SopError, match=r"^cannot snapshot: History would hold 2,521 rows, "
                       r"more than the 1,996 an Excel sheet has room for below its header; "
                       r"set HistoryPeriods in Settings"):  # fmt: skip
        snapshot(open_book(path))
    assert path.read_bytes() == before


def test_rolled_event_is_taken_out_of_the_next_forecast(two_cycles):
    """Roll forward moved KI-112's +150 ``new product`` listing of 2026-01 to
    tblAdjustmentHistory; 2026-01's actual (conftest's known month) then holds it, and cycle
    2026-02's forecast learns from that actual less 150 (issue 15, item 4); no other item had
    an event in the past."""
    path, _, hand = two_cycles
    book = open_book(path)
    forecast = book.read_table("tblForecast").set_index("Item")
    assert hand["actual"]["KI-112"] > 150
    assert forecast.loc["KI-112", "EventsRemoved"] == 150
    assert forecast["EventsRemoved"].drop("KI-112").isna().all()
    messages = book.read_table("tblLog")["Messages"].astype(str)
    assert messages.str.contains(r"taken out of the history of 1 item\(s\): KI-112 -150").any()
