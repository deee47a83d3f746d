"""The Start sheet's step block, read, advanced and reset through the Book protocol.

The block (Step, Owner, Status, Start, Due) is not a table: the kpis step reads its dates for
the S&OP cycle time, roll forward resets it, and every run or snapshot advances the steps it
carried out (:func:`advance`): a Start step's Status goes to ``in progress`` or ``done`` (never
back) and its Start date, when blank, becomes the day it ran; a typed date is kept. Cells outside
tables go through the :class:`~sop_xl.workbook.book.Book` methods ``read_cells`` and
``write_cells`` (held back until the book is saved or committed, with everything else).
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


RANK = {"not started": 0, "in progress": 1, "done": 2}


def advance(
    steps: pd.DataFrame, header_row: int, marks: dict[int, str], today: dt.date
) -> tuple[pd.DataFrame, list[tuple[str, int, int, list[list[Any]]]]]:
    """The step block after the Start steps ``marks`` (number -> status) ran on ``today``.

    A status only moves forward (``not started`` -> ``in progress`` -> ``done``; a text the
    block does not know counts as not started); a blank Start date becomes ``today``. Returns
    the new block (as :func:`start_steps` reads it) and the cell writes ``(sheet, row, column,
    block)`` for the rows that change.

    >>> steps = pd.DataFrame({"step": ["1. Gather", "2. Demand"], "status": ["not started", "done"],
    ...                       "start": [pd.NaT, pd.Timestamp("2026-01-06")], "due": [pd.NaT] * 2})
    >>> new, writes = advance(steps, 10, {1: "done", 2: "in progress"}, dt.date(2026, 1, 8))
    >>> new["status"].tolist(), [str(d.date()) for d in new["start"]]
    (['done', 'done'], ['2026-01-08', '2026-01-06'])
    >>> writes
    [('Start', 11, 3, [['done', datetime.datetime(2026, 1, 8, 0, 0)]])]
    """
    new = steps.copy()
    writes: list[tuple[str, int, int, list[list[Any]]]] = []
    stamp = dt.datetime.combine(today, dt.time())
    for number, status in sorted(marks.items()):
        i = number - 1
        if not header_row or not 0 <= i < len(new):
            continue
        old = str(new.at[i, "status"] or "").strip().lower()
        row: list[Any] = []
        if RANK.get(status, 0) > RANK.get(old, 0):
            new.at[i, "status"] = status
            row = [status]
        if pd.isna(new.at[i, "start"]):
            new.at[i, "start"] = pd.Timestamp(stamp)
            row = [new.at[i, "status"], stamp]
        if row:
            writes.append((START_SHEET, header_row + 1 + i, 3, [row]))
    return new, writes


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
