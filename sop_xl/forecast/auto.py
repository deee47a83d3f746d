"""``auto``: the forecasting method chosen per series.

How ``auto`` decides, in order (``y`` the clean history, ``n`` its length, ``m`` the season):

1. **No demand**: no positive value at all (all zero, or only returns) -> ``zero`` (a forecast
   of 0; there is nothing to extrapolate).
2. **Too short to fit**: ``n < 3`` -> ``naive`` (the last value).
3. **Intermittent or lumpy** (Syntetos-Boylan ADI >= 1.32, i.e. roughly one period in four or
   more without demand) -> the intermittent family: Croston, SBA and TSB, whose smoothing
   constants are fixed, so that their one-step forecasts at each period use only the periods
   before it, are scored on the last ``k = min(24, n // 3)`` periods by mean squared
   error (squared error keeps the choice mean-unbiased on zero-heavy data; the most recent
   periods count, so demand that has stopped favours TSB, which decays). With ``k < 4`` there
   is too little to score, and SBA (Syntetos & Boylan 2005) is used, the usual default.
4. **Everything else** -> the equal-weight mean of four models that complement each other:
   AutoETS restricted to damped trends (``ets_damped``), the dynamic optimised Theta model
   (``dotm``, Fiorucci et al. 2016), the standard Theta method (``theta``) and complex
   exponential smoothing (``ces``, Svetunkov & Kourentzes). Seasonality is used only when the
   history supports it: with ``m <= 1`` or ``n < 2m`` the members run without a season;
   otherwise ETS and CES keep a seasonal component only if it lowers their information
   criterion, and the Theta models deseasonalise when their 90% autocorrelation test at lag
   ``m`` finds a season, or, on histories of two to four seasons where that test has little
   power, when an F-test of the month effect does (:mod:`sop_xl.forecast.seasonality`). On
   those short histories, a value that does not repeat at its position in the other seasons
   (a one-off spike) is first winsorised, so that no member projects it as a season.
   Short histories fall back member by member to simpler models
   (:mod:`sop_xl.forecast.methods`).

Why this combination (``benchmarks/m3_accuracy.py``, sMAPE out of sample on monthly data, the
mean of the members against statsforecast's full AutoETS):

============================  =======  =======  =========
combination                   M3       M1       Tourism
============================  =======  =======  =========
AutoETS alone                 14.16    14.91    19.09
ets_damped, dotm, theta       13.45    14.60    19.41
ets_damped, dotm, theta, ces  13.49    14.54    18.70
============================  =======  =======  =========

The three-member mean was the best we found on M3, but on Tourism it is worse than AutoETS
alone; adding CES (about 3 ms a series) costs 0.04 on M3 and gains 0.7 on Tourism, so ``auto``
uses all four: better than AutoETS on every set, in about half its time. Combinations that add
the full AutoETS search were a little better still on M1 and Tourism but cost 1.5 times
AutoETS's time, too slow for thousands of items. Weighting members by their error on a holdout,
or picking one per series by holdout error, did not beat equal weights on M3 (within 0.02
sMAPE) while doubling the time (Claeskens et al. 2016, "the forecast combination puzzle").
"""

from __future__ import annotations

import numpy as np

from sop_xl.forecast.methods import Forecast, one_step_forecasts, run_method
from sop_xl.forecast.seasonality import adjust_short_season, winsorise_one_offs
from sop_xl.forecast.segmentation import demand_profile

COMBINATION = ("ets_damped", "dotm", "theta", "ces")
# the members that run on a seasonally adjusted short history with a significant season
ADJUSTED_MEMBERS = ("dotm", "theta")
INTERMITTENT = ("croston", "sba", "tsb")
MIN_SCORED_HOLDOUT = 4
SCORED_PERIODS = 24


def choose(y: np.ndarray) -> str:
    """The family ``auto`` uses for this clean history: zero, naive, intermittent or combo.

    >>> choose(np.array([0.0, 0.0]))
    'zero'
    >>> choose(np.array([0, 0, 5, 0, 0, 3, 0, 0, 4.0]))
    'intermittent'
    >>> choose(np.arange(1.0, 25.0))
    'combo'
    """
    pattern = demand_profile(y).pattern
    if pattern == "no demand":
        return "zero"
    if y.size < 3:
        return "naive"
    if pattern in ("intermittent", "lumpy"):
        return "intermittent"
    return "combo"


def _pick_intermittent(y: np.ndarray) -> str:
    k = min(SCORED_PERIODS, y.size // 3)
    if k < MIN_SCORED_HOLDOUT:
        return "sba"
    scores = {}
    for method in INTERMITTENT:
        fitted = one_step_forecasts(method, y)[-k:]
        scores[method] = float(np.mean((fitted - y[-k:]) ** 2))
    return min(INTERMITTENT, key=lambda m: (scores[m], m != "sba"))


def _combine(parts: list[Forecast], level: float | None) -> Forecast:
    mean = np.mean([p.mean for p in parts], axis=0)
    if level is None:
        lower = upper = None
    else:  # the mean of the members' bounds (quantile averaging)
        lower = np.minimum(np.mean([p.lower for p in parts], axis=0), mean)
        upper = np.maximum(np.mean([p.upper for p in parts], axis=0), mean)
    used = []
    for p in parts:
        if p.method not in used:
            used.append(p.method)
    label = used[0] if len(used) == 1 else f"combo({','.join(used)})"
    return Forecast(mean, lower, upper, label, level)


def auto_forecast(
    y: np.ndarray, horizon: int, *, season_length: int = 12, level: float | None = None
) -> Forecast:
    """Forecast a clean history with the method ``auto`` chooses (see the module notes).

    Examples
    --------
    >>> auto_forecast(np.array([0.0, 0.0, 0.0]), 2).mean.tolist()
    [0.0, 0.0]
    >>> auto_forecast(np.array([0, 0, 5, 0, 0, 3, 0, 0, 4.0]), 2).method
    'sba'
    """
    family = choose(y)
    if family == "zero":
        zeros = np.zeros(horizon)
        bounds = (zeros, zeros) if level is not None else (None, None)
        return Forecast(zeros, *bounds, "zero", level)
    if family == "naive":
        return run_method("naive", y, horizon, level=level)
    if family == "intermittent":
        method = _pick_intermittent(y)
        return run_method(method, y, horizon, season_length=season_length, level=level)
    y = winsorise_one_offs(y, season_length)
    season = adjust_short_season(y, season_length)
    parts = []
    for member in COMBINATION:
        if season is not None and member in ADJUSTED_MEMBERS:
            f = run_method(member, season.adjusted, horizon, season_length=1, level=level)
            parts.append(season.restore(f))
        else:
            parts.append(run_method(member, y, horizon, season_length=season_length, level=level))
    return _combine(parts, level)
