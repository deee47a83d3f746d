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
- what a write does is decided by :mod:`sop_xl.workbook.writeplan`, as for a file; output
  tables are resized to their new rows and columns; input tables are refused;
- a ``str`` stays text: text Excel would turn into a formula, number, date or error is sent
  with a leading ``'``; only a :class:`~sop_xl.workbook.cellvalues.Formula` is a formula;
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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from sop_xl.errors import SopError, show
from sop_xl.workbook import schema, tables, writeplan
from sop_xl.workbook.book import FileBook
from sop_xl.workbook.cellvalues import Formula, cell_value, needs_quote
from sop_xl.workbook.settings import read_settings

# where a macro leaves its last message in the workbook (the empty row under the subtitle)
MESSAGE_SHEET = "Start"
MESSAGE_CELL = (3, 1)  # row, column: A3


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
    """A written value as Excel must receive it: text Excel would reinterpret gets a ``'``.

    Without the apostrophe Excel turns the text ``2026-01`` into a date, ``0012`` into 12 and
    ``=HYPERLINK(...)`` into a formula when it is written as a value, as it does when a user
    types them. Only a :class:`~sop_xl.workbook.cellvalues.Formula` goes in as a formula.
    """
    value = cell_value(value)
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, str) and needs_quote(value):
        return "'" + value
    return value


def _cached(value: Any) -> Any:
    """What a read sees of a value written but not yet sent (a formula: no result yet)."""
    return None if isinstance(value, Formula) else _from_excel(cell_value(value))


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
    ``("values", sheet, row, column, block)``, ``("clear", sheet, address)``,
    ``("resize", sheet, table, address)`` and ``("show", sheet)``.
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

    def location(self) -> Path | None:
        name = str(getattr(self.book, "fullname", "") or "")
        return Path(name) if name and ("/" in name or "\\" in name) else None

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

    def _neighbours(self, entry: _Table) -> list[tuple[str, writeplan.Box]]:
        return [
            (other.name, (other.top, other.left, other.bottom, other.right))
            for other in self._directory().values()
            if other is not entry and other.sheet == entry.sheet
        ]

    def _first_row(self, entry: _Table) -> list[Any]:
        """The first data row as stored, formulas included (a user column's formula)."""
        top = entry.top + 1
        return self.read_cells(entry.sheet, top, entry.left, top, entry.right)[0]

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace the rows (and columns) of output table ``name`` with ``frame``.

        Carries out :func:`sop_xl.workbook.writeplan.plan_table`, as a file does: one block
        for the header and body, the cells the old table covered and the new one does not
        cleared, the table resized, the totals row above the header rewritten.
        """
        entry = self._output(name)
        old = self.locate(name)
        plan = writeplan.plan_table(
            old,
            schema.TABLES.get(entry.name),
            frame,
            first_row=lambda: self._first_row(entry),
            neighbours=self._neighbours(entry),
        )
        block = [[_to_excel(h) for h in plan.headers]]
        block += [[_to_excel(v) for v in row] for row in plan.body]
        self.pending.append(("values", entry.sheet, plan.top, plan.left, block))
        for box in plan.clears:
            self.pending.append(("clear", entry.sheet, writeplan.address(box)))
        if (plan.bottom, plan.right) != (old.last_row, old.last_col):
            self.pending.append(("resize", entry.sheet, entry.name, plan.ref))
        if plan.totals is not None:
            totals = [_to_excel(v) for v in plan.totals]
            self.pending.append(("values", entry.sheet, plan.top - 1, plan.left, [totals]))
        entry.rows, entry.cols = len(plan.body) + 1, len(plan.headers)
        entry.block = [list(plan.headers)] + [[_cached(v) for v in row] for row in plan.body]

    def append_rows(self, name: str, frame: pd.DataFrame) -> None:
        """Add ``frame``'s rows after the last filled row of output table ``name``.

        Carries out :func:`sop_xl.workbook.writeplan.plan_append`: columns are matched by
        header, the table's other columns are left as they are. The rows are written as one
        block per run of adjacent columns (one block for a full row).
        """
        entry = self._output(name)
        loc = self.locate(name)
        existing = self._frame(loc, self._block(entry)[1:])
        plan = writeplan.plan_append(
            loc,
            schema.TABLES.get(entry.name),
            frame,
            last_filled=int(existing.index.max()) if len(existing) else None,
            neighbours=self._neighbours(entry),
        )
        if not plan.body:
            return
        by_position = {j: k for k, j in enumerate(plan.positions)}
        for run in _runs(by_position):
            block = [[_to_excel(row[by_position[j]]) for j in run] for row in plan.body]
            self.pending.append(("values", entry.sheet, plan.start, loc.first_col + run[0], block))
        if plan.last_row > loc.last_row:
            self.pending.append(("resize", entry.sheet, entry.name, plan.ref))
        block = self._block(entry)
        while len(block) < plan.last_row - loc.header_row + 1:
            block.append([None] * entry.cols)
        for i, row in enumerate(plan.body):
            for j, k in by_position.items():
                block[plan.start - loc.header_row + i][j] = _cached(row[k])
        entry.rows = len(block)

    # -- cells outside output tables (the records: a setting, tblAdjustments, Start) -------
    def read_cells(self, sheet: str, top: int, left: int, bottom: int, right: int) -> list[list]:
        """Stored values of a block of cells, asked from Excel (pending writes not seen).

        Formulas come as :class:`~sop_xl.workbook.cellvalues.Formula` where the engine can read
        them (desktop Excel); xlwings' remote engine sends values only, so there a formula
        cell gives its result.
        """
        rng = self.book.sheets[sheet].range((top, left), (bottom, right))
        values = [[_from_excel(v) for v in row] for row in rng.options(ndim=2).value]
        try:
            formulas = rng.formula
        except (NotImplementedError, AttributeError):
            return values
        if not isinstance(formulas, (list, tuple)):
            formulas = ((formulas,),)
        elif formulas and not isinstance(formulas[0], (list, tuple)):
            formulas = (formulas,)
        for i, row in enumerate(formulas):
            for j, text in enumerate(row):
                # Excel gives a text cell's content as its formula too: a formula is text
                # starting with = that differs from the cell's value
                if isinstance(text, str) and text.startswith("=") and text != values[i][j]:
                    values[i][j] = Formula(text)
        return values

    def write_cells(self, sheet: str, top: int, left: int, block: list[list]) -> None:
        """Set a block of cells on :meth:`commit` (a ``str`` stays text)."""
        rows = [[_to_excel(v) for v in row] for row in block]
        self.pending.append(("values", sheet, top, left, rows))

    def log(self, action: str, rows: int = 0, seconds: float = 0.0, messages: str = "") -> None:
        """Append one row to tblLog (the same row a file gets)."""
        FileBook.log(self, action, rows, seconds, messages)  # type: ignore[arg-type]

    def show_message(self, text: str) -> None:
        """Leave ``text`` in the workbook: the message cell of the Start sheet (A3)."""
        if MESSAGE_SHEET.lower() in (s.lower() for s in self.sheet_names()):
            row, col = MESSAGE_CELL
            self.pending.append(("values", MESSAGE_SHEET, row, col, [[_to_excel(text)]]))

    def show_sheet(self, sheet: str) -> None:
        """Activate ``sheet`` on :meth:`commit`."""
        self.pending.append(("show", sheet))

    # -- applying -------------------------------------------------------------------------
    def save(self) -> None:
        """Nothing to save: Excel holds the file; :meth:`commit` sends the held-back writes."""
        return None

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
            elif kind == "show":
                sheet.activate()
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
