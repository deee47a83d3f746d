"""The workbook gateway on a workbook open in Excel: :class:`XlwingsBook`, the same methods as
:class:`~sop_xl.workbook.book.FileBook`, on an xlwings ``Book``.

Step code calls only the :class:`~sop_xl.workbook.book.Book` methods, so the cycle runs
unchanged on a file (``sop-xl run``) and on the live workbook (the ribbon macros). What this
implementation adds for Excel:

- tables are found by name through xlwings (``sheet.tables``), columns by header text;
- each table is read with one ``.value`` (header and body as one block) and written with one
  ``.value`` per block, never cell by cell, so a macro makes a handful of calls to Excel;
- writes are held back until :meth:`XlwingsBook.commit` (as a file is written only on
  :meth:`FileBook.save`): a step that fails halfway leaves the workbook as it was. Reads after a
  write see the written values;
- output tables are resized to their new rows and columns; input tables are refused;
- :meth:`XlwingsBook.status` shows progress in Excel's status bar where the engine has one
  (desktop Excel); xlwings' remote engine (Lite, Server, Office.js) has none, so messages there
  go to the Start sheet and an alert (see :mod:`sop_xl.macros`).

Number formats and table styles come from the table itself: Excel extends a table's formats to
the rows and columns a resize adds. Charts that plot a table by cell address are not stretched
(the file gateway does that); charts built on the table's columns follow it.

This module does not import xlwings: it works with whatever xlwings ``Book`` it is given
(desktop COM/AppleScript, or the remote engine of xlwings Server/Lite).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter

from sop_xl.errors import SopError, show
from sop_xl.workbook import schema, tables
from sop_xl.workbook.book import FileBook
from sop_xl.workbook.periods import is_period_label
from sop_xl.workbook.settings import read_settings

# where a macro leaves its last message in the workbook (the empty row under the subtitle)
MESSAGE_SHEET = "Start"
MESSAGE_CELL = (3, 1)  # row, column: A3

# text Excel would turn into a number, date, time, boolean or formula when written as a value
_NUMBER = re.compile(r"^\s*[-+]?[\d.,]+(e[-+]?\d+)?\s*%?\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?(\s.*)?$|^\s*\d{1,2}:\d{2}")
_FORMULA_START = ("=", "+", "-", "@")


@dataclass
class _Table:
    """What this gateway knows about one table; ``block`` is its header and body values."""

    name: str  # as Excel spells it
    sheet: str
    index: int  # position on its sheet, 1-based (xlwings' tables collection)
    top: int  # header row
    left: int  # first column
    rows: int  # header and body rows
    cols: int
    block: list[list[Any]] | None = None

    @property
    def bottom(self) -> int:
        return self.top + self.rows - 1

    @property
    def right(self) -> int:
        return self.left + self.cols - 1


def _from_excel(value: Any) -> Any:
    """A value as Excel hands it over, in the types openpyxl gives for the same cell.

    Excel keeps every number as a double; openpyxl reads a whole number as ``int``. Whole
    doubles become ``int`` so a step sees the same types on a live book and on a file (an item
    code 1001 stays ``'1001'`` as text, not ``'1001.0'``). Blank text is a blank.
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _to_excel(value: Any) -> Any:
    """A written value as Excel must receive it; text Excel would reinterpret gets a ``'``.

    Without the apostrophe Excel turns the text ``2026-01`` into a date and ``0012`` into 12
    when it is written as a value, as it does when a user types them.
    """
    value = tables._excel_value(value)
    if (
        isinstance(value, str)
        and value
        and (
            value.startswith(_FORMULA_START)
            or _NUMBER.match(value)
            or _DATE.match(value)
            or value.strip().upper() in ("TRUE", "FALSE")
        )
    ):
        return "'" + value
    return value


def _header_text(value: Any) -> str:
    value = _from_excel(value)
    return "" if value is None else str(value).strip()


def _address(top: int, left: int, bottom: int, right: int) -> str:
    return f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"


def _runs(positions: Iterable[int]) -> list[list[int]]:
    """Consecutive runs of sorted positions: [1, 2, 4] -> [[1, 2], [4]]."""
    out: list[list[int]] = []
    for pos in sorted(positions):
        if out and pos == out[-1][-1] + 1:
            out[-1].append(pos)
        else:
            out.append([pos])
    return out


class XlwingsBook:
    """A workbook open in Excel, through xlwings; changes reach Excel on :meth:`commit`.

    Parameters
    ----------
    book : xlwings.Book
        The workbook: ``xw.Book.caller()`` from desktop Excel, the book xlwings Server or Lite
        hands a script, or ``xw.Book(json=...)``.

    Notes
    -----
    Pending writes are plain tuples in :attr:`pending`, applied in order by :meth:`commit`:
    ``("values", sheet, row, column, block)``, ``("clear", sheet, address)`` and
    ``("resize", sheet, table, address)``.
    """

    def __init__(self, book: Any) -> None:
        self.book = book
        self.pending: list[tuple[Any, ...]] = []
        self.statuses: list[str] = []  # every status message, shown or not
        self._tables: dict[str, _Table] | None = None
        self._status_bar: bool | None = None  # unknown until first tried

    # -- finding tables -------------------------------------------------------------------
    def _directory(self) -> dict[str, _Table]:
        if self._tables is None:
            found: dict[str, _Table] = {}
            for sheet in self.book.sheets:
                for index, tbl in enumerate(sheet.tables, start=1):
                    rng = tbl.range
                    rows, cols = rng.shape
                    rows -= 1 if tbl.show_totals else 0  # Excel's own totals row: not data
                    found[tbl.name.lower()] = _Table(
                        tbl.name, sheet.name, index, rng.row, rng.column, rows, cols
                    )
            self._tables = found
        return self._tables

    def _table(self, name: str) -> _Table:
        try:
            return self._directory()[name.lower()]
        except KeyError:
            raise SopError(
                f"table {name} not found in the workbook; it must keep its name"
            ) from None

    def _block(self, entry: _Table) -> list[list[Any]]:
        """Header and body of ``entry``: one read from Excel, then kept."""
        if entry.block is None:
            sheet = self.book.sheets[entry.sheet]
            rng = sheet.range((entry.top, entry.left), (entry.bottom, entry.right))
            values = rng.options(ndim=2, err_to_str=True).value
            entry.block = [[_from_excel(v) for v in row] for row in values]
        return entry.block

    # -- reading --------------------------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def table_names(self) -> dict[str, str]:
        return {entry.name: entry.sheet for entry in self._directory().values()}

    def locate(self, name: str) -> tables.Location:
        entry = self._table(name)
        headers = tuple(_header_text(v) for v in self._block(entry)[0])
        return tables.Location(
            entry.name,
            entry.sheet,
            _address(entry.top, entry.left, entry.bottom, entry.right),
            entry.top,
            entry.left,
            entry.right,
            entry.bottom,
            headers,
        )

    def read_table(self, name: str) -> pd.DataFrame:
        """Data rows of ``name``: columns = header texts, index = Excel row numbers.

        Formula cells give the value Excel calculated; error cells come as their text
        (``'#N/A'``) so validation refuses them instead of reading a blank.

        Raises
        ------
        SopError
            When the table is missing or lacks a column the schema requires.
        """
        loc = self.locate(name)
        spec = schema.TABLES.get(loc.table)
        if spec is not None:
            missing = [c.name for c in spec.columns if c.required and c.name not in loc.headers]
            if missing:
                raise SopError(
                    f"table {loc.table} on sheet {loc.sheet} has no column "
                    f"{show(missing[0])}; its headers are {list(loc.headers)}"
                )
        return self._frame(loc, self._block(self._table(name))[1:])

    @staticmethod
    def _frame(loc: tables.Location, body: list[list[Any]]) -> pd.DataFrame:
        """The body rows as :func:`sop_xl.workbook.tables.read_cells` gives them."""
        headers: list[str] = []
        for i, head in enumerate(loc.headers):
            head = head or f"Column{i + 1}"
            while head in headers:
                head += "_"
            headers.append(head)
        rows, index = [], []
        for r, values in enumerate(body, start=loc.first_data_row):
            if all(v is None for v in values):
                continue
            rows.append(tuple(values))
            index.append(r)
        return pd.DataFrame(rows, columns=headers, index=pd.Index(index, name="row"), dtype=object)

    def settings(self) -> dict[str, Any]:
        return read_settings(self.read_table("tblSettings"))

    # -- writing (held back until commit) -------------------------------------------------
    def _output(self, name: str) -> _Table:
        entry = self._table(name)
        spec = schema.TABLES.get(entry.name)
        if spec is not None and spec.role == "input":
            raise SopError(
                f"table {entry.name} on sheet {entry.sheet} is an input table; "
                "sop-xl never rewrites input tables"
            )
        return entry

    def _overlap(self, entry: _Table, top: int, left: int, bottom: int, right: int) -> None:
        for other in self._directory().values():
            if other is entry or other.sheet != entry.sheet:
                continue
            spec = schema.TABLES.get(other.name)
            other_top = other.top - (1 if spec is not None and spec.totals else 0)
            columns_meet = left <= other.right and other.left <= right
            rows_meet = top <= other.bottom and other_top <= bottom
            if columns_meet and rows_meet:
                raise SopError(
                    f"{entry.name} on sheet {entry.sheet} would grow into table "
                    f"{other.name}; move one of them so they have room"
                )

    def _user_formulas(self, entry: _Table, user_cols: list[tuple[int, str]]) -> dict[str, str]:
        """Formulas of the user's own columns (first data row), to repeat on every row."""
        out: dict[str, str] = {}
        sheet = self.book.sheets[entry.sheet]
        for i, head in user_cols:
            formula = sheet.range((entry.top + 1, entry.left + i)).formula
            if isinstance(formula, str) and formula.startswith("="):
                out[head] = formula
        return out

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace the rows (and columns) of output table ``name`` with ``frame``.

        As on a file: the frame's columns first (the schema's fixed headers must be there),
        then the user's own columns (a formula in their first row is repeated on every row,
        other values are blank); the table keeps its top-left corner and is resized; cells
        the old table covered and the new one does not are cleared; the totals row above the
        header is rewritten for tables that have one.
        """
        entry = self._output(name)
        spec = schema.TABLES.get(entry.name)
        if spec is not None:
            missing = [h for h in spec.headers if h not in map(str, frame.columns)]
            if missing:
                raise SopError(f"cannot write {entry.name}: the data has no column {missing[0]!r}")
        old = self.locate(name)
        columns = [str(c) for c in frame.columns]
        if len(set(columns)) != len(columns):
            raise SopError(f"{entry.name}: duplicated column names in {columns}")
        fixed = set(spec.headers) if spec else set()
        user_cols = [
            (i, h)
            for i, h in enumerate(old.headers)
            if h and h not in columns and h not in fixed and not is_period_label(h)
        ]
        headers = columns + [h for _, h in user_cols]
        n_rows = max(len(frame), 1)
        top, left = old.header_row, old.first_col
        bottom, right = top + n_rows, left + len(headers) - 1
        self._overlap(entry, top, left, bottom, right)
        formulas = self._user_formulas(entry, user_cols) if user_cols else {}

        body = frame.to_numpy(dtype=object).tolist() if len(frame) else [[None] * len(columns)]
        origin = top + 1
        excel_rows: list[list[Any]] = [[_to_excel(h) for h in headers]]
        cached_rows: list[list[Any]] = [list(headers)]
        for i, values in enumerate(body):
            extra = []
            for k, (_, head) in enumerate(user_cols):
                formula = formulas.get(head)
                if formula and i > 0:
                    col = get_column_letter(left + len(columns) + k)
                    formula = Translator(formula, origin=f"{col}{origin}").translate_formula(
                        f"{col}{origin + i}"
                    )
                extra.append(formula)
            excel_rows.append([_to_excel(v) for v in values] + extra)
            cached_rows.append(
                [_from_excel(tables._excel_value(v)) for v in values] + [None] * len(extra)
            )

        self.pending.append(("values", entry.sheet, top, left, excel_rows))
        old_bottom, old_right = old.last_row, old.last_col
        if old_bottom > bottom:
            self.pending.append(
                (
                    "clear",
                    entry.sheet,
                    _address(bottom + 1, left, old_bottom, max(old_right, right)),
                )
            )
        if old_right > right:
            self.pending.append(
                ("clear", entry.sheet, _address(top, right + 1, min(old_bottom, bottom), old_right))
            )
        new_address = _address(top, left, bottom, right)
        if (bottom, right) != (old_bottom, old_right):
            self.pending.append(("resize", entry.sheet, entry.name, new_address))
        if spec and (spec.totals or spec.period_totals) and top > 1:
            totals: list[Any] = []
            for j, head in enumerate(headers):
                letter = get_column_letter(left + j)
                if j == 0:
                    totals.append("Total")
                elif head in spec.totals or (spec.period_totals and is_period_label(head)):
                    totals.append(f"=SUBTOTAL(109,{letter}{top + 1}:{letter}{bottom})")
                else:
                    totals.append(None)
            totals += [None] * max(0, old_right - right)
            self.pending.append(("values", entry.sheet, top - 1, left, [totals]))
        entry.rows, entry.cols, entry.block = n_rows + 1, len(headers), cached_rows

    def append_rows(self, name: str, frame: pd.DataFrame) -> None:
        """Add ``frame``'s rows after the last filled row of output table ``name``.

        Columns are matched by header; the table's other columns are left as they are. The
        rows are written as one block per run of adjacent columns (one block for a full row).
        """
        entry = self._output(name)
        loc = self.locate(name)
        missing = [c for c in frame.columns if str(c) not in loc.headers]
        if missing:
            raise SopError(f"{entry.name} on sheet {entry.sheet} has no column {show(missing[0])}")
        if not len(frame):
            return
        existing = self._frame(loc, self._block(entry)[1:])
        start = (int(existing.index.max()) + 1) if len(existing) else loc.first_data_row
        last = start + len(frame) - 1
        if last > loc.last_row:
            self._overlap(entry, loc.header_row, loc.first_col, last, loc.last_col)
        position = {h: j for j, h in enumerate(loc.headers)}
        columns = [str(c) for c in frame.columns]
        values = frame.to_numpy(dtype=object).tolist()
        by_position = {position[c]: k for k, c in enumerate(columns)}
        for run in _runs(by_position):
            block = [[_to_excel(row[by_position[j]]) for j in run] for row in values]
            self.pending.append(("values", entry.sheet, start, loc.first_col + run[0], block))
        if last > loc.last_row:
            self.pending.append(
                (
                    "resize",
                    entry.sheet,
                    entry.name,
                    _address(loc.header_row, loc.first_col, last, loc.last_col),
                )
            )
        block = self._block(entry)
        while len(block) < last - loc.header_row + 1:
            block.append([None] * entry.cols)
        for i, row in enumerate(values):
            for j, k in by_position.items():
                block[start - loc.header_row + i][j] = _from_excel(tables._excel_value(row[k]))
        entry.rows = len(block)

    def log(self, action: str, rows: int = 0, seconds: float = 0.0, messages: str = "") -> None:
        """Append one row to tblLog (the same row a file gets)."""
        FileBook.log(self, action, rows, seconds, messages)  # type: ignore[arg-type]

    def show_message(self, text: str) -> None:
        """Leave ``text`` in the workbook: the message cell of the Start sheet (A3)."""
        if MESSAGE_SHEET.lower() in (s.lower() for s in self.sheet_names()):
            row, col = MESSAGE_CELL
            self.pending.append(("values", MESSAGE_SHEET, row, col, [[_to_excel(text)]]))

    # -- applying -------------------------------------------------------------------------
    def commit(self) -> int:
        """Send every pending write to Excel, in order; returns how many blocks were sent."""
        done = 0
        for op in self.pending:
            kind, sheet_name = op[0], op[1]
            sheet = self.book.sheets[sheet_name]
            if kind == "values":
                _, _, row, col, block = op
                last_row = row + len(block) - 1
                last_col = col + len(block[0]) - 1
                sheet.range((row, col), (last_row, last_col)).value = block
            elif kind == "clear":
                sheet.range(op[2]).clear_contents()
            elif kind == "resize":
                sheet.tables[op[2]].resize(sheet.range(op[3]))
            done += 1
        self.pending = []
        return done

    def discard(self) -> None:
        """Drop every pending write and forget what was read (the next read asks Excel)."""
        self.pending = []
        self._tables = None

    # -- telling the user -----------------------------------------------------------------
    def status(self, text: str) -> bool:
        """Show ``text`` in Excel's status bar; False where the engine has none (remote)."""
        self.statuses.append(text)
        if self._status_bar is False:
            return False
        try:
            self.book.app.status_bar = text
        except (NotImplementedError, AttributeError):
            self._status_bar = False
            return False
        self._status_bar = True
        return True

    def reset_status(self) -> None:
        """Give the status bar back to Excel."""
        if self._status_bar:
            try:
                self.book.app.status_bar = False
            except (NotImplementedError, AttributeError):
                pass

    def alert(self, text: str, title: str = "S&OP", mode: str = "info") -> bool:
        """A message box where xlwings can show one; False where it cannot."""
        try:
            self.book.app.alert(text, title=title, buttons="ok", mode=mode)
        except (NotImplementedError, AttributeError):
            return False
        return True
