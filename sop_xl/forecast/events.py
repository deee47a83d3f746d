"""Events out of the history: the baseline a forecast should learn from.

A launch listing, a promotion or a trade-fair order (an adjustment of Type ``new product``,
``promotion`` or ``event``, :data:`EVENT_TYPES`) lifts the sales of its period once. Left in the
history it lifts every later forecast too, and the next promotion, typed again on top, counts
twice. So once such a period is history, the forecast learns from the **baseline**: the actual
with the event taken out, by inverting the demand plan's rule
(:mod:`sop_xl.cycle.demand`: D = F * (1 + p) + q):

    B = max(0, (A - q) / (1 + p))      removed = A - B

with A the actual of the item in the period, p the sum of the event Percents of the item and
its family, q the sum of the item's event Qty plus its share of the family's event Qty. A family
Qty is shared by the actuals: the family's items that sold in the period, in proportion to what
each sold (the plan shared it by the forecast; after the fact, the sales say where it went).
Adjustments of other types (``sales``, ``marketing``) are judgements on the baseline itself and
stay. A period without a positive actual is left as it is; where 1 + p <= 0 only q is taken out.
Future events are added on top of the baseline forecast by the demand plan, as before.

Examples
--------
An item sold 100, then 400 with a +300 launch listing, then 120:

>>> grid = pd.DataFrame([[100.0, 400.0, 120.0]], index=["N"], columns=[0, 1, 2])
>>> events = pd.DataFrame({"item": ["N"], "family": [None], "period": [1], "qty": [300.0],
...                        "percent": [np.nan], "type": ["new product"]})
>>> clean_history(grid, events, pd.Series({"N": "F"})).grid.iloc[0].tolist()
[100.0, 100.0, 120.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EVENT_TYPES = ("new product", "promotion", "event")


@dataclass(frozen=True)
class CleanHistory:
    """The history with the events taken out.

    Attributes
    ----------
    grid : DataFrame
        Item x period: the baseline B [units/period] (NaN where the input was NaN).
    removed : DataFrame
        Item x period: A - B, the units the events added [units/period]; 0 where none.
    """

    grid: pd.DataFrame
    removed: pd.DataFrame


def is_event(types: pd.Series) -> pd.Series:
    """Whether each adjustment Type is an event (:data:`EVENT_TYPES`, any case)."""
    return types.map(lambda t: str(t).strip().lower() in EVENT_TYPES if t is not None else False)


def clean_history(grid: pd.DataFrame, events: pd.DataFrame, families: pd.Series) -> CleanHistory:
    """The baseline history of every item (see the module docstring).

    Parameters
    ----------
    grid : DataFrame
        Actuals item x period [units/period], NaN before an item's first actual.
    events : DataFrame
        Adjustments ``item, family, period, qty, percent, type``; rows of other types and of
        periods outside the grid's columns are ignored.
    families : Series
        Family of each item of the grid.

    Returns
    -------
    CleanHistory
    """
    actual = grid.to_numpy(dtype=float)
    qty = np.zeros_like(actual)
    pct = np.zeros_like(actual)
    if not events.empty:
        events = events[is_event(events["type"]) & events["period"].isin(grid.columns)]
    row = {item: i for i, item in enumerate(grid.index)}
    column = {period: j for j, period in enumerate(grid.columns)}
    family = families.reindex(grid.index).to_numpy(dtype=object)
    sold = np.where(np.isnan(actual), 0.0, np.maximum(actual, 0.0))
    for event in events.itertuples(index=False):
        j = column[event.period]
        q = 0.0 if pd.isna(event.qty) else float(event.qty)
        p = 0.0 if pd.isna(event.percent) else float(event.percent)
        if event.item is not None and not pd.isna(event.item):
            if event.item in row:
                qty[row[event.item], j] += q
                pct[row[event.item], j] += p
            continue
        members = family == event.family
        pct[members, j] += p
        total = sold[members, j].sum()
        if q and total > 0:
            qty[members, j] += q * sold[members, j] / total
    touched = (qty != 0) | (pct != 0)
    positive = ~np.isnan(actual) & (actual > 0)
    divisor = np.where(1.0 + pct > 0, 1.0 + pct, 1.0)
    base = np.maximum((actual - qty) / divisor, 0.0)
    baseline = np.where(touched & positive, base, actual)
    removed = np.where(touched & positive, actual - base, 0.0)
    return CleanHistory(
        grid=pd.DataFrame(baseline, index=grid.index, columns=grid.columns),
        removed=pd.DataFrame(removed, index=grid.index, columns=grid.columns),
    )
