"""Excel Tables (ListObjects) in an openpyxl workbook: find, read, rewrite, append.

Tables are found by name, columns by header text, never by cell address: a user may move a
table, add columns of their own and sort its rows. Reading returns a DataFrame whose index is
the Excel row number of each row (``row``), so a problem can be reported where the user sees it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.formula.translate import Translator
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter, quote_sheetname, range_boundaries
from openpyxl.workbook import Workbook
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from sop_xl.errors import SopError, show
from sop_xl.workbook import schema
from sop_xl.workbook.periods import is_period_label
from sop_xl.workbook.styles import header_style_name, style_name

PERIOD_WIDTH = 10
LINE_HEIGHT = 13.5  # points per line of wrapped text
WRAPPED = Alignment(horizontal="left", vertical="top", wrap_text=True, indent=1)


@dataclass(frozen=True)
class Location:
    """Where a table sits: sheet, cell range, header row and headers."""

    table: str
    sheet: str
    ref: str
    header_row: int
    first_col: int
    last_col: int
    last_row: int
    headers: tuple[str, ...]

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1


def find_table(wb: Workbook, name: str) -> tuple[Worksheet, XlTable]:
    """The sheet and table called ``name`` (case-insensitive, as Excel names are)."""
    wanted = name.lower()
    for ws in wb.worksheets:
        for tname, tbl in dict.items(ws.tables):
            if tname.lower() == wanted:
                return ws, tbl
    raise SopError(f"table {name} not found in the workbook; it must keep its name")


def all_tables(wb: Workbook) -> dict[str, str]:
    """Every table name with the sheet it is on."""
    return {tname: ws.title for ws in wb.worksheets for tname in ws.tables}


def locate(ws: Worksheet, tbl: XlTable) -> Location:
    """The :class:`Location` of ``tbl`` on ``ws``; headers are read from the cells."""
    min_col, min_row, max_col, max_row = range_boundaries(tbl.ref)
    max_row -= tbl.totalsRowCount or 0
    headers = []
    for col in range(min_col, max_col + 1):
        value = ws.cell(min_row, col).value
        headers.append("" if value is None else str(value).strip())
    return Location(
        tbl.displayName, ws.title, tbl.ref, min_row, min_col, max_col, max_row, tuple(headers)
    )


def _cell_value(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def read_cells(ws: Worksheet, loc: Location) -> pd.DataFrame:
    """The data rows of a located table, raw cell values, index = Excel row numbers.

    Fully blank rows are left out (Excel keeps one in an empty table). Duplicate or blank
    headers get a suffix so the frame stays addressable.
    """
    headers: list[str] = []
    for i, head in enumerate(loc.headers):
        head = head or f"Column{i + 1}"
        while head in headers:
            head += "_"
        headers.append(head)
    rows, index = [], []
    for r, values in enumerate(
        ws.iter_rows(
            min_row=loc.first_data_row,
            max_row=loc.last_row,
            min_col=loc.first_col,
            max_col=loc.last_col,
            values_only=True,
        ),
        start=loc.first_data_row,
    ):
        values = tuple(_cell_value(v) for v in values)
        if all(v is None for v in values):
            continue
        rows.append(values)
        index.append(r)
    frame = pd.DataFrame(rows, columns=headers, index=pd.Index(index, name="row"), dtype=object)
    return frame


def _excel_value(value: Any) -> Any:
    """A pandas/numpy value as openpyxl writes it (NaN -> blank)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (str, int, float, bool, dt.date, dt.datetime)):
        return value
    return str(value)


def _overlaps(ws: Worksheet, name: str, bounds: tuple[int, int, int, int]) -> str | None:
    c1, r1, c2, r2 = bounds
    for other_name, other in dict.items(ws.tables):
        if other_name == name:
            continue
        o1, p1, o2, p2 = range_boundaries(other.ref)
        p1 -= 1 if other_name in schema.TABLES and schema.TABLES[other_name].totals else 0
        if c1 <= o2 and o1 <= c2 and r1 <= p2 and p1 <= r2:
            return other_name
    return None


def write_rows(
    ws: Worksheet,
    tbl: XlTable,
    frame: pd.DataFrame,
    spec: schema.Table | None = None,
) -> Location:
    """Replace the rows (and columns) of ``tbl`` with ``frame``, in place on the sheet.

    The table keeps its top-left corner. Its columns become the frame's columns, followed by
    any columns the user added (headers not in the frame and not period headers); a user
    column holding a formula gets that formula on every new row, other user columns are blank.
    Old cells outside the new range are cleared; every written cell gets the style of its kind
    (see :mod:`sop_xl.workbook.styles`). Charts that plot columns of this table are stretched
    to the new rows. The totals row above the header, when the table has one, is rewritten.
    """
    spec = spec or schema.TABLES.get(tbl.displayName)
    role = spec.role if spec else "output"
    old = locate(ws, tbl)
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        raise SopError(f"{tbl.displayName}: duplicated column names in {columns}")
    fixed = set(spec.headers) if spec else set()
    user_cols = [
        (i, h)
        for i, h in enumerate(old.headers)
        if h and h not in columns and h not in fixed and not is_period_label(h)
    ]
    user_formulas: dict[str, str | None] = {}
    for i, head in user_cols:
        first = ws.cell(old.first_data_row, old.first_col + i).value
        user_formulas[head] = first if isinstance(first, str) and first.startswith("=") else None
    headers = columns + [h for _, h in user_cols]
    n_rows = max(len(frame), 1)
    c1, r0 = old.first_col, old.header_row
    c2, r2 = c1 + len(headers) - 1, r0 + n_rows
    other = _overlaps(ws, tbl.displayName, (c1, r0, c2, r2))
    if other:
        raise SopError(
            f"{tbl.displayName} on sheet {ws.title} would grow into table {other}; "
            "move one of them so they have room"
        )
    # clear what the old table covered and the new one does not
    for row in ws.iter_rows(
        min_row=r0, max_row=max(old.last_row, r2), min_col=c1, max_col=max(old.last_col, c2)
    ):
        for cell in row:
            if cell.row > r2 or cell.column > c2:
                cell.value = None
                cell.style = "Normal"
    header_style = header_style_name(role)
    for j, head in enumerate(headers):
        cell = ws.cell(r0, c1 + j, head)
        cell.style = header_style
        letter = get_column_letter(c1 + j)
        width = ws.column_dimensions[letter].width
        if is_period_label(head) and (not width or width < PERIOD_WIDTH or width == 13.0):
            ws.column_dimensions[letter].width = PERIOD_WIDTH
    kinds = [spec.kind_of(h) if spec else "text" for h in columns]
    kind_at, targets = None, set()
    if spec and spec.measure_kinds and spec.kind_column in columns:
        kind_at = columns.index(spec.kind_column)
        targets = {
            j
            for j, h in enumerate(columns)
            if (h in spec.kind_targets if spec.kind_targets else h not in spec.headers)
        }
    values = frame.to_numpy(dtype=object) if len(frame) else np.full((1, len(columns)), None)
    style_cache: dict[tuple[str, str], str] = {}
    fits = [_fit(ws, c1 + j) for j in range(len(columns))]
    for i in range(n_rows):
        r = r0 + 1 + i
        measure = values[i][kind_at] if kind_at is not None else None
        row_kind = spec.measure_kinds.get(measure) if spec and isinstance(measure, str) else None
        for j, kind in enumerate(kinds):
            if row_kind and j in targets:
                kind = row_kind
            cell = ws.cell(r, c1 + j, _excel_value(values[i][j]))
            key = (role, kind)
            if key not in style_cache:
                style_cache[key] = style_name(role, kind)  # type: ignore[arg-type]
            cell.style = style_cache[key]
            if kind == "text" and wrapped_lines(cell.value, fits[j]) > 1:
                # long text wraps in its column instead of running over the cells beside it
                cell.alignment = WRAPPED
        for k, (_, head) in enumerate(user_cols):
            cell = ws.cell(r, c1 + len(columns) + k)
            formula = user_formulas[head]
            if formula:
                origin = f"{get_column_letter(cell.column)}{old.first_data_row}"
                cell.value = Translator(formula, origin=origin).translate_formula(cell.coordinate)
            else:
                cell.value = None
    new_ref = f"{get_column_letter(c1)}{r0}:{get_column_letter(c2)}{r2}"
    old_columns = {col.name: col for col in tbl.tableColumns}
    tbl.ref = new_ref
    tbl.autoFilter = AutoFilter(ref=new_ref)  # filter buttons on every header
    tbl.tableColumns = []
    for j, head in enumerate(headers, start=1):
        column = TableColumn(id=j, name=head)
        prior = old_columns.get(head)
        if prior is not None and prior.calculatedColumnFormula is not None:
            column.calculatedColumnFormula = prior.calculatedColumnFormula
        tbl.tableColumns.append(column)
    new = locate(ws, tbl)
    _fit_rows(ws, range(new.first_data_row, max(old.last_row, r2) + 1))
    if spec and (spec.totals or spec.period_totals):
        _write_totals(ws, old, new, spec)
    _stretch_charts(ws, old, new)
    return new


def _fit(ws: Worksheet, col: int) -> int:
    """Characters a column shows on one line (Calibri 10 in Excel's width units)."""
    return max(1, int((ws.column_dimensions[get_column_letter(col)].width or 8.43) * 1.1) - 2)


def wrapped_lines(value: Any, fit: int) -> int:
    """Lines a wrapped text takes in a column showing ``fit`` characters; formulas take one."""
    if (
        not isinstance(value, str)
        or value.startswith("=")
        or (len(value) <= fit and "\n" not in value)
    ):
        return 1
    return sum(max(1, math.ceil(len(part) / fit)) for part in value.split("\n"))


def _fit_rows(ws: Worksheet, rows: range) -> None:
    """Row heights fit the wrapped text of every table on the sheet, in ``rows``.

    Tables side by side share rows, so a row is as tall as its longest wrapped text in any
    of them, and goes back to the default height when none is left (a rerun shrinks it) --
    unless it crosses a filled row of an input table: that row keeps the height its user gave
    it.
    """
    spans = [
        (*range_boundaries(tbl.ref), _role(tbl.displayName) == "input")
        for tbl in dict.values(ws.tables)
    ]
    fits: dict[int, int] = {}
    for r in rows:
        lines, user_row = 1, False
        for c1, r1, c2, r2, is_input in spans:
            if not r1 < r <= r2:
                continue
            for c in range(c1, c2 + 1):
                cell = ws.cell(r, c)
                user_row = user_row or (is_input and cell.value is not None)
                if not isinstance(cell.value, str):
                    continue
                fit = fits.get(c) or fits.setdefault(c, _fit(ws, c))
                needed = wrapped_lines(cell.value, fit)
                if needed > 1 and cell.alignment.wrap_text:
                    lines = max(lines, needed)
        height = (ws.row_dimensions[r].height if r in ws.row_dimensions else None) or 0
        wanted = LINE_HEIGHT * lines if lines > 1 else None
        if user_row:  # grow only
            wanted = max(height, wanted or 0) or None
        if wanted != (height or None):
            ws.row_dimensions[r].height = wanted


def _role(table: str) -> str:
    spec = schema.TABLES.get(table)
    return spec.role if spec else "output"


def _write_totals(ws: Worksheet, old: Location, new: Location, spec: schema.Table) -> None:
    """The row above the header: ``Total`` and a SUBTOTAL per summed column."""
    r = new.header_row - 1
    if r < 1:
        return
    for col in range(new.first_col, max(old.last_col, new.last_col) + 1):
        ws.cell(r, col).value = None
    for j, head in enumerate(new.headers):
        col = new.first_col + j
        cell = ws.cell(r, col)
        if j == 0:
            cell.value = "Total"
            cell.style = "SOP Total"
        elif head in spec.totals or (spec.period_totals and is_period_label(head)):
            letter = get_column_letter(col)
            cell.value = f"=SUBTOTAL(109,{letter}{new.first_data_row}:{letter}{new.last_row})"
            cell.style = "SOP Total"


def _stretch_charts(ws: Worksheet, old: Location, new: Location) -> None:
    """Point chart series that plot rows of this table at its new rows."""
    sheet_prefix = quote_sheetname(ws.title) + "!"
    wb = ws.parent
    for sheet in wb.worksheets:
        for chart in getattr(sheet, "_charts", []):
            # a combined chart (bars + line) keeps its parts in _charts
            parts = getattr(chart, "_charts", None) or [chart]
            for series in (s for part in parts for s in part.series):
                for ref in _series_refs(series):
                    f = ref.f
                    if not f or "!" not in f:
                        continue
                    sheet_part, _, cells = f.rpartition("!")
                    if sheet_part.strip("'") != ws.title:
                        continue
                    try:
                        c1, r1, c2, r2 = range_boundaries(cells.replace("$", ""))
                    except ValueError:
                        continue
                    inside = new.first_col <= c1 and c2 <= max(old.last_col, new.last_col)
                    if inside and r1 == old.first_data_row:
                        a, b = get_column_letter(c1), get_column_letter(c2)
                        ref.f = f"{sheet_prefix}${a}${new.first_data_row}:${b}${new.last_row}"


def _series_refs(series: Any) -> list[Any]:
    refs = []
    for part in (series.val, series.cat, series.xVal, series.yVal):
        if part is None:
            continue
        for attr in ("numRef", "strRef"):
            ref = getattr(part, attr, None)
            if ref is not None:
                refs.append(ref)
    return refs


def append_rows(ws: Worksheet, tbl: XlTable, frame: pd.DataFrame) -> Location:
    """Add ``frame``'s rows at the end of ``tbl`` (matched by header; others left blank)."""
    spec = schema.TABLES.get(tbl.displayName)
    role = spec.role if spec else "output"
    loc = locate(ws, tbl)
    missing = [c for c in frame.columns if str(c) not in loc.headers]
    if missing:
        raise SopError(f"{tbl.displayName} on sheet {ws.title} has no column {show(missing[0])}")
    existing = read_cells(ws, loc)
    start = (int(existing.index.max()) + 1) if len(existing) else loc.first_data_row
    last = start + len(frame) - 1
    if last > loc.last_row:
        other = _overlaps(ws, tbl.displayName, (loc.first_col, loc.header_row, loc.last_col, last))
        if other:
            raise SopError(
                f"{tbl.displayName} on sheet {ws.title} would grow into table {other}; "
                "move one of them so they have room"
            )
    positions = {h: loc.first_col + j for j, h in enumerate(loc.headers)}
    for i, (_, record) in enumerate(frame.iterrows()):
        r = start + i
        for head in loc.headers:
            cell = ws.cell(r, positions[head])
            if head in frame.columns:
                cell.value = _excel_value(record[head])
            kind = spec.kind_of(head) if spec else "text"
            cell.style = style_name(role, kind)  # type: ignore[arg-type]
    new_last = max(loc.last_row, last)
    new_ref = f"{get_column_letter(loc.first_col)}{loc.header_row}:"
    new_ref += f"{get_column_letter(loc.last_col)}{new_last}"
    tbl.ref = new_ref
    if tbl.autoFilter is not None:
        tbl.autoFilter.ref = new_ref
    return locate(ws, tbl)
