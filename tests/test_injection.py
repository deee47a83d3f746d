"""Issue 10 section 1, formula injection: text a user typed stays text in every written cell.

Two 3-item workbooks cut from the demo go through run -> snapshot -> roll forward: a clean one,
and a hostile one where two items are named ``=HYPERLINK("http://x","y")`` and
``=cmd|' /C calc'!A0``, a family ``=SUM(1,1)``, an adjustment's Comment ``=1+1`` and Owner
``@me``. After each action the saved file of the hostile workbook must hold exactly the formula
cells of the clean one (the template's and the ones sop-xl writes on purpose: totals, KPI
Status, a user's formula moved by roll forward), and the hostile texts come back exactly.
The live gateway (xlwings' remote Book, replayed as Excel applies it) must do the same.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.table import TableColumn
from remote_book import actions, remote_book, replay

from sop_xl.cycle import roll_forward, run_cycle, snapshot
from sop_xl.demo import CYCLE_START, demo_tables
from sop_xl.workbook import tables
from sop_xl.workbook.book import new_book, open_book
from sop_xl.workbook.cellvalues import Formula
from sop_xl.workbook.fill import fill_inputs
from sop_xl.workbook.live import XlwingsBook

HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "=cmd|' /C calc'!A0"
ITEMS = {"GA-103": "GA-103", "KI-101": HYPERLINK, "HE-101": DDE}
FAMILIES = {"Garden": "Garden", "Kitchen": "=SUM(1,1)", "Heating": "Heating"}
COMMENT, OWNER = "=1+1", "@me"
STEPS = ("run", "snapshot", "roll forward")


def _small(hostile: bool) -> dict[str, pd.DataFrame]:
    """The demo's input tables cut to three items (and their families), names renamed."""
    items = ITEMS if hostile else {k: k for k in ITEMS}
    families = FAMILIES if hostile else {k: k for k in FAMILIES}
    out = {}
    for name, frame in demo_tables().items():
        frame = frame.copy()
        if "Item" in frame and name != "tblDecisions":
            keep = frame["Item"].isin(items)
            frame = frame[keep | frame["Item"].isna()] if name == "tblAdjustments" else frame[keep]
            frame["Item"] = frame["Item"].map(lambda v: items.get(v, v))
        if "Family" in frame:
            keep = frame["Family"].isin(families)
            frame = (
                frame[keep | frame["Family"].isna()] if name == "tblAdjustments" else frame[keep]
            )
            frame["Family"] = frame["Family"].map(lambda v: families.get(v, v))
        out[name] = frame.reset_index(drop=True)
    # an adjustment of the first plan period: roll forward moves it to tblAdjustmentHistory,
    # and the rows under it move up in tblAdjustments
    adjustments = out["tblAdjustments"]
    first = adjustments.iloc[:1].copy()
    first[["Item", "Family", "Period", "Qty", "Percent", "Type"]] = [
        "GA-103", None, CYCLE_START, 10.0, None, "sales"
    ]  # fmt: skip
    first["Owner"] = OWNER if hostile else "me"
    first["Comment"] = COMMENT if hostile else "one plus one"
    out["tblAdjustments"] = pd.concat(
        [first.astype(object), adjustments.astype(object)], ignore_index=True
    )
    return out


def _add_user_formulas(path) -> None:
    """A user's column 'Check' in tblAdjustments: a formula on every row (=Qty * 2)."""
    wb = load_workbook(path)
    ws, tbl = tables.find_table(wb, "tblAdjustments")
    loc = tables.locate(ws, tbl)
    col = loc.last_col + 1
    qty = tables.get_column_letter(loc.first_col + loc.headers.index("Qty"))
    ws.cell(loc.header_row, col).value = "Check"
    for r in range(loc.first_data_row, loc.last_row + 1):
        ws.cell(r, col).value = f"={qty}{r}*2"
    tbl.ref = f"{tbl.ref.split(':')[0]}:{tables.get_column_letter(col)}{loc.last_row}"
    tbl.autoFilter.ref = tbl.ref
    tbl.tableColumns.append(TableColumn(id=len(tbl.tableColumns) + 1, name="Check"))
    wb.save(path)


def formula_cells(path) -> dict[tuple[str, str], str]:
    """Every formula cell of the saved workbook: (sheet, cell) -> formula."""
    wb = load_workbook(path)
    return {
        (ws.title, cell.coordinate): cell.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }


def hostile_workbook(folder) -> tuple:
    """The hostile 3-item workbook saved in ``folder`` (not run), and the (sheet, cell) keys of
    the formula cells a whole cycle writes on it: what any command may leave as formulas."""
    book = new_book()
    fill_inputs(book.workbook, _small(hostile=True))
    plan = book.save(folder / "plan.xlsx")
    reference = folder / "reference.xlsx"
    shutil.copy(plan, reference)
    run_cycle(open_book(reference), n_jobs=1)
    return plan, set(formula_cells(reference))


def text_cells(path, text: str) -> list[tuple[str, str, str]]:
    """(sheet, cell, data type) of every cell whose value is exactly ``text``."""
    wb = load_workbook(path)
    return [
        (ws.title, cell.coordinate, cell.data_type)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value == text
    ]


def _workbook(folder, hostile: bool):
    book = new_book()
    fill_inputs(book.workbook, _small(hostile))
    path = book.save(folder / ("hostile.xlsx" if hostile else "clean.xlsx"))
    _add_user_formulas(path)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both workbooks after each action: {(hostile, step): saved copy}."""
    folder = tmp_path_factory.mktemp("injection")
    out = {}
    for hostile in (False, True):
        path = _workbook(folder, hostile)
        out[hostile, "input"] = shutil.copy(path, folder / f"{hostile}-input.xlsx")
        run_cycle(open_book(path), n_jobs=1)
        out[hostile, "run"] = shutil.copy(path, folder / f"{hostile}-run.xlsx")
        snapshot(open_book(path))
        out[hostile, "snapshot"] = shutil.copy(path, folder / f"{hostile}-snapshot.xlsx")
        roll_forward(open_book(path))
        out[hostile, "roll forward"] = shutil.copy(path, folder / f"{hostile}-roll.xlsx")
    return out


@pytest.mark.parametrize("step", STEPS)
def test_no_formula_cell_but_those_written_on_purpose(runs, step):
    clean, hostile = formula_cells(runs[False, step]), formula_cells(runs[True, step])
    assert hostile == clean
    assert not [v for v in hostile.values() if "HYPERLINK" in v or "cmd|" in v or "SUM(1,1)" in v]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("text", [HYPERLINK, DDE, FAMILIES["Kitchen"]])
def test_hostile_names_come_back_as_text(runs, step, text):
    cells = text_cells(runs[True, step], text)
    sheets = {sheet for sheet, _, _ in cells}
    assert {"Items", "Forecast", "Demand Plan"} <= sheets or text == FAMILIES["Kitchen"]
    assert {"Finance", "Reconciliation"} <= sheets or text != FAMILIES["Kitchen"]
    if step != "run":
        assert "History" in sheets
    assert {data_type for _, _, data_type in cells} == {"s"}


def test_roll_forward_keeps_text_comments_and_moves_real_formulas(runs):
    path = runs[True, "roll forward"]
    book = open_book(path)
    moved = book.read_table("tblAdjustmentHistory")
    assert moved["Comment"].tolist() == [COMMENT] and moved["Owner"].tolist() == [OWNER]
    ((_, _, data_type),) = text_cells(path, COMMENT)  # one cell, tblAdjustmentHistory's
    assert data_type == "s"
    loc = book.locate("tblAdjustments")
    qty = tables.get_column_letter(loc.first_col + loc.headers.index("Qty"))
    check = loc.first_col + loc.headers.index("Check")
    before = open_book(runs[True, "snapshot"]).read_table("tblAdjustments")
    cells = book.read_cells(loc.sheet, loc.first_data_row, check, loc.last_row, check)
    kept = [row[0] for row in cells[: len(before) - 1]]
    # every kept row moved up one and its formula with it, references translated
    assert kept == [
        Formula(f"={qty}{r}*2") for r in range(loc.first_data_row, loc.first_data_row + len(kept))
    ]
    assert all(isinstance(v, Formula) for v in kept)
    assert [row[0] for row in cells[len(before) - 1 :]] == [None]


def test_read_cells_gives_formulas_as_formula_and_text_as_str(runs):
    book = open_book(runs[True, "run"])
    loc = book.locate("tblForecast")
    block = book.read_cells(
        loc.sheet, loc.header_row - 1, loc.first_col, loc.last_row, loc.last_col
    )
    values = [v for row in block for v in row]
    assert any(isinstance(v, Formula) and v.startswith("=SUBTOTAL(") for v in values)
    texts = [v for v in values if v in (HYPERLINK, DDE)]
    assert len(texts) == 2 and not any(isinstance(v, Formula) for v in texts)
    # read_table sees the names, not a formula's (missing) result
    assert set(book.read_table("tblForecast")["Item"]) == set(ITEMS.values())


def test_write_cells_keeps_text_and_writes_formulas_on_purpose(tmp_path):
    book = new_book()
    book.write_cells("Log", 30, 2, [[HYPERLINK, Formula("=1+1"), "#N/A", None]])
    path = book.save(tmp_path / "cells.xlsx")
    ws = load_workbook(path)["Log"]
    assert [(c.value, c.data_type) for c in ws[30][1:4]] == [
        (HYPERLINK, "s"),
        ("=1+1", "f"),
        ("#N/A", "s"),
    ]


def test_the_live_gateway_writes_the_same_cells(runs, tmp_path):
    """The whole cycle on xlwings' remote Book, replayed as Excel applies it."""
    source = runs[True, "input"]
    xbook = remote_book(source)
    live = XlwingsBook(xbook)
    run_cycle(live, n_jobs=1)
    live.commit()
    queued = actions(xbook)
    written = [v for a in queued if a["func"] == "setValues" for row in a["values"] for v in row]
    assert "'" + HYPERLINK in written and "'" + DDE in written
    assert HYPERLINK not in written and DDE not in written
    replayed = load_workbook(source)
    replay(replayed, queued)
    replayed.save(tmp_path / "live.xlsx")
    assert formula_cells(tmp_path / "live.xlsx") == formula_cells(runs[True, "run"])
    assert {d for _, _, d in text_cells(tmp_path / "live.xlsx", HYPERLINK)} == {"s"}
