"""The Item Plan sheet (issue 12): pick an item, LibreOffice recalculates its rows from the tables.

The item cell is changed with openpyxl (as a user picks from the drop-down), the file converted
by ``soffice --headless --convert-to xlsx`` (which recalculates), and the values read back and
compared with the tables they come from.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook
from test_workbook_libreoffice import error_cells, soffice_all

from sop_xl.workbook import tables
from sop_xl.workbook.book import open_book
from sop_xl.workbook.itemview import CHART_ROWS, HEADER_ROW, ITEM_CELL, ROWS

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")

PICKED = ("GA-103", "KI-106")
LAST_PLAN = {("GA-103", "2026-01"): 111.0, ("GA-103", "2026-02"): 222.0}


@pytest.fixture(scope="module")
def views(demo_finished_file, tmp_path_factory):
    """The finished demo with a previous cycle's plan in History, once per picked item,
    recalculated by LibreOffice: {item: (values workbook, source path)}."""
    folder = tmp_path_factory.mktemp("item-plan")
    source = folder / "source.xlsx"
    shutil.copy(demo_finished_file, source)
    book = open_book(source)
    ws, tbl = tables.find_table(book.workbook, "tblHistory")
    rows = [
        ("2025-12", "demand plan", item, period, qty) for (item, period), qty in LAST_PLAN.items()
    ]
    rows += [("2025-12", "forecast", "GA-103", "2026-01", 999.0),  # another kind
             ("2025-11", "demand plan", "GA-103", "2026-01", 888.0),  # another cycle
             ("2025-12", "demand plan", "KI-106", "2026-03", 77.0)]  # fmt: skip
    history = pd.DataFrame(rows, columns=["Cycle", "Kind", "Item", "Period", "Qty"])
    history.insert(1, "SnapshotTime", "2025-12-20 10:00:00")
    tables.append_rows(ws, tbl, history)
    book.save()
    files = []
    for item in PICKED:
        wb = load_workbook(source)
        wb["Item Plan"][ITEM_CELL] = item
        path = folder / f"pick-{item}.xlsx"
        wb.save(path)
        files.append(path)
    converted = soffice_all(files, "xlsx", folder / "out")
    return {item: path for item, path in zip(PICKED, converted, strict=True)}, source


def _rows(path):
    ws = load_workbook(path, data_only=True)["Item Plan"]
    labels = [ws.cell(HEADER_ROW, c).value for c in range(3, ws.max_column + 1)]
    out = {}
    for i, name in enumerate(ROWS + CHART_ROWS):
        row = HEADER_ROW + 1 + i if i < len(ROWS) else HEADER_ROW + len(ROWS) + 3 + i - len(ROWS)
        assert ws.cell(row, 1).value == name
        out[(name, i >= len(ROWS))] = {
            label: ws.cell(row, 3 + j).value for j, label in enumerate(labels) if label
        }
    return ws, labels, out


def test_no_error_cells_after_recalculation(views):
    converted, _ = views
    for path in converted.values():
        assert error_cells(path) == []


@pytest.mark.parametrize("item", PICKED)
def test_the_rows_follow_the_picked_item(views, item):
    converted, source = views
    ws, labels, rows = _rows(converted[item])
    book = open_book(source)
    plan = book.read_table("tblDemandPlan").set_index("Item")
    forecast = book.read_table("tblForecast").set_index("Item")
    periods = [c for c in plan.columns if c != "Family"]
    assert ws["B5"].value == dt.datetime(2026, 1, 1) and ws["B6"].value == "2025-12"
    assert [x for x in labels if x] == [f"2025-{m:02d}" for m in range(1, 13)] + periods
    actuals = book.read_table("tblActuals")
    actuals = actuals[actuals["Item"] == item]
    by_month = actuals.groupby(pd.to_datetime(actuals["Period"]).dt.strftime("%Y-%m"))["Qty"].sum()
    for label in labels[:12]:
        assert rows[("Actual", False)][label] == pytest.approx(float(by_month[label]))
        assert rows[("Consensus", False)][label] in (None, "")
    for label in periods:
        stat, cons = float(forecast.at[item, label]), float(plan.at[item, label])
        assert rows[("Statistical forecast", False)][label] == pytest.approx(stat)
        assert rows[("Consensus", False)][label] == pytest.approx(cons)
        assert rows[("Adjustments", False)][label] == pytest.approx(cons - stat)
        assert rows[("Actual", False)][label] in (None, "")  # the plan months have no actuals
        assert rows[("Actual, then consensus", True)][label] == pytest.approx(cons)
        expected = LAST_PLAN.get(
            (item, label), 77.0 if (item, label) == ("KI-106", "2026-03") else None
        )
        got = rows[("Last cycle's plan", False)][label]
        assert (got in (None, "")) if expected is None else got == expected


def test_the_item_cell_offers_the_items(demo_finished_file):
    ws = load_workbook(demo_finished_file)["Item Plan"]
    lists = [dv for dv in ws.data_validations.dataValidation if ITEM_CELL in str(dv.sqref)]
    assert len(lists) == 1 and lists[0].type == "list"
    assert lists[0].formula1.startswith("'Items'!$A$5:$A$")
    assert len(ws._charts) == 1
