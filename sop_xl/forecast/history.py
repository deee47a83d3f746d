"""Demand histories as the models see them: trimmed, gap-filled, checked.

Rules (DESIGN.md, "Blanks"): leading and trailing blanks are trimmed; blanks inside a series are
missing values, filled by linear interpolation (as Excel's FORECAST.ETS does by default);
negative values (returns) are kept as given.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sop_xl.errors import SopError

MAX_HORIZON = 1_000
"""Longest horizon [periods]: 83 years of months, 19 years of weeks; more is a typing error
(``1e9`` would need gigabytes of memory)."""
MAX_HISTORY = 600
"""Longest history the models see [periods]: a longer one is forecast from its most recent 600
(50 years of months, 11.5 years of weeks). Fitting time grows faster than the length (a
30,000-period history took 4 minutes in one cell), and decades-old demand says little about the
next periods."""


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
        The history without NaN, at least one value long and at most :data:`MAX_HISTORY`
        (the most recent periods).

    Examples
    --------
    >>> clean_history([np.nan, 4.0, np.nan, 8.0, np.nan]).tolist()
    [4.0, 6.0, 8.0]
    >>> clean_history(np.arange(1000.0)).size  # the most recent MAX_HISTORY periods
    600
    """
    y = np.asarray(values, dtype=float).ravel()
    if np.isinf(y).any():
        raise SopError(f"{name} must be finite numbers; got {y[np.isinf(y)][0]}")
    filled = np.flatnonzero(~np.isnan(y))
    if filled.size == 0:
        raise SopError(f"{name} has no numbers; got {y.size} blank periods")
    y = y[filled[0] : filled[-1] + 1][-MAX_HISTORY:]
    gaps = np.isnan(y)
    if gaps.any():
        idx = np.arange(y.size)
        y = y.copy()
        y[gaps] = np.interp(idx[gaps], idx[~gaps], y[~gaps])
    return y


def check_horizon(horizon: int) -> int:
    """Refuse a horizon that is not a whole number from 1 to :data:`MAX_HORIZON`.

    >>> check_horizon(18)
    18
    >>> check_horizon(1e9)
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: horizon must be at most 1,000 periods; got 1000000000.0
    """
    if isinstance(horizon, bool) or not float(horizon).is_integer() or horizon < 1:
        raise SopError(f"horizon must be a whole number of at least 1; got {horizon}")
    if horizon > MAX_HORIZON:
        raise SopError(f"horizon must be at most {MAX_HORIZON:,} periods; got {horizon}")
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
