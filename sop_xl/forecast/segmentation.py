"""Segmentation of items: ABC by value, XYZ by variability, and the demand pattern.

- ABC (Pareto): sort by value descending, ties keeping input order; an item is A while the
  cumulative share of the items before it is below ``a_share``, B while below ``b_share``,
  else C. The top item is always A; the item that crosses ``a_share`` is still A.
- XYZ: coefficient of variation per item (sample standard deviation / mean over the periods
  filled): X when CV <= ``x_cv``, Y when CV <= ``y_cv``, else Z; mean <= 0 is Z.
- Demand pattern (Syntetos, Boylan & Croston 2005): ADI = periods / periods with demand and
  CV^2 = sample variance / mean^2 of the non-zero demand sizes, cut at ADI 1.32 and CV^2 0.49.

Choices where DESIGN.md is silent, made here:

- ABC: a blank (NaN) value counts as 0; an all-zero total makes every item C (no item carries
  value); shares are compared with a tolerance of 1e-12 so that 0.7 + 0.1 counts as 0.8.
- XYZ: blanks in a row are skipped; a row with fewer than 2 numbers has no sample standard
  deviation and is Z (its variability is not shown to be low); a grid needs 2 columns.
- Demand pattern: blanks are skipped (not counted as periods); negative values (net returns)
  count as periods without demand, since the pattern describes demand sizes > 0.

References
----------
Syntetos, A. A., Boylan, J. E. and Croston, J. D. (2005). On the categorization of demand
patterns. Journal of the Operational Research Society 56(5), 495-503.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show

ADI_CUTOFF = 1.32
"""Average demand interval cut-off [periods] (Syntetos, Boylan & Croston 2005)."""
CV2_CUTOFF = 0.49
"""Squared coefficient of variation cut-off of demand sizes (Syntetos, Boylan & Croston 2005)."""

PATTERNS = ("smooth", "erratic", "intermittent", "lumpy", "no demand")

_SHARE_TOLERANCE = 1e-12


def _finite(array: np.ndarray, name: str) -> None:
    if np.isinf(array).any():
        raise SopError(f"{name} must be finite numbers or blank; got an infinite value")


def _float_array(values: object, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SopError(f"{name} must be numbers; got {show(values)}") from exc


# ----------------------------------------------------------------------------------------------
# ABC
# ----------------------------------------------------------------------------------------------
def abc(values: object, *, a_share: float = 0.8, b_share: float = 0.95) -> np.ndarray | pd.Series:
    """ABC class of each item by its share of the total value, in input order.

    Parameters
    ----------
    values : array-like of float
        Value per item (revenue, volume x cost, ...) [currency or units], >= 0; NaN counts as 0.
        A Series keeps its index.
    a_share, b_share : float
        Cumulative-share limits [fraction], 0 < a_share <= b_share <= 1.

    Returns
    -------
    ndarray of str (or Series)
        ``'A'``, ``'B'`` or ``'C'`` per item.

    Notes
    -----
    With values sorted descending (stable) and :math:`S_i` the share of the items ranked before
    item i, the class is A if :math:`S_i < a`, B if :math:`S_i < b`, else C.

    Examples
    --------
    >>> abc([5, 50, 30, 10, 5]).tolist()  # share before each: 0.9, 0, 0.5, 0.8, 0.95
    ['B', 'A', 'A', 'B', 'C']
    """
    array = _float_array(values, "values")
    if array.ndim != 1:
        raise SopError(f"values must be one list of items (1-D); got shape {array.shape}")
    _finite(array, "values")
    array = np.nan_to_num(array, nan=0.0)
    if (array < 0).any():
        first = int(np.flatnonzero(array < 0)[0])
        raise SopError(f"values must be >= 0; got {array[first]:g} at position {first + 1}")
    if not 0 < a_share <= 1:
        raise SopError(f"a_share must be above 0 and at most 1; got {show(a_share)}")
    if not a_share <= b_share <= 1:
        raise SopError(f"b_share must be between a_share ({a_share:g}) and 1; got {show(b_share)}")
    order = np.argsort(-array, kind="stable")
    total = array.sum()
    classes = np.full(array.shape, "C", dtype="<U1")
    if total > 0:
        before = (np.cumsum(array[order]) - array[order]) / total
        ranked = np.where(
            before < a_share - _SHARE_TOLERANCE,
            "A",
            np.where(before < b_share - _SHARE_TOLERANCE, "B", "C"),
        )
        classes[order] = ranked
    if isinstance(values, pd.Series):
        return pd.Series(classes, index=values.index, name="abc")
    return classes


# ----------------------------------------------------------------------------------------------
# XYZ
# ----------------------------------------------------------------------------------------------
def coefficient_of_variation(history_grid: object) -> np.ndarray:
    """Sample CV (sd with n - 1 / mean) per row, blanks skipped; NaN with < 2 numbers or mean <= 0.

    >>> coefficient_of_variation([[10, 12, 8], [0, 0, 30]]).round(4).tolist()
    [0.2, 1.7321]
    """
    grid = _float_array(history_grid, "history_grid")
    if grid.ndim == 1:
        grid = grid.reshape(1, -1)
    if grid.ndim != 2:
        raise SopError(f"history_grid must be 2-D (items x periods); got shape {grid.shape}")
    _finite(grid, "history_grid")
    filled = (~np.isnan(grid)).sum(axis=1)
    cv = np.full(grid.shape[0], np.nan)
    ok = filled >= 2
    if ok.any():
        rows = grid[ok]
        mean = np.nanmean(rows, axis=1)
        sd = np.nanstd(rows, axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            cv[ok] = np.where(mean > 0, sd / mean, np.nan)
    return cv


def xyz(history_grid: object, *, x_cv: float = 0.5, y_cv: float = 1.0) -> np.ndarray | pd.Series:
    """XYZ class of each item (row) by the coefficient of variation of its demand.

    Parameters
    ----------
    history_grid : 2-D array-like of float
        One row per item, one column per period [units]; NaN blanks are skipped. A DataFrame
        gives a Series on its index.
    x_cv, y_cv : float
        CV limits, 0 <= x_cv <= y_cv.

    Returns
    -------
    ndarray of str (or Series)
        ``'X'`` (CV <= x_cv), ``'Y'`` (x_cv < CV <= y_cv) or ``'Z'`` (CV > y_cv, mean <= 0, or
        fewer than 2 numbers) per row.

    Notes
    -----
    :math:`CV = s / \\bar{x}` with :math:`s` the sample standard deviation (n - 1).

    Examples
    --------
    >>> xyz([[10, 12, 8], [10, 20, 0], [0, 0, 30], [0, 0, 0]]).tolist()  # CV 0.2, 1.0, 1.73, -
    ['X', 'Y', 'Z', 'Z']
    """
    grid = _float_array(history_grid, "history_grid")
    if grid.ndim != 2 or grid.shape[1] < 2:
        got = f"{grid.shape[0]} rows x {grid.shape[1]} column" if grid.ndim == 2 else "a list"
        raise SopError(
            f"history_grid must have one row per item and at least 2 period columns; got {got}"
        )
    if not (np.isfinite(x_cv) and x_cv >= 0):
        raise SopError(f"x_cv must be a number >= 0; got {show(x_cv)}")
    if not (np.isfinite(y_cv) and y_cv >= x_cv):
        raise SopError(f"y_cv must be at least x_cv ({x_cv:g}); got {show(y_cv)}")
    cv = coefficient_of_variation(grid)
    classes = np.where(cv <= x_cv, "X", np.where(cv <= y_cv, "Y", "Z"))  # NaN compares False
    if isinstance(history_grid, pd.DataFrame):
        return pd.Series(classes, index=history_grid.index, name="xyz")
    return classes


# ----------------------------------------------------------------------------------------------
# demand pattern
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandProfile:
    """The Syntetos-Boylan statistics of one history.

    Attributes
    ----------
    pattern : str
        One of :data:`PATTERNS`.
    adi : float
        Average demand interval [periods]: periods / periods with demand (NaN with no demand).
    cv2 : float
        Squared coefficient of variation of the demand sizes (NaN with no demand).
    periods, demand_periods : int
        Periods counted (blanks left out) and those with demand > 0.
    """

    pattern: str
    adi: float
    cv2: float
    periods: int
    demand_periods: int


def classify_pattern(adi: object, cv2: object) -> np.ndarray:
    """Syntetos-Boylan quadrant of each (ADI, CV^2) pair; a NaN ADI (no demand) is ``no demand``.

    >>> classify_pattern([1.0, 1.0, 1.32, 2.0, np.nan], [0.2, 0.49, 0.1, 0.6, np.nan]).tolist()
    ['smooth', 'erratic', 'intermittent', 'lumpy', 'no demand']
    """
    adi = np.asarray(adi, dtype=float)
    cv2 = np.asarray(cv2, dtype=float)
    frequent = adi < ADI_CUTOFF
    steady = cv2 < CV2_CUTOFF
    pattern = np.where(
        frequent,
        np.where(steady, "smooth", "erratic"),
        np.where(steady, "intermittent", "lumpy"),
    ).astype(object)
    pattern[np.isnan(adi)] = "no demand"
    return pattern


def demand_profile(history: object) -> DemandProfile:
    """Demand pattern of one history, with its ADI and CV^2.

    Parameters
    ----------
    history : array-like of float
        Demand per period [units]; NaN blanks are skipped; values <= 0 are periods without
        demand.

    Notes
    -----
    :math:`ADI = T / N` with T periods and N periods with demand; :math:`CV^2 = s^2 / \\bar{z}^2`
    over the N demand sizes z (sample variance, n - 1; 0 when N = 1). Smooth: ADI < 1.32 and
    CV^2 < 0.49; erratic: ADI < 1.32, CV^2 >= 0.49; intermittent: ADI >= 1.32, CV^2 < 0.49;
    lumpy: ADI >= 1.32, CV^2 >= 0.49 (Syntetos, Boylan & Croston 2005).

    Examples
    --------
    >>> p = demand_profile([0, 5, 0, 0, 7, 0, 6, 0])  # ADI 8/3; sizes 5, 7, 6: CV^2 1/36
    >>> p.pattern, round(p.adi, 4), round(p.cv2, 4), p.periods, p.demand_periods
    ('intermittent', 2.6667, 0.0278, 8, 3)
    """
    array = _float_array(history, "history")
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise SopError(f"history must be one series (1-D); got shape {array.shape}")
    _finite(array, "history")
    array = array[~np.isnan(array)]
    if array.size == 0:
        raise SopError("history has no numbers; got only blanks")
    sizes = array[array > 0]
    if sizes.size == 0:
        return DemandProfile("no demand", float("nan"), float("nan"), int(array.size), 0)
    adi = array.size / sizes.size
    cv2 = float(np.var(sizes, ddof=1) / sizes.mean() ** 2) if sizes.size > 1 else 0.0
    pattern = classify_pattern([adi], [cv2])[0]
    return DemandProfile(str(pattern), float(adi), cv2, int(array.size), int(sizes.size))


def demand_pattern(history: object) -> str:
    """Demand pattern of one history: smooth, erratic, intermittent, lumpy or ``no demand``.

    See :func:`demand_profile` for the statistics behind it.

    >>> demand_pattern([10, 11, 9, 10, 12])
    'smooth'
    >>> demand_pattern([0, 0, 0])
    'no demand'
    """
    return demand_profile(history).pattern


def demand_patterns(frame: pd.DataFrame, *, item: str = "item", qty: str = "qty") -> pd.DataFrame:
    """Demand pattern per item of a long frame, vectorised (one groupby, no loop over items).

    Parameters
    ----------
    frame : DataFrame
        One row per item and period (columns ``item, period, qty``); each row is one period,
        so pass complete series (a missing period is a row with qty 0). NaN qty rows are skipped.
    item, qty : str
        Column names (the period column is not needed: the statistics ignore the order).

    Returns
    -------
    DataFrame
        Indexed by item (sorted): ``periods, demand_periods, adi, cv2, pattern``, the same as
        :func:`demand_profile` gives for each item's series.

    Examples
    --------
    >>> frame = pd.DataFrame({"item": list("aaaabbbb"), "qty": [5, 6, 5, 6, 0, 9, 0, 0]})
    >>> # a: sizes 5, 6, 5, 6: CV^2 = (1/3) / 5.5^2; b: one demand in 4 periods
    >>> demand_patterns(frame)[["adi", "cv2", "pattern"]].round(4).reset_index()
      item  adi    cv2       pattern
    0    a  1.0  0.011        smooth
    1    b  4.0  0.000  intermittent
    """
    needed = [c for c in (item, qty) if c not in frame.columns]
    if needed:
        raise SopError(f"frame must have columns {item}, {qty}; missing {', '.join(needed)}")
    try:
        q = pd.to_numeric(frame[qty]).astype(float)
    except (TypeError, ValueError) as exc:
        raise SopError(f"{qty} must be numbers; {exc}") from exc
    _finite(q.to_numpy(), qty)
    sizes = q.where(q > 0)
    g = pd.DataFrame({"q": q, "size": sizes}).groupby(frame[item], sort=True)
    periods = g["q"].count()
    demand_periods = g["size"].count()
    mean = g["size"].mean()
    var = g["size"].var(ddof=1)
    adi = periods / demand_periods.where(demand_periods > 0)
    cv2 = (var / mean**2).where(demand_periods > 1, 0.0).where(demand_periods > 0)
    out = pd.DataFrame(
        {
            "periods": periods.astype(int),
            "demand_periods": demand_periods.astype(int),
            "adi": adi,
            "cv2": cv2,
        }
    )
    out["pattern"] = classify_pattern(out["adi"], out["cv2"])
    if (out["periods"] == 0).any():
        empty = out.index[out["periods"] == 0][0]
        raise SopError(f"{qty} has no numbers for item {show(empty)}; got only blanks")
    out.index.name = item
    return out
