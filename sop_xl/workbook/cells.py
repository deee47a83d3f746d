"""Cells outside the output tables that the records read or write, on a file or a live book.

Roll forward changes three things the cycle never writes: the CycleStart value of tblSettings,
the rows of tblAdjustments (past periods move to tblAdjustmentHistory) and the step block of
the Start sheet. The :class:`~sop_xl.workbook.book.Book` protocol refuses input tables on
purpose, so these few writes go through here, on the two gateways sop-xl has:

- :class:`~sop_xl.workbook.book.FileBook` (``.workbook``, openpyxl): cells are set in memory,
  saved with the rest (atomically) or not at all;
- :class:`~sop_xl.workbook.live.XlwingsBook` (``.pending``): writes join its pending blocks and
  reach Excel on ``commit``, with everything else, or are discarded with everything else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from sop_xl.errors import SopError
from sop_xl.workbook.book import Book

START_SHEET = "Start"
STEP_HEADERS = ("Step", "Owner", "Status", "Start", "Due")
SCAN_ROWS = 40  # the step block is near the top of the Start sheet


def _kind(book: Book) -> str:
    if hasattr(book, "workbook"):
        return "file"
    if hasattr(book, "pending") and hasattr(book, "book"):
        return "live"
    raise SopError(f"{type(book).__name__} cannot write cells outside output tables")


def read_block(book: Book, sheet: str, top: int, left: int, bottom: int, right: int) -> list[list]:
    """Values of a cell range (a file: formulas as text), rows of lists."""
    if _kind(book) == "file":
        ws = book.workbook[sheet]  # type: ignore[attr-defined]
        return [
            [ws.cell(r, c).value for c in range(left, right + 1)] for r in range(top, bottom + 1)
        ]
    rng = book.book.sheets[sheet].range((top, left), (bottom, right))  # type: ignore[attr-defined]
    values = rng.options(ndim=2).value
    return [[None if v == "" else v for v in row] for row in values]


def write_block(book: Book, sheet: str, top: int, left: int, block: list[list]) -> None:
    """Set a block of cells (a file: now, in memory; a live book: on commit)."""
    if _kind(book) == "file":
        ws = book.workbook[sheet]  # type: ignore[attr-defined]
        for i, row in enumerate(block):
            for j, value in enumerate(row):
                ws.cell(top + i, left + j).value = value
        return
    from sop_xl.workbook.live import _to_excel  # the live gateway's own conversion

    rows = [[_to_excel(v) for v in row] for row in block]
    book.pending.append(("values", sheet, top, left, rows))  # type: ignore[attr-defined]


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
