"""run_cycle on workbooks: the whole demo cycle, single steps, refusals, Log and inputs kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.cycle import STEPS, run_cycle
from sop_xl.cycle.runner import OUTPUTS
from sop_xl.errors import SopError
from sop_xl.workbook import schema
from sop_xl.workbook.book import open_book
from sop_xl.workbook.periods import is_period_label


@pytest.fixture(scope="module")
def demo_run(demo_unrun_file, demo_cycle):
    """The session's finished demo, its report, and its input tables as before the cycle."""
    before = {name: open_book(demo_unrun_file).read_table(name) for name in schema.INPUT_TABLES}
    return demo_cycle.path, before, demo_cycle.report


def numbers(table: pd.DataFrame) -> pd.DataFrame:
    return table[[c for c in table.columns if is_period_label(c)]].astype(float)


def test_every_output_table_is_filled(demo_run):
    path, _, report = demo_run
    book = open_book(path)
    assert report.steps == STEPS
    for step in STEPS:
        for name in OUTPUTS[step]:
            table = book.read_table(name)
            assert len(table) == report.rows[name] > 0, name
    assert report.rows["tblForecast"] == 44
    assert report.rows["tblSupplyPlan"] == 44 * len(schema.SUPPLY_MEASURES)  # 10 since issue 11
    assert report.rows["tblCapacity"] == 3 * len(schema.CAPACITY_MEASURES)
    assert report.rows["tblFinancePlan"] == 4 * 7
    assert report.rows["tblReconciliation"] == 4 * 18


def test_no_nan_and_plausible_numbers(demo_run):
    path, _, _ = demo_run
    book = open_book(path)
    for name in ("tblForecast", "tblDemandPlan", "tblSupplyPlan", "tblCapacity",
                 "tblFinancePlan"):  # fmt: skip
        grid = numbers(book.read_table(name))
        assert grid.shape[1] == 18 and grid.notna().all().all(), name
    forecast = book.read_table("tblForecast")
    assert (numbers(forecast) >= 0).all().all()
    assert forecast["HoldoutWAPE"].dropna().astype(float).median() < 0.5
    cap = book.read_table("tblCapacity")
    util = numbers(cap[cap["Measure"] == "Utilization"])
    assert 0.5 < util.to_numpy().mean() < 1.1
    assert util.to_numpy().max() < 4
    fin = book.read_table("tblFinancePlan").set_index(["Family", "Measure"])
    revenue = numbers(fin.xs("Revenue", level="Measure"))
    margin = numbers(fin.xs("GrossMargin", level="Measure"))
    assert (revenue > 0).all().all() and (margin > 0).all().all()
    share = margin.sum(axis=1) / revenue.sum(axis=1)
    assert share.between(0.2, 0.7).all()
    budget = numbers(fin.xs("Budget", level="Measure"))
    # a plan within a believable distance of the budget, every family
    assert (revenue.sum(axis=1) / budget.sum(axis=1)).between(0.7, 1.4).all()


def test_demo_story_is_there(demo_run):
    path, _, report = demo_run
    rec = open_book(path).read_table("tblReconciliation")
    decisions = rec[rec["DecisionNeeded"].notna()]
    # the summer peak overloads moulding: the meeting is asked for overtime or a cut
    garden = decisions[(decisions["Family"] == "Garden") & decisions["Flag"].str.contains("MOULD")]
    assert not garden.empty
    assert garden["DecisionNeeded"].str.contains("overtime on MOULD").all()
    assert set(garden["Period"].str[5:]) & {"05", "06", "07"}
    kpis = {k.name: k for k in report.kpis}
    assert 0.05 < kpis["Forecast error (WAPE)"].value < 0.35
    assert abs(kpis["Forecast bias"].value) < 0.1
    # CNC and ASSY lack hours the requirement needs (issue 11): the plan ships less than demand
    assert 0.85 < kpis["Projected fill rate"].value < 1.0
    forecast = open_book(path).read_table("tblForecast").set_index("Item")
    # the air fryer follows the launch of its like item, the rice cooker (issue 15)
    assert forecast.loc["KI-112", "Method"] == "like item"
    ramp = numbers(forecast.loc[["KI-112"]]).iloc[0]
    assert ramp.iloc[:12].max() > 1.3 * ramp.iloc[0]  # its ramp goes on
    # the end-of-life heater timer sells out and stops
    plan = open_book(path).read_table("tblDemandPlan").set_index("Item")
    eol = numbers(plan.loc[["HE-109"]]).iloc[0]
    assert (eol.iloc[3:] == 0).all() and eol.iloc[0] > 0


def test_inputs_unchanged_and_log_row(demo_run):
    path, before, report = demo_run
    book = open_book(path)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(book.read_table(name), frame, check_dtype=False)
    log = book.read_table("tblLog")
    assert len(log) == 1
    row = log.iloc[-1]
    assert row["Action"] == "run cycle"
    assert row["Rows"] == report.total_rows
    assert float(row["Seconds"]) > 0
    assert "capacity cannot make" in row["Messages"]


def test_single_step_after_a_full_run(finished_demo):
    copy = finished_demo
    book = open_book(copy)
    supply_before = book.read_table("tblSupplyPlan")
    forecast_before = book.read_table("tblForecast")
    report = run_cycle(book, ["supply"], n_jobs=1)
    assert report.steps == ("supply",)
    assert set(report.rows) == {"tblSupplyPlan"}
    book = open_book(copy)
    # the same inputs and demand plan give the same supply plan; the forecast is not rewritten
    pd.testing.assert_frame_equal(book.read_table("tblSupplyPlan"), supply_before)
    pd.testing.assert_frame_equal(book.read_table("tblForecast"), forecast_before)
    assert book.read_table("tblLog")["Action"].tolist() == ["run cycle", "run supply"]
    report = run_cycle(open_book(copy), ["kpis", "reconcile"], n_jobs=1)
    assert report.steps == ("reconcile", "kpis")


def test_step_needs_the_earlier_outputs(unrun_demo):
    path = unrun_demo
    data = path.read_bytes()
    with pytest.raises(SopError, match="tblDemandPlan is empty: run the demand step"):
        run_cycle(open_book(path), ["supply"], n_jobs=1)
    with pytest.raises(SopError, match="unknown step 'plan'"):
        run_cycle(open_book(path), ["plan"])
    assert path.read_bytes() == data


def break_book(path, table, row, column, value):
    """Put ``value`` in a data cell of ``table`` (Excel row) straight into the file."""
    book = open_book(path)
    loc = book.locate(table)
    ws = book.workbook[loc.sheet]
    ws.cell(row, loc.first_col + loc.headers.index(column)).value = value
    book.save()


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("tblActuals", "Item", "XX-999", r"Actuals row 7 Item: unknown item 'XX-999'"),
        ("tblActuals", "Qty", "twelve", r"Actuals row 7 Qty: Qty must be a number; got 'twelve'"),
        ("tblReceipts", "Qty", -5, r"Supply row 7 Qty: Qty is negative: -5"),
    ],
)
def test_bad_input_is_refused_and_the_file_untouched(unrun_demo, table, column, value, message):
    path = unrun_demo
    break_book(path, table, 7, column, value)
    data = path.read_bytes()
    with pytest.raises(SopError, match=message):
        run_cycle(open_book(path), n_jobs=1)
    assert path.read_bytes() == data


def test_missing_table_is_refused(unrun_demo):
    path = unrun_demo
    book = open_book(path)
    ws = book.workbook["Supply"]
    del ws.tables["tblReceipts"]
    book.save()
    data = path.read_bytes()
    with pytest.raises(SopError, match="Supply: table tblReceipts is missing"):
        run_cycle(open_book(path), n_jobs=1)
    assert path.read_bytes() == data


def test_a_failing_step_writes_nothing(unrun_demo, monkeypatch):
    path = unrun_demo
    data = path.read_bytes()

    def boom(*args, **kwargs):
        raise SopError("capacity exploded")

    monkeypatch.setattr("sop_xl.cycle.steps.capacity_step", boom)
    with pytest.raises(SopError, match="capacity exploded"):
        run_cycle(open_book(path), n_jobs=1)
    assert path.read_bytes() == data


def test_progress_reports_each_stage(unrun_demo):
    path = unrun_demo
    stages = []
    run_cycle(open_book(path), ["forecast", "demand"], progress=lambda s, d, t: stages.append(s),
              n_jobs=1)  # fmt: skip
    seen = list(dict.fromkeys(stages))
    assert seen == ["validate", "read", "forecast", "demand", "write", "save"]


def test_user_kpi_target_is_kept(finished_demo):
    copy = finished_demo
    book = open_book(copy)
    loc = book.locate("tblKPIs")
    ws = book.workbook[loc.sheet]
    kpis = book.read_table("tblKPIs")
    row = int(kpis.index[kpis["KPI"] == "Forecast error (WAPE)"][0])
    ws.cell(row, loc.first_col + loc.headers.index("Target")).value = 0.2
    book.save()
    run_cycle(open_book(copy), ["kpis"], n_jobs=1)
    after = open_book(copy).read_table("tblKPIs").set_index("KPI")
    assert after.loc["Forecast error (WAPE)", "Target"] == 0.2
    assert np.isfinite(float(after.loc["Forecast error (WAPE)", "Value"]))
