"""Issue 10, probes as a user makes them: one line per unknown item, `validate` agreeing with
`run` (a fresh template is refused by both), no .xlsm without its VBA project."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.cli import main
from sop_xl.cycle.transaction import check_inputs
from sop_xl.demo import demo_tables
from sop_xl.workbook.book import new_book
from sop_xl.workbook.fill import fill_inputs
from sop_xl.workbook.validate import errors, row_ranges, validate


def test_one_unknown_item_in_thirty_rows_is_one_problem_naming_the_rows():
    frames = demo_tables()
    actuals = frames["tblActuals"].astype(object).copy()
    actuals.loc[7:36, "Item"] = "XX-1"  # 30 rows, Excel rows 12-41 (header on row 4)
    frames["tblActuals"] = actuals
    book = new_book()
    fill_inputs(book.workbook, frames)
    unknown = [p for p in validate(book) if "unknown item" in p.message]
    assert [str(p) for p in unknown] == [
        "error: Actuals row 12 Item: unknown item 'XX-1' (not in tblItems): 30 rows of Actuals, "
        "rows 12-41"
    ]


def test_row_ranges():
    assert row_ranges([5]) == "5"
    assert row_ranges([9, 7, 8, 12]) == "7-9, 12"
    assert row_ranges([1, 3, 5, 7, 9, 11], limit=4) == "1, 3, 5, 7, ..."


def test_a_fresh_template_is_refused_by_validate_as_by_run(tmp_path, capsys):
    path = tmp_path / "fresh.xlsx"
    assert main(["new", str(path)]) == 0
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Settings CycleStart is blank and tblActuals is empty: give the first plan period" in err
    data = path.read_bytes()
    assert main(["run", str(path), "--jobs", "1"]) == 1
    assert "Settings CycleStart is blank and tblActuals is empty" in capsys.readouterr().err
    assert path.read_bytes() == data


def test_check_inputs_is_clean_on_the_demo():
    book = new_book()
    fill_inputs(book.workbook, demo_tables())
    assert errors(check_inputs(book)) == []
    assert isinstance(demo_tables()["tblActuals"], pd.DataFrame)


def test_new_writes_an_xlsm_only_with_its_vba_project(tmp_path, capsys):
    """An .xlsm name gets a macro workbook (issue 13), never an .xlsx under that name."""
    import zipfile

    path = tmp_path / "plan.xlsm"
    assert main(["new", "--demo", str(path)]) == 0
    with zipfile.ZipFile(path) as book:
        assert "xl/vbaProject.bin" in book.namelist()
        assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in book.read(
            "[Content_Types].xml"
        )
    assert main(["new", str(tmp_path / "plan.xls")]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "sop-xl: error: the workbook name must end in .xlsx or .xlsm; got plan.xls"
    )


def test_an_absurd_lead_time_is_refused_not_wrapped_around(tmp_path, capsys):
    """Review finding: LeadTime 1e20 overflowed to a negative whole number, so production
    started in period 2; the cell and the Excel function now refuse it by name."""
    from sop_udfs import sop_production_plan

    frames = demo_tables()
    items = frames["tblItems"].astype({"LeadTime": float})
    items.loc[items["Item"] == "SP-101", "LeadTime"] = 1e20
    frames["tblItems"] = items
    book = new_book()
    fill_inputs(book.workbook, frames)
    path = book.save(tmp_path / "lead.xlsx")
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Items row" in err and "LeadTime must be between 0 and 1,000 periods; got 1e+20" in err
    assert sop_production_plan([[100] * 6], 0, lead_time=1e300) == (
        "#SOP! lead_time must be <= 1,000; got 1e+300"
    )


def test_a_stale_plan_table_is_named_when_one_step_runs_after_a_roll_forward(
    demo_rolled, tmp_path, capsys
):
    """Review finding: `--step supply` after a roll forward said only "the table has no column
    2027-07"; the refusal names the table, and the file is unchanged."""
    import shutil

    path = tmp_path / "rolled.xlsx"
    shutil.copy(demo_rolled.path, path)
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["run", str(path), "--step", "supply", "--jobs", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "sop-xl: error: tblDemandPlan has no column 2027-07 (plan periods changed?): run its step "
        "again"
    ]
    assert path.read_bytes() == before


def test_fill_rate_counts_demand_shipped_in_its_own_period_not_backlog_caught_up():
    """Review finding: shipped / demand stayed at 100% while items were short, because late
    shipments of a backlog were counted. Worked by hand: opening backlog 40, demand 100 a
    period, shipments 60 (40 owed + 20 new), 180 (80 owed + 100), 100; backlog 80, 0, 0 at the
    ends: served in period 20, 100, 100 of 300 = 73.3%."""
    from sop_xl.cycle.finance import ItemFlows
    from sop_xl.kpi import fill_rate

    def grid(*values):
        return pd.DataFrame([values], index=["A"], columns=["p1", "p2", "p3"], dtype=float)

    flows = ItemFlows(
        demand=grid(100, 100, 100),
        receipts=grid(0, 0, 0),
        production=grid(0, 0, 0),
        on_hand=grid(-80, 0, 0),
        safety_stock=grid(0, 0, 0),
        shipments=grid(60, 180, 100),
        backlog=grid(80, 0, 0),
    )
    served = flows.served_in_period([40.0])
    assert served.tolist() == [[20.0, 100.0, 100.0]]
    assert fill_rate(served, flows.demand.to_numpy()) == pytest.approx(220 / 300)
    assert fill_rate(flows.shipments.to_numpy(), flows.demand.to_numpy()) > 1  # the old figure
