"""The workbook gateway the S&OP cycle reads and writes through.

:class:`Book` is the interface: the cycle, the macros and the command line call only these
methods, so the same cycle runs on a file (:class:`FileBook`, openpyxl, headless) and, later, on
a workbook open in Excel (an xlwings implementation with the same methods).

Rules the gateway keeps:

- tables are found by name and columns by header text (users move tables, add columns, sort);
- input tables are never written (``write_table`` refuses them);
- nothing reaches the disk before :meth:`FileBook.save`, which writes atomically: a failure
  leaves the previous file exactly as it was;
- one command at a time per file: :func:`edit_book` holds the workbook's lock (a lock file
  beside it, see :mod:`sop_xl.files`) from before the file is read to after it is saved, and
  every save checks that the file on disk is still the one that was read (Excel may have saved
  it meanwhile): if not, it refuses and writes nothing.

Examples
--------
>>> from sop_xl.workbook.book import new_book
>>> book = new_book()
>>> book.read_table("tblActuals").columns.tolist()
['Item', 'Period', 'Qty']
>>> book.settings()["Horizon"]
18
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from sop_xl.errors import SopError, show
from sop_xl.files import (
    LOCK_TIMEOUT,
    Fingerprint,
    atomic_path,
    check_unchanged,
    check_writable,
    read_with_fingerprint,
    remove_stale_temps,
    workbook_lock,
)
from sop_xl.workbook import schema, tables
from sop_xl.workbook.cellvalues import Formula
from sop_xl.workbook.settings import read_settings
from sop_xl.workbook.styles import register_styles


@runtime_checkable
class Book(Protocol):
    """What the cycle needs from a workbook, whatever holds it (a file, a live Excel book)."""

    def sheet_names(self) -> list[str]:
        """Sheet names, in workbook order."""
        ...

    def table_names(self) -> dict[str, str]:
        """Every table with the sheet it is on."""
        ...

    def locate(self, name: str) -> tables.Location:
        """Where table ``name`` is (sheet, range, header row, headers)."""
        ...

    def read_table(self, name: str) -> pd.DataFrame:
        """Data rows of table ``name``: columns = header texts, index = Excel row numbers."""
        ...

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace the rows of output table ``name`` with ``frame``."""
        ...

    def append_rows(self, name: str, frame: pd.DataFrame) -> None:
        """Add ``frame``'s rows at the end of output table ``name`` (Log, History)."""
        ...

    def read_cells(self, sheet: str, top: int, left: int, bottom: int, right: int) -> list[list]:
        """Stored values of a block of cells, rows of lists: formulas as
        :class:`~sop_xl.workbook.cellvalues.Formula`, text as ``str``, blanks as None."""
        ...

    def write_cells(self, sheet: str, top: int, left: int, block: list[list]) -> None:
        """Set a block of cells from its top-left corner, held back like every other write.

        For the few cells outside output tables the records change (a setting, the rows of
        tblAdjustments, the Start sheet's steps). A ``str`` stays text; only a
        :class:`~sop_xl.workbook.cellvalues.Formula` is written as a formula.
        """
        ...

    def show_sheet(self, sheet: str) -> None:
        """Make ``sheet`` the one the workbook opens on (held back like the writes)."""
        ...

    def save(self) -> Path | None:
        """End the transaction: a file is written atomically (its path returned); a live Excel
        book returns None (its macro commits the held-back writes; Excel keeps the file)."""
        ...

    def settings(self) -> dict[str, Any]:
        """tblSettings as typed values, defaults filled in for missing keys."""
        ...

    def location(self) -> Path | None:
        """The workbook's file (None: not saved yet); a plan archive's relative path starts
        at its folder and its file name names the plan."""
        ...

    def log(self, action: str, rows: int = 0, seconds: float = 0.0, messages: str = "") -> None:
        """Append one row to tblLog."""
        ...


class FileBook:
    """A workbook file opened with openpyxl; all changes stay in memory until :meth:`save`.

    Parameters
    ----------
    workbook : openpyxl.Workbook
        The workbook, loaded with formulas (not ``data_only``).
    path : path-like, optional
        Where it came from; :meth:`save` writes back there by default.
    """

    def __init__(self, workbook: Workbook, path: str | os.PathLike[str] | None = None) -> None:
        self.workbook = workbook
        self.path = Path(path) if path is not None else None
        self._values: bytes | None = None  # the file, for its cached formula results
        self._fingerprint: Fingerprint | None = None  # the version of the file that was read
        register_styles(workbook)

    # -- reading --------------------------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return list(self.workbook.sheetnames)

    def table_names(self) -> dict[str, str]:
        return tables.all_tables(self.workbook)

    def locate(self, name: str) -> tables.Location:
        ws, tbl = tables.find_table(self.workbook, name)
        return tables.locate(ws, tbl)

    def read_table(self, name: str) -> pd.DataFrame:
        """Data rows of ``name``; a formula cell gives its last calculated value.

        Raises
        ------
        SopError
            When the table is missing or lacks a column the schema requires.
        """
        ws, tbl = tables.find_table(self.workbook, name)
        loc = tables.locate(ws, tbl)
        spec = schema.TABLES.get(tbl.displayName)
        if spec is not None:
            missing = [c.name for c in spec.columns if c.required and c.name not in loc.headers]
            if missing:
                raise SopError(
                    f"table {tbl.displayName} on sheet {ws.title} has no column "
                    f"{show(missing[0])}; its headers are {list(loc.headers)}"
                )
        frame = tables.read_cells(ws, loc)
        return self._with_values(ws.title, loc, frame)

    def _with_values(self, sheet: str, loc: tables.Location, frame: pd.DataFrame) -> pd.DataFrame:
        """Replace formulas by the values Excel (or LibreOffice) last calculated, if any."""
        is_formula = frame.map(lambda v: isinstance(v, Formula))
        rows, cols = is_formula.to_numpy().nonzero()
        if not len(rows):
            return frame
        excel_rows = [int(frame.index[r]) for r in rows]
        top, left = min(excel_rows), loc.first_col + int(cols.min())
        block = self._cached_block(
            sheet, top, left, max(excel_rows), loc.first_col + int(cols.max())
        )
        if block is None:
            return frame
        frame = frame.copy()
        for row, col, excel_row in zip(rows, cols, excel_rows, strict=True):
            line = block[excel_row - top] if excel_row - top < len(block) else ()
            j = loc.first_col + int(col) - left
            cached = line[j] if j < len(line) else None
            if cached is not None:
                frame.iat[row, col] = cached
        return frame

    def _cached_block(
        self, sheet: str, top: int, left: int, bottom: int, right: int
    ) -> list[tuple[Any, ...]] | None:
        """The last calculated values of a block of cells, as saved in the file.

        Read in openpyxl's read-only mode, which parses only that sheet up to ``bottom``: a
        long History sheet is not loaded a second time. The file's bytes are kept (not an open
        file), so saving over it works on every system.
        """
        if self.path is None or not self.path.exists():
            return None
        if self._values is None:
            self._values = self.path.read_bytes()
        wb = load_workbook(io.BytesIO(self._values), read_only=True, data_only=True)
        try:
            if sheet not in wb.sheetnames:
                return None
            return list(
                wb[sheet].iter_rows(
                    min_row=top, max_row=bottom, min_col=left, max_col=right, values_only=True
                )
            )
        finally:
            wb.close()

    def location(self) -> Path | None:
        return self.path

    def settings(self) -> dict[str, Any]:
        return read_settings(self.read_table("tblSettings"))

    # -- writing --------------------------------------------------------------------------
    def _output(self, name: str):
        ws, tbl = tables.find_table(self.workbook, name)
        spec = schema.TABLES.get(tbl.displayName)
        if spec is not None and spec.role == "input":
            raise SopError(
                f"table {tbl.displayName} on sheet {ws.title} is an input table; "
                "sop-xl never rewrites input tables"
            )
        return ws, tbl

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace the rows of output table ``name`` with ``frame`` (columns by header).

        Carries out :func:`sop_xl.workbook.writeplan.plan_table`: the fixed headers of the
        schema first, then, for a wide table, one text header per period; user columns are
        kept at the right. The table is resized, old cells cleared, styles applied.
        """
        ws, tbl = self._output(name)
        tables.write_rows(ws, tbl, frame, schema.TABLES.get(tbl.displayName))

    def append_rows(self, name: str, frame: pd.DataFrame) -> None:
        ws, tbl = self._output(name)
        tables.append_rows(ws, tbl, frame)

    def read_cells(self, sheet: str, top: int, left: int, bottom: int, right: int) -> list[list]:
        """Stored values of a block of cells (formulas as ``Formula``, not their results)."""
        return tables.read_block(self._sheet(sheet), top, left, bottom, right)

    def write_cells(self, sheet: str, top: int, left: int, block: list[list]) -> None:
        """Set a block of cells in memory; they reach the file on :meth:`save`."""
        tables.write_block(self._sheet(sheet), top, left, block)

    def show_sheet(self, sheet: str) -> None:
        """Open the file on ``sheet``: the active tab, the only one selected (two selected
        tabs would open as a group in Excel)."""
        target = self._sheet(sheet)
        for ws in self.workbook.worksheets:
            ws.sheet_view.tabSelected = ws is target
        self.workbook.active = target

    def _sheet(self, name: str) -> Worksheet:
        if name not in self.workbook.sheetnames:
            raise SopError(f"sheet {name} not found in the workbook; it must keep its name")
        return self.workbook[name]

    def log(self, action: str, rows: int = 0, seconds: float = 0.0, messages: str = "") -> None:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no login name (containers)
            user = ""
        now = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        row = {
            "Time": now,
            "User": user,
            "Action": action,
            "Rows": int(rows),
            "Seconds": round(float(seconds), 2),
            "Messages": " ".join(str(messages).split())[:2000],
        }
        self.append_rows("tblLog", pd.DataFrame([row]))

    # -- saving ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the workbook atomically to ``path`` (default: where it was opened).

        Takes the workbook's lock (or uses the one :func:`edit_book` holds), removes the
        temporary files of a killed save, writes a temporary file, flushes it to disk and
        replaces the target in one step. Saving over the file the book was read from first
        checks that it was not changed on disk since (size, modification time, SHA-256).

        Raises
        ------
        SopError
            When the target is read-only, its folder is not writable, another command holds
            it or it changed on disk since it was read; the file is then left as it was.
        OSError
            When the disk refuses the write (full, file open in another program on Windows);
            the file is left as it was.
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise SopError("save needs a file name: this workbook was not opened from a file")
        buffer = io.BytesIO()
        self.workbook.save(buffer)  # serialise first: a failure here touches no file
        data = buffer.getvalue()
        expected = self._fingerprint if self._is_source(target) else None
        with workbook_lock(target):
            check_writable(target)
            remove_stale_temps(target)
            check = None if expected is None else (lambda: check_unchanged(target, expected))
            with atomic_path(target, before_replace=check) as tmp:
                tmp.write_bytes(data)
            self._fingerprint = Fingerprint.of(target.stat(), data)
        self.path = target
        self._values = None
        return target

    def _is_source(self, target: Path) -> bool:
        """Whether ``target`` is the file this book was read from."""
        if self.path is None:
            return False
        try:
            return os.path.samefile(target, self.path)
        except OSError:  # one of them does not exist (any more)
            return os.path.abspath(target) == os.path.abspath(self.path)


def open_book(path: str | os.PathLike[str]) -> FileBook:
    """Open the workbook file at ``path``.

    The file is read once; its fingerprint is kept so that :meth:`FileBook.save` refuses to
    overwrite a version it did not read. For a read-compute-write transaction use
    :func:`edit_book`, which also keeps other sop-xl commands out until the save.

    Raises
    ------
    SopError
        When the file does not exist, is a folder, is not an .xlsx/.xlsm workbook or exceeds
        the size limits of :mod:`sop_xl.workbook.limits`.
    """
    from sop_xl.workbook.limits import check_workbook_bytes

    path = Path(path)
    if not path.exists():
        raise SopError(f"workbook {path} does not exist")
    if path.is_dir():
        raise SopError(f"{path} is a folder, not a workbook file")
    keep_vba = path.suffix.lower() == ".xlsm"
    try:
        data, fingerprint = read_with_fingerprint(path)
    except OSError as exc:
        raise SopError(f"cannot read {path}: {exc.strerror or exc}") from None
    check_workbook_bytes(data, str(path))
    try:
        wb = load_workbook(io.BytesIO(data), keep_vba=keep_vba)
    except Exception as exc:  # openpyxl raises many types on a file that is no workbook
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise SopError(f"cannot open {path} as an Excel workbook: {reason}") from None
    book = FileBook(wb, path)
    book._fingerprint = fingerprint
    return book


@contextlib.contextmanager
def edit_book(path: str | os.PathLike[str], *, timeout: float = LOCK_TIMEOUT) -> Iterator[FileBook]:
    """Open ``path`` for one read-compute-write transaction, other sop-xl commands kept out.

    Refuses a read-only file or folder before anything is read; takes the workbook's lock
    (waiting at most ``timeout`` seconds [s] for another command), removes the temporary
    files of a killed save, opens the book and holds the lock until the block ends, so the
    :meth:`FileBook.save` inside it completes the transaction.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.xlsx"
    >>> _ = new_book().save(path)
    >>> with edit_book(path) as book:
    ...     book.log("note", messages="checked")
    ...     _ = book.save()
    >>> open_book(path).read_table("tblLog")["Action"].tolist()
    ['note']

    Raises
    ------
    SopError
        As :func:`open_book`; or when the workbook is read-only, its folder is not writable,
        or another command holds it longer than ``timeout``.
    """
    path = Path(path)
    if not path.exists():
        raise SopError(f"workbook {path} does not exist")
    check_writable(path)
    with workbook_lock(path, timeout):
        remove_stale_temps(path)
        yield open_book(path)


def new_book() -> FileBook:
    """A fresh template workbook in memory (not yet saved)."""
    from sop_xl.workbook.builder import build_template

    return FileBook(build_template())
