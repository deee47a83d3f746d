"""Capacity load and utilization, per period and per resource."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.inventory.arrays import numbers, output, same_length

MEASURES = ("Load", "Available", "Utilization")


def _utilization(load: np.ndarray, available: np.ndarray, where: Any) -> np.ndarray:
    """load / available; 0 when both are 0; refused when only the load is positive."""
    idle = available == 0
    overload = idle & (load != 0)
    if overload.any():
        i = int(np.flatnonzero(overload.ravel())[0])
        raise SopError(
            f"available_hours must be > 0 where there is load; got 0{where(i)} "
            f"with a load of {load.ravel()[i]:g} hours"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(idle, 0.0, load / np.where(idle, 1.0, available))


def capacity_utilization(production: Any, hours_per_unit: Any, available_hours: Any) -> Any:
    """Capacity utilization per period.

    Parameters
    ----------
    production : float or array-like
        Production per period [units/period], >= 0.
    hours_per_unit : float or array-like
        Resource hours per unit [h/unit], >= 0.
    available_hours : float or array-like
        Available hours per period [h/period], >= 0.

    Returns
    -------
    float, ndarray or Series
        production * hours_per_unit / available_hours [-] (a fraction; 1.1 = 110 %); 0 when
        load and hours are both 0.

    Examples
    --------
    >>> capacity_utilization([100, 120, 0], 0.5, [50, 50, 0]).tolist()
    [1.0, 1.2, 0.0]
    """
    made = numbers(production, "production", minimum=0)
    rate = numbers(hours_per_unit, "hours_per_unit", minimum=0)
    hours = numbers(available_hours, "available_hours", minimum=0)
    same_length(production=made, hours_per_unit=rate, available_hours=hours)
    made, rate, hours = np.broadcast_arrays(made, rate, hours)
    scalar = made.ndim == 0
    load = (made * rate).reshape(-1)
    result = _utilization(
        load, hours.reshape(-1), lambda i: "" if scalar else f" at position {i + 1}"
    )
    return output(result.reshape(made.shape), production, hours_per_unit, available_hours)


def capacity_load(
    production: pd.DataFrame,
    resource: pd.Series,
    hours_per_unit: Any,
    available: pd.DataFrame | pd.Series,
) -> pd.DataFrame:
    """Load, available hours and utilization per resource and period, for all items at once.

    Parameters
    ----------
    production : DataFrame
        One row per item (index), one column per period [units/period].
    resource : Series by item
        Resource each item is made on; items with a blank resource load nothing.
    hours_per_unit : float or Series by item
        [h/unit], >= 0.
    available : DataFrame or Series
        Hours per resource (index) and period (columns as in ``production``), or one value per
        resource for every period [h/period].

    Returns
    -------
    DataFrame
        Index (resource, measure) with measures Load [h], Available [h], Utilization [-];
        columns the periods of ``production``.

    Examples
    --------
    >>> production = pd.DataFrame([[100, 120], [40, 0]], index=["A", "B"], columns=["M1", "M2"])
    >>> table = capacity_load(production, pd.Series({"A": "R1", "B": "R1"}),
    ...                       pd.Series({"A": 0.5, "B": 1.0}), pd.Series({"R1": 100.0}))
    >>> table.loc["R1"].values.tolist()
    [[90.0, 60.0], [100.0, 100.0], [0.9, 0.6]]
    """
    hours, load = _resource_hours(production, resource, hours_per_unit, available)
    resources, periods = available.index, production.columns

    def where(i: int) -> str:
        row, col = divmod(i, len(periods))
        return f" for resource {show(resources[row])} in period {show(periods[col])}"

    utilization = _utilization(load, hours, where)
    stacked = np.stack([load, hours, utilization], axis=1).reshape(-1, len(periods))
    index = pd.MultiIndex.from_product([resources, MEASURES], names=["Resource", "Measure"])
    return pd.DataFrame(stacked, index=index, columns=periods)


def resource_load(
    production: pd.DataFrame,
    resource: pd.Series,
    hours_per_unit: Any,
    available: pd.DataFrame | pd.Series,
) -> pd.DataFrame:
    """Hours per resource and period that ``production`` loads, whatever the hours available
    (a requirement may need more than a resource has, even on a resource with 0 hours).

    Parameters as :func:`capacity_load`; ``available`` gives the resources (its index) and is
    checked the same way. Returns resources x periods [h].

    Examples
    --------
    >>> production = pd.DataFrame([[100, 120]], index=["A"], columns=["M1", "M2"])
    >>> resource_load(production, pd.Series({"A": "R1"}), 0.5, pd.Series({"R1": 0.0})).values
    array([[50., 60.]])
    """
    _, load = _resource_hours(production, resource, hours_per_unit, available)
    return pd.DataFrame(load, index=available.index, columns=production.columns)


def _resource_hours(
    production: pd.DataFrame, resource: pd.Series, hours_per_unit: Any, available: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Available hours and load as resources x periods arrays (checked inputs)."""
    if not isinstance(production, pd.DataFrame):
        raise SopError("production must be a table with one row per item and one column per period")
    made = numbers(production, "production", minimum=0)
    items, periods = production.index, production.columns
    if isinstance(hours_per_unit, pd.Series):
        hours_per_unit = hours_per_unit.reindex(items)
    rate = np.broadcast_to(
        numbers(hours_per_unit, "hours_per_unit", minimum=0, blank=0.0), len(items)
    )
    if isinstance(available, pd.Series):
        available = pd.DataFrame(
            np.repeat(available.to_numpy()[:, None], len(periods), axis=1),
            index=available.index,
            columns=periods,
        )
    missing = periods.difference(available.columns)
    if len(missing):
        raise SopError(f"available has no column for period {show(missing[0])}")
    hours = numbers(available[periods], "available", minimum=0)
    names = resource.reindex(items)
    filled = (names.notna() & (names.astype(str).str.strip() != "")).to_numpy()
    codes = pd.Index(available.index).get_indexer(names[filled])
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise SopError(
            f"resource {show(names[filled].iloc[i])} of item {show(names[filled].index[i])} "
            "is not in available"
        )
    load = np.zeros(hours.shape)
    np.add.at(load, codes, made[filled] * rate[filled, None])
    return hours, load
