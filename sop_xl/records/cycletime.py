"""S&OP cycle time and decision follow-up, from the Start sheet's step dates and tblDecisions.

Pure pandas. ``steps`` is the Start sheet's step block as a frame (``step, status, start, due``,
dates as timestamps or NaT), ``decisions`` tblDecisions typed (``date, topic, decision, owner,
due, status``).

- S&OP cycle time [days] = meeting - begin, where begin is the Start date of step 1 (gather
  data; if blank, the earliest Start date of any step) and meeting is the executive meeting:
  the latest tblDecisions Date on or after begin, else the Start date of step 5. NaN when
  either is unknown (fill the Start sheet's dates).
- Decisions overdue = decisions neither done nor cancelled whose Due is before ``as_of`` (the
  cycle start), so the KPI does not change with the day the workbook is opened.

Examples
--------
>>> ts = pd.Timestamp
>>> steps = pd.DataFrame({"step": ["1. Gather", "5. Executive"], "status": ["done", "done"],
...                       "start": [ts("2026-01-02"), ts("2026-01-20")], "due": [pd.NaT] * 2})
>>> decisions = pd.DataFrame({"date": [ts("2026-01-21")], "due": [ts("2026-01-31")],
...                           "status": ["open"]})
>>> cycle_time(steps, decisions)
19.0
>>> decisions_overdue(decisions, as_of=ts("2026-02-01"))
1
"""

from __future__ import annotations

import pandas as pd

from sop_xl.errors import SopError

CLOSED = ("done", "cancelled")


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def cycle_time(steps: pd.DataFrame, decisions: pd.DataFrame | None = None) -> float:
    """Days from the start of step 1 to the executive meeting (see the module docstring)."""
    if steps.empty:
        return float("nan")
    starts = _dates(steps["start"]).reset_index(drop=True)
    begin = starts.iloc[0] if pd.notna(starts.iloc[0]) else starts.min()
    if pd.isna(begin):
        return float("nan")
    meeting = pd.NaT
    if decisions is not None and not decisions.empty:
        dates = _dates(decisions["date"])
        dates = dates[dates >= begin]
        if len(dates):
            meeting = dates.max()
    if pd.isna(meeting) and len(starts) >= 5:
        meeting = starts.iloc[4]
    if pd.isna(meeting):
        return float("nan")
    return float((meeting - begin).days)


def mean_days(starts: pd.Series, ends: pd.Series) -> float:
    """Mean days from start to end over the pairs where both dates are given [days].

    Parameters
    ----------
    starts, ends : Series of Timestamp
        Paired dates (NaT = not given; such pairs are skipped).

    Raises
    ------
    SopError
        No complete pair, or an end before its start (named by position, from 1).

    >>> ts = pd.Timestamp
    >>> mean_days(pd.Series([ts("2026-01-02"), ts("2026-02-03"), pd.NaT]),
    ...           pd.Series([ts("2026-01-20"), ts("2026-02-19"), ts("2026-03-01")]))
    17.0
    """
    starts = _dates(pd.Series(starts)).reset_index(drop=True)
    ends = _dates(pd.Series(ends)).reset_index(drop=True)
    both = starts.notna() & ends.notna()
    if not both.any():
        raise SopError("start_dates and end_dates have no pair with both dates given")
    days = (ends[both] - starts[both]).dt.total_seconds() / 86400.0
    if (days < 0).any():
        i = int(days.index[days < 0][0])
        raise SopError(
            f"end_dates must not be before start_dates; got {ends[i].date()} before "
            f"{starts[i].date()} at position {i + 1}"
        )
    return float(days.mean())


def decisions_overdue(decisions: pd.DataFrame, *, as_of: pd.Timestamp) -> int:
    """Decisions not done or cancelled whose Due date is before ``as_of``."""
    if decisions.empty:
        return 0
    due = _dates(decisions["due"])
    status = decisions["status"].fillna("open").astype(str).str.strip().str.lower()
    return int(((due < as_of) & ~status.isin(CLOSED)).sum())
