"""Demand histories as the models see them: trimmed, gap-filled, checked.

Rules (DESIGN.md, "Blanks"): leading and trailing blanks are trimmed; blanks inside a series are
missing values, filled by linear interpolation (as Excel's FORECAST.ETS does by default);
negative values (returns) are kept as given.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sop_xl.errors import SopError


def clean_history(values: Iterable[float] | np.ndarray, *, name: str = "history") -> np.ndarray:
    """Trim blank ends and fill interior blanks of a demand history by linear interpolation.

    Parameters
    ----------
    values : array-like of float
        Demand per period [units], oldest first; NaN marks a blank.
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray
        The history without NaN, at least one value long.

    Examples
    --------
    >>> clean_history([np.nan, 4.0, np.nan, 8.0, np.nan]).tolist()
    [4.0, 6.0, 8.0]
    """
    y = np.asarray(values, dtype=float).ravel()
    if np.isinf(y).any():
        raise SopError(f"{name} must be finite numbers; got {y[np.isinf(y)][0]}")
    filled = np.flatnonzero(~np.isnan(y))
    if filled.size == 0:
        raise SopError(f"{name} has no numbers; got {y.size} blank periods")
    y = y[filled[0] : filled[-1] + 1]
    gaps = np.isnan(y)
    if gaps.any():
        idx = np.arange(y.size)
        y = y.copy()
        y[gaps] = np.interp(idx[gaps], idx[~gaps], y[~gaps])
    return y


def check_horizon(horizon: int) -> int:
    """Refuse a horizon that is not a whole number >= 1.

    >>> check_horizon(18)
    18
    """
    if isinstance(horizon, bool) or not float(horizon).is_integer() or horizon < 1:
        raise SopError(f"horizon must be a whole number of at least 1; got {horizon}")
    return int(horizon)


def check_season_length(season_length: int) -> int:
    """Refuse a season length that is not a whole number >= 0 (0 and 1 mean no season).

    >>> check_season_length(12)
    12
    """
    if (
        isinstance(season_length, bool)
        or not float(season_length).is_integer()
        or season_length < 0
    ):
        raise SopError(f"season_length must be a whole number of at least 0; got {season_length}")
    return int(season_length)


def check_level(level: float) -> float:
    """Refuse a prediction-interval level outside (0, 1).

    >>> check_level(0.9)
    0.9
    """
    if not 0 < level < 1:
        raise SopError(f"level must be between 0 and 1; got {level}")
    return float(level)
