"""The ribbon macros on xlwings' real remote Book, loaded with the demo workbook.

Each test runs a macro on ``xw.Book(json=...)`` (the JSON xlwings' Office.js client sends, see
:mod:`remote_book`) and asserts the write actions xlwings queues for Excel: which ranges, in
blocks, nothing on an input table, and for bad input nothing but the message.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xlwings as xw
from openpyxl import load_workbook
from remote_book import actions, remote_book, replay

from sop_xl import macros
from sop_xl.cycle.steps import SUMMARY_TABLES
from sop_xl.errors import SopError
from sop_xl.workbook import schema
from sop_xl.workbook.book import open_book
from sop_xl.workbook.live import XlwingsBook

ROOT = Path(__file__).resolve().parents[1]
HAS_RECORDS = importlib.util.find_spec("sop_xl.records") is not None


@pytest.fixture(scope="module")
def demo_path(demo_unrun_file):
    """The session's demo before the cycle (read only: remote_book loads it, nothing saves it)."""
    return demo_unrun_file


def _sheet(xbook, action) -> str:
    return xbook.sheets[action["sheet_position"]].name


def _cells(xbook, action) -> tuple[str, int, int, int, int]:
    """(sheet, first row, first column, rows, columns) of a range action, 1-based."""
    return (
        _sheet(xbook, action),
        action["start_row"] + 1,
        action["start_column"] + 1,
        action["row_count"],
        action["column_count"],
    )


def _input_ranges(demo_path):
    """Every cell range of an input table (with the row above it) in the demo."""
    book = open_book(demo_path)
    out = []
    for spec in schema.TABLES.values():
        if spec.role == "input":
            loc = book.locate(spec.name)
            out.append((loc.sheet, loc.header_row - 1, loc.first_col, loc.last_row, loc.last_col))
    return out


def assert_no_input_written(xbook, queued, demo_path):
    for action in queued:
        if action["func"] in ("alert", "activateSheet"):  # no cell written
            continue
        if action["func"] == "resizeTable":
            table = list(xbook.sheets[action["sheet_position"]].tables)[action["args"][0]]
            assert schema.TABLES[table.name].role == "output", table.name
            continue
        sheet, row, col, nrows, ncols = _cells(xbook, action)
        for in_sheet, top, left, bottom, right in _input_ranges(demo_path):
            if sheet != in_sheet:
                continue
            overlaps = row <= bottom and top <= row + nrows - 1
            overlaps = overlaps and col <= right and left <= col + ncols - 1
            assert not overlaps, f"{action['func']} on {sheet} touches an input table"


def assert_only_the_message(xbook, result, demo_path):
    """Bad input: a Log row, the Start message and an alert, nothing else."""
    queued = actions(xbook)
    assert [a["func"] for a in queued] == ["setValues", "setValues", "alert"]
    log_row, start, alert = queued
    log_loc = open_book(demo_path).locate("tblLog")
    assert _cells(xbook, log_row) == ("Log", log_loc.first_data_row, log_loc.first_col, 1, 6)
    assert log_row["values"][0][2] == result.action
    assert log_row["values"][0][5].startswith("stopped: ")
    assert _cells(xbook, start) == ("Start", 3, 1, 1, 1)
    assert start["values"][0][0].startswith("Last run ")
    assert start["values"][0][0].endswith(result.message)
    assert alert["args"][0] == result.message
    assert alert["args"][3] == "critical"


def test_one_function_per_button():
    assert set(macros.MACROS) == {
        "refresh_forecast",
        "build_demand_plan",
        "build_supply_plan",
        "reconcile",
        "refresh_kpis",
        "run_cycle",
        "validate_inputs",
        "snapshot_cycle",
        "roll_forward",
    }
    for name in macros.MACROS:
        function = getattr(macros, name)
        params = inspect.signature(function).parameters
        assert list(params) == ["book"], name
        assert params["book"].default is None
        assert inspect.getdoc(function), name


def test_validate_inputs_writes_only_its_message(demo_path, shared_remote_book):
    xbook = shared_remote_book(demo_path)
    result = macros.validate_inputs(xbook)
    assert result.ok, result.message
    assert result.message == "validate inputs: inputs OK"
    queued = actions(xbook)
    assert [a["func"] for a in queued] == ["setValues", "setValues", "alert"]
    assert queued[0]["values"][0][2:] == ["validate inputs", 0, result.seconds, "inputs OK"]
    assert queued[1]["values"][0][0].endswith("validate inputs: inputs OK")
    assert queued[2]["args"][3] == "info"  # no status bar on this engine: an alert says it


def test_bad_input_writes_nothing_but_the_message(demo_path, shared_remote_book):
    xbook = shared_remote_book(demo_path)
    xbook.sheets["Actuals"].impl.api["values"][6][2] = ""  # Actuals row 7: Qty blank
    xbook.sheets["Items"].impl.api["values"][5][4] = "n/a"  # Items row 6: UnitPrice text
    result = macros.validate_inputs(xbook)
    assert not result.ok
    assert result.message.startswith("validate inputs stopped: 2 errors")
    assert "error: Actuals row 7 Qty: Qty is blank" in result.message
    assert "error: Items row 6 UnitPrice: UnitPrice (price) must be a number; got 'n/a'" in (
        result.message
    )
    assert "error: Actuals row 7 Qty: Qty is blank" in result.problems
    assert_only_the_message(xbook, result, demo_path)


def test_missing_table_is_reported(demo_path, shared_remote_book):
    xbook = shared_remote_book(demo_path)
    xbook.sheets["Supply"].impl.api["tables"].pop(0)  # tblReceipts
    result = macros.validate_inputs(xbook)
    assert not result.ok
    assert "error: Supply: table tblReceipts is missing" in result.message
    assert_only_the_message(xbook, result, demo_path)


def test_a_failure_halfway_leaves_the_workbook_as_it_was(demo_path, shared_remote_book):
    """Writes planned before the failure are dropped: never a half-written workbook."""
    xbook = shared_remote_book(demo_path)

    def work(live: XlwingsBook):
        live.write_table(
            "tblKPIs", pd.DataFrame({h: ["x"] for h in schema.TABLES["tblKPIs"].headers})
        )
        raise SopError("tblBudget row 9: Revenue must be a number; got 'abc'")

    result = macros._run(xbook, "reconcile", work)
    assert not result.ok
    assert result.message == (
        "reconcile stopped: tblBudget row 9: Revenue must be a number; got 'abc'"
    )
    assert_only_the_message(xbook, result, demo_path)


def test_internal_error_is_one_line_and_logged(demo_path, caplog, shared_remote_book):
    xbook = shared_remote_book(demo_path)

    def work(live: XlwingsBook):
        return {}["missing"]

    result = macros._run(xbook, "refresh KPIs", work)
    assert result.message == "refresh KPIs stopped: internal error: 'missing'"
    assert "Traceback" in caplog.text
    assert_only_the_message(xbook, result, demo_path)


def test_without_a_book_the_caller_is_used(demo_path, shared_remote_book):
    xbook = shared_remote_book(demo_path)
    xbook.set_mock_caller()  # what RunPython's --wb= names, from Python
    try:
        result = macros.validate_inputs()
    finally:
        del xw.Book._mock_caller
    assert result.ok
    assert [a["func"] for a in actions(xbook)] == ["setValues", "setValues", "alert"]


def test_records_buttons_snapshot_and_roll_forward(cycled_path, tmp_path, shared_remote_book):
    """Issue 6: the buttons run sop_xl.records on the live book; the file gets the same cells."""
    from sop_xl.cycle import snapshot

    assert HAS_RECORDS
    xbook = shared_remote_book(cycled_path)
    result = macros.snapshot_cycle(xbook)
    assert result.ok, result.message
    assert result.message.startswith("snapshot cycle: cycle 2026-01: 2,521 rows to History")
    assert result.rows == 2521
    queued = actions(xbook)
    assert_no_input_written(xbook, queued, cycled_path)
    log_rows = [a for a in queued if a["func"] == "setValues" and _sheet(xbook, a) == "Log"]
    assert len(log_rows) == 1 and log_rows[0]["values"][0][2] == "snapshot"  # one Log row
    replayed = load_workbook(cycled_path)
    replay(replayed, queued)
    replayed.save(tmp_path / "live.xlsx")
    live = open_book(tmp_path / "live.xlsx").read_table("tblHistory")
    file = open_book(cycled_path)
    snapshot(file, save=False)
    want = file.read_table("tblHistory")
    columns = ["Cycle", "Kind", "Item", "Period", "Qty"]
    assert live[columns].values.tolist() == want[columns].values.tolist()

    # roll forward on the snapshot workbook: Settings, Adjustments, Start, History of adjustments
    xbook = remote_book(tmp_path / "live.xlsx")
    result = macros.roll_forward(xbook)
    assert result.ok, result.message
    assert result.message.startswith("roll forward: cycle 2026-01 -> 2026-02")
    assert "1 adjustment(s) of past periods moved" in result.message
    replayed = load_workbook(tmp_path / "live.xlsx")
    replay(replayed, actions(xbook))
    replayed.save(tmp_path / "rolled.xlsx")
    rolled = open_book(tmp_path / "rolled.xlsx")
    assert rolled.settings()["CycleStart"] == pd.Timestamp("2026-02-01")
    # the demo's 7 adjustments (HE-109's phase-out is its EndPeriod, issue 15) less the one moved
    assert len(rolled.read_table("tblAdjustments")) == 6
    moved = rolled.read_table("tblAdjustmentHistory")
    assert moved[["Cycle", "Item", "Period"]].values.tolist() == [["2026-01", "KI-112", "2026-01"]]
    status = [replayed["Start"].cell(r, 3).value for r in range(11, 17)]
    assert status == ["not started"] * 6
    assert rolled.read_table("tblLog")["Action"].tolist()[-1] == "roll forward"


_SERVER = r"""
import asyncio, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import xlwings as xw
from xlwings import server
from remote_book import remote_book
from sop_xl import macros

meta = server.custom_scripts_meta(macros)
book = remote_book(sys.argv[3])
back = asyncio.run(
    server.custom_scripts_call(macros, "validate_inputs", typehint_to_value={xw.Book: book})
)
json.dump({"meta": meta, "same": back is book, "actions": book.json()["actions"]}, sys.stdout)
"""


def test_registered_as_xlwings_scripts(demo_path):
    """In xlwings Server/Lite mode every macro is a script and runs on the book it is given."""
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.run(
        [sys.executable, "-c", _SERVER, str(ROOT), str(ROOT / "tests"), str(demo_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert sorted(m["function_name"] for m in out["meta"]) == sorted(macros.MACROS)
    assert all(m["lazy"] is False for m in out["meta"])  # values are loaded with the book
    assert out["same"]
    assert [a["func"] for a in out["actions"]] == ["setValues", "setValues", "alert"]
    assert out["actions"][1]["values"][0][0].endswith("validate inputs: inputs OK")


# -- the cycle buttons -------------------------------------------------------------------
BUTTONS = [
    (macros.refresh_forecast, "refresh forecast", ["tblForecast"]),
    (macros.build_demand_plan, "build demand plan", ["tblDemandPlan"]),
    (macros.build_supply_plan, "build supply plan", ["tblSupplyPlan", "tblCapacity"]),
    (
        macros.reconcile,
        "reconcile",
        ["tblFinancePlan", "tblSOPPlan", "tblReconciliation", "tblScenarioCompare"],
    ),
    (
        macros.refresh_kpis,
        "refresh KPIs",
        ["tblKPIs", "tblKPITrend", "tblFVA", "tblForecastAccuracy", *SUMMARY_TABLES],
    ),
]
ALL_OUTPUTS = [t for _, _, tables in BUTTONS for t in tables]


@pytest.fixture(scope="module")
def cycled_path(demo_finished_file):
    """The demo after a whole cycle on the file (what the later buttons start from); the
    session's, read only."""
    return demo_finished_file


@pytest.fixture(scope="module")
def live_cycle(demo_path, shared_remote_book):
    """The Run cycle button on the live demo, once for the module: the book and the result."""
    xbook = shared_remote_book(demo_path)
    return xbook, macros.run_cycle(xbook)


def _table_writes(xbook, queued) -> dict[str, list[dict]]:
    """The setValues actions on each table's header row, by table name."""
    out: dict[str, list[dict]] = {}
    for action in queued:
        if action["func"] != "setValues":
            continue
        sheet = xbook.sheets[action["sheet_position"]]
        for table in sheet.tables:
            header = table.header_row_range
            if (header.row, header.column) == (action["start_row"] + 1, action["start_column"] + 1):
                out.setdefault(table.name, []).append(action)
    return out


@pytest.mark.parametrize(("macro", "action", "outputs"), BUTTONS)
def test_each_button_writes_its_tables_in_blocks(
    cycled_path, macro, action, outputs, shared_remote_book
):
    xbook = shared_remote_book(cycled_path)
    result = macro(xbook)
    assert result.ok, result.message
    assert result.message.startswith(f"{action}: wrote {outputs[0]} (")
    queued = actions(xbook)
    writes = _table_writes(xbook, queued)
    assert sorted(writes) == sorted(outputs)  # only its own tables
    for name in outputs:
        (block,) = writes[name]  # one block per table: header and every row
        frame = open_book(cycled_path).read_table(name)
        assert block["row_count"] == len(frame) + 1
    assert_no_input_written(xbook, queued, cycled_path)
    log_rows = [a for a in queued if a["func"] == "setValues" and _sheet(xbook, a) == "Log"]
    assert len(log_rows) == 1  # the runner's Log row, not a second one
    assert result.statuses[0] == f"S&OP {action}..."
    assert f"S&OP {action}: checking inputs" in result.statuses
    assert f"S&OP {action}: writing 0/{len(outputs)}" in result.statuses or len(outputs) == 1
    assert queued[-1]["func"] == "alert" and queued[-1]["args"][3] == "info"


def test_run_cycle_shows_progress_and_writes_every_output(demo_path, live_cycle):
    xbook, result = live_cycle
    assert result.ok, result.message
    queued = actions(xbook)
    writes = _table_writes(xbook, queued)
    assert sorted(writes) == sorted(ALL_OUTPUTS)
    assert all(len(blocks) == 1 for blocks in writes.values())
    assert_no_input_written(xbook, queued, demo_path)
    forecast = [s for s in result.statuses if s.startswith("S&OP run cycle: forecast ")]
    # every series forecast counts: 44 items and 42 holdouts at least, plus the cycle's
    # Holt-Winters checks on the holdout (sop_xl.cycle.forecasting); the bar ends full
    done, total = map(int, forecast[-1].removeprefix("S&OP run cycle: forecast ").split("/"))
    assert done == total >= 44 + 42
    assert "reconciliation row(s) need a decision" in result.message
    assert result.rows == sum(len(blocks[0]["values"]) - 1 for blocks in writes.values())


def test_the_live_book_gets_the_cells_the_file_gets(demo_path, demo_finished_file, live_cycle):
    """The same cycle on FileBook and on XlwingsBook: every output table, cell for cell."""
    file = demo_finished_file  # the demo after run_cycle on the file (conftest.demo_cycle)
    xbook, result = live_cycle
    assert result.ok
    replayed = load_workbook(demo_path)
    replay(replayed, actions(xbook))
    expected = load_workbook(file)
    from_file = open_book(file)
    for name in ALL_OUTPUTS:
        loc = from_file.locate(name)
        got_ws, want_ws = replayed[loc.sheet], expected[loc.sheet]
        assert dict.__getitem__(got_ws.tables, name).ref == loc.ref, name
        for row in range(loc.header_row - 1, loc.last_row + 2):
            got = [got_ws.cell(row, c).value for c in range(loc.first_col, loc.last_col + 2)]
            want = [want_ws.cell(row, c).value for c in range(loc.first_col, loc.last_col + 2)]
            assert got == pytest.approx(want, rel=1e-12) if _numeric(want) else got == want, (
                name,
                row,
            )


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


@pytest.mark.parametrize(("macro", "action", "outputs"), BUTTONS)
def test_bad_input_stops_every_button(demo_path, macro, action, outputs, shared_remote_book):
    xbook = shared_remote_book(demo_path)
    xbook.sheets["Actuals"].impl.api["values"][6][2] = "twelve"  # Actuals row 7 Qty
    result = macro(xbook)
    assert not result.ok
    assert result.message.startswith(f"{action} stopped: 1 error(s) in the inputs")
    assert "Actuals row 7 Qty: Qty must be a number; got 'twelve'" in result.message
    assert_only_the_message(xbook, result, demo_path)


def test_a_missing_output_table_stops_the_button(demo_path, shared_remote_book):
    xbook = shared_remote_book(demo_path)
    xbook.sheets["Capacity"].impl.api["tables"].pop(1)  # tblCapacity
    result = macros.build_supply_plan(xbook)
    assert not result.ok
    assert "table tblCapacity is missing" in result.message
    assert_only_the_message(xbook, result, demo_path)
