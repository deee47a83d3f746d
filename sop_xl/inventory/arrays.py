"""Input checks shared by the planning core (inventory, supply, reconcile).

Core functions take scalars, lists, numpy arrays or pandas objects. These helpers turn one
argument into a float array, check it, and say where a bad value sits: ``at position 3`` for a
plain sequence, ``at item 'A'`` for a Series indexed by item. Every message names the argument,
the rule and the value, e.g. ``demand_sd must be >= 0; got -5 at position 3``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show


def _where(value: Any, flat_index: int, shape: tuple[int, ...]) -> str:
    """Where element ``flat_index`` of ``value`` sits, in words (empty for a scalar)."""
    if not shape:
        return ""
    position = np.unravel_index(flat_index, shape)
    if isinstance(value, pd.Series) and not isinstance(value.index, pd.RangeIndex):
        label = value.index[position[0]]
        return f" at {value.index.name or 'index'} {show(label)}"
    if isinstance(value, pd.DataFrame):
        return (
            f" at row {show(value.index[position[0]])}, column {show(value.columns[position[1]])}"
        )
    if len(shape) == 1:
        return f" at position {position[0] + 1}"
    return f" at row {position[0] + 1}, column {position[1] + 1}"


def numbers(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    blank: float | None = None,
) -> np.ndarray:
    """One argument as a float array, checked.

    Parameters
    ----------
    value : scalar, sequence, ndarray, Series or DataFrame
    name : str
        The argument's name, used in messages.
    minimum : float, optional
        Refuse values below it.
    maximum : float, optional
        Refuse values above it (a bound no real plan reaches: a typo).
    positive : bool
        Refuse values <= 0.
    blank : float, optional
        What a NaN (blank) stands for; without it a NaN is refused.

    >>> numbers([1, 2.5], "lead_time").tolist()
    [1.0, 2.5]
    >>> numbers([1, -2], "lead_time", minimum=0)
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: lead_time must be >= 0; got -2 at position 2
    """
    raw = value.to_numpy() if isinstance(value, (pd.Series, pd.DataFrame)) else value
    try:
        array = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        cells = np.asarray(raw, dtype=object)
        for i, cell in enumerate(cells.ravel()):
            try:
                float(cell)
            except (TypeError, ValueError):
                where = _where(value, i, cells.shape)
                raise SopError(f"{name} must be numbers; got {show(cell)}{where}") from None
        raise SopError(f"{name} must be numbers; got {show(value)}") from None
    if array.ndim > 2:
        raise SopError(f"{name} must be a number, a list or a table; got {array.ndim} dimensions")
    flat = array.ravel()
    missing = np.isnan(flat)
    if missing.any():
        if blank is None:
            i = int(np.flatnonzero(missing)[0])
            raise SopError(f"{name} must be a number; got a blank{_where(value, i, array.shape)}")
        array = np.where(np.isnan(array), blank, array)
        flat = array.ravel()
    infinite = np.isinf(flat)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise SopError(f"{name} must be finite; got {flat[i]}{_where(value, i, array.shape)}")
    if maximum is not None and (flat > maximum).any():
        i = int(np.flatnonzero(flat > maximum)[0])
        where = _where(value, i, array.shape)
        raise SopError(f"{name} must be <= {maximum:,g}; got {flat[i]:g}{where}")
    if positive:
        bad = flat <= 0
        rule = "> 0"
    elif minimum is not None:
        bad = flat < minimum
        rule = f">= {minimum:g}"
    else:
        return array
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SopError(f"{name} must be {rule}; got {flat[i]:g}{_where(value, i, array.shape)}")
    return array


def fraction(value: Any, name: str) -> np.ndarray:
    """A probability strictly between 0 and 1 (a service level or fill rate), as an array.

    >>> fraction(0.95, "service_level").item()
    0.95
    >>> fraction(1.2, "service_level")
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: service_level must be between 0 and 1; got 1.2
    """
    array = numbers(value, name)
    flat = array.ravel()
    bad = (flat <= 0) | (flat >= 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SopError(
            f"{name} must be between 0 and 1; got {flat[i]:g}{_where(value, i, array.shape)}"
        )
    return array


def same_length(**arrays: np.ndarray) -> int:
    """The common length of 1-D arguments (scalars broadcast); refuses mismatched lengths.

    >>> same_length(demand_mean=np.ones(3), lead_time=np.float64(2.0))
    3
    >>> same_length(demand_mean=np.ones(3), lead_time=np.ones(2))
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: lengths must match: demand_mean has 3 values, lead_time has 2 values
    """
    sizes = {name: a.size for name, a in arrays.items() if a.ndim > 0 and a.size != 1}
    for name, a in arrays.items():
        if a.ndim > 1:
            raise SopError(f"{name} must be a single value or a list; got a table {a.shape}")
    lengths = set(sizes.values())
    if len(lengths) > 1:
        parts = ", ".join(f"{name} has {size} values" for name, size in sizes.items())
        raise SopError(f"lengths must match: {parts}")
    return lengths.pop() if lengths else 1


def index_of(*values: Any) -> pd.Index | None:
    """The index of the first pandas Series among ``values`` (results keep it), else None."""
    for value in values:
        if isinstance(value, pd.Series):
            return value.index
    return None


def output(result: np.ndarray, *values: Any, name: str | None = None) -> Any:
    """Return a float for scalar inputs, a Series when an input was one, else an array."""
    index = index_of(*values)
    if index is not None and result.ndim == 1 and len(index) == result.size:
        return pd.Series(result, index=index, name=name)
    if result.ndim == 0 or (result.size == 1 and all(np.ndim(v) == 0 for v in values)):
        return float(result.reshape(-1)[0])
    return result


def text_option(value: str, name: str, choices: tuple[str, ...]) -> str:
    """A case-insensitive choice among ``choices``.

    >>> text_option(" Chase", "strategy", ("chase", "level"))
    'chase'
    """
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise SopError(f"{name} must be one of {', '.join(choices)}; got {show(value)}")
    return value.strip().lower()


def is_missing(value: Any) -> bool:
    """True for None and a scalar NaN (an omitted optional argument)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
