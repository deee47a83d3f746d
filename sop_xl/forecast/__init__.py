"""Statistical demand forecasting: single series, ``auto`` selection and batches of items.

>>> import numpy as np
>>> f = forecast([10, 12, np.nan, 16, 18, 20, 22, 24, 26, 28], horizon=3, method="holt")
>>> f.method, f.mean.round(3).tolist()
('holt', [30.0, 32.0, 34.0])
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sop_xl.forecast.auto import auto_forecast
from sop_xl.forecast.history import (
    check_horizon,
    check_level,
    check_season_length,
    clean_history,
)
from sop_xl.forecast.methods import METHODS, Forecast, check_method, run_method

__all__ = ["METHODS", "Forecast", "forecast", "method_for"]


def forecast(
    history: Iterable[float] | np.ndarray,
    horizon: int = 18,
    *,
    method: str = "auto",
    season_length: int = 12,
    level: float | None = None,
) -> Forecast:
    """Forecast one demand history.

    Parameters
    ----------
    history : array-like of float
        Demand per period [units], oldest first; NaN = blank (ends trimmed, gaps interpolated).
    horizon : int
        Number of future periods, >= 1.
    method : str, keyword-only
        One of :data:`METHODS` (``auto`` chooses per series, see :mod:`sop_xl.forecast.auto`).
    season_length : int, keyword-only
        Periods per season (12 for months, 52 for weeks); 0 or 1 = no season.
    level : float or None, keyword-only
        Two-sided prediction-interval coverage as a fraction (0.9 = 90%); None = no interval.

    Returns
    -------
    Forecast
        ``mean`` (never negative), ``lower``/``upper`` when ``level`` is given, and the
        ``method`` really used.
    """
    horizon = check_horizon(horizon)
    season_length = check_season_length(season_length)
    method = check_method(method)
    if level is not None:
        level = check_level(level)
    y = clean_history(history)
    if method == "auto":
        return auto_forecast(y, horizon, season_length=season_length, level=level)
    return run_method(method, y, horizon, season_length=season_length, level=level)


def method_for(history: Iterable[float] | np.ndarray, *, season_length: int = 12) -> str:
    """The method ``auto`` uses for this history (as reported in the Method column).

    >>> method_for([0, 0, 4, 0, 0, 0, 3, 0, 0, 5, 0, 0])
    'sba'
    """
    return forecast(history, 1, season_length=season_length).method
