"""Seasonal adjustment for ``auto``'s Theta members on short histories.

The Theta models deseasonalise a history only when the autocorrelation at lag ``m`` passes a
90% test whose limit grows with the other autocorrelations. On two to four years of monthly
demand that test has little power: a strong, regular season often fails it (r_12 = 0.62
under a limit of 0.73 for one garden item of the demo company, n = 36), and the forecast then
shows a summer peak at half of last summer's.

For histories of two to four seasons (``2m <= n < 4m``), ``auto`` therefore tests the season
itself: the history less its STL trend, grouped by position in the season, goes through a
one-way analysis of variance (F-test); where the month effect is significant at 0.1%, the
history is adjusted by classical decomposition (multiplicative for positive demand, else
additive), the Theta members run without a season and the season is put back. Longer
histories keep the members' own test, which has the power it needs there.

Why an F-test and not the STL "strength of seasonality" F_S (FPP3 section 4.3): on 36 months of
pure noise F_S averages 0.7 and reaches 0.9, so no threshold separates noise from a moderate
season; the F-test at 0.1% flagged none of 200 noise series and 1 of 100 random walks, and
found 100% of strong and 98% of moderate seasons (simulated, n = 36).

Measured with ``benchmarks/m3_accuracy.py``'s data, sMAPE of ``auto``'s combination without ->
with this step: M3 13.49 -> 13.49 and Tourism 18.70 -> 18.70 (no series shorter than four
years), the same series cut to their last 36 months: M3 14.89 -> 14.49, Tourism 22.25 -> 19.45.
Adjusting the ETS and CES members as well was worse on Tourism cut to 36 months (20.42 with
ETS, 19.61 with CES, 20.69 with both): their information criteria keep a season better on the
raw history, so only the Theta members are adjusted.

One-offs (:func:`winsorise_one_offs`): on the same two-to-four-season histories, a single spike
(one month at four times the level) came back a year later in ``auto``'s forecast at 1.5 to 2.5
times the level: seasonal CES projected it almost whole, the ETS member often, the Theta members
when their own test fired. A value that stands out from the trend but not at its position in
the other seasons is therefore winsorised before anything is fitted or tested; a peak that
repeats is left alone. Measured as above, sMAPE of ``auto`` without -> with this step (limit
``c`` = 5; 3, 4 and 6 gave nearly the same, and replacing the one-off instead of winsorising
it was better on M3 but worse on Tourism): M3 cut to 36 months 14.49 -> 14.43 (91 of 1,428
series touched), Tourism cut to 36 months 19.45 -> 19.39 (40 of 366), M1 (139 of its 617 series
are shorter than four years) 14.47 -> 14.47; M3 and Tourism in full unchanged.

After review, a run of neighbours out the same way (a level shift) and the latest value (maybe
the first of a run) are never one-offs: a jump in the last two months had been clipped, which
took a planner's new level out of the forecast. On exact data (a flat contract volume) the
robust scale is zero and LOWESS follows a spike, so the scale has a floor of 1% of the level and
a running median stands in for the trend. Measured the same way, with the four-member mean of
then: M3 cut to 36 months 14.45, Tourism cut to 36 months 19.43, M1 14.47 (a few hundredths
given back for those cases); with today's trimmed mean of five: 14.18, 18.78 and 14.14.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import fdtrc
from statsmodels.nonparametric.smoothers_lowess import lowess
from statsmodels.tsa.seasonal import STL, seasonal_decompose

from sop_xl.forecast.methods import Forecast

SIGNIFICANCE = 0.001
MIN_SEASONS, MAX_SEASONS = 2, 4
# a value is a one-off when it stands this many robust standard deviations away both from the
# trend and from its position in the other seasons (measured: see the module notes)
ONE_OFF_LIMIT = 5.0
MAD_TO_SD = 1.4826  # the MAD of normal noise times this is its standard deviation
SCALE_FLOOR = 0.01  # the noise scale is taken as at least 1% of the typical level


def season_pvalue(y: np.ndarray, season_length: int) -> float:
    """p-value of the month effect: one-way ANOVA of the detrended history by season position.

    1.0 when it cannot be computed (fewer than two seasons, or a constant history).

    >>> t = np.arange(36)
    >>> season_pvalue(100 + 30 * np.sin(2 * np.pi * t / 12) + t % 3, 12) < 1e-6
    True
    >>> season_pvalue(np.ones(36), 12)
    1.0
    >>> season_pvalue(100 + 30 * np.sin(2 * np.pi * t / 12), 12)  # exact: no noise at all
    0.0
    """
    if season_length <= 1 or y.size < MIN_SEASONS * season_length or np.ptp(y) == 0:
        return 1.0
    detrended = y - STL(y, period=season_length).fit().trend
    groups = [detrended[k::season_length] for k in range(season_length)]
    within = sum(float(((g - g.mean()) ** 2).sum()) for g in groups)
    between = float(np.var([g.mean() for g in groups]))
    scale = float(np.abs(y).mean()) or 1.0
    if within <= 1e-18 * scale**2 * y.size:  # an exact season: no noise to test it against
        return 0.0 if between > 1e-12 * scale**2 else 1.0
    p = anova_pvalue(groups)
    return float(p) if np.isfinite(p) else 1.0


def anova_pvalue(groups: list[np.ndarray]) -> float:
    """p-value of the one-way analysis of variance of ``groups`` (NaN: not defined).

    The arithmetic of ``scipy.stats.f_oneway`` (equal variances; the same p, to the last
    bit), without its input handling, which took a millisecond a call, half of
    :func:`season_pvalue`. Groups of one value only, or empty, give NaN.

    Notes
    -----
    F = (SS_between / (k - 1)) / (SS_within / (N - k)) on ``k`` groups of ``N`` values in all;
    p = P(F(k - 1, N - k) > F) (``scipy.special.fdtrc``). All groups constant: F = inf, p = 0;
    all values equal: NaN.

    >>> from scipy.stats import f_oneway
    >>> rng = np.random.default_rng(3)
    >>> groups = [rng.normal(size=3) + k for k in range(4)]
    >>> anova_pvalue(groups) == float(f_oneway(*groups).pvalue)
    True
    """
    k = len(groups)
    sizes = [g.size for g in groups]
    if k < 2 or min(sizes) == 0 or max(sizes) == 1:
        return np.nan
    alldata = np.concatenate(groups)
    if (np.diff(alldata) == 0).all():
        return np.nan
    if all((np.diff(g) == 0).all() for g in groups):
        return 0.0
    with np.errstate(all="ignore"):
        offset = np.mean(alldata, keepdims=True)
        centred = alldata - offset
        normalized_ss = np.sum(centred) ** 2.0 / alldata.size
        sstot = np.vecdot(centred, centred) - normalized_ss
        ssbn = 0
        for g in groups:
            ssbn = ssbn + np.sum(g - offset) ** 2.0 / g.size
        ssbn = ssbn - normalized_ss
        f = (ssbn / (k - 1)) / ((sstot - ssbn) / (alldata.size - k))
        return float(fdtrc(k - 1, alldata.size - k, f))


@dataclass(frozen=True)
class SeasonalAdjustment:
    """A history without its season, and how to put the season back on forecasts."""

    adjusted: np.ndarray
    factors: np.ndarray  # one per position in the season, aligned with y[0]
    multiplicative: bool
    start: int  # position in the season of the first future period

    def restore(self, f: Forecast) -> Forecast:
        """Put the season back on a forecast of the adjusted history (clipped at 0)."""
        s = self.factors[(self.start + np.arange(f.mean.size)) % self.factors.size]

        def back(values: np.ndarray | None) -> np.ndarray | None:
            if values is None:
                return None
            return np.maximum(values * s if self.multiplicative else values + s, 0.0)

        return Forecast(back(f.mean), back(f.lower), back(f.upper), f.method, f.level)


def adjust_short_season(y: np.ndarray, season_length: int) -> SeasonalAdjustment | None:
    """Classical seasonal adjustment of a 2-to-4-season history with a significant season.

    None where the history is outside that range or the season is not significant.

    >>> t = np.arange(36)
    >>> a = adjust_short_season(100 + 30 * np.sin(2 * np.pi * t / 12), 12)
    >>> a.multiplicative, bool(np.ptp(a.adjusted) < 10)
    (True, True)
    >>> adjust_short_season(100 + 30 * np.sin(2 * np.pi * np.arange(60) / 12), 12) is None
    True
    """
    m = season_length
    if not MIN_SEASONS * m <= y.size < MAX_SEASONS * m or season_pvalue(y, m) >= SIGNIFICANCE:
        return None
    multiplicative = bool((y > 0).all())
    model = "multiplicative" if multiplicative else "additive"
    seasonal = seasonal_decompose(y, model=model, period=m).seasonal
    adjusted = y / seasonal if multiplicative else y - seasonal
    return SeasonalAdjustment(adjusted, np.asarray(seasonal[:m], float), multiplicative, y.size % m)


def _median_of_others(d: np.ndarray, m: int) -> np.ndarray:
    """Per value, the median of the values at its position in the other seasons.

    Equal to ``np.median(np.delete(d[k % m :: m], k // m))`` for each ``k`` (the same
    values, so the same median), a few array operations instead of ``n`` calls.

    >>> _median_of_others(np.array([1.0, 10.0, 3.0, 20.0, 8.0, 30.0, 4.0]), 2).tolist()
    [4.0, 25.0, 4.0, 20.0, 3.0, 15.0, 3.0]
    """
    out = np.full(d.size, np.nan)
    n_full, rest = divmod(d.size, m)
    for seasons, positions in ((n_full + 1, np.arange(rest)), (n_full, np.arange(rest, m))):
        if positions.size == 0 or seasons < 2:
            continue
        block = d[positions[:, None] + m * np.arange(seasons)]  # position x season
        for j in range(seasons):
            others = np.delete(block, j, axis=1)
            out[positions + m * j] = np.median(others, axis=1)
    return out


def winsorise_one_offs(y: np.ndarray, season_length: int) -> np.ndarray:
    """The history with values that do not repeat in its other seasons pulled back to a limit.

    On two to four seasons, a single spike (a one-off promotion, a typing error) looks like a
    season to every member of ``auto``: seasonal CES and ETS on 24 months project it a year
    ahead at up to its full size. A genuine peak repeats at the same position in the other
    seasons; a one-off does not.

    With ``d`` the history less a robust trend (LOWESS with robustness iterations over
    ``m + 1`` periods, so that neither spikes nor peaks pull it) and ``o_t`` the median of ``d``
    at the same position in the other seasons, ``y_t`` is a one-off when

        |d_t - o_t| > c s,   |d_t| > c s   and   |d_t| > |o_t|

    (far from its own position in the other years, far from the trend, and the odd one of its
    position), where ``s`` is the robust standard deviation (1.4826 MAD) of ``d - o``, at least
    1% of the median level, and
    ``c`` = :data:`ONE_OFF_LIMIT`. A one-off is winsorised to ``trend_t + o_t +/- c s``, so it
    keeps a small influence. Neighbours out the same way (a shift) and the latest value are
    never one-offs. Histories outside ``2m <= n < 4m`` are returned as they are: with
    fewer than two seasons the members use none, and longer ones dilute a spike among their
    repeats (the same object is returned, as it is when nothing is found).

    Parameters
    ----------
    y : numpy.ndarray
        Clean history [units per period], oldest first.
    season_length : int
        Periods per season ``m`` (12 for monthly data).

    Examples
    --------
    >>> y = 100.0 + np.tile([0.0, 3.0, -2.0, 1.0], 6)  # 24 months
    >>> y[[11, 23]] = 300.0  # a December peak in both years: kept
    >>> winsorise_one_offs(y, 12) is y
    True
    >>> y[23] = 100.0  # a peak in the first December only: a one-off
    >>> bool(winsorise_one_offs(y, 12)[11] < 150)
    True
    """
    m, n = season_length, y.size
    if m <= 1 or not MIN_SEASONS * m <= n < MAX_SEASONS * m or np.ptp(y) == 0:
        return y
    t = np.arange(n, dtype=float)
    trend = lowess(y, t, frac=min(1.0, (m + 1) / n), it=3, return_sorted=False)
    if np.median(np.abs(y - trend)) < SCALE_FLOOR * np.median(np.abs(y)):
        # most of the history lies exactly on a line (a flat contract volume): LOWESS's
        # robustness weights have no scale to work with and it follows a spike; a running
        # median over m + 1 periods does not
        trend = pd.Series(y).rolling(m + 1, center=True, min_periods=1).median().to_numpy()
    d = y - trend
    others = _median_of_others(d, m)
    gap = d - others
    scale = max(
        MAD_TO_SD * np.median(np.abs(gap - np.median(gap))),
        SCALE_FLOOR * np.median(np.abs(y)),  # exact data: no noise, yet a spike stands out
    )
    limit = ONE_OFF_LIMIT * scale
    one_off = (np.abs(gap) > limit) & (np.abs(d) > limit) & (np.abs(d) > np.abs(others))
    # a run of neighbours out the same way is a shift or a new trend, not a one-off; nor is
    # the latest value, which may be the first of a run
    side = np.sign(gap) * one_off
    run = np.zeros(n, dtype=bool)
    run[1:] |= side[1:] * side[:-1] > 0
    run[:-1] |= side[:-1] * side[1:] > 0
    one_off &= ~run
    one_off[-1] = False
    if not limit > 0 or not one_off.any():
        return y
    cleaned = y.copy()
    cleaned[one_off] = (trend + others + np.sign(gap) * limit)[one_off]
    return cleaned
