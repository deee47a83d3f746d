"""The meeting pack's arithmetic (issue 12): plans from History, differences, buckets, stakes.

Pure pandas, no workbook. Grids are frames with one row per item or family and one column per
period (a ``Timestamp``, the period's first day); NaN means "no value" (no plan made, no budget
row, a future actual), never 0.

- :func:`cycle_plan` and :func:`plan_for_periods`: the consensus (``kind == "demand plan"``)
  kept in History, of one cycle or, for past periods, the plan that was current when each
  period began (lag 0: the cycle starting at that period, else the latest cycle before it);
- :func:`running_difference`: Difference = actual - plan, and its running sum;
- :func:`bucket_value`: a row summed (or its last value, or a ratio) over a quarter or fiscal
  year;
- :func:`revenue_at_stake`: what a reconciliation row puts at risk.

Examples
--------
>>> ts = pd.Timestamp
>>> diff, cum = running_difference(pd.Series([100.0, 90.0, None]), pd.Series([95.0, 100.0, 80.0]))
>>> diff.tolist(), cum.tolist()
([5.0, -10.0, nan], [5.0, -5.0, nan])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

CONSENSUS = "demand plan"
"""History's kind of the consensus plan (tblDemandPlan snapshots)."""

Rule = Literal["sum", "sum_known", "last", "last_known"]


def _consensus(history: pd.DataFrame) -> pd.DataFrame:
    if history is None or history.empty:
        return pd.DataFrame(columns=["cycle", "kind", "item", "period", "qty"])
    return history[history["kind"] == CONSENSUS]


def previous_cycle(history: pd.DataFrame, before: pd.Timestamp) -> pd.Timestamp | None:
    """The latest cycle with a consensus snapshot in History that starts before ``before``.

    >>> h = pd.DataFrame({"cycle": pd.to_datetime(["2025-12-01", "2026-01-01", "2026-02-01"]),
    ...                   "kind": "demand plan", "item": "A",
    ...                   "period": pd.to_datetime(["2025-12-01", "2026-01-01", "2026-02-01"]),
    ...                   "qty": 1.0})
    >>> previous_cycle(h, pd.Timestamp("2026-02-01"))
    Timestamp('2026-01-01 00:00:00')
    """
    cycles = _consensus(history)["cycle"]
    cycles = cycles[cycles < before]
    return None if cycles.empty else pd.Timestamp(cycles.max())


def cycle_plan(
    history: pd.DataFrame, cycle: pd.Timestamp | None, items: Sequence[str]
) -> pd.DataFrame:
    """The consensus of ``cycle`` as items x periods [units]; rows of other items are dropped.

    A snapshot repeated for one cycle (snapshot taken twice) counts once: its last rows win.
    Items of ``items`` without a row are all NaN.
    """
    rows = _consensus(history)
    rows = rows[rows["cycle"] == cycle] if cycle is not None else rows.iloc[0:0]
    rows = rows.drop_duplicates(["item", "period"], keep="last")
    grid = rows.pivot_table(index="item", columns="period", values="qty", aggfunc="sum")
    return grid.reindex(index=pd.Index(list(items), name="item"))


def plan_for_periods(
    history: pd.DataFrame, periods: Sequence[pd.Timestamp], items: Sequence[str]
) -> pd.DataFrame:
    """For each period, the consensus that was current when it began [units], items x periods.

    The plan for period P comes from the latest cycle ``c <= P`` whose snapshot has rows for P
    (the cycle starting at P, made with the actuals through P - 1, when History has it). NaN
    where no snapshot covers P; the cycles are chosen per period, not per item.

    >>> ts = pd.Timestamp
    >>> h = pd.DataFrame({"cycle": [ts("2026-01-01")] * 2 + [ts("2026-02-01")],
    ...                   "kind": "demand plan", "item": "A",
    ...                   "period": [ts("2026-01-01"), ts("2026-02-01"), ts("2026-02-01")],
    ...                   "qty": [10.0, 20.0, 25.0]})
    >>> plan_for_periods(h, [ts("2026-01-01"), ts("2026-02-01")], ["A"]).values.tolist()
    [[10.0, 25.0]]
    """
    rows = _consensus(history)
    out = pd.DataFrame(np.nan, index=pd.Index(list(items), name="item"), columns=list(periods))
    for period in periods:
        here = rows[(rows["period"] == period) & (rows["cycle"] <= period)]
        if here.empty:
            continue
        latest = here[here["cycle"] == here["cycle"].max()]
        qty = latest.drop_duplicates("item", keep="last").set_index("item")["qty"]
        out[period] = qty.reindex(out.index).to_numpy(dtype=float)
    return out


def group_sum(grid: pd.DataFrame, groups: pd.Series, order: Sequence[str]) -> pd.DataFrame:
    """Rows of ``grid`` summed by ``groups`` (a Series on the grid's index), in ``order``.

    A group and column where no row has a value stays NaN (not 0).

    >>> g = pd.DataFrame({"p": [1.0, None, None]}, index=["a", "b", "c"])
    >>> group_sum(g, pd.Series(["F", "F", "G"], index=["a", "b", "c"]), ["F", "G"])["p"].tolist()
    [1.0, nan]
    """
    keys = groups.reindex(grid.index)
    known = keys.notna().to_numpy()
    summed = grid[known].groupby(keys[known].to_numpy()).sum(min_count=1)
    return summed.reindex(list(order))


def running_difference(actual: pd.Series, plan: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Difference = actual - plan [units] and its running sum (NaN where either is missing).

    The running sum adds the differences known so far; it is NaN where the difference is.
    Positive = sold more than planned.
    """
    difference = actual - plan
    cumulative = difference.fillna(0.0).cumsum().where(difference.notna())
    return difference, cumulative


def bucket_value(values: pd.Series, rule: Rule) -> float:
    """One row over the periods of a bucket (a quarter, a fiscal year).

    Parameters
    ----------
    values : Series
        The row's values over every period of the bucket, in order.
    rule : str
        ``sum``: the total, NaN when a period lacks a value (a partial sum would pass for the
        whole bucket); ``sum_known``: the total of the periods that have one (actuals to date);
        ``last``: the value of the bucket's last period (stocks); ``last_known``: the last value
        there is (a running sum to date).

    >>> s = pd.Series([1.0, 2.0, None])
    >>> bucket_value(s, "sum"), bucket_value(s, "sum_known"), bucket_value(s, "last_known")
    (nan, 3.0, 2.0)
    """
    if values.empty:
        return float("nan")
    if rule == "sum":
        return float(values.sum()) if values.notna().all() else float("nan")
    if rule == "sum_known":
        return float(values.sum(min_count=1))
    if rule == "last":
        return float(values.iloc[-1])
    known = values.dropna()
    return float(known.iloc[-1]) if len(known) else float("nan")


def ratio_of_sums(numerator: pd.Series, denominator: pd.Series) -> float:
    """sum(numerator) / sum(denominator) over the periods where both are known (NaN if 0).

    >>> ratio_of_sums(pd.Series([50.0, 150.0, None]), pd.Series([100.0, 100.0, 100.0]))
    1.0
    """
    both = numerator.notna() & denominator.notna()
    total = float(denominator[both].sum())
    return float(numerator[both].sum()) / total if total else float("nan")


def revenue_at_stake(
    gap: float, supply: float, revenue: float, gap_to_budget: float, price: float
) -> float:
    """Revenue a reconciliation row puts at risk [currency].

    The larger of the shortage valued at the row's price (Revenue / Supply; the family's mean
    UnitPrice ``price`` when nothing ships) and the revenue below budget; 0 when neither.
    The two overlap (a shortage lowers revenue), so they are not added.

    >>> revenue_at_stake(-100, 400, 20_000, -3_000, 45.0)
    5000.0
    """
    values = np.nan_to_num(np.array([gap, supply, revenue, gap_to_budget, price], float))
    gap, supply, revenue, gap_to_budget, price = values
    unit = revenue / supply if supply > 0 else price
    return float(max(0.0, -gap * unit, -gap_to_budget))
