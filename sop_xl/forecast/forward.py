"""Fit once, forward many: a method fitted at one cut-off and applied to later histories.

Re-estimating a model at every forecast origin is what costs: ``auto`` fits five models per
history (:mod:`sop_xl.forecast.auto`). statsforecast's models can instead be *forwarded*: a
model fitted on ``y[:c]`` keeps its estimated parameters (smoothing constants, initial states,
the ETS or CES form its information criterion chose, the Theta coefficient) and is run over a
longer history ``y[:t]``, ``t > c``, to forecast from ``t`` (what statsforecast's
``cross_validation(refit=False)`` does). Only the filter runs again, so a forward costs a small
part of a fit. Forwarded to the history it was fitted on, a model gives the fit's forecast.

What runs again at each forward, on ``y[:t]`` only (nothing after ``t`` is ever used, so errors
measured from ``t`` stay out of sample):

- the filter of the forwarded model (ETS and CES states; Theta's seasonal test and
  decomposition, which statsforecast's Theta redoes on the data it is given);
- ``auto``'s preprocessing (:func:`~sop_xl.forecast.seasonality.winsorise_one_offs`,
  :func:`~sop_xl.forecast.seasonality.adjust_short_season`) and its choice of family
  (:func:`~sop_xl.forecast.auto.choose`);
- methods without estimated parameters, or with fixed ones, which are simply run on ``y[:t]``:
  the naive and seasonal naive, the moving average, Croston, SBA and TSB (fixed smoothing
  constants, so their one-step forecasts at ``t`` use only ``y[:t]``; ``auto``'s pick among them
  is remade on ``y[:t]``), and the short-history SES (``ses_short``, a fallback for tiny
  histories; refitted, it costs little).

A member is refitted on ``y[:t]`` instead of forwarded when the forwarded structure no longer
applies: the longer history now supports a season it could not at the cut-off (two full
seasons), ``auto``'s seasonal adjustment of the Theta members switches on or off, the family
changes (e.g. intermittent at the cut-off, not at ``t``), or the forward fails. So a forward
equals a refit exactly where the model has nothing to estimate, and differs otherwise only in
parameters estimated on the shorter history.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from sop_xl.forecast.auto import (
    ADJUSTED_MEMBERS,
    COMBINATION,
    auto_forecast,
    choose,
    trimmed_mean,
)
from sop_xl.forecast.intervals import ORIGINS, origins
from sop_xl.forecast.methods import _FALLBACK, SPECS, Forecast, _resolve
from sop_xl.forecast.seasonality import (
    SeasonalAdjustment,
    adjust_short_season,
    winsorise_one_offs,
)

#: methods whose statsforecast model has ``forward`` (parameters kept, the filter run again)
FORWARDED = ("ses", "holt", "damped", "hw_add", "hw_mul", "ets", "ets_damped", "theta", "dotm",
             "ces", "arima")  # fmt: skip


def _restore(season: SeasonalAdjustment, mean: np.ndarray) -> np.ndarray:
    return season.restore(Forecast(mean, None, None, "")).mean


@dataclass(frozen=True)
class FittedMethod:
    """One method fitted at a cut-off, ready to forecast later histories.

    Attributes
    ----------
    method : str
        The method asked for (a key of ``SPECS``).
    resolved : tuple of (str, int)
        The method and season length the cut-off history supported, before fallbacks.
    used : str
        The method really fitted (after fallbacks), a key of ``SPECS``.
    season : int
        Season length of the fitted model.
    model : object or None
        The fitted statsforecast model when ``used`` is in :data:`FORWARDED`, else None (the
        method is run again on each later history).
    """

    method: str
    resolved: tuple[str, int]
    used: str
    season: int
    model: object | None

    @property
    def label(self) -> str:
        """The method's name as :func:`~sop_xl.forecast.methods.run_method` reports it."""
        return SPECS[self.used].label or self.used

    def advance(
        self, y: np.ndarray, horizon: int, *, season_length: int = 12
    ) -> tuple[FittedMethod, np.ndarray]:
        """Forecast ``horizon`` periods after ``y``, the cut-off history extended by later
        periods: the model forwarded, or fitted again on ``y`` where its structure no longer
        applies (see the module notes). Returns the model used (``self`` or the new fit) and
        the forecast, clipped at 0 [units].

        ``season_length`` is the one the method was fitted with.
        """
        if self.model is not None and _resolve(self.method, y, season_length) == self.resolved:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    mean = np.asarray(self.model.forward(y=y, h=horizon)["mean"], dtype=float)
            except Exception:  # noqa: BLE001 - as run_method: statsforecast raises many kinds
                mean = np.full(horizon, np.nan)
            if np.isfinite(mean).all():
                return self, np.maximum(mean, 0.0)
        return fit_method(self.method, y, horizon, season_length=season_length)


def fit_method(
    method: str, y: np.ndarray, horizon: int, *, season_length: int = 12
) -> tuple[FittedMethod, np.ndarray]:
    """Fit one named method (not ``auto``) with :func:`~sop_xl.forecast.methods.run_method`'s
    fallbacks; return the fitted method and its forecast of ``horizon`` periods.

    The forecast equals ``run_method(method, y, horizon).mean``.

    >>> fitted, mean = fit_method("holt", np.arange(1.0, 13.0), 2)
    >>> mean.round(3).tolist(), fitted.used
    ([13.0, 14.0], 'holt')
    >>> fitted.advance(np.arange(1.0, 15.0), 2)[1].round(3).tolist()  # forwarded two periods
    [15.0, 16.0]
    """
    resolved = _resolve(method, y, season_length)
    name, m = resolved
    while True:
        try:
            model = SPECS[name].build(m)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if name in FORWARDED:
                    model = model.fit(y=y)
                    out = model.predict(h=horizon)
                else:
                    out = model.forecast(y=y, h=horizon)
            mean = np.asarray(out["mean"], dtype=float)
            if not np.isfinite(mean).all():
                raise FloatingPointError(f"{name} gave non-finite forecasts")
            break
        except Exception:  # noqa: BLE001 - statsforecast raises many kinds on tiny data
            if name == "naive":
                raise
            name, m = _FALLBACK.get(name, "naive"), 1
    kept = model if name in FORWARDED else None
    return FittedMethod(method, resolved, name, m, kept), np.maximum(mean, 0.0)


@dataclass(frozen=True)
class FittedAuto:
    """``auto`` fitted at a cut-off: its family and, for the combination, each member.

    Attributes
    ----------
    family : str
        ``zero``, ``naive``, ``intermittent`` or ``combo`` (:func:`~sop_xl.forecast.auto.choose`).
    adjusted : bool
        The Theta members ran on a seasonally adjusted history (combination only).
    members : tuple of FittedMethod
        The members of :data:`~sop_xl.forecast.auto.COMBINATION`, in order (combination only).
    season_length : int
    label : str
        The method as :func:`~sop_xl.forecast.auto.auto_forecast` reports it, e.g.
        ``combo(ets_damped,dotm,theta,ces,snaive)`` or ``sba``.
    """

    family: str
    adjusted: bool
    members: tuple[FittedMethod, ...]
    season_length: int
    label: str = "combo"

    def advance(self, y: np.ndarray, horizon: int) -> tuple[FittedAuto, np.ndarray]:
        """``auto``'s forecast after ``y``, the members forwarded (see the module notes);
        returns the fitted ``auto`` used (members fitted again where needed) and the forecast."""
        m = self.season_length
        if self.family != "combo" or choose(y) != "combo":  # nothing estimated, or refit
            return fit_auto(y, horizon, season_length=m)
        clean = winsorise_one_offs(y, m)
        season = adjust_short_season(clean, m)
        if (season is not None) != self.adjusted:  # the structure changed: fit again
            return fit_auto(y, horizon, season_length=m)
        members, parts = [], []
        for member, fitted in zip(COMBINATION, self.members, strict=True):
            if season is not None and member in ADJUSTED_MEMBERS:
                fitted, mean = fitted.advance(season.adjusted, horizon, season_length=1)
                mean = _restore(season, mean)
            else:
                fitted, mean = fitted.advance(clean, horizon, season_length=m)
            members.append(fitted)
            parts.append(mean)
        return _fitted_auto(self.family, self.adjusted, members, m), trimmed_mean(parts)


def fit_auto(
    y: np.ndarray, horizon: int, *, season_length: int = 12
) -> tuple[FittedAuto, np.ndarray]:
    """Fit ``auto`` on a clean history; return it and its forecast, which equals
    ``auto_forecast(y, horizon).mean``.

    >>> t = np.arange(48.0)
    >>> y = 100 + 10 * np.sin(2 * np.pi * t / 12) + t
    >>> fitted, mean = fit_auto(y[:36], 3)
    >>> bool(np.allclose(fitted.advance(y[:36], 3)[1], mean))
    True
    """
    m = season_length
    family = choose(y)
    if family != "combo":
        point = auto_forecast(y, horizon, season_length=m)
        return FittedAuto(family, False, (), m, point.method), point.mean
    y = winsorise_one_offs(y, m)
    season = adjust_short_season(y, m)
    members, parts = [], []
    for member in COMBINATION:
        if season is not None and member in ADJUSTED_MEMBERS:
            fitted, mean = fit_method(member, season.adjusted, horizon, season_length=1)
            mean = _restore(season, mean)
        else:
            fitted, mean = fit_method(member, y, horizon, season_length=m)
        members.append(fitted)
        parts.append(mean)
    return _fitted_auto(family, season is not None, members, m), trimmed_mean(parts)


def _fitted_auto(
    family: str, adjusted: bool, members: list[FittedMethod], season_length: int
) -> FittedAuto:
    """A fitted combination, labelled as ``auto``'s ``_combine`` labels it."""
    used: list[str] = []
    for member in members:
        if member.label not in used:
            used.append(member.label)
    label = used[0] if len(used) == 1 else f"combo({','.join(used)})"
    return FittedAuto(family, adjusted, tuple(members), season_length, label)


def fit(
    y: np.ndarray, horizon: int, *, method: str = "auto", season_length: int = 12
) -> tuple[FittedAuto | FittedMethod, np.ndarray]:
    """Fit ``method`` (``auto`` or a single method) on a clean history: the fitted method and
    its forecast of ``horizon`` periods [units]."""
    if method == "auto":
        return fit_auto(y, horizon, season_length=season_length)
    return fit_method(method, y, horizon, season_length=season_length)


def forward(
    fitted: FittedAuto | FittedMethod, y: np.ndarray, horizon: int, *, season_length: int = 12
) -> tuple[FittedAuto | FittedMethod, np.ndarray]:
    """The forecast of ``horizon`` periods after ``y`` by a method fitted on a shorter cut of
    ``y`` [units], and the fitted method used (a new fit where the structure changed; see the
    module notes)."""
    if isinstance(fitted, FittedAuto):
        return fitted.advance(y, horizon)
    return fitted.advance(y, horizon, season_length=season_length)


def forward_errors(
    y: np.ndarray,
    horizon: int,
    *,
    method: str = "auto",
    season_length: int = 12,
    count: int = ORIGINS,
    anchor: tuple[int, FittedAuto | FittedMethod] | None = None,
) -> np.ndarray:
    """Rolling-origin errors ``actual - forecast``, ``(origins, horizon)``, fitting rarely.

    The origins are those of :func:`~sop_xl.forecast.intervals.origins` (NaN beyond the
    history, as :func:`~sop_xl.forecast.intervals.rolling_errors`). The method is fitted at the
    earliest origin and forwarded to each later one (fitted again where the structure changes,
    which then serves the later origins); ``anchor`` = ``(t, fitted)``, the method already
    fitted on ``y[:t]`` (the cycle's holdout fit), serves the origins from ``t`` on. So the
    forecast from an origin uses nothing after it: parameters estimated on the history before
    an earlier (or the same) origin, states filtered up to the origin.

    >>> forward_errors(np.arange(10.0), 3, method="naive", count=3).tolist()
    [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, nan, nan]]
    """
    cuts = origins(y.size, horizon, count=count)
    errors = np.full((cuts.size, horizon), np.nan)
    fitted = None
    for row, j in enumerate(cuts):
        steps = min(j, horizon)
        start = y.size - j
        if anchor is not None and start >= anchor[0]:
            fitted, anchor = anchor[1], None
        if fitted is None:
            fitted, mean = fit(y[:start], steps, method=method, season_length=season_length)
        else:
            fitted, mean = forward(fitted, y[:start], steps, season_length=season_length)
        errors[row, :steps] = y[start : start + steps] - mean
    return errors
