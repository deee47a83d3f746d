"""Excel Tables (ListObjects) in an openpyxl workbook: find, read, rewrite, append.

Tables are found by name, columns by header text, never by cell address: a user may move a
table, add columns of their own and sort its rows. Reading returns a DataFrame whose index is
the Excel row number of each row (``row``), so a problem can be reported where the user sees it.
"""

from __future__ import annotations

import math
from copy import copy
from dataclasses import dataclass
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter, quote_sheetname, range_boundaries
from openpyxl.workbook import Workbook
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from sop_xl.errors import SopError
from sop_xl.workbook import schema, writeplan
from sop_xl.workbook.cellvalues import Formula, cell_value
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
    """The data rows of a located table, stored cell values, index = Excel row numbers.

    Formulas come as :class:`~sop_xl.workbook.cellvalues.Formula`, text as ``str``.

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
    for r, cells in enumerate(
        ws.iter_rows(
            min_row=loc.first_data_row,
            max_row=loc.last_row,
            min_col=loc.first_col,
            max_col=loc.last_col,
        ),
        start=loc.first_data_row,
    ):
        values = tuple(stored(cell) for cell in cells)
        if all(v is None for v in values):
            continue
        rows.append(values)
        index.append(r)
    frame = pd.DataFrame(rows, columns=headers, index=pd.Index(index, name="row"), dtype=object)
    return frame


def put(cell: Any, value: Any) -> None:
    """Set an openpyxl cell to a plan value: a plain ``str`` stays text, whatever it starts
    with; only a :class:`Formula` becomes a formula; None blanks the cell.

    openpyxl turns any text starting with ``=`` into a formula (and ``#N/A`` into an error)
    when it is assigned; the data type is set back to text after the assignment.
    """
    if isinstance(value, Formula):
        cell.value = str(value)
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value


class Styler:
    """Gives cells named styles, each name resolved once.

    ``cell.style = name`` looks the name up among the workbook's named styles on every call
    (a scan of the names); a table of 100,000 cells pays that 100,000 times. Here the first
    cell of each name is styled that way and the others get a copy of its style array, which
    is what openpyxl's own assignment stores (and how openpyxl copies a cell's style).
    """

    def __init__(self) -> None:
        self._arrays: dict[str, Any] = {}

    def __call__(self, cell: Any, name: str) -> None:
        array = self._arrays.get(name)
        if array is None:
            cell.style = name
            self._arrays[name] = copy(cell._style)
        else:
            cell._style = copy(array)


def stored(cell: Any) -> Any:
    """A cell's value as a plan holds it: a formula as :class:`Formula`, blank text as None."""
    value = cell.value
    if cell.data_type == "f" and isinstance(value, str) and value.startswith("="):
        return Formula(value)
    return _cell_value(value)


def read_block(ws: Worksheet, top: int, left: int, bottom: int, right: int) -> list[list[Any]]:
    """The stored values of a block of cells (formulas as :class:`Formula`), rows of lists."""
    return [
        [stored(cell) for cell in row]
        for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right)
    ]


def write_block(ws: Worksheet, top: int, left: int, block: list[list[Any]]) -> None:
    """Set a block of cells from its top-left corner (values as :func:`put` writes them)."""
    for i, row in enumerate(block):
        for j, value in enumerate(row):
            put(ws.cell(top + i, left + j), cell_value(value))


def neighbours(ws: Worksheet, name: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The other tables on the sheet of table ``name``, with their boxes."""
    out = []
    for other_name, other in dict.items(ws.tables):
        if other_name != name:
            c1, r1, c2, r2 = range_boundaries(other.ref)
            out.append((other_name, (r1, c1, r2, c2)))
    return out


def write_rows(
    ws: Worksheet,
    tbl: XlTable,
    frame: pd.DataFrame,
    spec: schema.Table | None = None,
) -> Location:
    """Replace the rows (and columns) of ``tbl`` with ``frame``, in place on the sheet.

    Carries out :func:`sop_xl.workbook.writeplan.plan_table` (the table keeps its top-left
    corner; user columns stay at the right; every cell the table owns is rewritten, blanks
    included; old cells outside the new range are cleared). On a file it also gives every
    written cell the style of its kind (see :mod:`sop_xl.workbook.styles`), widens period
    columns, fits row heights and stretches the charts that plot columns of this table.
    """
    spec = spec or schema.TABLES.get(tbl.displayName)
    old = locate(ws, tbl)
    plan = writeplan.plan_table(
        old,
        spec,
        frame,
        first_row=lambda: read_block(
            ws, old.first_data_row, old.first_col, old.first_data_row, old.last_col
        )[0],
        neighbours=neighbours(ws, tbl.displayName),
    )
    c1, r0 = plan.left, plan.top
    styler = Styler()
    for top, left, bottom, right in plan.clears:
        for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right):
            for cell in row:
                cell.value = None
                styler(cell, "Normal")
    header_style = header_style_name(plan.role)  # type: ignore[arg-type]
    for j, head in enumerate(plan.headers):
        cell = ws.cell(r0, c1 + j)
        put(cell, head)
        cell.style = header_style
        letter = get_column_letter(c1 + j)
        width = ws.column_dimensions[letter].width
        if is_period_label(head) and (not width or width < PERIOD_WIDTH or width == 13.0):
            ws.column_dimensions[letter].width = PERIOD_WIDTH
    style_cache: dict[str, str] = {}
    fits = [_fit(ws, c1 + j) for j in range(plan.n_fixed)]
    for i, (values, kinds) in enumerate(zip(plan.body, plan.kinds, strict=True)):
        r = r0 + 1 + i
        for j, value in enumerate(values):
            cell = ws.cell(r, c1 + j)
            put(cell, value)
            if j >= plan.n_fixed:
                continue  # a user column keeps its own format
            kind = kinds[j]
            if kind not in style_cache:
                style_cache[kind] = style_name(plan.role, kind)  # type: ignore[arg-type]
            styler(cell, style_cache[kind])
            if kind == "text" and wrapped_lines(value, fits[j]) > 1:
                # long text wraps in its column instead of running over the cells beside it
                cell.alignment = WRAPPED
    old_columns = {col.name: col for col in tbl.tableColumns}
    tbl.ref = plan.ref
    tbl.autoFilter = AutoFilter(ref=plan.ref)  # filter buttons on every header
    tbl.tableColumns = []
    for j, head in enumerate(plan.headers, start=1):
        column = TableColumn(id=j, name=head)
        prior = old_columns.get(head)
        if prior is not None and prior.calculatedColumnFormula is not None:
            column.calculatedColumnFormula = prior.calculatedColumnFormula
        tbl.tableColumns.append(column)
    new = locate(ws, tbl)
    _fit_rows(ws, range(new.first_data_row, max(old.last_row, plan.bottom) + 1))
    if plan.totals is not None:
        for j, value in enumerate(plan.totals):
            cell = ws.cell(r0 - 1, c1 + j)
            put(cell, value)
            if value is not None:
                cell.style = "SOP Total"
    _stretch_charts(ws, old, new)
    if tbl.displayName == "tblCapacity":  # one line per resource on the KPI sheet (issue 11)
        from sop_xl.workbook.charts import point_utilization_chart  # charts imports this module

        point_utilization_chart(ws, new)
    return new


def _fit(ws: Worksheet, col: int) -> int:
    """Characters a column shows on one line (Calibri 10 in Excel's width units)."""
    return max(1, int((ws.column_dimensions[get_column_letter(col)].width or 8.43) * 1.1) - 2)


def wrapped_lines(value: Any, fit: int) -> int:
    """Lines a wrapped text takes in a column showing ``fit`` characters; formulas take one."""
    if (
        not isinstance(value, str)
        or isinstance(value, Formula)
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
                if not isinstance(cell.value, str) or cell.data_type == "f":
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
    """Add ``frame``'s rows at the end of ``tbl`` (matched by header; others left blank).

    Carries out :func:`sop_xl.workbook.writeplan.plan_append`; every column of a new row gets
    the style of its kind.
    """
    spec = schema.TABLES.get(tbl.displayName)
    loc = locate(ws, tbl)
    existing = read_cells(ws, loc)
    plan = writeplan.plan_append(
        loc,
        spec,
        frame,
        last_filled=int(existing.index.max()) if len(existing) else None,
        neighbours=neighbours(ws, tbl.displayName),
    )
    styles = [style_name(plan.role, kind) for kind in plan.kinds]  # type: ignore[arg-type]
    styler = Styler()
    for i, values in enumerate(plan.body):
        r = plan.start + i
        for position, value in zip(plan.positions, values, strict=True):
            put(ws.cell(r, loc.first_col + position), value)
        for j, style in enumerate(styles):
            styler(ws.cell(r, loc.first_col + j), style)
    tbl.ref = plan.ref
    if tbl.autoFilter is not None:
        tbl.autoFilter.ref = plan.ref
    return locate(ws, tbl)
