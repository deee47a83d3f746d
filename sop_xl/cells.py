"""The Excel boundary: raw cell values in, numpy/pandas out, and back to cells.

Excel (through xlwings, desktop or Office.js) hands a UDF scalars, flat lists, lists of lists,
``None`` for blanks, ``datetime`` for dates and, with ``err_to_str=True``, error cells as text
such as ``'#N/A'``. Every UDF goes through this one layer, so a function behaves the same
whatever xlwings converted and whatever orientation the user selected:

- a 1-D range may be a row, a column or a flat list (a flat list counts as a column); the
  orientation is kept so a column in gives a column out;
- leading and trailing blanks are trimmed (a range may be selected larger than its data);
  blanks inside are ``NaN`` for the core to deal with;
- text in a numeric argument, error cells included, is refused with the argument's name, the
  value and where it was seen.

:func:`boundary` turns :class:`~sop_xl.errors.SopError` into the cell text ``#SOP! ...`` and any
other failure into ``#SOP! internal error: ...`` with the traceback in the log.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.longtable import is_blank, read_long_table  # noqa: F401  (is_blank: re-exported)
from sop_xl.periods import EXCEL_EPOCH, MONTH

NS_LAST_SERIAL = 132_219  # 2261-12-31 as an Excel serial number

log = logging.getLogger("sop_xl")

CELL_TEXT_LIMIT = 255

Orientation = Literal["column", "row"]


# ----------------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------------
def _as_rows(value: Any) -> list[list[Any]]:
    """Any Excel value as a list of rows (a flat list is a column)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (pd.Series, pd.Index)):
        value = value.tolist()
    if isinstance(value, pd.DataFrame):
        return value.values.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            return []
        if all(isinstance(v, (list, tuple)) for v in value):
            return [list(v) for v in value]
        if any(isinstance(v, (list, tuple)) for v in value):
            raise SopError("a range must be a list of rows of the same kind; got a mixed list")
        return [[v] for v in value]
    return [[value]]


def _cell_number(value: Any, name: str, where: str) -> float:
    """One cell as a float; NaN for a blank; SopError for text, errors and booleans."""
    if is_blank(value):
        return math.nan
    if isinstance(value, bool):
        raise SopError(f"{name} must be numbers; got {value!r}{where}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isinf(number):
            raise SopError(f"{name} must be finite numbers; got {value}{where}")
        return number
    if isinstance(value, str) and value.strip().startswith("#"):
        raise SopError(f"{name} contains an error value; got {show(value)}{where}")
    raise SopError(f"{name} must be numbers; got {show(value)}{where}")


@dataclass(frozen=True)
class Vector:
    """A 1-D range read from Excel: float values (NaN = blank) and the orientation it came in."""

    values: np.ndarray
    orientation: Orientation

    def __len__(self) -> int:
        return len(self.values)


def vector(value: Any, name: str, *, trim: bool = True, allow_empty: bool = False) -> Vector:
    """Read a 1-D range of numbers.

    >>> v = vector([[None], [3], [None], [5], [None]], "history")
    >>> v.values.tolist(), v.orientation
    ([3.0, nan, 5.0], 'column')
    >>> vector([[1, 2, 3]], "x").orientation
    'row'
    """
    rows = _as_rows(value)
    if not rows:
        cells: list[Any] = []
        orientation: Orientation = "column"
    elif len(rows) == 1 and len(rows[0]) > 1:
        cells, orientation = rows[0], "row"
    elif all(len(r) == 1 for r in rows):
        cells, orientation = [r[0] for r in rows], "column"
    else:
        width = max(len(r) for r in rows)
        raise SopError(
            f"{name} must be a single row or column; got {len(rows)} rows x {width} columns"
        )
    label = "column" if orientation == "column" else "row"
    numbers = np.array(
        [_cell_number(c, name, f" at {label} position {i + 1}") for i, c in enumerate(cells)],
        dtype=float,
    )
    if trim:
        filled = np.flatnonzero(~np.isnan(numbers))
        numbers = numbers[filled[0] : filled[-1] + 1] if filled.size else numbers[:0]
    if numbers.size == 0 and not allow_empty:
        raise SopError(f"{name} has no numbers; got an empty range")
    return Vector(numbers, orientation)


def grid(value: Any, name: str) -> np.ndarray:
    """Read a 2-D block of numbers (NaN = blank); fully blank trailing rows/columns are dropped.

    >>> grid([[1, 2, None], [3, None, None], [None, None, None]], "g").tolist()
    [[1.0, 2.0], [3.0, nan]]
    """
    rows = _as_rows(value)
    width = max((len(r) for r in rows), default=0)
    block = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            block[i, j] = _cell_number(cell, name, f" at row {i + 1}, column {j + 1}")
    filled = ~np.isnan(block)
    if not filled.any():
        raise SopError(f"{name} has no numbers; got an empty range")
    last_row = np.flatnonzero(filled.any(axis=1))[-1]
    last_col = np.flatnonzero(filled.any(axis=0))[-1]
    return block[: last_row + 1, : last_col + 1]


def _single(value: Any, name: str) -> Any:
    rows = _as_rows(value)
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    if not rows:
        return None
    raise SopError(f"{name} must be a single cell; got a range of {len(rows)} rows")


def number(
    value: Any,
    name: str,
    *,
    default: float | None = None,
    integer: bool = False,
    minimum: float | None = None,
) -> float:
    """Read one number; blanks take ``default`` (or are refused when there is none).

    >>> number(None, "horizon", default=18, integer=True)
    18
    >>> number("abc", "horizon")
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: horizon must be a number; got 'abc'
    """
    cell = _single(value, name)
    if is_blank(cell):
        if default is None:
            raise SopError(f"{name} is required; got a blank")
        return default
    if isinstance(cell, bool) or not isinstance(cell, (int, float, np.integer, np.floating)):
        raise SopError(f"{name} must be a number; got {show(cell)}")
    result = float(cell)
    if not math.isfinite(result):
        raise SopError(f"{name} must be a finite number; got {cell}")
    if integer:
        if result != round(result):
            raise SopError(f"{name} must be a whole number; got {cell}")
        result = int(round(result))
    if minimum is not None and result < minimum:
        raise SopError(f"{name} must be at least {minimum:g}; got {cell}")
    return result


def text(value: Any, name: str, *, default: str) -> str:
    """Read one text argument (blank = ``default``), stripped and lower-cased.

    >>> text(" Auto ", "method", default="auto")
    'auto'
    """
    cell = _single(value, name)
    if is_blank(cell):
        return default
    if not isinstance(cell, str):
        raise SopError(f"{name} must be text; got {show(cell)}")
    if cell.strip().startswith("#"):
        raise SopError(f"{name} contains an error value; got {show(cell)}")
    return cell.strip().lower()


def period(value: Any, name: str, where: str = "") -> pd.Timestamp:
    """Read a month cell: a date, an Excel serial date number, or text like ``2024-03``.

    The one period parser (:meth:`sop_xl.periods.PeriodGrid.parse`) on the month grid; a date
    must be the first day of its month.

    >>> period("2024-03", "Period")
    Timestamp('2024-03-01 00:00:00')
    >>> period(45352, "Period")
    Timestamp('2024-03-01 00:00:00')
    """
    try:
        return MONTH.parse(value, name)
    except SopError as exc:
        raise SopError(f"{exc}{where}") from None


def dates(value: Any, name: str) -> tuple[pd.Series, Orientation]:
    """Read a 1-D range of dates: date cells, Excel serial numbers or ISO text (``2026-01-20``);
    blanks are NaT. Not trimmed, so two ranges stay paired by position.

    >>> dates([["2026-01-20"], [None], [46042]], "end_dates")[0].dt.strftime("%Y-%m-%d").tolist()
    ['2026-01-20', nan, '2026-01-20']
    """
    rows = _as_rows(value)
    if len(rows) == 1 and len(rows[0]) > 1:
        values, orientation = rows[0], "row"
    elif all(len(r) == 1 for r in rows):
        values, orientation = [r[0] for r in rows], "column"
    else:
        raise SopError(f"{name} must be a single row or column; got {len(rows)} rows")
    out = []
    for i, cell in enumerate(values):
        where = f" at position {i + 1}"
        if is_blank(cell):
            out.append(pd.NaT)
        elif isinstance(cell, (dt.date, pd.Timestamp)):
            if not 1900 <= cell.year <= 2261:  # pandas' nanosecond dates end in 2262
                why = f"{name} must be dates between 1900 and 2261; got {show(cell)}{where}"
                raise SopError(why)
            out.append(pd.Timestamp(cell))
        elif isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
            try:
                serial = float(cell)
            except OverflowError:  # a whole number too big for a float
                serial = float("inf")
            if not 1 <= serial <= NS_LAST_SERIAL:  # 2261-12-31: pandas' dates end in 2262
                raise SopError(f"{name} must be dates; got {show(cell)}{where}")
            day = pd.Timestamp(EXCEL_EPOCH).to_pydatetime() + dt.timedelta(days=serial)
            out.append(pd.Timestamp(day))
        elif isinstance(cell, str) and not cell.strip().startswith("#"):
            try:
                out.append(pd.Timestamp(dt.date.fromisoformat(cell.strip()[:10])))
            except ValueError:
                raise SopError(f"{name} must be dates; got {show(cell)}{where}") from None
        elif isinstance(cell, str):
            raise SopError(f"{name} contains an error value; got {show(cell)}{where}")
        else:
            raise SopError(f"{name} must be dates; got {show(cell)}{where}")
    return pd.Series(out, dtype="datetime64[ns]"), orientation


def long_table(
    value: Any, name: str, columns: Sequence[str] = ("Item", "Period", "Qty")
) -> pd.DataFrame:
    """Read a long table with a header row (Item, Period, Qty) into ``item, period, qty``.

    Columns are found by header text (any case, any order, extra columns ignored); fully blank
    rows are dropped; a blank quantity is refused in a table (a missing period is zero demand).
    The rules are :func:`sop_xl.longtable.read_long_table`'s, on the month grid; rows are
    counted from the header (row 1).
    """
    rows = _as_rows(value)
    if len(rows) < 2:
        raise SopError(f"{name} must have a header row and at least one data row")
    width = max(len(r) for r in rows)
    body = [list(r) + [None] * (width - len(r)) for r in rows]
    header = body[0]
    table = pd.DataFrame(body[1:], columns=range(width), dtype=object)
    table.columns = header
    long = read_long_table(
        table, name, grid=MONTH, rows=range(2, len(rows) + 1), columns=tuple(columns)
    )
    return long.reset_index(drop=True)


def _cell_or_vector(value: Any, name: str) -> Vector:
    """One argument of :func:`aligned`: a single cell (blank = NaN) or an untrimmed 1-D range.

    A single cell is read by :func:`number`, so its messages carry no position; an error cell
    is named as one rather than as text in a numeric argument.
    """
    cell = value
    while isinstance(cell, (list, tuple)) and len(cell) == 1:
        cell = cell[0]
    if isinstance(cell, str) and cell.strip().startswith("#"):
        raise SopError(f"{name} contains an error value; got {show(cell)}")
    if not isinstance(cell, (list, tuple)):
        return Vector(np.array([number(cell, name, default=math.nan)]), "column")
    return vector(value, name, trim=False, allow_empty=True)


def aligned(
    *arguments: tuple[Any, str, float | None],
) -> tuple[list[Any], Orientation | None]:
    """Read arguments that go together cell by cell: one value per item, or one per period.

    Each argument is ``(value, name, blank)``, ``blank`` being what an empty cell stands for
    (``None``: it stays NaN, for the core to refuse with the argument's name and position).

    - a single cell (or a one-cell range) broadcasts: it comes back as one plain float, so the
      core's messages about it carry no position;
    - ranges (rows, columns or flat lists) must have the same number of cells, else
      ``lengths must match: a has 2 values, b has 3 values``;
    - trailing cells blank in every range are dropped (a range may be selected larger than its
      data); blanks inside are kept; all blank: ``<first name> has no numbers``;
    - the orientation is that of the first range, ``None`` when every argument is a single cell
      (or one cell is left after the trailing blanks), so one cell in gives one number out.

    Returns the values (a float or an array per argument, in order) and the orientation.

    >>> values, orientation = aligned(
    ...     ([[100], [120], [None]], "demand_mean", None),
    ...     (4, "lead_time", None),
    ...     ([[None], [0.99], [None]], "service_level", 0.95),
    ... )
    >>> [np.asarray(v).tolist() for v in values], orientation
    ([[100.0, 120.0], 4.0, [0.95, 0.99]], 'column')
    """
    vectors = [_cell_or_vector(value, name) for value, name, _ in arguments]
    names = [name for _, name, _ in arguments]
    sizes = {name: len(v) for v, name in zip(vectors, names, strict=True) if len(v) > 1}
    if len(set(sizes.values())) > 1:
        parts = ", ".join(f"{name} has {size} values" for name, size in sizes.items())
        raise SopError(f"lengths must match: {parts}")
    size = max(sizes.values(), default=1)
    orientation = next((v.orientation for v in vectors if len(v) > 1), None)
    arrays = [v.values if len(v) else np.full(1, np.nan) for v in vectors]
    if size > 1:
        ranged = np.vstack([a for a in arrays if a.size == size])
        filled = np.flatnonzero(~np.isnan(ranged).all(axis=0))
        if not filled.size:
            raise SopError(f"{names[0]} has no numbers; got an empty range")
        arrays = [a[: filled[-1] + 1] if a.size == size else a for a in arrays]
        if filled[-1] == 0:
            orientation = None
    values = []
    for array, (_, _, blank) in zip(arrays, arguments, strict=True):
        array = np.where(np.isnan(array), blank, array) if blank is not None else array
        values.append(array[0] if array.size == 1 else array)
    return values, orientation


# ----------------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------------
def _cell_out(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        value = float(value)
        if not math.isfinite(value):
            raise SopError(f"the result has a non-finite number ({value})")
        return value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.str_):
        return str(value)
    return value


def shaped(values: Any, orientation: Orientation = "column") -> list[list[Any]]:
    """A 1-D result as Excel rows: a column (n x 1) or a row (1 x n).

    >>> shaped(np.array([1.0, 2.0]))
    [[1.0], [2.0]]
    >>> shaped([1, 2], "row")
    [[1, 2]]
    """
    cells = [_cell_out(v) for v in np.asarray(values, dtype=object).ravel()]
    return [cells] if orientation == "row" else [[c] for c in cells]


def block(rows: Any) -> list[list[Any]]:
    """A 2-D result (list of rows or DataFrame values) as plain Python cells."""
    if isinstance(rows, pd.DataFrame):
        rows = rows.values.tolist()
    return [[_cell_out(v) for v in row] for row in rows]


def error_text(message: str) -> str:
    """The cell text for a refused input: ``#SOP! message``, one line, at most 255 characters.

    >>> error_text("horizon must be a whole number; got 2.5")
    '#SOP! horizon must be a whole number; got 2.5'
    """
    text_ = "#SOP! " + " ".join(str(message).split())
    return text_ if len(text_) <= CELL_TEXT_LIMIT else text_[: CELL_TEXT_LIMIT - 3] + "..."


def boundary(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a UDF: SopError -> ``#SOP! ...``; anything else -> ``#SOP! internal error``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SopError as exc:
            return error_text(str(exc))
        except Exception as exc:  # noqa: BLE001 - a cell must never show a traceback
            log.exception("internal error in %s", func.__name__)
            return error_text(f"internal error: {type(exc).__name__}: {exc}")

    return wrapper
