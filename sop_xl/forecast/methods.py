"""The single forecasting methods, on statsforecast's compiled models.

Each method maps a clean history (see :mod:`sop_xl.forecast.history`) to a
:class:`Forecast`. The models come from statsforecast (Nixtla; Hyndman-Khandakar ETS and ARIMA,
the Theta family, Croston/SBA/TSB); this module only chooses the model, falls back to a simpler
one when the history cannot support it, adds prediction intervals where the model has none, and
clips at zero.

Fallbacks (the ``method`` of the result says what was really used):

- a seasonal method with ``season_length`` <= 1 or fewer than two full seasons of history runs
  without its season (``hw_add``/``hw_mul`` -> ``holt``, ``snaive`` -> ``naive``, ``ets``,
  ``theta``, ``arima`` non-seasonal);
- ``hw_mul`` needs positive history, else ``hw_add``;
- a model that cannot be fitted to a very short or constant history falls back along
  ``ets -> ses -> naive`` (statsforecast's ETS needs 7 points, 9 with a trend; Theta 4).

Intervals here (``level``) are the fallback for histories too short for rolling origins
(:mod:`sop_xl.forecast.intervals` gives all others): native ones (ETS, ARIMA, Theta, naive)
where the model has them; otherwise ``mean +/- z * rmse_1 * sqrt(step)``, with ``rmse_1`` the
root mean square of the method's own in-sample one-step errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import statsforecast.models as sf
from scipy.stats import norm

from sop_xl.errors import SopError


@dataclass(frozen=True)
class Forecast:
    """Point forecasts with optional prediction intervals.

    Attributes
    ----------
    mean : numpy.ndarray
        Forecast per future period [units], never negative.
    lower, upper : numpy.ndarray or None
        Two-sided interval at ``level`` [units], lower clipped at 0; None when not asked for.
    method : str
        The method really used (after fallbacks), e.g. ``"ets"`` or ``"combo(ets,theta,ces)"``.
    level : float or None
        Coverage of the interval, as a fraction.
    """

    mean: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    method: str
    level: float | None = None


@dataclass(frozen=True, kw_only=True)
class _Spec:
    build: Callable[[int], object]  # season_length -> statsforecast model
    seasonal: bool
    native_intervals: bool
    nonseasonal: str | None = None  # the method used when the season cannot be used
    label: str | None = None  # the name reported, when it differs from the key


def _ets(model: str, damped: bool | None = None) -> Callable[[int], object]:
    return lambda m: sf.AutoETS(season_length=max(m, 1), model=model, damped=damped)


SPECS: dict[str, _Spec] = {
    "naive": _Spec(build=lambda m: sf.Naive(), seasonal=False, native_intervals=True),
    "snaive": _Spec(
        build=lambda m: sf.SeasonalNaive(season_length=m),
        seasonal=True,
        native_intervals=True,
        nonseasonal="naive",
    ),
    "ma": _Spec(
        build=lambda m: sf.WindowAverage(window_size=m), seasonal=False, native_intervals=False
    ),
    "ses": _Spec(build=_ets("ANN"), seasonal=False, native_intervals=True),
    # statsforecast's ETS needs 7 points (9 with a trend); this SES fits from 2
    "ses_short": _Spec(
        build=lambda m: sf.SimpleExponentialSmoothingOptimized(),
        seasonal=False,
        native_intervals=False,
        label="ses",
    ),
    "holt": _Spec(build=_ets("AAN", damped=False), seasonal=False, native_intervals=True),
    "damped": _Spec(build=_ets("AAN", damped=True), seasonal=False, native_intervals=True),
    "hw_add": _Spec(
        build=_ets("AAA", damped=False), seasonal=True, native_intervals=True, nonseasonal="holt"
    ),
    "hw_mul": _Spec(
        build=_ets("MAM", damped=False), seasonal=True, native_intervals=True, nonseasonal="holt"
    ),
    "ets": _Spec(
        build=lambda m: sf.AutoETS(season_length=max(m, 1)),
        seasonal=True,
        native_intervals=True,
        nonseasonal="ets",
    ),
    # Assimakopoulos & Nikolopoulos (2000): the M3 competition's best method
    "theta": _Spec(
        build=lambda m: sf.Theta(season_length=max(m, 1)),
        seasonal=True,
        native_intervals=True,
        nonseasonal="theta",
    ),
    # members of auto's combination, not offered on their own: AutoETS restricted to damped
    # trends, and Fiorucci et al.'s (2016) dynamic optimised theta
    "ets_damped": _Spec(
        build=lambda m: sf.AutoETS(season_length=max(m, 1), damped=True),
        seasonal=True,
        native_intervals=True,
        nonseasonal="ets_damped",
    ),
    "dotm": _Spec(
        build=lambda m: sf.DynamicOptimizedTheta(season_length=max(m, 1)),
        seasonal=True,
        native_intervals=True,
        nonseasonal="dotm",
    ),
    "ces": _Spec(
        build=lambda m: sf.AutoCES(season_length=max(m, 1)),
        seasonal=True,
        native_intervals=True,
        nonseasonal="ces",
    ),
    "arima": _Spec(
        build=lambda m: sf.AutoARIMA(season_length=max(m, 1)),
        seasonal=True,
        native_intervals=True,
        nonseasonal="arima",
    ),
    "croston": _Spec(build=lambda m: sf.CrostonClassic(), seasonal=False, native_intervals=False),
    "sba": _Spec(build=lambda m: sf.CrostonSBA(), seasonal=False, native_intervals=False),
    # TSB's smoothing constants: Teunter, Syntetos & Babai (2011) study 0.05-0.3; demand
    # probability reacts a little faster than size so that obsolescence shows.
    "tsb": _Spec(
        build=lambda m: sf.TSB(alpha_d=0.1, alpha_p=0.2), seasonal=False, native_intervals=False
    ),
}

#: Method names users may ask for (DESIGN.md); ``ces``, ``ets_damped`` and ``dotm`` are
#: members of ``auto``'s combination only.
METHODS = ("auto", "naive", "snaive", "ma", "ses", "holt", "damped", "hw_add", "hw_mul", "ets",
           "theta", "arima", "croston", "sba", "tsb")  # fmt: skip

_FALLBACK = {"ets": "ses", "ets_damped": "ses", "dotm": "ses", "ses": "ses_short",
             "ses_short": "naive", "ces": "ses",
             "theta": "ses", "arima": "ses", "holt": "ses", "damped": "ses", "croston": "naive",
             "sba": "naive",
             "tsb": "naive", "ma": "naive"}  # fmt: skip


def check_method(method: str) -> str:
    """Normalise a method name; refuse unknown ones.

    >>> check_method(" Theta ")
    'theta'
    """
    name = str(method).strip().lower()
    if name not in METHODS:
        raise SopError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return name


def _resolve(method: str, y: np.ndarray, season_length: int) -> tuple[str, int]:
    """The method and season length that this history supports."""
    spec = SPECS[method]
    m = season_length if season_length > 1 else 1
    if spec.seasonal and (m <= 1 or y.size < 2 * m):
        return spec.nonseasonal or method, 1
    if method == "hw_mul" and (y <= 0).any():
        return "hw_add", m
    if method == "ma":
        return method, max(1, min(m, y.size))
    return method, m if spec.seasonal else 1


def _normal_interval(
    mean: np.ndarray, fitted: np.ndarray | None, y: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    if fitted is not None and np.isfinite(fitted).sum() >= 2:
        err = (y - fitted)[np.isfinite(fitted)]
        sigma = float(np.sqrt(np.mean(err**2)))
    else:  # no one-step errors to learn from: the spread of the history itself
        sigma = float(np.std(y, ddof=1)) if y.size > 1 else abs(float(y[0]))
    half = norm.ppf(0.5 + level / 2) * sigma * np.sqrt(np.arange(1, mean.size + 1))
    return mean - half, mean + half


def _moving_average_fitted(y: np.ndarray, window: int) -> np.ndarray:
    fitted = np.full(y.size, np.nan)
    csum = np.concatenate([[0.0], np.cumsum(y)])
    t = np.arange(window, y.size)
    fitted[t] = (csum[t] - csum[t - window]) / window
    return fitted


def _fit(
    method: str, y: np.ndarray, horizon: int, m: int, level: float | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    spec = SPECS[method]
    model = spec.build(m)
    native = level is not None and spec.native_intervals
    want_fitted = level is not None and not spec.native_intervals and method != "ma"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = model.forecast(
            y=y, h=horizon, level=[round(100 * level, 6)] if native else None, fitted=want_fitted
        )
    mean = np.asarray(out["mean"], dtype=float)
    if not np.isfinite(mean).all():
        raise FloatingPointError(f"{method} gave non-finite forecasts")
    if level is None:
        return mean, None, None
    if native:
        key = f"{round(100 * level, 6):g}"
        lower = np.asarray(out.get(f"lo-{key}", np.nan), dtype=float)
        upper = np.asarray(out.get(f"hi-{key}", np.nan), dtype=float)
        if np.isfinite(lower).all() and np.isfinite(upper).all():
            return mean, lower, upper
        fitted = None  # too short for the model's own interval
    else:
        fitted = _moving_average_fitted(y, m) if method == "ma" else out.get("fitted")
    lower, upper = _normal_interval(mean, fitted, y, level)
    return mean, lower, upper


def one_step_forecasts(method: str, y: np.ndarray) -> np.ndarray:
    """In-sample one-step forecasts of a method (NaN where it has none yet).

    For the intermittent methods, whose smoothing constants are fixed, the forecast at ``t``
    uses only ``y[:t]``: these are genuine out-of-sample one-step forecasts.

    >>> one_step_forecasts("croston", np.array([0, 4, 0, 4.0])).round(2).tolist()
    [nan, 0.0, 2.0, 2.0]
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = SPECS[method].build(1).forecast(y=y, h=1, fitted=True)
    return np.asarray(out["fitted"], dtype=float)


def run_method(
    method: str, y: np.ndarray, horizon: int, *, season_length: int = 12, level: float | None = None
) -> Forecast:
    """Forecast a clean history with one named method (not ``auto``), with fallbacks.

    Parameters
    ----------
    method : str
        One of :data:`METHODS` except ``auto``, or a member of auto's combination.
    y : numpy.ndarray
        Clean history [units per period], no NaN, oldest first.
    horizon : int
        Number of future periods.
    season_length : int, keyword-only
        Periods per season (12 for monthly data); 0 or 1 = no season.
    level : float or None, keyword-only
        Prediction-interval coverage as a fraction, e.g. 0.9.

    Examples
    --------
    >>> f = run_method("naive", np.array([3.0, 5.0]), 2)
    >>> f.mean.tolist(), f.method
    ([5.0, 5.0], 'naive')
    >>> run_method("hw_add", np.arange(1.0, 13.0), 1).method  # 12 months < two seasons
    'holt'
    >>> run_method("holt", np.arange(1.0, 7.0), 1).method  # too short for a trend model
    'ses'
    """
    name, m = _resolve(method, y, season_length)
    while True:
        try:
            mean, lower, upper = _fit(name, y, horizon, m, level)
            break
        except Exception:  # noqa: BLE001 - statsforecast raises many kinds on tiny data
            if name == "naive":
                raise
            name, m = _FALLBACK.get(name, "naive"), 1
    mean = np.maximum(mean, 0.0)
    if lower is not None and upper is not None:  # simulated bounds may cross the mean
        lower, upper = np.maximum(np.minimum(lower, mean), 0.0), np.maximum(upper, mean)
    return Forecast(mean, lower, upper, SPECS[name].label or name, level)
