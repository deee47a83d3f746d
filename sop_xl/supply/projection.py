"""Projected on-hand inventory and forward days of supply, per period.

Works on one item (a 1-D series of periods) or on every item at once (a 2-D array or a DataFrame
with one row per item and one column per period); a DataFrame in gives a DataFrame out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError
from sop_xl.inventory.arrays import numbers

DAYS_CAP = 999.0


def _like(result: np.ndarray, template: Any) -> Any:
    """Give ``result`` the pandas shape of ``template`` (DataFrame/Series), else an array."""
    if isinstance(template, pd.DataFrame):
        return pd.DataFrame(result, index=template.index, columns=template.columns)
    if isinstance(template, pd.Series):
        return pd.Series(result, index=template.index, name=template.name)
    return result


def _rows(value: Any, name: str, *, blank: float | None = None, minimum: float | None = None):
    """A period argument as a 2-D array (items x periods) and whether it was 1-D."""
    array = numbers(value, name, blank=blank, minimum=minimum)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.size == 0:
        raise SopError(f"{name} has no periods; got an empty range")
    return np.atleast_2d(array), array.ndim == 1


def _opening(value: Any, rows: int) -> np.ndarray:
    opening = numbers(value, "opening").reshape(-1)
    if opening.size not in (1, rows):
        raise SopError(
            f"lengths must match: opening has {opening.size} values, demand has {rows} rows"
        )
    return np.broadcast_to(opening, (rows,)).astype(float)


def _match(array: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
    if array.shape != shape:
        if array.size == 1:
            return np.full(shape, array.item())
        raise SopError(
            f"lengths must match: demand has {shape[-1]} periods"
            + (f" x {shape[0]} rows" if shape[0] > 1 else "")
            + f", {name} has {array.shape[-1]}"
            + (f" x {array.shape[0]} rows" if array.shape[0] > 1 else "")
        )
    return array


def projected_inventory(opening: Any, demand: Any, supply: Any = None) -> Any:
    """Ending on-hand per period: I_t = I_(t-1) + supply_t - demand_t.

    Parameters
    ----------
    opening : float or array-like
        On-hand before the first period, I_0 [units]; one per item for a 2-D ``demand``.
    demand : array-like, Series or DataFrame
        Demand per period [units/period]; negative values (returns) are used as given.
    supply : array-like, Series or DataFrame, optional
        Receipts or production per period [units/period]; a blank (NaN) is no receipt.

    Returns
    -------
    ndarray, Series or DataFrame
        Ending on-hand per period, same shape as ``demand`` [units]; negative = backlog.

    Notes
    -----
    I_t = I_0 + sum_{s<=t} (supply_s - demand_s), as one cumulative sum over all items.

    Examples
    --------
    >>> projected_inventory(100, [30, 40, 50], [0, 50, 0]).tolist()
    [70.0, 80.0, 30.0]
    """
    need, flat = _rows(demand, "demand")
    if supply is None:
        receipts = np.zeros_like(need)
    else:
        receipts = _match(_rows(supply, "supply", blank=0.0)[0], "supply", need.shape)
    start = _opening(opening, need.shape[0])
    on_hand = start[:, None] + np.cumsum(receipts - need, axis=1)
    return _like(on_hand[0] if flat else on_hand, demand)


def days_of_supply(inventory: Any, demand: Any, *, days_per_period: float = 30.0) -> Any:
    """Forward coverage: days the ending on-hand of each period covers the demand after it.

    Parameters
    ----------
    inventory : array-like, Series or DataFrame
        Ending on-hand per period, I_t [units].
    demand : array-like, Series or DataFrame
        Demand per period, same shape, >= 0 [units/period].
    days_per_period : float
        Days in one period (30 for months, 7 for weeks) [days/period], > 0.

    Returns
    -------
    ndarray, Series or DataFrame
        Days of supply per period [days], in [0, 999].

    Notes
    -----
    At t, the demand of t+1, t+2, ... is used up in order (within a period at an even rate);
    the coverage is the time x (in periods) until cumulative demand exceeds I_t, so a partly
    covered period counts by its fraction. Past the last period the last period's demand
    repeats. Days = x * days_per_period, 0 when I_t <= 0, capped at 999 (also when no demand
    follows).

    Examples
    --------
    Ending stock 150 against next demands 100, 100 covers 1.5 periods = 45 days:

    >>> days_of_supply([150, 50, 100], [100, 100, 100]).tolist()
    [45.0, 15.0, 30.0]
    """
    need, flat = _rows(demand, "demand", minimum=0)
    stock = _match(_rows(inventory, "inventory")[0], "inventory", need.shape)
    per = numbers(days_per_period, "days_per_period", positive=True)
    if per.ndim:
        raise SopError(f"days_per_period must be a single number; got {per.size} values")
    rows, periods = need.shape
    last = need[:, -1]
    covered = np.empty_like(stock)
    for t in range(periods):
        level = stock[:, t]
        after = need[:, t + 1 :]
        cum = np.cumsum(after, axis=1)
        full = (cum <= level[:, None]).sum(axis=1) if after.shape[1] else np.zeros(rows, int)
        inside = full < after.shape[1]
        used = np.zeros(rows)
        has_full = full > 0
        if has_full.any():
            used[has_full] = np.take_along_axis(cum[has_full], full[has_full, None] - 1, 1)[:, 0]
        rest = level - used
        nxt = np.where(inside, 0.0, last)
        if inside.any():
            nxt[inside] = np.take_along_axis(after[inside], full[inside, None], 1)[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.where(nxt > 0, rest / nxt, np.inf)
        covered[:, t] = np.where(level > 0, full + tail, 0.0)
    days = np.minimum(covered * float(per), DAYS_CAP)
    return _like(days[0] if flat else days, demand)
