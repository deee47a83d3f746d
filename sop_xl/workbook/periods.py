"""Plan periods as the workbook shows them: months ``YYYY-MM`` and ISO weeks ``YYYY-Www``.

A period is stored in the data model as the timestamp of its first day (a month's 1st, a week's
Monday). In the workbook, people type it as a date or as text; :func:`parse_period` accepts both
and refuses a date that is not on the period grid (the 15th of a month, a Wednesday).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from sop_xl.errors import SopError, show

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?\s*$")


def parse_period(value: Any, period_type: str = "Month") -> pd.Timestamp:
    """The first day of the period ``value`` names.

    Parameters
    ----------
    value : date, datetime, Timestamp or str
        ``2024-03``, ``2024-03-01``, ``2024-W09`` or a date cell.
    period_type : {"Month", "Week"}
        The period grid.

    Raises
    ------
    SopError
        When ``value`` is no period, or a date off the grid.

    Examples
    --------
    >>> parse_period("2024-03")
    Timestamp('2024-03-01 00:00:00')
    >>> parse_period("2024-W09", "Week")
    Timestamp('2024-02-26 00:00:00')
    >>> parse_period("2024-03-15")
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: period '2024-03-15' is not the first day of a month
    """
    weekly = str(period_type).strip().lower() == "week"
    stamp: pd.Timestamp | None = None
    if isinstance(value, (dt.date, pd.Timestamp)):
        stamp = pd.Timestamp(value)
    elif isinstance(value, str):
        text = value.strip()
        if (m := _WEEK.match(text)) and weekly:
            year, week = int(m.group(1)), int(m.group(2))
            try:
                return pd.Timestamp(dt.date.fromisocalendar(year, week, 1))
            except ValueError:
                raise SopError(f"period {show(value)} is not an ISO week") from None
        if (m := _MONTH.match(text)) and not weekly:
            year, month = int(m.group(1)), int(m.group(2))
            if not 1 <= month <= 12:
                raise SopError(f"period {show(value)} has no month {month}")
            return pd.Timestamp(year, month, 1)
        if m := _DATE.match(text):
            try:
                stamp = pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise SopError(f"period {show(value)} is not a date") from None
    if stamp is None or pd.isna(stamp):
        form = "YYYY-Www or a Monday" if weekly else "YYYY-MM or a date"
        raise SopError(f"period {show(value)} is not a period ({form})")
    if stamp != stamp.normalize():
        raise SopError(f"period {show(value)} has a time of day")
    if weekly and stamp.dayofweek != 0:
        raise SopError(f"period {show(_plain(value))} is not a Monday (week start)")
    if not weekly and stamp.day != 1:
        raise SopError(f"period {show(_plain(value))} is not the first day of a month")
    return stamp


def _plain(value: Any) -> Any:
    """A date as ISO text for messages."""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return value


def period_label(period: Any, period_type: str = "Month") -> str:
    """The text header of a period: ``YYYY-MM`` or ``YYYY-Www``.

    >>> period_label(pd.Timestamp("2024-03-01"))
    '2024-03'
    >>> period_label(pd.Timestamp("2024-02-26"), "Week")
    '2024-W09'
    """
    stamp = pd.Timestamp(period)
    if str(period_type).strip().lower() == "week":
        year, week, _ = stamp.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{stamp.year}-{stamp.month:02d}"


def period_range(start: Any, count: int, period_type: str = "Month") -> list[pd.Timestamp]:
    """``count`` consecutive periods from ``start``.

    >>> [period_label(p) for p in period_range("2024-11", 3)]
    ['2024-11', '2024-12', '2025-01']
    """
    first = parse_period(start, period_type) if not isinstance(start, pd.Timestamp) else start
    freq = "7D" if str(period_type).strip().lower() == "week" else "MS"
    return list(pd.date_range(first, periods=count, freq=freq))


def is_period_label(text: Any) -> bool:
    """True for a period header such as ``2024-03`` or ``2024-W09``.

    >>> is_period_label("2024-03"), is_period_label("Family")
    (True, False)
    """
    return isinstance(text, str) and bool(_MONTH.match(text) or _WEEK.match(text))
