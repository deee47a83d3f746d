"""Prediction intervals and lead-time uncertainty from a method's own rolling-origin errors.

One concept of forecast uncertainty serves the intervals of ``sop_forecast_interval`` and the
safety stock (:func:`sop_xl.inventory.uncertainty.forecast_safety_stock`): the errors the
method really makes when it forecasts this history from earlier origins.

**Rolling origin** (cross-validation over time; Tashman 2000, as in statsforecast's
``ConformalIntervals``): the method forecasts the history from ``K`` = :data:`ORIGINS` earlier
cut-offs ``n - j`` (``j`` spread evenly from ``max(horizon, 24)`` down to 1, as far as the
history allows), each as far ahead as
the history allows, ``min(j, horizon)`` periods; ``e[k, s] = y[n - j_k + s] - F_k(s)`` is the
error of origin ``k`` at step ``s``. Step 1 is seen ``K`` times, the last steps once, so the
spread per step is smoothed by a model of how it grows with the lead:

- per step: ``var_s = a + b (s - 1)``, ``a`` the mean square of the ``K`` errors at step 1,
  ``b >= 0`` fitted by least squares to the squared errors of the later steps (a random
  walk's variance grows linearly with the lead; ``b = 0`` is white noise);
- over the first ``k`` steps together (the lead-time demand): ``var(e_1 + ... + e_k) = c k +
  d k^2``, ``c, d >= 0``, fitted to the squared sums of each origin's first ``k`` errors (``c k``
  is independent noise; ``d k^2`` an error of the level that persists over the lead time).

**Interval**: ``F_s +/- q(level) * sd_s``, the lower bound cut at 0, with ``q(level) =
SCALE * t_nu.ppf((1 + level) / 2)``: a Student-t quantile with ``nu = K`` degrees of freedom,
because ``sd_s`` is estimated from ``K`` errors at step 1 (a mean square about zero: the
predictive interval of a normal error with an estimated spread, Hahn & Meeker 1991,
sec. 4.6), and ``SCALE = 1``. Checked by rolling-origin cross-validation on the *training*
part of the M3 monthly series (``benchmarks/intervals.py --calibrate``: each training history
cut 18 months short, the intervals built on the rest and scored on those 18 months), never on
M3's test periods: there the 80/90/95% intervals covered 81.8/89.9/93.6% of a random 300 of
the cut histories (the ``SCALE`` and ``nu`` with the lowest mean MSIS there, 0.80 and 4,
covered only 75.9/87.0/92.3% for an MSIS lower by 2%, so the textbook values were kept). An
exact history (a straight line, a constant) has near-zero errors and so a near-zero width.

**Intermittent demand** (Croston, SBA, TSB, or ``auto`` on an intermittent history): the
demand of a period is zero or a size, so a symmetric band around the mean makes no sense. The
interval is the quantiles of a compound Bernoulli distribution: demand occurs with probability
``p_s = min(1, F_s / mean size)`` (so that its mean is the forecast) and takes one of the sizes
seen in the history (empirical distribution; so the bounds are sizes that really occurred,
whole numbers for count data); the lower bound is 0 while ``1 - p_s`` exceeds ``(1 - level)/2``.

The cycle's safety stock uses the same origins and spread, but fits each item once at the
earliest origin and forwards the fitted model to the later ones
(:func:`sop_xl.forecast.forward.forward_errors`, a fifth of the refits' cost on M3's long
histories, less than half on 36 months): on the same 300 cut training histories its intervals
covered 81.9/89.9/94.0% (MSIS 4.17/5.40/6.88), the refits' 81.8/89.9/93.6% (4.15/5.40/6.86)
(``benchmarks/forward_fit.py calibrate --sample 300``).

Histories too short for two origins (fewer than ``MIN_FIT + 2`` periods) keep the method's
in-sample normal approximation of :mod:`sop_xl.forecast.methods`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

#: rolling origins per history (each one more fit of the method)
ORIGINS = 6
#: the shortest history an origin may forecast from [periods]
MIN_FIT = 4
#: the origins spread over at least this many last periods (two years of months), so that
#: a short horizon still learns from errors that do not all share the same few periods
MIN_SPAN = 24
#: interval multiplier and the degrees of freedom of its Student-t quantile (see the notes):
#: the spread is a root mean square of ORIGINS errors at step 1 about zero (not about their
#: mean), hence ORIGINS degrees of freedom
SCALE = 1.0
TAIL_DF = ORIGINS
INTERMITTENT_METHODS = ("croston", "sba", "tsb")

Fit = Callable[[np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class HorizonErrors:
    """A method's rolling-origin errors on one history and the spread fitted to them.

    Attributes
    ----------
    errors : numpy.ndarray
        ``(origins, horizon)`` actual minus forecast [units]; NaN where the step lies beyond
        the history.
    sd : numpy.ndarray
        Standard deviation of the error at each step 1..horizon [units].
    cumulative_sd : numpy.ndarray
        Standard deviation of the summed error of steps 1..k, for k = 1..horizon [units]:
        the lead-time demand's uncertainty when the lead time plus review is ``k`` periods.
    """

    errors: np.ndarray
    sd: np.ndarray
    cumulative_sd: np.ndarray

    def over(self, periods: float) -> float:
        """Standard deviation of the summed error over ``periods`` steps [units].

        Fractional periods interpolate the variance linearly; beyond the horizon, the
        fitted model runs on.
        """
        if periods <= 0:
            return 0.0
        return float(np.sqrt(max(_cumulative_var(self.errors, np.array([periods]))[0], 0.0)))

    def dof(self, periods: float) -> int:
        """Degrees of freedom of :meth:`over`: the origins that saw all ``periods`` steps.

        The spread is estimated from that many summed errors (a mean square about zero, so
        no degree is lost to a mean), so a quantile of the lead-time demand uses Student's t
        with these degrees of freedom (at least 1).
        """
        steps = min(max(int(np.ceil(periods)), 1), self.errors.shape[1])
        return max(int(np.isfinite(self.errors[:, steps - 1]).sum()), 1)


def origins(n: int, horizon: int, *, count: int = ORIGINS) -> np.ndarray:
    """Cut-offs ``j`` (periods before the end) of the rolling origins, longest first.

    >>> origins(60, 18).tolist()
    [24, 19, 15, 10, 6, 1]
    >>> origins(60, 1).tolist()
    [24, 19, 15, 10, 6, 1]
    >>> origins(12, 18).tolist()  # an origin keeps at least MIN_FIT periods
    [8, 7, 5, 4, 2, 1]
    """
    far = max(min(max(horizon, count, MIN_SPAN), n - MIN_FIT), 1)
    cuts = np.unique(np.round(np.linspace(far, 1, count)).astype(int))[::-1]
    return cuts[n - cuts >= MIN_FIT]


def rolling_errors(y: np.ndarray, horizon: int, fit: Fit, *, count: int = ORIGINS) -> np.ndarray:
    """Errors ``actual - forecast`` of ``fit`` from each rolling origin, ``(origins, horizon)``.

    >>> naive = lambda y, h: np.repeat(y[-1], h)
    >>> rolling_errors(np.arange(10.0), 3, naive, count=3).tolist()
    [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, nan, nan]]
    """
    cuts = origins(y.size, horizon, count=count)
    errors = np.full((cuts.size, horizon), np.nan)
    for row, j in enumerate(cuts):
        steps = min(j, horizon)
        start = y.size - j
        forecast = np.asarray(fit(y[:start], steps), dtype=float)
        errors[row, :steps] = y[start : start + steps] - forecast
    return errors


def _nonnegative_fit(columns: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least squares with non-negative coefficients (scipy's NNLS)."""
    return optimize.nnls(columns, target)[0]


def _step_var(errors: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Fitted error variance per step: a + b (s - 1), a the mean square at step 1, b >= 0."""
    a = float(np.nanmean(errors[:, 0] ** 2))
    seen = np.isfinite(errors)
    seen[:, 0] = False
    s = np.nonzero(seen)[1].astype(float)  # s - 1 for the steps 2, 3, ...
    if s.size == 0:
        return np.full(steps.shape, a)
    b = _nonnegative_fit(s[:, None], errors[seen] ** 2 - a)[0]
    return a + b * (steps - 1.0)


def _cumulative_var(errors: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Fitted variance of the error summed over the first k steps: c k + d k^2, c, d >= 0."""
    sums = np.cumsum(errors, axis=1)  # NaN once a step is unseen, and after it
    seen = np.isfinite(sums)
    k = np.nonzero(seen)[1] + 1.0
    c, d = _nonnegative_fit(np.column_stack([k, k**2]), sums[seen] ** 2)
    return c * periods + d * periods**2


def horizon_errors(y: np.ndarray, horizon: int, fit: Fit, *, count: int = ORIGINS) -> HorizonErrors:
    """Rolling-origin errors of a forecasting function on a clean history, and their spread.

    Parameters
    ----------
    y : numpy.ndarray
        Clean history [units per period], oldest first.
    horizon : int
        Steps ahead [periods].
    fit : callable
        ``fit(history, steps)`` -> point forecasts of the next ``steps`` periods.
    count : int, keyword-only
        Rolling origins.

    Returns
    -------
    HorizonErrors
        All zero when the history is too short for an origin.

    Examples
    --------
    A straight line forecast by the drift of its last two values has no error at all:

    >>> drift = lambda y, h: y[-1] + (y[-1] - y[-2]) * np.arange(1, h + 1)
    >>> e = horizon_errors(np.arange(1.0, 40.0), 3, drift)
    >>> e.sd.tolist(), e.cumulative_sd.tolist()
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])
    """
    return spread(rolling_errors(y, horizon, fit, count=count))


def spread(errors: np.ndarray) -> HorizonErrors:
    """The spread per step and summed over the steps fitted to rolling-origin errors.

    Parameters
    ----------
    errors : numpy.ndarray
        ``(origins, horizon)`` actual minus forecast [units], NaN where a step was not seen
        (as from :func:`rolling_errors`).

    Returns
    -------
    HorizonErrors
        All zero when no error was seen.

    >>> spread(np.array([[1.0, 2.0], [-1.0, np.nan]])).sd.tolist()
    [1.0, 2.0]
    """
    horizon = errors.shape[1]
    steps = np.arange(1.0, horizon + 1)
    if not np.isfinite(errors).any():
        zeros = np.zeros(horizon)
        return HorizonErrors(errors, zeros, zeros)
    sd = np.sqrt(np.maximum(_step_var(errors, steps), 0.0))
    cumulative = np.sqrt(np.maximum(_cumulative_var(errors, steps), 0.0))
    return HorizonErrors(errors, sd, cumulative)


def multiplier(level: float, *, scale: float = SCALE, tail_df: float = TAIL_DF) -> float:
    """Half-width of a two-sided interval at ``level`` in error standard deviations.

    ``scale * t_nu.ppf((1 + level) / 2)`` (see the module notes).

    >>> round(multiplier(0.9, scale=1.0, tail_df=1e9), 4)  # the normal quantile
    1.6449
    """
    return float(scale * stats.t.ppf(0.5 + level / 2, tail_df))


def symmetric_interval(
    mean: np.ndarray, sd: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """``mean -/+ multiplier(level) * sd``, the lower bound cut at 0 [units].

    >>> lo, hi = symmetric_interval(np.array([10.0, 10.0]), np.array([0.0, 100.0]), 0.9)
    >>> lo.tolist(), bool(hi[1] > 100)
    ([10.0, 0.0], True)
    """
    half = multiplier(level) * sd
    return np.maximum(mean - half, 0.0), mean + half


def intermittent_interval(
    y: np.ndarray, mean: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of compound Bernoulli demand with the history's sizes (see the notes).

    Parameters
    ----------
    y : numpy.ndarray
        Clean history [units per period].
    mean : numpy.ndarray
        Forecast per future period [units per period].
    level : float
        Two-sided coverage [-].

    Examples
    --------
    Demand in 4 periods of 12, sizes 2, 3, 3 and 5: mean size 3.25, forecast 1.0, so demand
    occurs with p = 0.31 and the 80% interval runs from 0 to the size at the
    (0.9 - 0.69) / 0.31 = 0.675 quantile of the sizes, 3:

    >>> y = np.array([0, 2, 0, 0, 3, 0, 0, 0, 5, 0, 3, 0.0])
    >>> [b.tolist() for b in intermittent_interval(y, np.array([1.0]), 0.8)]
    [[0.0], [3.0]]
    """
    sizes = np.sort(y[y > 0])
    if sizes.size == 0:
        return np.zeros_like(mean), np.zeros_like(mean)
    p = np.clip(mean / sizes.mean(), 0.0, 1.0)
    tail = (1 - level) / 2

    def quantile(u: float) -> np.ndarray:
        zero = u <= 1 - p
        within = np.where(zero, 0.0, (u - (1 - p)) / np.where(p > 0, p, 1.0))
        value = np.quantile(sizes, np.clip(within, 0.0, 1.0), method="inverted_cdf")
        return np.where(zero, 0.0, value)

    return quantile(tail), quantile(1 - tail)
