"""Top-down proration: spread a total (a family's plan, a budget) over parts by weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.inventory.arrays import numbers

_ROUNDING = 1e-9


def _whole(total: float, name: str = "total") -> float:
    if abs(total - round(total)) > _ROUNDING * max(1.0, abs(total)):
        raise SopError(f"{name} must be a whole number to prorate in whole units; got {total:g}")
    return float(round(total))


def _largest_remainder(total: float, shares: np.ndarray) -> np.ndarray:
    """Whole parts of ``total`` by ``shares`` (Hamilton's largest remainder method)."""
    size = abs(total)
    quota = size * shares
    base = np.floor(quota + _ROUNDING)
    left = int(round(size - base.sum()))
    remainder = quota - base
    # largest remainders first; ties go to the earlier part (stable sort)
    order = np.argsort(-remainder, kind="stable")
    if left > 0:
        base[order[:left]] += 1
    elif left < 0:  # only from the rounding guard: take back from the smallest remainders
        base[order[::-1][:-left]] -= 1
    return np.copysign(base, total) if total else base


def prorate(total: float, weights: Any, *, whole_units: bool = False) -> Any:
    """Split ``total`` into parts proportional to ``weights``, summing exactly to ``total``.

    Parameters
    ----------
    total : float
        The amount to split [any unit].
    weights : array-like or Series
        One weight per part, >= 0 (e.g. each item's share of past sales).
    whole_units : bool
        Whole parts by the largest remainder method (``total`` must then be whole).

    Returns
    -------
    ndarray or Series
        part_i = total * w_i / sum(w), with any floating-point residue on the last part; equal
        parts when all weights are 0. A Series in gives a Series out.

    Notes
    -----
    Largest remainder (Hamilton): every part gets floor(quota); the units left go one each to
    the parts with the largest fractional remainders (ties: the earlier part). References:
    M. L. Balinski and H. P. Young, *Fair Representation*, Yale University Press, 1982.

    Examples
    --------
    >>> prorate(100, [1, 1, 1]).tolist()
    [33.333333333333336, 33.333333333333336, 33.33333333333333]
    >>> prorate(100, [1, 1, 1], whole_units=True).tolist()
    [34.0, 33.0, 33.0]
    >>> prorate(10, [0, 0]).tolist()
    [5.0, 5.0]
    """
    amount = numbers(total, "total")
    if amount.size != 1:
        raise SopError(f"total must be a single number; got {amount.size} values")
    amount = float(amount.reshape(-1)[0])
    weight = numbers(weights, "weights", minimum=0).reshape(-1)
    if weight.size == 0:
        raise SopError("weights has no numbers; got an empty range")
    weight_sum = weight.sum()
    shares = weight / weight_sum if weight_sum > 0 else np.full(weight.size, 1.0 / weight.size)
    if whole_units:
        parts = _largest_remainder(_whole(amount), shares)
    else:
        parts = amount * weight / weight_sum if weight_sum > 0 else amount * shares
        parts[-1] = amount - parts[:-1].sum()
    if isinstance(weights, pd.Series):
        return pd.Series(parts, index=weights.index, name=weights.name)
    return parts


def prorate_groups(
    totals: pd.Series | pd.DataFrame,
    weights: pd.Series,
    groups: pd.Series,
    *,
    whole_units: bool = False,
) -> pd.Series | pd.DataFrame:
    """Spread totals per group (family) over the group's members (items) by weight.

    Parameters
    ----------
    totals : Series by group, or DataFrame (group x period)
        The family-level numbers.
    weights : Series by item
        Weight of each item, >= 0.
    groups : Series by item
        The group (family) of each item.
    whole_units : bool
        Whole parts by largest remainder within each group and period.

    Returns
    -------
    Series or DataFrame by item
        Each group's total prorated over its items as :func:`prorate` does (equal split where
        all weights of a group are 0). A group without a total is refused rather than read
        as zero.

    Examples
    --------
    >>> parts = prorate_groups(pd.Series({"F1": 90.0, "F2": 10.0}),
    ...     pd.Series({"a": 2.0, "b": 1.0, "c": 0.0}), pd.Series({"a": "F1", "b": "F1", "c": "F2"}))
    >>> parts.tolist()
    [60.0, 30.0, 10.0]
    """
    items = weights.index
    family = groups.reindex(items)
    if family.isna().any():
        raise SopError(f"groups has no group for item {show(family[family.isna()].index[0])}")
    weight = pd.Series(numbers(weights, "weights", minimum=0), index=items)
    table = totals.to_frame("total") if isinstance(totals, pd.Series) else totals
    missing = pd.Index(family.unique()).difference(table.index)
    if len(missing):
        raise SopError(f"totals has no total for group {show(missing[0])}")
    numbers(table, "totals")
    codes = pd.Index(table.index).get_indexer(family)
    weight_sum = np.bincount(codes, weights=weight.to_numpy(), minlength=len(table))
    count = np.bincount(codes, minlength=len(table))
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(
            weight_sum[codes] > 0, weight.to_numpy() / weight_sum[codes], 1.0 / count[codes]
        )
    values = table.to_numpy(dtype=float)[codes] * shares[:, None]
    last = pd.Series(np.arange(len(items))).groupby(codes).max().to_numpy()
    if whole_units:
        for code in np.unique(codes):
            members = np.flatnonzero(codes == code)
            for j in range(values.shape[1]):
                total = _whole(table.to_numpy(dtype=float)[code, j], "totals")
                values[members, j] = _largest_remainder(total, shares[members])
    else:
        sums = np.zeros((len(table), values.shape[1]))
        np.add.at(sums, codes, values)
        group_of_last = codes[last]
        values[last] += table.to_numpy(dtype=float)[group_of_last] - sums[group_of_last]
    if isinstance(totals, pd.Series):
        return pd.Series(values[:, 0], index=items, name=totals.name)
    return pd.DataFrame(values, index=items, columns=table.columns)
