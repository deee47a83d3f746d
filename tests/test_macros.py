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
from remote_book import actions, remote_book

from sop_xl import macros
from sop_xl.demo import write_demo
from sop_xl.errors import SopError
from sop_xl.workbook import schema
from sop_xl.workbook.book import open_book
from sop_xl.workbook.live import XlwingsBook

ROOT = Path(__file__).resolve().parents[1]
HAS_RECORDS = importlib.util.find_spec("sop_xl.records") is not None


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("macros") / "demo.xlsx")


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
        if action["func"] == "alert":
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


def test_validate_inputs_writes_only_its_message(demo_path):
    xbook = remote_book(demo_path)
    result = macros.validate_inputs(xbook)
    assert result.ok, result.message
    assert result.message == "validate inputs: inputs OK"
    queued = actions(xbook)
    assert [a["func"] for a in queued] == ["setValues", "setValues", "alert"]
    assert queued[0]["values"][0][2:] == ["validate inputs", 0, result.seconds, "inputs OK"]
    assert queued[1]["values"][0][0].endswith("validate inputs: inputs OK")
    assert queued[2]["args"][3] == "info"  # no status bar on this engine: an alert says it


def test_bad_input_writes_nothing_but_the_message(demo_path):
    xbook = remote_book(demo_path)
    xbook.sheets["Actuals"].impl.api["values"][6][2] = ""  # Actuals row 7: Qty blank
    xbook.sheets["Items"].impl.api["values"][5][4] = "n/a"  # Items row 6: UnitPrice text
    result = macros.validate_inputs(xbook)
    assert not result.ok
    assert result.message.startswith("validate inputs stopped, nothing written: 2 errors")
    assert "error: Actuals row 7 Qty: Qty is blank" in result.message
    assert "error: Items row 6 UnitPrice: UnitPrice (price) must be a number; got 'n/a'" in (
        result.message
    )
    assert "error: Actuals row 7 Qty: Qty is blank" in result.problems
    assert_only_the_message(xbook, result, demo_path)


def test_missing_table_is_reported(demo_path):
    xbook = remote_book(demo_path)
    xbook.sheets["Supply"].impl.api["tables"].pop(0)  # tblReceipts
    result = macros.validate_inputs(xbook)
    assert not result.ok
    assert "error: Supply: table tblReceipts is missing" in result.message
    assert_only_the_message(xbook, result, demo_path)


def test_a_failure_halfway_leaves_the_workbook_as_it_was(demo_path):
    """Writes planned before the failure are dropped: never a half-written workbook."""
    xbook = remote_book(demo_path)

    def work(live: XlwingsBook):
        live.write_table(
            "tblKPIs", pd.DataFrame({h: ["x"] for h in schema.TABLES["tblKPIs"].headers})
        )
        raise SopError("tblBudget row 9: Revenue must be a number; got 'abc'")

    result = macros._run(xbook, "reconcile", work)
    assert not result.ok
    assert result.message == (
        "reconcile stopped, nothing written: tblBudget row 9: Revenue must be a number; got 'abc'"
    )
    assert_only_the_message(xbook, result, demo_path)


def test_internal_error_is_one_line_and_logged(demo_path, caplog):
    xbook = remote_book(demo_path)

    def work(live: XlwingsBook):
        return {}["missing"]

    result = macros._run(xbook, "refresh KPIs", work)
    assert result.message == "refresh KPIs stopped, nothing written: internal error: 'missing'"
    assert "Traceback" in caplog.text
    assert_only_the_message(xbook, result, demo_path)


def test_without_a_book_the_caller_is_used(demo_path):
    xbook = remote_book(demo_path)
    xbook.set_mock_caller()  # what RunPython's --wb= names, from Python
    try:
        result = macros.validate_inputs()
    finally:
        del xw.Book._mock_caller
    assert result.ok
    assert [a["func"] for a in actions(xbook)] == ["setValues", "setValues", "alert"]


@pytest.mark.skipif(HAS_RECORDS, reason="sop_xl.records exists: see the records tests")
@pytest.mark.parametrize(
    ("macro", "action", "function"),
    [
        (macros.snapshot_cycle, "snapshot cycle", "snapshot"),
        (macros.roll_forward, "roll forward", "roll_forward"),
    ],
)
def test_records_macros_say_not_available_yet(demo_path, macro, action, function):
    """Issue 6 (sop_xl.records) is not built yet: the buttons say so and write nothing else."""
    xbook = remote_book(demo_path)
    result = macro(xbook)
    assert not result.ok
    assert result.message == (
        f"{action} stopped, nothing written: not available yet: this version of sop-xl has "
        f"no records module (sop_xl.records.{function})"
    )
    assert_only_the_message(xbook, result, demo_path)


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
