"""The one reader of long tables: columns Item, Period, Qty in, ``item, period, qty`` out.

A long table is how sales history arrives (an ERP extract, tblActuals, a CSV file, a range
given to ``sop_forecast_table``): one row per item and period. :func:`read_long_table` reads it
the same way whoever calls it:

- columns are found by header text, in any case and order; other columns are ignored;
- rows blank in all three columns are dropped (a range may be selected larger than its data);
- Item: text, stripped; a whole number (``101``, ``101.0``) is the code ``101``; a blank or an
  error value (``#N/A``) is refused;
- Period: read by the grid's one parser (:meth:`sop_xl.periods.PeriodGrid.parse`);
- Qty: a number; an error value, text or a boolean is refused; a blank is refused
  (``blank_qty="error"``, a range or a file: a missing period is zero demand, a blank cell a
  mistake) or kept as NaN (``blank_qty="nan"``, the workbook, whose validation reports it).

Every message names the table, the column, the value and the row, e.g. ``actuals Period must
be the first day of a month; got 2024-01-15 at row 2``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.periods import MONTH, PeriodGrid, grid_of

LONG_COLUMNS = ("Item", "Period", "Qty")


def is_blank(value: Any) -> bool:
    """True for what Excel hands over for an empty cell (``None``, ``''``) and for NaN.

    >>> is_blank(None), is_blank("  "), is_blank(float("nan")), is_blank(0)
    (True, True, True, False)
    """
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return False


def is_error_value(value: Any) -> bool:
    """True for an Excel error cell as xlwings hands it over with ``err_to_str`` (``#N/A``)."""
    return isinstance(value, str) and value.strip().startswith("#")


def item_code(value: Any) -> str | None:
    """An item cell as its code: stripped text, a whole number without ``.0``; None if blank.

    >>> item_code(" A-1 "), item_code(101.0), item_code(7), item_code(None)
    ('A-1', '101', '7', None)
    """
    if is_blank(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def header_positions(
    headers: Sequence[Any], name: str, columns: Sequence[str] = LONG_COLUMNS
) -> list[int]:
    """Where each of ``columns`` is among ``headers`` (any case, first match).

    >>> header_positions(["qty", "Note", "ITEM", "Period"], "actuals")
    [2, 3, 0]
    >>> header_positions(["Qty"], "t")
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: t must have a header with Item, Period, Qty; missing 'Item' in ['Qty']
    """
    keys = ["" if is_blank(h) else str(h).strip().lower() for h in headers]
    positions = []
    for column in columns:
        if column.lower() not in keys:
            seen = [h for h in headers if not is_blank(h)]
            raise SopError(
                f"{name} must have a header with {', '.join(columns)}; "
                f"missing {column!r} in {show([str(h) for h in seen], 80)}"
            )
        positions.append(keys.index(column.lower()))
    return positions


def read_periods(
    values: pd.Series, grid: Any, field: str, rows: Sequence[Any] | None = None
) -> pd.Series:
    """A column of period cells as timestamps, each distinct value parsed once.

    Parameters
    ----------
    values : pandas.Series
        The cells (dates, Excel serials, ISO text).
    grid : PeriodGrid or str
        The period grid (``Month``, ``Week``, ``MS``, ``W-MON``).
    field : str
        The column as the message names it (``tblBudget Period``).
    rows : sequence, optional
        The row number of each cell for messages (default: the index).

    Raises
    ------
    SopError
        At the first cell that names no period: the parser's message and `` at row N``.
    """
    grid = grid_of(grid)
    rows = list(values.index if rows is None else rows)
    cache: dict[Any, pd.Timestamp] = {}
    out = []
    for row, value in zip(rows, values, strict=True):
        key = (type(value), value)
        if key not in cache:
            try:
                cache[key] = grid.parse(value, field)
            except SopError as exc:
                raise SopError(f"{exc} at row {row}") from None
        out.append(cache[key])
    return pd.Series(out, index=values.index, dtype="datetime64[ns]")


def read_numbers(
    values: pd.Series,
    field: str,
    rows: Sequence[Any] | None = None,
    *,
    blank: Literal["error", "nan"] = "nan",
    text_numbers: bool = False,
) -> pd.Series:
    """A column of number cells as floats.

    Parameters
    ----------
    values : pandas.Series
        The cells.
    field : str
        The column as the message names it (``actuals Qty``).
    rows : sequence, optional
        The row number of each cell for messages (default: the index).
    blank : {"nan", "error"}, keyword-only
        A blank cell is NaN, or refused.
    text_numbers : bool, keyword-only
        Read text that spells a number (``"12.5"``), as every field of a CSV file is text.
    """
    rows = list(values.index if rows is None else rows)
    out = np.empty(len(values))
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        out[i] = _number(value, field, f" at row {row}", blank, text_numbers)
    return pd.Series(out, index=values.index, dtype=float)


def _number(value: Any, field: str, where: str, blank: str, text_numbers: bool) -> float:
    if is_blank(value):
        if blank == "error":
            raise SopError(f"{field} must be a number; got a blank{where}")
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        raise SopError(f"{field} must be a number; got {value!r}{where}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            raise SopError(f"{field} must be a finite number; got {value}{where}")
        return number
    if is_error_value(value):
        raise SopError(f"{field} contains an error value; got {show(value)}{where}")
    if text_numbers and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise SopError(f"{field} must be a number; got {show(value)}{where}")


def read_long_table(
    table: pd.DataFrame,
    name: str,
    *,
    grid: PeriodGrid | str = MONTH,
    rows: Sequence[Any] | None = None,
    blank_qty: Literal["error", "nan"] = "error",
    text_numbers: bool = False,
    columns: Sequence[str] = LONG_COLUMNS,
) -> pd.DataFrame:
    """Read a long table (Item, Period, Qty) into ``item, period, qty``.

    Parameters
    ----------
    table : pandas.DataFrame
        The table as read: columns are the header texts, one row per data row.
    name : str
        The table as messages name it (``actuals``, ``in.csv``, ``tblActuals``).
    grid : PeriodGrid or str, keyword-only
        The period grid (default months).
    rows : sequence, optional, keyword-only
        The row number of each row as the user sees it (default: the index).
    blank_qty : {"error", "nan"}, keyword-only
        A blank quantity is refused, or kept as NaN.
    text_numbers : bool, keyword-only
        Read quantities written as text (CSV files).
    columns : sequence of str, keyword-only
        The item, period and quantity headers.

    Returns
    -------
    pandas.DataFrame
        ``item`` (str), ``period`` (first day of the period), ``qty`` [units], the index of
        ``table`` (fully blank rows dropped).

    Raises
    ------
    SopError
        Naming the table, column, value and row; also when no data row is left.

    Examples
    --------
    >>> t = pd.DataFrame({"Qty": [5, None, 7], "item": ["A", None, 101.0],
    ...                   "Period": ["2024-01", None, 45352]})
    >>> read_long_table(t, "actuals").values.tolist()
    [['A', Timestamp('2024-01-01 00:00:00'), 5.0], ['101', Timestamp('2024-03-01 00:00:00'), 7.0]]
    >>> read_long_table(t[:1].assign(Period="2024-01-15"), "actuals", rows=[2])
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: actuals Period must be the first day of a month; got 2024-01-15 at row 2
    """
    grid = grid_of(grid)
    item_at, period_at, qty_at = header_positions(list(table.columns), name, columns)
    rows = list(table.index if rows is None else rows)
    data = pd.DataFrame(
        {
            "item": table.iloc[:, item_at].to_numpy(dtype=object),
            "period": table.iloc[:, period_at].to_numpy(dtype=object),
            "qty": table.iloc[:, qty_at].to_numpy(dtype=object),
        },
        index=table.index,
    )
    filled = ~data.map(is_blank).all(axis=1).to_numpy()
    data = data[filled]
    rows = [r for r, keep in zip(rows, filled, strict=True) if keep]
    if data.empty:
        raise SopError(f"{name} has no data rows")
    label = {
        key: f"{name} {title}".strip() for key, title in zip(data.columns, columns, strict=True)
    }
    items = []
    for row, value in zip(rows, data["item"], strict=True):
        if is_blank(value):
            raise SopError(f"{label['item']} must be filled; got a blank at row {row}")
        if is_error_value(value):
            raise SopError(
                f"{label['item']} contains an error value; got {show(value)} at row {row}"
            )
        items.append(item_code(value))
    return pd.DataFrame(
        {
            "item": pd.Series(items, index=data.index, dtype=object),
            "period": read_periods(data["period"], grid, label["period"], rows),
            "qty": read_numbers(
                data["qty"], label["qty"], rows, blank=blank_qty, text_numbers=text_numbers
            ),
        },
        index=data.index,
    )
