"""Statistical demand forecasting: single series, ``auto`` selection and batches of items.

>>> import numpy as np
>>> f = forecast([10, 12, np.nan, 16, 18, 20, 22, 24, 26, 28], horizon=3, method="holt")
>>> f.method, f.mean.round(3).tolist()
('holt', [30.0, 32.0, 34.0])
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import numpy as np

from sop_xl.forecast.auto import auto_forecast
from sop_xl.forecast.history import (
    check_horizon,
    check_level,
    check_season_length,
    clean_history,
)
from sop_xl.forecast.intervals import (
    INTERMITTENT_METHODS,
    HorizonErrors,
    horizon_errors,
    intermittent_interval,
    origins,
    symmetric_interval,
)
from sop_xl.forecast.methods import METHODS, Forecast, check_method, run_method

__all__ = ["METHODS", "Forecast", "HorizonErrors", "forecast", "forecast_errors",
           "forecast_levels", "method_for"]  # fmt: skip


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
        The interval comes from the method's own rolling-origin errors per step of the
        horizon (:mod:`sop_xl.forecast.intervals`); the point forecast is the same as without.

    Returns
    -------
    Forecast
        ``mean`` (never negative), ``lower``/``upper`` when ``level`` is given, and the
        ``method`` really used.

    Examples
    --------
    An exact straight line gets a narrow interval around a forecast close to the line:

    >>> f = forecast(range(1, 40), 1, level=0.9)
    >>> bool(f.upper[0] - f.lower[0] < 1.5 and f.lower[0] < f.mean[0] < f.upper[0])
    True
    """
    if level is None:
        horizon = check_horizon(horizon)
        season_length = check_season_length(season_length)
        return _point(clean_history(history), horizon, check_method(method), season_length)
    return forecast_levels(
        history, horizon, levels=[level], method=method, season_length=season_length
    )[0]


def forecast_levels(
    history: Iterable[float] | np.ndarray,
    horizon: int = 18,
    *,
    levels: Iterable[float],
    method: str = "auto",
    season_length: int = 12,
) -> list[Forecast]:
    """One :class:`Forecast` per interval level, from one set of rolling-origin errors.

    The same point forecast in each; what :func:`forecast` with ``level`` gives, for several
    levels at the cost of one.

    >>> [f.level for f in forecast_levels([5, 6, 7, 8, 9, 10], 2, levels=[0.8, 0.95])]
    [0.8, 0.95]
    """
    horizon = check_horizon(horizon)
    season_length = check_season_length(season_length)
    method = check_method(method)
    levels = [check_level(level) for level in levels]
    y = clean_history(history)
    point = _point(y, horizon, method, season_length)
    if point.method == "zero":
        zeros = np.zeros(horizon)
        return [Forecast(point.mean, zeros, zeros, point.method, level) for level in levels]
    if point.method in INTERMITTENT_METHODS:
        bounds = [intermittent_interval(y, point.mean, level) for level in levels]
    elif origins(y.size, horizon).size >= 2:
        errors = _errors(y, horizon, method, season_length)
        bounds = [symmetric_interval(point.mean, errors.sd, level) for level in levels]
    else:  # too short to forecast from earlier origins: the method's in-sample interval
        run = auto_forecast if method == "auto" else partial(run_method, method)
        return [run(y, horizon, season_length=season_length, level=level) for level in levels]
    return [
        Forecast(point.mean, np.minimum(lo, point.mean), np.maximum(hi, point.mean),
                 point.method, level)
        for (lo, hi), level in zip(bounds, levels, strict=True)
    ]  # fmt: skip


def _point(y: np.ndarray, horizon: int, method: str, season_length: int) -> Forecast:
    if method == "auto":
        return auto_forecast(y, horizon, season_length=season_length)
    return run_method(method, y, horizon, season_length=season_length)


def _errors(y: np.ndarray, horizon: int, method: str, season_length: int) -> HorizonErrors:
    return horizon_errors(y, horizon, lambda h, k: _point(h, k, method, season_length).mean)


def forecast_errors(
    history: Iterable[float] | np.ndarray,
    horizon: int = 18,
    *,
    method: str = "auto",
    season_length: int = 12,
) -> HorizonErrors:
    """The method's rolling-origin errors on this history, per step of the horizon.

    The uncertainty behind both the prediction intervals and the safety stock
    (:func:`sop_xl.inventory.uncertainty.forecast_safety_stock`); see
    :mod:`sop_xl.forecast.intervals`.

    >>> e = forecast_errors([10, 12, 9, 11, 10, 12, 9, 11, 10, 12, 9, 11.0], 3, method="naive")
    >>> e.errors.shape, bool(e.cumulative_sd[2] > e.sd[0] > 0)
    ((6, 3), True)
    """
    horizon = check_horizon(horizon)
    season_length = check_season_length(season_length)
    method = check_method(method)
    return _errors(clean_history(history), horizon, method, season_length)


def method_for(history: Iterable[float] | np.ndarray, *, season_length: int = 12) -> str:
    """The method ``auto`` uses for this history (as reported in the Method column).

    >>> method_for([0, 0, 4, 0, 0, 0, 3, 0, 0, 5, 0, 0])
    'sba'
    """
    return forecast(history, 1, season_length=season_length).method
