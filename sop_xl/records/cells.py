"""Cells outside the output tables that the records read or write, on a file or a live book.

Roll forward changes three things the cycle never writes: the CycleStart value of tblSettings,
the rows of tblAdjustments (past periods move to tblAdjustmentHistory) and the step block of
the Start sheet. ``write_table`` refuses input tables on purpose, so these few writes go through
the :class:`~sop_xl.workbook.book.Book` methods ``read_cells`` and ``write_cells``: on a file
they are set in memory and saved with the rest (atomically) or not at all; on a live book they
reach Excel on ``commit``, with everything else, or are discarded with everything else. A
``str`` is written as text; only a :class:`~sop_xl.workbook.cellvalues.Formula` is a formula.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from sop_xl.workbook.book import Book

START_SHEET = "Start"
STEP_HEADERS = ("Step", "Owner", "Status", "Start", "Due")
SCAN_ROWS = 40  # the step block is near the top of the Start sheet


def read_block(book: Book, sheet: str, top: int, left: int, bottom: int, right: int) -> list[list]:
    """Stored values of a cell range, rows of lists (formulas as ``Formula``)."""
    return book.read_cells(sheet, top, left, bottom, right)


def write_block(book: Book, sheet: str, top: int, left: int, block: list[list]) -> None:
    """Set a block of cells (held back until the book is saved or committed)."""
    book.write_cells(sheet, top, left, block)


def _date(value: Any) -> pd.Timestamp | None:
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value)
    if isinstance(value, str) and value.strip():
        try:
            return pd.Timestamp(value.strip().rstrip("Z"))
        except ValueError:
            return None
    return None


def start_steps(book: Book) -> tuple[pd.DataFrame, int]:
    """The Start sheet's steps (``step, status, start, due``) and the row of their header.

    An empty frame and 0 when the workbook has no Start sheet or no step block.
    """
    empty = pd.DataFrame(columns=["step", "status", "start", "due"])
    if START_SHEET not in book.sheet_names():
        return empty, 0
    block = read_block(book, START_SHEET, 1, 1, SCAN_ROWS, len(STEP_HEADERS))
    header = next(
        (i for i, row in enumerate(block) if tuple(map(_text, row)) == STEP_HEADERS), None
    )
    if header is None:
        return empty, 0
    rows = []
    for row in block[header + 1 :]:
        if _text(row[0]) is None:
            break
        rows.append((_text(row[0]), _text(row[2]), _date(row[3]), _date(row[4])))
    frame = pd.DataFrame(rows, columns=empty.columns)
    frame["start"] = pd.to_datetime(frame["start"])
    frame["due"] = pd.to_datetime(frame["due"])
    return frame, header + 1


def _text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def reset_steps(book: Book, status: str = "not started") -> int:
    """Set every step's Status to ``status`` and clear its Start and Due dates; returns steps."""
    steps, header_row = start_steps(book)
    if not header_row or steps.empty:
        return 0
    block = [[status, None, None] for _ in range(len(steps))]
    write_block(book, START_SHEET, header_row + 1, 3, block)
    return len(steps)
