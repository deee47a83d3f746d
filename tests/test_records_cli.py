"""``sop-xl snapshot`` and ``sop-xl roll-forward``: success, and refusals that leave the file
byte-identical with a one-line message and exit 1."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from openpyxl import load_workbook

from sop_xl.cli import main
from sop_xl.workbook import tables
from sop_xl.workbook.book import open_book


@pytest.fixture(scope="module")
def demo(demo_unrun_file):
    """The session's demo before the cycle (read only; the tests copy it)."""
    return demo_unrun_file


@pytest.fixture(scope="module")
def cycled(demo_finished_file):
    """The session's demo after the cycle (read only; the tests copy it)."""
    return demo_finished_file


@pytest.fixture
def copy(tmp_path):
    def make(source, name="plan.xlsx"):
        target = tmp_path / name
        shutil.copy(source, target)
        return target

    return make


def refused(capsys, argv, path, match):
    """Run the CLI, expect exit 1 with one line matching ``match`` and the file unchanged."""
    before = path.read_bytes()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sop-xl: error: "), err
    assert match in err, err
    assert path.read_bytes() == before
    return err


def _edit_input(path, table, row_offset, column, value):
    wb = load_workbook(path)
    ws, tbl = tables.find_table(wb, table)
    loc = tables.locate(ws, tbl)
    ws.cell(
        loc.first_data_row + row_offset, loc.first_col + loc.headers.index(column)
    ).value = value
    wb.save(path)


def test_snapshot_then_roll_forward(cycled, copy, capsys):
    path = copy(cycled)
    assert main(["snapshot", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"updated {path}: cycle 2026-01: 2,521 rows to History (forecast 792")
    assert main(["roll-forward", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"updated {path}: cycle 2026-01 -> 2026-02: CycleStart 2026-02" in out
    assert open_book(path).read_table("tblLog")["Action"].tolist()[-2:] == [
        "snapshot",
        "roll forward",
    ]
    # the next cycle's plan does not exist yet: a snapshot now is stale
    refused(
        capsys,
        ["snapshot", str(path)],
        path,
        "cannot snapshot: the plan is stale: tblForecast starts at 2026-01, but the cycle "
        "starts at 2026-02 (Settings CycleStart); run the cycle (sop-xl run FILE) before the "
        "snapshot",
    )
    # no actuals of 2026-01 yet: a second roll forward would leave a month without actuals
    refused(
        capsys,
        ["roll-forward", str(path)],
        path,
        "cannot roll forward past the end of the actuals: they end at 2025-12 and the cycle "
        "already starts at 2026-02; add the actuals of 2026-01 to tblActuals first",
    )


def test_snapshot_without_a_plan(demo, copy, capsys):
    path = copy(demo)
    refused(
        capsys,
        ["snapshot", str(path)],
        path,
        "cannot snapshot: the plan is missing (tblForecast is empty)",
    )


def test_snapshot_after_the_inputs_changed(cycled, copy, capsys):
    path = copy(cycled)
    _edit_input(path, "tblAdjustments", 3, "Qty", 900.0)  # HE-101 tender: 400 -> 900 units
    refused(
        capsys,
        ["snapshot", str(path)],
        path,
        "cannot snapshot: the plan is stale: the inputs changed after the last run "
        "(tblDemandPlan HE-101 2026-02: ",
    )


def test_snapshot_after_the_actuals_changed(cycled, copy, capsys):
    path = copy(cycled)
    book = open_book(path)
    actuals = book.read_table("tblActuals")
    last = actuals.index[actuals["Period"] == dt.datetime(2025, 12, 1)][0]
    wb = load_workbook(path)
    wb["Actuals"].cell(last, 3).value = 99999.0
    wb.save(path)
    err = refused(capsys, ["snapshot", str(path)], path, "cannot snapshot: the plan is stale: ")
    assert "run the cycle (sop-xl run FILE) before the snapshot" in err


def test_snapshot_of_an_invalid_plan(cycled, copy, capsys):
    path = copy(cycled)
    wb = load_workbook(path)
    ws, tbl = tables.find_table(wb, "tblDemandPlan")
    loc = tables.locate(ws, tbl)
    ws.cell(loc.first_data_row + 2, loc.first_col + loc.headers.index("2026-03")).value = "lots"
    wb.save(path)
    refused(
        capsys,
        ["snapshot", str(path)],
        path,
        "cannot snapshot: the plan is invalid: tblDemandPlan row 7 2026-03: must be a number; "
        "got 'lots'",
    )


def test_snapshot_with_input_errors(cycled, copy, capsys):
    path = copy(cycled)
    _edit_input(path, "tblActuals", 2, "Qty", "twelve")
    refused(
        capsys,
        ["snapshot", str(path)],
        path,
        "cannot snapshot: 1 error(s) in the inputs, nothing was written: error: Actuals row 7 "
        "Qty: Qty must be a number; got 'twelve'",
    )


def test_roll_forward_needs_a_snapshot(cycled, copy, capsys):
    path = copy(cycled)
    refused(
        capsys,
        ["roll-forward", str(path)],
        path,
        "cannot roll forward: cycle 2026-01 has no snapshot in History",
    )
    assert main(["roll-forward", str(path), "--without-snapshot"]) == 0
    assert "note: cycle 2026-01 was not snapshot" in capsys.readouterr().out
    assert open_book(path).settings()["CycleStart"].strftime("%Y-%m") == "2026-02"


def test_missing_file(tmp_path, capsys):
    assert main(["snapshot", str(tmp_path / "nope.xlsx")]) == 1
    assert "does not exist" in capsys.readouterr().err
