"""The period model: months ``YYYY-MM`` and ISO weeks ``YYYY-Www`` on one :class:`PeriodGrid`.

A period is stored as the timestamp of its first day: a month's 1st, a week's Monday (DESIGN.md,
data model). Plans show it as a text header, ``YYYY-MM`` or the ISO week ``YYYY-Www`` (the ISO
year: the Monday 2024-12-30 starts ``2025-W01``). One grid answers every period question the
forecast batch, the command line, the workbook cycle and the KPIs ask: its pandas frequency,
the label of a period, the period a cell or a CSV field names, consecutive periods, and how
many periods make a year.

What :meth:`PeriodGrid.parse` accepts, everywhere (cells, CSV files, workbook tables):

- a date or datetime (a ``datetime``, ``date``, pandas ``Timestamp`` or ``numpy.datetime64``),
  without a time of day;
- an Excel serial date number (``45352`` is 2024-03-01; a fraction, the time of day, is
  dropped), as a cell stripped of its date format gives it;
- ISO text: ``2024-03-01`` (also ``2024/03/01``, or with ``T00:00:00``), on a month grid
  ``2024-03``, on a week grid ``2024-W09``.

**The rule for dates**: a date must be the first day of its period, the 1st of a month or the
Monday of a week; any other day (``2024-03-15``) is refused, never snapped to its period. A
table whose dates are not period starts is a daily or weekly extract pasted into a monthly plan,
and snapping would silently add two dates of one period together. Text that depends on the
reader's locale (``03/01/2024``, ``Dec 2022``) is refused too.

Every refusal names the field and the value: ``period must be the first day of a month; got
2024-03-15``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show

PERIOD_TYPES = ("Month", "Week")
"""The period types of Settings ``PeriodType``."""

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
"""Day 0 of Excel's serial dates (1900 system, with Lotus' leap-day bug folded in)."""
EXCEL_LAST_SERIAL = 2958465  # 9999-12-31

_ALIASES = {
    "month": "Month",
    "ms": "Month",
    "m": "Month",
    "week": "Week",
    "w": "Week",
    "w-mon": "Week",
    "7d": "Week",
}
_MONTH = re.compile(r"^\s*(\d{4})[-/](\d{1,2})\s*$")
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?\s*$")
_MONTH_LABEL = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class PeriodGrid:
    """A grid of consecutive periods: months or ISO weeks.

    Parameters
    ----------
    period_type : str
        ``Month`` or ``Week`` in any case; the pandas aliases ``MS`` and ``W-MON`` (and ``M``,
        ``W``, ``7D``) name the same grids. The attribute holds ``Month`` or ``Week``.

    Examples
    --------
    >>> grid = PeriodGrid("week")
    >>> grid.period_type, grid.freq, grid.per_year
    ('Week', 'W-MON', 52)
    >>> grid.parse("2024-W09")
    Timestamp('2024-02-26 00:00:00')
    >>> grid.label(pd.Timestamp("2024-12-30"))
    '2025-W01'
    >>> [PeriodGrid("MS").label(p) for p in PeriodGrid("MS").range("2024-11", 3)]
    ['2024-11', '2024-12', '2025-01']
    >>> PeriodGrid("Month").parse("2024-03-15")
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: period must be the first day of a month; got 2024-03-15
    """

    period_type: str = "Month"

    def __post_init__(self) -> None:
        value = self.period_type
        if isinstance(value, PeriodGrid):
            value = value.period_type
        key = str(value).strip().lower() if isinstance(value, str) else None
        if key not in _ALIASES:
            raise SopError(f"period type must be Month or Week (or MS, W-MON); got {show(value)}")
        object.__setattr__(self, "period_type", _ALIASES[key])

    # ------------------------------------------------------------------------------------------
    # what the grid is
    # ------------------------------------------------------------------------------------------
    @property
    def weekly(self) -> bool:
        """True on a week grid."""
        return self.period_type == "Week"

    @property
    def freq(self) -> str:
        """The pandas frequency: ``MS`` (month starts) or ``W-MON`` (weeks starting Monday)."""
        return "W-MON" if self.weekly else "MS"

    @property
    def per_year(self) -> int:
        """Periods in a year [periods/year]: 12 months or 52 weeks."""
        return 52 if self.weekly else 12

    @property
    def unit(self) -> str:
        """The period in words, singular: ``month`` or ``week``."""
        return "week" if self.weekly else "month"

    @property
    def offset(self) -> pd.DateOffset:
        """One period as a pandas offset (a calendar month, or 7 days)."""
        return pd.DateOffset(weeks=1) if self.weekly else pd.DateOffset(months=1)

    # ------------------------------------------------------------------------------------------
    # labels
    # ------------------------------------------------------------------------------------------
    def label(self, period: Any) -> str:
        """The text header of a period: ``YYYY-MM``, or the ISO week ``YYYY-Www``.

        >>> PeriodGrid("Week").label("2024-02-26")
        '2024-W09'
        """
        stamp = pd.Timestamp(period)
        if self.weekly:
            year, week, _ = stamp.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{stamp.year}-{stamp.month:02d}"

    def labels(self, periods: Any) -> list[str]:
        """:meth:`label` of each period, in order."""
        return [self.label(p) for p in periods]

    def is_label(self, text: Any) -> bool:
        """True for a header of this grid (``2024-03`` on months, ``2024-W09`` on weeks).

        >>> PeriodGrid("Month").is_label("2024-03"), PeriodGrid("Week").is_label("2024-03")
        (True, False)
        """
        if not isinstance(text, str):
            return False
        return bool((_WEEK if self.weekly else _MONTH_LABEL).match(text))

    # ------------------------------------------------------------------------------------------
    # parsing
    # ------------------------------------------------------------------------------------------
    def parse(self, value: Any, field: str = "period") -> pd.Timestamp:
        """The first day of the period ``value`` names (see the module docstring).

        Parameters
        ----------
        value : date, datetime, Timestamp, numpy.datetime64, int, float or str
            A date cell, an Excel serial date number, or ISO text.
        field : str
            What the value is, for the message (``Period``, ``actuals Period``).

        Raises
        ------
        SopError
            When ``value`` names no period, or is a date that is not the first day of one.

        Examples
        --------
        >>> PeriodGrid("Month").parse(45352)
        Timestamp('2024-03-01 00:00:00')
        >>> PeriodGrid("Week").parse("2025-12-24", "Period")
        Traceback (most recent call last):
        ...
        sop_xl.errors.SopError: Period must be a Monday (week start); got 2025-12-24
        """
        stamp = self._stamp(value, field)
        if stamp != stamp.normalize():
            raise SopError(f"{field} must be a date without a time of day; got {stamp}")
        if self.weekly and stamp.dayofweek != 0:
            raise SopError(f"{field} must be a Monday (week start); got {stamp:%Y-%m-%d}")
        if not self.weekly and stamp.day != 1:
            raise SopError(f"{field} must be the first day of a month; got {stamp:%Y-%m-%d}")
        return stamp

    def _stamp(self, value: Any, field: str) -> pd.Timestamp:
        """``value`` as a timestamp (any day), or SopError naming what a period looks like."""
        if isinstance(value, (dt.date, pd.Timestamp, np.datetime64)):
            stamp = pd.Timestamp(value)
            if not pd.isna(stamp):
                return stamp
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)
        ):
            number = float(value)
            if math.isfinite(number) and 1 <= number <= EXCEL_LAST_SERIAL:
                # the fraction is a time of day; a serial names its day (as cells always read it)
                return pd.Timestamp(EXCEL_EPOCH + dt.timedelta(days=math.floor(number)))
        elif isinstance(value, str):
            if stamp := self._from_text(value, field):
                return stamp
        if self.weekly:
            raise SopError(f"{field} must be a Monday or a period like 2024-W09; got {show(value)}")
        raise SopError(f"{field} must be a date or a period like 2024-03; got {show(value)}")

    def _from_text(self, value: str, field: str) -> pd.Timestamp | None:
        if self.weekly and (m := _WEEK.match(value)):
            year, week = int(m.group(1)), int(m.group(2))
            try:
                return pd.Timestamp(dt.date.fromisocalendar(year, week, 1))
            except ValueError:
                raise SopError(
                    f"{field} must be an ISO week W01 to W52 (W53 in long years); got {show(value)}"
                ) from None
        if not self.weekly and (m := _MONTH.match(value)):
            year, month = int(m.group(1)), int(m.group(2))
            if not 1 <= month <= 12:
                raise SopError(f"{field} must name a month 1 to 12; got {show(value)}")
            return pd.Timestamp(year, month, 1)
        if m := _DATE.match(value):
            try:
                return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise SopError(f"{field} must be a calendar date; got {show(value)}") from None
        return None

    def parse_or_nat(self, value: Any) -> pd.Timestamp:
        """:meth:`parse`, or ``NaT`` where ``value`` names no period (blanks, notes)."""
        try:
            return self.parse(value)
        except (SopError, TypeError, ValueError, OverflowError):
            return pd.NaT

    def is_start(self, stamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """Which timestamps are period starts (a month's 1st, a Monday), at midnight."""
        index = pd.DatetimeIndex(stamps)
        midnight = index == index.normalize()
        first = index.dayofweek == 0 if self.weekly else index.day == 1
        return np.asarray(midnight & first)

    # ------------------------------------------------------------------------------------------
    # arithmetic
    # ------------------------------------------------------------------------------------------
    def range(self, start: Any, count: int) -> list[pd.Timestamp]:
        """``count`` consecutive periods from ``start`` (a period or anything :meth:`parse` reads).

        >>> PeriodGrid("Week").labels(PeriodGrid("Week").range("2024-W52", 3))
        ['2024-W52', '2025-W01', '2025-W02']
        """
        first = start if isinstance(start, pd.Timestamp) else self.parse(start)
        return list(pd.date_range(first, periods=count, freq=self.freq))

    def shift(self, period: Any, count: int) -> pd.Timestamp:
        """The period ``count`` periods after ``period`` (before it when negative).

        >>> PeriodGrid("Month").shift(pd.Timestamp("2026-01-01"), -12)
        Timestamp('2025-01-01 00:00:00')
        """
        return pd.Timestamp(period) + count * self.offset

    def between(self, first: Any, last: Any) -> pd.DatetimeIndex:
        """Every period from ``first`` to ``last``, both included."""
        return pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq=self.freq)


MONTH = PeriodGrid("Month")
WEEK = PeriodGrid("Week")


def grid_of(period_type: Any) -> PeriodGrid:
    """The grid of a period type (``Month``, ``Week``, ``MS``, ``W-MON``) or the grid itself."""
    if isinstance(period_type, PeriodGrid):
        return period_type
    return PeriodGrid(period_type)


# ----------------------------------------------------------------------------------------------
# the names the rest of the code has always used
# ----------------------------------------------------------------------------------------------
def parse_period(value: Any, period_type: Any = "Month", field: str = "period") -> pd.Timestamp:
    """The first day of the period ``value`` names: :meth:`PeriodGrid.parse`.

    >>> parse_period("2024-03")
    Timestamp('2024-03-01 00:00:00')
    >>> parse_period("2024-W09", "Week")
    Timestamp('2024-02-26 00:00:00')
    """
    return grid_of(period_type).parse(value, field)


def period_label(period: Any, period_type: Any = "Month") -> str:
    """The text header of a period: ``YYYY-MM`` or ``YYYY-Www`` (:meth:`PeriodGrid.label`).

    >>> period_label(pd.Timestamp("2024-03-01")), period_label("2024-02-26", "Week")
    ('2024-03', '2024-W09')
    """
    return grid_of(period_type).label(period)


def period_range(start: Any, count: int, period_type: Any = "Month") -> list[pd.Timestamp]:
    """``count`` consecutive periods from ``start`` (:meth:`PeriodGrid.range`).

    >>> [period_label(p) for p in period_range("2024-11", 3)]
    ['2024-11', '2024-12', '2025-01']
    """
    return grid_of(period_type).range(start, count)


def is_period_label(text: Any) -> bool:
    """True for a period header of either grid, such as ``2024-03`` or ``2024-W09``.

    >>> is_period_label("2024-03"), is_period_label("2024-W09"), is_period_label("Family")
    (True, True, False)
    """
    return MONTH.is_label(text) or WEEK.is_label(text)


# ----------------------------------------------------------------------------------------------
# quarters and fiscal years: the buckets plans are summed into (issue 12)
# ----------------------------------------------------------------------------------------------
_BUCKET = re.compile(r"^(\d{4}-Q[1-4]|FY\d{4})$")


def quarter_label(period: Any) -> str:
    """The calendar quarter ``YYYY-Qn`` a period starts in (a week: its Monday's quarter).

    >>> quarter_label(pd.Timestamp("2026-05-01")), quarter_label(pd.Timestamp("2025-12-29"))
    ('2026-Q2', '2025-Q4')
    """
    stamp = pd.Timestamp(period)
    return f"{stamp.year}-Q{(stamp.month - 1) // 3 + 1}"


def fiscal_year_label(period: Any, start_month: int = 1) -> str:
    """The fiscal year ``FYyyyy`` a period starts in, named by the calendar year it ends in.

    A fiscal year starting in month ``start_month`` (Settings ``FiscalYearStart``, 1-12) runs
    to the month before it a year later; it carries the calendar year of its last month, so
    with April as the start, 2025-04 to 2026-03 is FY2026 (with 1, FYyyyy is the calendar year).

    >>> fiscal_year_label(pd.Timestamp("2025-04-01"), 4), fiscal_year_label("2025-03-01", 4)
    ('FY2026', 'FY2025')
    >>> fiscal_year_label(pd.Timestamp("2025-12-01"))
    'FY2025'
    """
    stamp = pd.Timestamp(period)
    start = int(start_month)
    return f"FY{stamp.year + (1 if start > 1 and stamp.month >= start else 0)}"


def fiscal_year_start(period: Any, start_month: int = 1) -> pd.Timestamp:
    """The first day of the fiscal year containing ``period``.

    >>> fiscal_year_start(pd.Timestamp("2026-02-01"), 4)
    Timestamp('2025-04-01 00:00:00')
    """
    stamp = pd.Timestamp(period)
    year = stamp.year if stamp.month >= int(start_month) else stamp.year - 1
    return pd.Timestamp(year=year, month=int(start_month), day=1)


def is_bucket_label(text: Any) -> bool:
    """True for a quarter or fiscal-year header (``2026-Q1``, ``FY2026``).

    >>> is_bucket_label("2026-Q1"), is_bucket_label("FY2026"), is_bucket_label("2026-01")
    (True, True, False)
    """
    return isinstance(text, str) and bool(_BUCKET.match(text))
