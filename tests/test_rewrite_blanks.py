"""Issue 10 section 3: outputs depend only on inputs; a result that turns blank is blank.

A 3-item workbook cut from the demo is run; then its inputs change (an item stops selling, an
item is removed, the horizon is shorter) and it runs again. The result must be the workbook a
run on the same changed inputs gives when its output tables were emptied first: identical in
every output table (``tests/golden.py``'s capture).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from golden import capture, differences
from openpyxl import load_workbook

from sop_xl.cycle import run_cycle
from sop_xl.demo import CYCLE_START, demo_tables
from sop_xl.workbook import schema, tables
from sop_xl.workbook.book import new_book, open_book
from sop_xl.workbook.fill import fill_inputs, set_settings

ITEMS = ("GA-103", "KI-101", "HE-101")
STOPPED, REMOVED = "GA-103", "HE-101"


def _small() -> dict[str, pd.DataFrame]:
    """The demo's input tables cut to three items and their families."""
    frames = demo_tables()
    families = set(frames["tblItems"].set_index("Item").loc[list(ITEMS), "Family"])
    out = {}
    for name, frame in frames.items():
        if "Item" in frame and name != "tblDecisions":
            frame = frame[frame["Item"].isin(ITEMS) | (name == "tblAdjustments")]
            if name == "tblAdjustments":
                frame = frame[frame["Item"].isin(ITEMS) | frame["Family"].isin(families)]
        elif "Family" in frame:
            frame = frame[frame["Family"].isin(families)]
        out[name] = frame.reset_index(drop=True)
    return out


def _change_inputs(path) -> None:
    """An item stops selling (no sales for a year), one is removed (and its family), the
    horizon shrinks."""
    wb = load_workbook(path)
    family = demo_tables()["tblItems"].set_index("Item").at[REMOVED, "Family"]  # its only item
    for name in ("tblItems", "tblActuals", "tblAdjustments", "tblReceipts", "tblBudget"):
        ws, tbl = tables.find_table(wb, name)
        frame = tables.read_cells(ws, tables.locate(ws, tbl))
        if "Item" in frame:
            frame = frame[frame["Item"] != REMOVED]
        if "Family" in frame and name != "tblItems":
            frame = frame[frame["Family"] != family]
        if name == "tblActuals":
            recent = pd.to_datetime(frame["Period"]) >= CYCLE_START - pd.DateOffset(months=12)
            frame.loc[(frame["Item"] == STOPPED) & recent, "Qty"] = 0.0
        tables.write_rows(ws, tbl, frame.reset_index(drop=True), schema.table(name))
    set_settings(wb, {"Horizon": 12})
    wb.save(path)


def _empty_outputs(path, names) -> None:
    """Every body cell of the tables a run writes, blanked by hand (the tables keep size)."""
    wb = load_workbook(path)
    for name in names:
        ws, tbl = tables.find_table(wb, name)
        loc = tables.locate(ws, tbl)
        for row in ws.iter_rows(
            min_row=loc.first_data_row,
            max_row=loc.last_row,
            min_col=loc.first_col,
            max_col=loc.last_col,
        ):
            for cell in row:
                cell.value = None
    wb.save(path)


@pytest.fixture(scope="module")
def reruns(tmp_path_factory):
    """(rerun on the changed inputs, run on them with the outputs emptied first)."""
    folder = tmp_path_factory.mktemp("rewrite")
    book = new_book()
    fill_inputs(book.workbook, _small())
    path = book.save(folder / "plan.xlsx")
    written = list(run_cycle(open_book(path), n_jobs=1).tables)
    _change_inputs(path)
    fresh = shutil.copy(path, folder / "fresh.xlsx")
    _empty_outputs(fresh, written)
    report = run_cycle(open_book(path), n_jobs=1)
    run_cycle(open_book(fresh), n_jobs=1)
    return path, fresh, report


def test_the_inputs_did_change_the_outputs(reruns):
    path, _, report = reruns
    forecast = open_book(path).read_table("tblForecast")
    assert REMOVED not in set(forecast["Item"])
    assert len([c for c in forecast.columns if c[:2] == "20"]) == 12
    assert set(report.tables) >= {"tblForecast", "tblKPIs", "tblReconciliation"}


def test_a_rerun_equals_a_run_on_emptied_outputs(reruns):
    path, fresh, _ = reruns
    assert differences(capture(fresh), capture(path)) == []
