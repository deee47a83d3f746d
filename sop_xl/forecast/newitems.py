"""New products and phase-out: a young item's forecast from a like item's launch, and its end.

A new item has too few periods to show a season or a trend, but it is usually still ramping
up: forecasting it at the level of its months so far (the family profile of
:func:`sop_xl.forecast.plan.profile_forecast`) stops the ramp and under-forecasts it. Here a
young item follows a **reference launch**: the like item of tblItems (``LikeItem``), or,
without one, the items of its family whose launch the history shows.

With the reference's seasonal indices s (by season position) and its deseasonalized sales
z_r(k) = y_r(k) / s at age k (periods since its launch, 0 = the launch period):

- **launch curve** c(k) = m(k) / m(K - 1): m is the non-decreasing least-squares fit of z_r
  over its K ages (isotonic regression, :func:`scipy.optimize.isotonic_regression`: a ramp up
  to maturity, without the month-to-month noise of one item's sales), scaled to 1 at the
  reference's last age; c(k) = 1 past it (the reference stays at that level). The family's
  curve is the mean of its launched items' curves, age by age, over the items older than the
  new one;
- **scale**: the new item's level a = sum z(k) / sum c(k) over its last three ages k (its own
  months so far, deseasonalized by s);
- **forecast** at age k (a plan period): F = a * c(k) * s, never below 0. The ramp continues
  as c(k) continues, and the season is the reference's.

Without any reference launch, c = 1 and this is the family profile exactly (the level of the
last three periods through the family's seasonal indices). An item launched in a plan period
(``LaunchPeriod`` after the last actual) with a like item gets the like item's level L_r on
its curve from the launch on (0 before); without a like item it gets 0, its launch volume
comes in as a ``new product`` adjustment. The like item's level L_r is the mean of z_r over
its last three periods.

A reference that peaked and then fell (a fad) is read as a ramp to the level it fell to: the
fit pools the peak with the periods after it.

The seasonal index of a like item is its own (mean per season position over its complete
seasons, :func:`~sop_xl.forecast.plan.family_indices` on the item alone) when it has two full
seasons, else its family's.

**Phase-out**: an item with an ``EndPeriod`` sells nothing from that period on
(:func:`end_forecast`).

Grid columns are periods, oldest first; the season position of column j is j mod season, as in
:mod:`sop_xl.forecast.plan`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from sop_xl.forecast.plan import PROFILE_PERIODS, family_indices

METHOD_LIKE = "like item"
METHOD_FAMILY_LAUNCH = "family launch"
METHOD_PROFILE = "family profile"


@dataclass(frozen=True)
class Launches:
    """What tblItems says about each item's launch (index = the grid's items).

    Attributes
    ----------
    like : Series
        The like item's code (``LikeItem``), None where none is given.
    start : Series
        Grid column of the ``LaunchPeriod`` [periods]: negative before the grid, the grid's
        length or more for a launch in a plan period; NaN where none is given.
    """

    like: pd.Series
    start: pd.Series


@dataclass(frozen=True)
class NewItemForecasts:
    """Forecasts of the young items (rows) for the periods after the grid (columns 0..steps-1),
    and the method of each: ``like item``, ``family launch`` or ``family profile``."""

    forecasts: pd.DataFrame
    methods: pd.Series


def since_launch(grid: pd.DataFrame, start: pd.Series) -> pd.DataFrame:
    """The grid with each item's history starting at its LaunchPeriod.

    Actuals before the launch (samples, a test market) are left out (NaN); periods from the
    launch to the first actual are zero demand. Items without a LaunchPeriod, or launched in a
    plan period, keep their row.

    >>> g = pd.DataFrame([[5.0, np.nan, np.nan, 8.0]], index=["N"])
    >>> since_launch(g, pd.Series({"N": 1.0})).iloc[0].tolist()
    [nan, 0.0, 0.0, 8.0]
    """
    out = grid.copy()
    columns = np.arange(grid.shape[1])
    for item, first in start.reindex(grid.index).dropna().items():
        if first >= grid.shape[1] or first < 0:
            continue
        row = out.loc[item].to_numpy(dtype=float)
        out.loc[item] = np.where(columns < first, np.nan, np.nan_to_num(row, nan=0.0))
    return out


def launch_curve(values: np.ndarray, start: int, index: np.ndarray) -> np.ndarray | None:
    """Launch curve c(k) of a reference item launched at grid column ``start``.

    Parameters
    ----------
    values : ndarray
        The reference's row of the grid [units/period] (NaN before its launch).
    start : int
        Grid column of its launch.
    index : ndarray
        Seasonal indices by season position [-].

    Returns
    -------
    ndarray or None
        c(k) for ages 0 .. (grid length - start - 1) [-]; None when its last fitted level is
        not positive.

    Notes
    -----
    z(k) = y(k) / s_(start + k); m = the non-decreasing fit of z (isotonic regression, pool
    adjacent violators: a run that falls is replaced by its mean); c(k) = m(k) / m(K - 1).

    Examples
    --------
    No season; sales 20, 60, 100, 100, 100 from the launch (already non-decreasing):

    >>> launch_curve(np.array([np.nan, 20.0, 60, 100, 100, 100]), 1, np.ones(1)).tolist()
    [0.2, 0.6, 1.0, 1.0, 1.0]

    A dip is pooled with the peak before it: 20, 120, 80, 100 -> 20, 100, 100, 100:

    >>> launch_curve(np.array([20.0, 120, 80, 100]), 0, np.ones(1)).tolist()
    [0.2, 1.0, 1.0, 1.0]
    """
    season = len(index)
    sold = np.nan_to_num(np.asarray(values, dtype=float)[start:], nan=0.0)
    if not len(sold):
        return None
    z = sold / index[(start + np.arange(len(sold))) % season]
    fitted = isotonic_regression(z, increasing=True).x
    return fitted / fitted[-1] if fitted[-1] > 0 else None


def _at(curve: np.ndarray | None, ages: np.ndarray) -> np.ndarray:
    """c(k) at ``ages`` (1 past the curve's end or without a curve)."""
    out = np.ones(len(ages))
    if curve is not None:
        inside = (ages >= 0) & (ages < len(curve))
        out[inside] = curve[ages[inside]]
    return out


def launch_forecast(
    history: np.ndarray,
    start: int,
    index: np.ndarray,
    curve: np.ndarray | None,
    steps: int,
    *,
    level: float = 0.0,
    end: int | None = None,
) -> np.ndarray:
    """Forecast of a young item along a launch curve (see the module docstring).

    Parameters
    ----------
    history : ndarray
        The item's sales from its launch to the end of the grid [units/period] (may be empty:
        a launch in a plan period).
    start : int
        Grid column of its launch.
    index : ndarray
        Seasonal indices by season position [-].
    curve : ndarray or None
        The reference launch curve c(k) [-]; None = flat (c = 1).
    steps : int
        Periods to forecast after the grid.
    level : float, keyword-only
        The level to scale by when there is no history [units/period] (the like item's).
    end : int or None, keyword-only
        First column after the grid: the forecast's first period (None = ``start +
        len(history)``; a launch in a plan period is after it).

    Returns
    -------
    ndarray
        F for the ``steps`` periods after the grid [units/period], >= 0.

    Notes
    -----
    a = sum_{last 3 ages} z(k) / sum_{last 3 ages} c(k); F(k) = a * c(k) * s_k, k = age.

    Examples
    --------
    No season; the reference sold 20, 60, 100, 100 (c = 0.2, 0.6, 1, 1); the new item sold
    10, 30 in its first two periods: a = (10 + 30) / (0.2 + 0.6) = 50.

    >>> launch_forecast(np.array([10.0, 30.0]), 0, np.ones(1), np.array([0.2, 0.6, 1, 1]),
    ...                 3).tolist()
    [50.0, 50.0, 50.0]
    """
    season = len(index)
    n = len(history)
    ahead = (start + n if end is None else end) + np.arange(steps)
    ages = ahead - start
    if n:
        own = np.arange(n)[-PROFILE_PERIODS:]
        z = np.asarray(history, dtype=float)[own] / index[(start + own) % season]
        weight = _at(curve, own).sum()
        a = z.sum() / weight if weight > 0 else float(z.mean())
    else:
        a = level
    out = a * _at(curve, ages) * index[ahead % season]
    return np.where(ages >= 0, np.maximum(out, 0.0), 0.0)


def _own_index(grid: pd.DataFrame, item: str, season: int) -> np.ndarray | None:
    """The item's own seasonal indices, None without two full seasons."""
    if season <= 1:
        return None
    own = family_indices(grid.loc[[item]], pd.Series({item: item}), season).iloc[0].to_numpy()
    return None if np.allclose(own, 1.0) else own


def _family_curve(
    curves: dict[str, np.ndarray], members: list[str], older_than: int
) -> np.ndarray | None:
    """Mean launch curve of the ``members`` with a curve longer than ``older_than`` ages."""
    chosen = [curves[m] for m in members if m in curves and len(curves[m]) > older_than]
    if not chosen:
        return None
    longest = max(len(c) for c in chosen)
    ages = np.arange(longest)
    return np.mean([_at(c, ages) for c in chosen], axis=0)


def new_item_forecasts(
    grid: pd.DataFrame,
    families: pd.Series,
    launches: Launches,
    *,
    season: int,
    steps: int,
    min_history: int,
) -> NewItemForecasts:
    """Forecasts of the young items of ``grid`` (see the module docstring).

    Parameters
    ----------
    grid : DataFrame
        Actuals item x period (as :func:`since_launch` gives them): NaN before an item's first
        actual [units/period].
    families : Series
        Family of each item.
    launches : Launches
        LikeItem and LaunchPeriod column of each item.
    season : int
        Periods per season (1 = none).
    steps : int
        Periods to forecast after the grid.
    min_history : int
        An item younger than this (periods since its launch) is a young item; so is an item
        launched in a plan period that has a like item.

    Returns
    -------
    NewItemForecasts
    """
    season = max(season, 1)
    width = grid.shape[1]
    values = grid.to_numpy(dtype=float)
    row = {item: i for i, item in enumerate(grid.index)}
    has = ~np.isnan(values)
    first = pd.Series(np.where(has.any(axis=1), has.argmax(axis=1), -1), index=grid.index)
    given = launches.start.reindex(grid.index)
    like = launches.like.reindex(grid.index)
    # where a launch shows: a LaunchPeriod inside the grid or after it, else a first actual
    # after the grid's first period
    visible = given.where(given >= 0, first.where(first > 0).astype(float))
    age = (width - visible).where(visible.notna(), has.sum(axis=1).astype(float))
    young = [
        item
        for item in grid.index
        if 0 < age[item] < min_history
        or (age[item] <= 0 and like[item] in row and like[item] != item)
    ]
    forecasts = pd.DataFrame(0.0, index=young, columns=range(steps))
    methods = pd.Series(METHOD_PROFILE, index=young, dtype=object)
    if not young:
        return NewItemForecasts(forecasts=forecasts, methods=methods)
    indices = family_indices(grid, families, season)
    curves: dict[str, np.ndarray] = {}
    for item, start in visible.dropna().items():
        if start < width:
            index = indices.loc[families[item]].to_numpy()
            curve = launch_curve(values[row[item]], int(start), index)
            if curve is not None:
                curves[item] = curve
    members = families.groupby(families).groups
    for item in young:
        n = int(max(age[item], 0))
        start = int(visible[item]) if n == 0 else width - n
        reference = like[item] if like[item] in row and like[item] != item else None
        level = 0.0
        if reference is not None:
            index = _own_index(grid, reference, season)
            if index is None:
                index = indices.loc[families[reference]].to_numpy()
            curve = curves.get(reference) if len(curves.get(reference, ())) > n else None
            if curve is None:
                curve = _family_curve(curves, [m for m in members[families[item]] if m != item], n)
            ref = np.nan_to_num(values[row[reference]], nan=0.0)
            z = ref / index[np.arange(width) % season]
            level = float(z[-PROFILE_PERIODS:].mean())
            methods[item] = METHOD_LIKE
        else:
            index = indices.loc[families[item]].to_numpy()
            peers = [m for m in members[families[item]] if m != item]
            curve = _family_curve(curves, peers, n)
            if curve is not None:
                methods[item] = METHOD_FAMILY_LAUNCH
        history = np.nan_to_num(values[row[item], width - n :], nan=0.0) if n else np.array([])
        forecasts.loc[item] = launch_forecast(
            history, start, index, curve, steps, level=level, end=width
        )
    return NewItemForecasts(forecasts=forecasts, methods=methods)


def end_forecast(forecasts: pd.DataFrame, end: pd.Series) -> pd.DataFrame:
    """Forecasts with each item's demand ended: 0 from its EndPeriod's column on.

    Parameters
    ----------
    forecasts : DataFrame
        Item x plan period [units/period].
    end : Series
        Column (0 = the first plan period) of each item's EndPeriod; NaN = none, negative = it
        ended before the plan.

    >>> f = pd.DataFrame([[5.0, 5, 5], [7.0, 7, 7]], index=["a", "b"])
    >>> end_forecast(f, pd.Series({"a": 1.0})).to_numpy().tolist()
    [[5.0, 0.0, 0.0], [7.0, 7.0, 7.0]]
    """
    out = forecasts.copy()
    columns = np.arange(forecasts.shape[1])
    for item, column in end.reindex(forecasts.index).dropna().items():
        out.loc[item] = np.where(columns >= column, 0.0, out.loc[item].to_numpy(dtype=float))
    return out
