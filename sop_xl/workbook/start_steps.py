"""The Start sheet's step block, read and reset through the Book protocol (file or live book).

The block (Step, Owner, Status, Start, Due) is not a table: the kpis step reads its dates for
the S&OP cycle time, roll forward resets it. Cells outside tables go through the
:class:`~sop_xl.workbook.book.Book` methods ``read_cells`` and ``write_cells`` (held back until
the book is saved or committed, with everything else).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from sop_xl.workbook.book import Book

START_SHEET = "Start"
STEP_HEADERS = ("Step", "Owner", "Status", "Start", "Due")
SCAN_ROWS = 40  # the step block is near the top of the Start sheet


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
    block = book.read_cells(START_SHEET, 1, 1, SCAN_ROWS, len(STEP_HEADERS))
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


def reset_block(
    book: Book, status: str = "not started"
) -> tuple[str, int, int, list[list[Any]]] | None:
    """The Start sheet cells that set every step's Status to ``status`` and clear its dates.

    ``(sheet, top, left, block)`` for a transaction's writes; None without a step block.
    """
    steps, header_row = start_steps(book)
    if not header_row or steps.empty:
        return None
    block: list[list[Any]] = [[status, None, None] for _ in range(len(steps))]
    return START_SHEET, header_row + 1, 3, block
