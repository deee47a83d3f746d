"""Forecast accuracy: error metrics, forecast value added, and per-item accuracy over a long frame.

With actuals :math:`A_t`, forecasts :math:`F_t` and errors :math:`e_t = F_t - A_t` over the
periods given (a pair where either side is missing, NaN, is skipped):

=================  ================================================================
mae                :math:`\\frac{1}{n}\\sum |e_t|`
rmse               :math:`\\sqrt{\\frac{1}{n}\\sum e_t^2}`
mape               :math:`\\frac{1}{n'}\\sum_{A_t \\ne 0} |e_t| / |A_t|` (a fraction, not %)
wape               :math:`\\sum |e_t| / \\sum |A_t|`
smape              :math:`\\frac{1}{n}\\sum 2|e_t| / (|A_t| + |F_t|)`, a term is 0 where both are 0
mase               :math:`\\mathrm{mae} / \\frac{1}{T-m}\\sum_{t>m} |A_t - A_{t-m}|`
bias               :math:`\\sum e_t / \\sum |A_t|` (positive = over-forecast)
tracking_signal    :math:`\\sum e_t / \\mathrm{mae}`
=================  ================================================================

Zero denominators (DESIGN.md is silent; decided here, the same in every function): when the
numerator is 0 too, the forecast made no error that the metric can see, and the metric is 0
(the rule DESIGN.md gives for smape, where both sides are 0). Otherwise the metric is undefined:
the scalar functions raise :class:`~sop_xl.errors.SopError` naming the metric and suggesting
one that is defined, and :func:`accuracy_by_item` leaves NaN for that item and metric. So:

- wape and bias with every actual 0: 0 for a forecast of all zeros, else undefined;
- mape with no non-zero actual: 0 when every error is 0, else undefined;
- mase when the actuals do not change at lag m (scale 0): 0 when mae is 0, else undefined;
  with no pair of actuals m periods apart (too short) it is undefined;
- tracking_signal with mae 0: every error is 0, so it is 0.

References
----------
Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of forecast accuracy.
International Journal of Forecasting 22(4), 679-688.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show

METRICS: tuple[str, ...] = (
    "mae",
    "rmse",
    "mape",
    "wape",
    "smape",
    "mase",
    "bias",
    "tracking_signal",
)
"""Metric names accepted by :func:`accuracy`, in catalogue order."""

# signed metrics: their size (absolute value) is the error that fva compares
SIGNED = frozenset({"bias", "tracking_signal"})


# ----------------------------------------------------------------------------------------------
# input
# ----------------------------------------------------------------------------------------------
def _array(values: object, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SopError(f"{name} must be numbers; got {show(values)}") from exc
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise SopError(f"{name} must be one series (1-D); got an array of shape {array.shape}")
    if np.isinf(array).any():
        raise SopError(f"{name} must be finite numbers or NaN (blank); got an infinite value")
    return array


def _pairs(actuals: object, *forecasts: tuple[object, str]) -> tuple[np.ndarray, ...]:
    """Actuals and forecasts as float arrays of one length, with the unpaired periods dropped."""
    a = _array(actuals, "actuals")
    arrays = [a]
    for values, name in forecasts:
        f = _array(values, name)
        if len(f) != len(a):
            raise SopError(
                f"actuals and {name} must have the same length; got {len(a)} and {len(f)}"
            )
        arrays.append(f)
    keep = np.logical_and.reduce([~np.isnan(x) for x in arrays])
    if not keep.any():
        names = ["actuals", *(name for _, name in forecasts)]
        which = f"both {names[0]} and {names[1]}"
        if len(names) > 2:
            which = f"{', '.join(names[:-1])} and {names[-1]} all"
        raise SopError(f"no period has {which} filled; got {len(a)} periods")
    return tuple(x[keep] for x in arrays)


def _season_length(season_length: object) -> int:
    try:  # a whole number too big for a float (10**400) is no season length either
        value = float(season_length)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        value = float("nan")
    if (
        isinstance(season_length, bool)
        or not isinstance(season_length, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or value != round(value)
        or value < 0
    ):
        raise SopError(f"season_length must be a whole number >= 0; got {show(season_length)}")
    return max(int(season_length), 1)  # 0 or 1: no seasonality, lag 1


def _ratio(numerator: float, denominator: float, metric: str, why: str, instead: str) -> float:
    """numerator / denominator, with 0/0 = 0 and x/0 refused (the module's zero rule)."""
    if denominator > 0:
        with np.errstate(over="ignore"):
            result = float(numerator / denominator)
        if not np.isfinite(result):  # e.g. actuals of 1e-310: never hand back inf
            raise SopError(
                f"{metric} is too large to show (denominator {denominator:g}); "
                f"use {instead} instead"
            )
        return result
    if numerator == 0:
        return 0.0
    raise SopError(f"{metric} is undefined when {why}; use {instead} instead")


# ----------------------------------------------------------------------------------------------
# metrics
# ----------------------------------------------------------------------------------------------
def mae(actuals: object, forecast: object) -> float:
    """Mean absolute error, in units of demand.

    Parameters
    ----------
    actuals, forecast : array-like of float
        Actual and forecast demand per period [units]; NaN pairs are skipped.

    Notes
    -----
    :math:`\\mathrm{mae} = \\frac{1}{n}\\sum_t |F_t - A_t|`.

    Examples
    --------
    >>> mae([100, 110, 120], [90, 110, 125])
    5.0
    """
    a, f = _pairs(actuals, (forecast, "forecast"))
    return float(np.mean(np.abs(f - a)))


def rmse(actuals: object, forecast: object) -> float:
    """Root mean squared error, in units of demand.

    Notes
    -----
    :math:`\\mathrm{rmse} = \\sqrt{\\frac{1}{n}\\sum_t (F_t - A_t)^2}`.

    Examples
    --------
    >>> rmse([100, 110, 120], [90, 110, 125])  # sqrt((100 + 0 + 25) / 3)
    6.454972243679028
    """
    a, f = _pairs(actuals, (forecast, "forecast"))
    return float(np.sqrt(np.mean((f - a) ** 2)))


def mape(actuals: object, forecast: object) -> float:
    """Mean absolute percentage error, as a fraction, over the periods with a non-zero actual.

    Notes
    -----
    :math:`\\mathrm{mape} = \\frac{1}{n'}\\sum_{A_t \\ne 0} |F_t - A_t| / |A_t|`. With no non-zero
    actual it is 0 when every error is 0 and refused otherwise (Hyndman & Koehler 2006 sec. 3.2:
    undefined for zero actuals).

    Examples
    --------
    >>> mape([100, 0, 200], [90, 5, 220])  # (0.1 + 0.1) / 2; the zero actual is left out
    0.1
    """
    a, f = _pairs(actuals, (forecast, "forecast"))
    nonzero = a != 0
    if not nonzero.any():
        return _ratio(np.abs(f - a).sum(), 0.0, "mape", "every actual is 0", "mae")
    return float(np.mean(np.abs(f - a)[nonzero] / np.abs(a[nonzero])))


def wape(actuals: object, forecast: object) -> float:
    """Weighted absolute percentage error (MAD/mean ratio), as a fraction.

    Notes
    -----
    :math:`\\mathrm{wape} = \\sum_t |F_t - A_t| / \\sum_t |A_t|`; 0 for an all-zero forecast of
    all-zero actuals, refused for any other forecast of all-zero actuals.

    Examples
    --------
    >>> wape([100, 0, 200], [90, 5, 220])  # (10 + 5 + 20) / 300
    0.11666666666666667
    """
    a, f = _pairs(actuals, (forecast, "forecast"))
    return _ratio(np.abs(f - a).sum(), np.abs(a).sum(), "wape", "every actual is 0", "mae")


def smape(actuals: object, forecast: object) -> float:
    """Symmetric mean absolute percentage error, as a fraction between 0 and 2.

    Notes
    -----
    :math:`\\mathrm{smape} = \\frac{1}{n}\\sum_t 2|F_t - A_t| / (|A_t| + |F_t|)`, a term being 0
    where both are 0. The M3 convention (Makridakis & Hibon 2000) is this times 100.

    Examples
    --------
    >>> smape([100, 0, 0], [300, 0, 5])  # (2*200/400 + 0 + 2*5/5) / 3
    1.0
    """
    a, f = _pairs(actuals, (forecast, "forecast"))
    return float(np.mean(_smape_terms(a, f)))


def _smape_terms(a: np.ndarray, f: np.ndarray) -> np.ndarray:
    scale = np.abs(a) + np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, 2 * np.abs(f - a) / scale, 0.0)


def mase(actuals: object, forecast: object, *, season_length: int = 1) -> float:
    """Mean absolute scaled error: mae over the mean absolute m-step change of the actuals.

    Parameters
    ----------
    actuals, forecast : array-like of float
        Actual and forecast demand per period [units]; NaN pairs are skipped.
    season_length : int
        m [periods]; 0 or 1 means no seasonality (scaled by the one-step naive).

    Notes
    -----
    :math:`\\mathrm{mase} = \\mathrm{mae} / \\frac{1}{T-m}\\sum_{t=m+1}^{T} |A_t - A_{t-m}|`, the
    scale taken over the actuals given (every pair of actuals m periods apart, both filled),
    as DESIGN.md defines it; Hyndman & Koehler (2006) eq. for MASE take the scale over the
    in-sample history instead. Below 1: better than the (seasonal) naive on these actuals.

    Examples
    --------
    >>> mase([10, 12, 11, 13], [11, 11, 12, 12])  # mae 1 / mean(|2|, |-1|, |2|)
    0.6
    """
    m = _season_length(season_length)
    a_all = _array(actuals, "actuals")
    error = mae(actuals, forecast)
    if len(a_all) <= m:
        raise SopError(
            f"mase needs more than season_length ({m}) actuals to scale by; got {len(a_all)}"
        )
    changes = np.abs(a_all[m:] - a_all[:-m])
    changes = changes[~np.isnan(changes)]
    if changes.size == 0:
        raise SopError(f"mase needs two filled actuals {m} periods apart to scale by; got none")
    return _ratio(
        error,
        float(changes.mean()),
        "mase",
        f"the actuals never change at lag {m} (mean |A_t - A_(t-{m})| is 0)",
        "mae",
    )


def bias(actuals: object, forecast: object) -> float:
    """Forecast bias as a fraction of total actual demand (positive = over-forecast).

    Notes
    -----
    :math:`\\mathrm{bias} = \\sum_t (F_t - A_t) / \\sum_t |A_t|`; 0 when the errors cancel out
    over all-zero actuals, refused otherwise when every actual is 0.

    Examples
    --------
    >>> bias([100, 100], [120, 90])  # (20 - 10) / 200
    0.05
    """
    a, f = _pairs(actuals, (forecast, "forecast"))
    return _ratio((f - a).sum(), np.abs(a).sum(), "bias", "every actual is 0", "mae")


def tracking_signal(actuals: object, forecast: object) -> float:
    """Tracking signal: cumulative error in units of mean absolute error.

    Notes
    -----
    :math:`\\mathrm{TS} = \\sum_t (F_t - A_t) / \\mathrm{mae}`, between -n and n; 0 when mae is 0
    (then every error is 0). A common alarm is |TS| > 4 (Brown 1959; with e = F - A here, a
    positive value means over-forecasting).

    Examples
    --------
    >>> tracking_signal([100, 100, 100], [110, 120, 90])  # (10 + 20 - 10) / (40 / 3)
    1.5
    """
    a, f = _pairs(actuals, (forecast, "forecast"))
    e = f - a
    return _ratio(e.sum(), np.abs(e).mean(), "tracking_signal", "mae is 0", "bias")


_FUNCTIONS: dict[str, Callable[[object, object], float]] = {
    "mae": mae,
    "rmse": rmse,
    "mape": mape,
    "wape": wape,
    "smape": smape,
    "bias": bias,
    "tracking_signal": tracking_signal,
}


def metric_name(metric: object) -> str:
    """The canonical metric name (any case, surrounding spaces ignored), or SopError.

    >>> metric_name(" WAPE ")
    'wape'
    """
    name = metric.strip().lower() if isinstance(metric, str) else None
    if name not in METRICS:
        raise SopError(f"metric must be one of {', '.join(METRICS)}; got {show(metric)}")
    return name


def accuracy(
    actuals: object, forecast: object, *, metric: str = "wape", season_length: int = 1
) -> float:
    """Forecast error in the chosen metric (see the module docstring for the formulas).

    Parameters
    ----------
    actuals, forecast : array-like of float
        Actual and forecast demand per period [units], same length; NaN pairs are skipped.
    metric : str
        One of :data:`METRICS`, any case.
    season_length : int
        m for mase [periods]; ignored by the other metrics.

    Examples
    --------
    >>> accuracy([100, 0, 200], [90, 5, 220], metric="MAE")
    11.666666666666666
    """
    name = metric_name(metric)
    if name == "mase":
        return mase(actuals, forecast, season_length=season_length)
    _season_length(season_length)
    return _FUNCTIONS[name](actuals, forecast)


def fva(
    actuals: object,
    baseline: object,
    candidate: object,
    *,
    metric: str = "wape",
    season_length: int = 1,
) -> float:
    """Forecast value added: error of the baseline minus error of the candidate.

    Parameters
    ----------
    actuals, baseline, candidate : array-like of float
        Actuals and two forecasts of them [units], same length. Both errors are taken over the
        same periods: those where all three are filled.
    metric, season_length
        As in :func:`accuracy`. For the signed metrics (bias, tracking_signal) the error is
        their size, ``|bias|``, so that a positive result always means the candidate is better.

    Notes
    -----
    :math:`\\mathrm{FVA} = \\mathrm{err}(A, F_{base}) - \\mathrm{err}(A, F_{cand})`; positive =
    the candidate (e.g. the consensus plan) adds value over the baseline (e.g. the statistical
    or naive forecast). Gilliland, M. (2010). The Business Forecasting Deal, ch. 6.

    Examples
    --------
    >>> fva([100, 100], [80, 130], [95, 110])  # wape 50/200 - 15/200
    0.175
    """
    name = metric_name(metric)
    _pairs(actuals, (baseline, "baseline"), (candidate, "candidate"))  # lengths, some overlap
    a, base, cand = (
        _array(x, n)
        for x, n in ((actuals, "actuals"), (baseline, "baseline"), (candidate, "candidate"))
    )
    # the same periods for both; for mase the actuals keep their gaps (the scale needs them)
    gap = np.isnan(base) | np.isnan(cand)
    errors = [
        accuracy(a, np.where(gap, np.nan, f), metric=name, season_length=season_length)
        for f in (base, cand)
    ]
    if name in SIGNED:
        errors = [abs(e) for e in errors]
    return float(errors[0] - errors[1])


# ----------------------------------------------------------------------------------------------
# per item over a long frame
# ----------------------------------------------------------------------------------------------
def _safe_ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Vectorised :func:`_ratio`: 0/0 = 0, x/0 = NaN (undefined)."""
    with np.errstate(over="ignore"):
        ratio = numerator / denominator.where(denominator > 0)
    ratio = ratio.where(np.isfinite(ratio))  # overflow is undefined too, never inf
    return ratio.mask((denominator <= 0) & (numerator == 0), 0.0)


def accuracy_by_item(
    frame: pd.DataFrame,
    *,
    metrics: Sequence[str] = METRICS,
    season_length: int = 1,
    item: str = "item",
    period: str = "period",
    actual: str = "actual",
    forecast: str = "forecast",
) -> pd.DataFrame:
    """Accuracy per item over a long frame, vectorised (one groupby, no loop over items).

    Parameters
    ----------
    frame : DataFrame
        One row per item and period with columns ``item, period, actual, forecast`` (names
        configurable); NaN in actual or forecast skips that row's pair.
    metrics : sequence of str
        Which of :data:`METRICS` to return, in that order.
    season_length : int
        m for mase: the scale is the mean of |A_t - A_(t-m)| over each item's rows sorted by
        period, t - m counted in rows (pass a complete series per item).

    Returns
    -------
    DataFrame
        Indexed by item (sorted), column ``n`` (pairs used) then one column per metric. Where a
        scalar function would raise for an undefined metric (see the module docstring), or an
        item has no pair, the value is NaN.

    Examples
    --------
    >>> frame = pd.DataFrame({"item": ["a", "a", "b", "b"], "period": [1, 2, 1, 2],
    ...                       "actual": [100, 200, 0, 0], "forecast": [90, 220, 0, 5]})
    >>> accuracy_by_item(frame, metrics=["mae", "wape"]).reset_index()
      item  n   mae  wape
    0    a  2  15.0   0.1
    1    b  2   2.5   NaN
    """
    names = [metric_name(m) for m in metrics]
    m = _season_length(season_length)
    missing = [c for c in (item, period, actual, forecast) if c not in frame.columns]
    if missing:
        raise SopError(
            f"frame must have columns {item}, {period}, {actual}, {forecast}; missing "
            f"{', '.join(missing)}"
        )
    df = frame[[item, period, actual, forecast]].sort_values([item, period], kind="stable")
    try:
        a = pd.to_numeric(df[actual]).astype(float)
        f = pd.to_numeric(df[forecast]).astype(float)
    except (TypeError, ValueError) as exc:
        raise SopError(f"{actual} and {forecast} must be numbers; {exc}") from exc
    if np.isinf(a).any() or np.isinf(f).any():
        raise SopError("actual and forecast must be finite numbers or NaN; got an infinite value")
    paired = a.notna() & f.notna()
    a_p, f_p = a.where(paired), f.where(paired)
    e = f_p - a_p
    abs_e = e.abs()
    keys = df[item]
    work = pd.DataFrame(
        {
            "n": paired.astype(int),
            "abs_e": abs_e,
            "sq_e": e**2,
            "e": e,
            "abs_a": a_p.abs(),
            "ape": (abs_e / a_p.abs()).where(a_p != 0),
            "smape": pd.Series(_smape_terms(a_p.to_numpy(), f_p.to_numpy()), index=df.index).where(
                paired
            ),
            "change": (a - a.groupby(keys, sort=False).shift(m)).abs(),
        }
    )
    g = work.groupby(keys, sort=True)
    sums = g[["n", "abs_e", "sq_e", "e", "abs_a"]].sum()
    means = g[["ape", "smape", "change"]].mean()
    n = sums["n"]
    has = n > 0
    mae_ = (sums["abs_e"] / n).where(has)
    no_nonzero = means["ape"].isna() & has
    columns: dict[str, pd.Series] = {
        "mae": mae_,
        "rmse": np.sqrt(sums["sq_e"] / n).where(has),
        "mape": means["ape"].mask(no_nonzero & (sums["abs_e"] == 0), 0.0),
        "wape": _safe_ratio(sums["abs_e"], sums["abs_a"]).where(has),
        "smape": means["smape"],
        "mase": _safe_ratio(mae_, means["change"]).where(has),
        "bias": _safe_ratio(sums["e"], sums["abs_a"]).where(has),
        "tracking_signal": _safe_ratio(sums["e"], mae_).where(has),
    }
    out = pd.DataFrame({"n": n.astype(int), **{name: columns[name] for name in names}})
    out.index.name = item
    return out
