"""The statistical forecast of a whole plan: which method forecasts which item, and how well.

:func:`plan_forecasts` takes a :class:`ForecastJob` (the items' history grid and the cycle's
forecast settings) and applies these rules; it is pure numpy/pandas on top of the forecaster
(:func:`sop_xl.forecast.forecast`) and the batch's task map
(:func:`sop_xl.forecast.batch.map_tasks`), with no workbook in sight.

- **Method**: the job's ``method`` (``auto`` picks per item, see :mod:`sop_xl.forecast.auto`)
  on the item's history, from its first actual to the last period of the grid (a period
  without an actual after the first is zero demand). ``combo`` is ``auto``'s equal-weight mean
  of damped ETS, DOTM, Theta and CES.
- **auto, checked on the holdout**: with ``auto``, an item that ``auto`` forecasts with its
  combination (not intermittent) and that has two full seasons before its holdout is also
  forecast by Holt-Winters with an additive season (``hw_add``, :data:`CHALLENGER`); where that
  is more than 20% more accurate on the holdout (sum of absolute errors,
  :data:`CHALLENGER_MARGIN`), ``hw_add`` forecasts the item. Why: on two or three years of
  history the ETS and CES members often drop a season their AICc cannot afford (``auto``
  adjusts only its Theta members for a season on short histories, which measured best on real
  data, see :mod:`sop_xl.forecast.seasonality`), so the combination can understate a strong,
  regular season that Holt-Winters keeps. On the demo company this check lowers the forecast
  WAPE from 24% to 16% (measured with the Theta members adjusted).
- **Short histories** (fewer than max(season, 6) periods: new products): a history that short
  cannot show a season, so the item gets its **family profile** (:func:`profile_forecast`): the
  level of its last three periods (seasonally adjusted) carried forward through the seasonal
  indices of its family (calendar-period mean over the family's complete seasons / overall
  mean). An item without any actual gets 0 (its launch volume comes in as a ``new product``
  adjustment).
- **Holdout accuracy**: the same method run on the history without its last ``holdout``
  periods, scored against them (WAPE = sum|F - A| / sum|A|); none when the item has fewer than
  ``holdout`` + 6 periods. One task does all of an item's runs (holdout, challenger, whole
  history, errors), so that no stage waits for the slowest item of the one before
  (:func:`forecast_items`); the tasks go to worker processes or a Dask cluster.
- **Rolling-origin errors** (``error_steps``, the cycle's safety stock): for each item with a
  statistical forecast, the errors of the job's method from the origins of
  :func:`sop_xl.forecast.intervals.origins` (six, over the last two years) up to its
  ``error_steps`` ahead. Not refitted at each origin: the method is fitted once at the earliest
  origin and forwarded to the later ones, and the holdout fit serves the origins from the
  holdout's cut-off on (:func:`sop_xl.forecast.forward.forward_errors`); so an item costs
  about one fit more, and no error uses data after its origin. The challenger's errors are not
  used even where it won: it was chosen on the last periods, which the earlier origins must
  not see. On 300 M3 training histories (cut 18 months short, never the test periods) the
  intervals and safety stocks from these errors covered as the refitted ones did
  (``benchmarks/forward_fit.py calibrate``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sop_xl.forecast import forecast
from sop_xl.forecast.batch import group_slices
from sop_xl.forecast.cache import map_cached
from sop_xl.forecast.forward import fit, forward, forward_errors
from sop_xl.forecast.history import MAX_HISTORY, clean_history
from sop_xl.forecast.intervals import origins
from sop_xl.forecast.metrics import accuracy_by_item

MIN_STAT_HISTORY = 6  # periods: a shorter history gets the family profile
MIN_HOLDOUT_FIT = 6  # periods left to fit on once the holdout is set aside
PROFILE_PERIODS = 3  # last periods whose mean level a family profile carries forward
CHALLENGER = "hw_add"
CHALLENGER_MARGIN = 0.8  # the challenger wins below this share of auto's holdout error
ERROR_COLUMNS = ["item", "origin", "step", "error"]


@dataclass(frozen=True)
class ForecastJob:
    """What to forecast and by which settings.

    Attributes
    ----------
    grid : DataFrame
        Actuals item x period [units/period], oldest first, on a regular period grid ending at
        the last actual: NaN before an item's first actual, 0 for a missing period after it;
        an item without actuals is all NaN.
    families : Series
        Product family of each item (index = the grid's items), for the family profile.
    horizon : int
        Plan periods to forecast.
    offset : int
        Periods between the grid's last period and the first plan period (0 = right after).
    method : str
        Forecast method for every item (``auto`` picks per item).
    season : int
        Periods per season (1 = none).
    holdout : int
        Last periods kept aside to measure accuracy (0 = none).
    freq : str
        Period grid: ``"MS"`` months or ``"W-MON"`` weeks.
    error_steps : Series or None
        Steps ahead [periods] of each item's rolling-origin errors (index = the grid's items;
        0 or absent = none), e.g. the lead time plus review period its safety stock covers.
    forward_plan : bool
        Forecast the whole history by forwarding the holdout fit (of the method kept) instead
        of fitting again: one fit per item less, but other forecasts (M3 monthly sMAPE 13.43
        against 13.39 refitted, ``benchmarks/forward_fit.py plan``), so not the cycle's
        default.
    """

    grid: pd.DataFrame
    families: pd.Series
    horizon: int
    offset: int = 0
    method: str = "auto"
    season: int = 12
    holdout: int = 6
    freq: str = "MS"
    error_steps: pd.Series | None = None
    forward_plan: bool = False


@dataclass(frozen=True)
class ForecastPlan:
    """What :func:`plan_forecasts` returns, every table indexed by the job's items.

    Attributes
    ----------
    forecasts : DataFrame
        Item x plan period (columns 0 .. horizon - 1) [units/period]; 0 without history.
    methods : Series
        Method that forecast each item: ``combo``, another method name, ``family profile`` or
        ``no history``.
    holdout : DataFrame
        Long ``item, period, actual, forecast, naive`` over the holdout periods (``naive`` =
        the last actual before the holdout).
    wape : Series
        Holdout WAPE of each item [-]; NaN where the history is too short for a holdout.
    errors : DataFrame
        Long ``item, origin, step, error``: each item's rolling-origin errors (actual -
        forecast [units]) from ``origin`` periods before the end, ``step`` periods ahead, for
        the items with ``error_steps``, a statistical forecast and two origins.
    """

    forecasts: pd.DataFrame
    methods: pd.Series
    holdout: pd.DataFrame
    wape: pd.Series
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ERROR_COLUMNS))


def family_indices(grid: pd.DataFrame, families: pd.Series, season: int) -> pd.DataFrame:
    """Seasonal index per family (rows) and season position (columns: period index mod season).

    A family's index is the mean of its items' total per season position over its complete
    seasons (at least two), over the overall mean, floored at 0.05; 1 without two seasons.
    Only items with the whole history count, where the family has any.
    """
    position = np.arange(grid.shape[1]) % max(season, 1)
    out = {}
    for family, members in families.groupby(families):
        block = grid.loc[members.index]
        full = block.notna().all(axis=1)  # items with the whole history
        block = block[full] if full.any() else block
        total = block.sum(axis=0, min_count=1)
        complete = (len(total.dropna()) // season) * season if season > 1 else 0
        index = np.ones(max(season, 1))
        if complete >= 2 * season:
            tail = total.dropna().to_numpy()[-complete:]
            pos = position[-complete:]
            means = np.array([tail[pos == k].mean() for k in range(season)])
            if means.mean() > 0:
                index = np.clip(means / means.mean(), 0.05, None)
        out[family] = index
    return pd.DataFrame(out).T


def profile_forecast(
    history: np.ndarray, end_position: int, index: np.ndarray, horizon: int
) -> np.ndarray:
    """Family-profile forecast of a short history.

    Parameters
    ----------
    history : ndarray
        The item's actuals, oldest first [units/period].
    end_position : int
        Season position (period number mod season) of the last actual.
    index : ndarray
        The family's seasonal indices by season position [-], mean 1.
    horizon : int
        Periods to forecast.

    Notes
    -----
    level = mean(y_t / s_t) over the last three periods; F_(T+h) = level * s_(T+h).

    Examples
    --------
    Season positions 1, 0, 1 at indices 1.5, 0.5, 1.5 give a level of 40:

    >>> profile_forecast(np.array([60.0, 20.0, 60.0]), 1, np.array([0.5, 1.5]), 3).tolist()
    [20.0, 60.0, 20.0]
    """
    season = len(index)
    last = history[-PROFILE_PERIODS:]
    positions = (end_position - np.arange(len(last))[::-1]) % season
    level = float(np.mean(last / index[positions])) if len(last) else 0.0
    ahead = (end_position + 1 + np.arange(horizon)) % season
    return np.maximum(level * index[ahead], 0.0)


def _short_label(method: str) -> str:
    return "combo" if method.startswith("combo") else method


@dataclass(frozen=True)
class ItemGroup:
    """What one worker needs to forecast a group of items by the module's rules.

    Plain data, so that it pickles to a worker process or a Dask cluster. Every tuple field
    holds one value per item, or is empty (:mod:`sop_xl.forecast.cache` splits groups by
    them).

    Attributes
    ----------
    rows : tuple of int
        Each item's row in the job's grid (returned with its results).
    histories : tuple of ndarray
        Each item's history from its first actual to the grid's last period [units/period].
    measure : tuple of bool
        Forecast the history without its last ``holdout`` periods (holdout accuracy).
    challenge : tuple of bool
        Check ``auto`` on the holdout against :data:`CHALLENGER` (items with ``measure``).
    plan : tuple of bool
        Forecast the whole history, by the method kept after the check.
    method : str
    season : int
    holdout : int
    steps : int
        Periods every forecast covers (enough for the offset, the horizon and the holdout).
    margin : float
        :data:`CHALLENGER_MARGIN` (passed on, so that a worker uses the caller's value).
    error_steps : tuple of int
        Steps of each item's rolling-origin errors (0 = none).
    forward_plan : bool
        Forecast the whole history by forwarding the holdout fit.
    """

    rows: tuple[int, ...]
    histories: tuple[np.ndarray, ...]
    measure: tuple[bool, ...]
    challenge: tuple[bool, ...]
    plan: tuple[bool, ...]
    method: str
    season: int
    holdout: int
    steps: int
    margin: float
    error_steps: tuple[int, ...] = ()
    forward_plan: bool = False


@dataclass(frozen=True)
class ItemForecast:
    """One item's results from :func:`forecast_items` (forecasts over the group's steps)."""

    row: int
    holdout: np.ndarray | None  # the kept method's forecast of the history without its holdout
    plan: np.ndarray | None  # the forecast of the whole history
    method: str | None  # the method of ``plan``, as the forecaster reports it
    series: int  # series forecast, for the progress count
    errors: np.ndarray | None = None  # rolling-origin errors (origins x error steps)
    cuts: np.ndarray | None = None  # their origins, periods before the end


def forecast_items(group: ItemGroup) -> list[ItemForecast]:
    """Forecast a group of items: per item the holdout, the check against the challenger, the
    whole history by the method kept and its rolling-origin errors, all in one task (no wait
    between the stages).

    Each series is forecast on its own, as :func:`sop_xl.forecast.forecast` does, so the
    grouping changes no number. The holdout fit (of the method kept) is the anchor of the
    errors' later origins and, with ``forward_plan``, of the plan
    (:mod:`sop_xl.forecast.forward`); the errors' earlier origins are fitted once at the
    earliest and forwarded, so no error uses data after its origin.
    """
    out = []
    h, steps, season = group.holdout, group.steps, group.season
    error_steps = group.error_steps or (0,) * len(group.rows)
    flags = zip(group.measure, group.challenge, group.plan, error_steps, strict=True)
    for row, y, (measure, challenge, plan, ahead) in zip(
        group.rows, group.histories, flags, strict=True
    ):
        held, kept, series, own, anchor = None, group.method, 0, None, None
        if measure:
            cut = clean_history(y[:-h])
            fitted, held = fit(cut, steps, method=group.method, season_length=season)
            series = 1
            if y.size <= MAX_HISTORY:  # else the models see the last MAX_HISTORY: new starts
                own = anchor = (cut.size, fitted)
            if challenge:
                series += 1
                if fitted.label.startswith("combo"):  # auto chose its combination
                    rival_fit, rival = fit(cut, steps, method=CHALLENGER, season_length=season)
                    mine = np.abs(held[:h] - y[-h:]).sum()
                    theirs = np.abs(rival[:h] - y[-h:]).sum()
                    if theirs < group.margin * mine:
                        held, kept = rival, CHALLENGER
                        anchor = (cut.size, rival_fit) if own is not None else None
        mean = how = None
        if plan and group.forward_plan and anchor is not None:
            fitted, mean = forward(anchor[1], y, steps, season_length=season)
            how, series = fitted.label, series + 1
        elif plan:
            fc = forecast(y, steps, method=kept, season_length=season)
            mean, how, series = fc.mean, fc.method, series + 1
        errors = cuts = None
        if ahead > 0:
            clean = clean_history(y)
            cuts = origins(clean.size, ahead)
            if cuts.size >= 2:
                # the job's method (not the challenger, chosen on the last periods: its
                # errors from earlier origins would have seen them)
                errors = forward_errors(
                    clean, ahead, method=group.method, season_length=season, anchor=own
                )
                series += 1
            else:
                cuts = None
        out.append(ItemForecast(row, held, mean, how, series, errors, cuts))
    return out


def _item_groups(
    job: ForecastJob, length: pd.Series, flags: dict[str, np.ndarray], workers: int
) -> list[ItemGroup]:
    """The items with work to do, the costliest first (so the last tasks are short), in
    about sixteen groups per worker."""
    series = flags["measure"].astype(int) + flags["challenge"] + flags["plan"]
    series = series + (flags["errors"] > 0)
    todo = np.flatnonzero(series > 0)
    todo = todo[np.argsort(-series[todo], kind="stable")]
    values = job.grid.to_numpy(dtype=float)
    n = length.to_numpy()
    groups = []
    for part in group_slices(len(todo), workers, None, per_worker=16):
        rows = todo[part]
        groups.append(
            ItemGroup(
                rows=tuple(int(r) for r in rows),
                histories=tuple(np.array(values[r, -n[r] :]) for r in rows),  # contiguous copies
                measure=tuple(bool(flags["measure"][r]) for r in rows),
                challenge=tuple(bool(flags["challenge"][r]) for r in rows),
                plan=tuple(bool(flags["plan"][r]) for r in rows),
                method=job.method,
                season=job.season,
                holdout=job.holdout,
                steps=max(job.offset + job.horizon, job.holdout),
                margin=CHALLENGER_MARGIN,
                error_steps=tuple(int(flags["errors"][r]) for r in rows),
                forward_plan=job.forward_plan,
            )
        )
    return groups


def plan_forecasts(
    job: ForecastJob,
    *,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    holdout_only: bool = False,
    executor: Executor | None = None,
    store: Any | None = None,
) -> ForecastPlan:
    """Forecast every item of ``job`` by the rules of the module docstring.

    Parameters
    ----------
    job : ForecastJob
    n_jobs : int or None, keyword-only
        Worker processes for the batch forecaster (None = all cores).
    progress : callable or None, keyword-only
        ``progress(done, total)`` in series forecast (twice the items with a holdout).
    holdout_only : bool, keyword-only
        Only the holdout (for accuracy KPIs without a new forecast): the forecasts are then 0
        except for the family profiles.
    executor : concurrent.futures.Executor or None, keyword-only
        Where the batches run instead of a local pool, e.g. a Dask cluster's
        (:func:`sop_xl.forecast.cluster.cluster_executor`).
    store : diskcache.Cache or None, keyword-only
        Results of earlier runs (:mod:`sop_xl.forecast.cache`): an item whose task is stored
        is not forecast again. None = forecast every item.

    Returns
    -------
    ForecastPlan
    """
    grid, season, holdout = job.grid, job.season, job.holdout
    ahead = job.offset + job.horizon
    length = grid.notna().sum(axis=1)
    stat_min = max(season, MIN_STAT_HISTORY)
    stat = (length >= stat_min).to_numpy()
    measure = stat & (length >= holdout + MIN_HOLDOUT_FIT).to_numpy() & (holdout > 0)
    # by length: which items may meet the seasonal challenger (auto and 2 seasons of fit)
    challenge = measure & (job.method == "auto") & (season > 1)
    challenge &= (length - holdout >= 2 * season).to_numpy()
    flags = {"measure": measure, "challenge": challenge, "plan": stat & (not holdout_only)}
    # rolling-origin errors: items with a statistical forecast (not a family profile)
    error_steps = np.zeros(len(grid), dtype=int)
    if job.error_steps is not None:
        asked = job.error_steps.reindex(grid.index).fillna(0).to_numpy()
        error_steps = np.where(stat, np.ceil(asked), 0).astype(int)
    flags["errors"] = error_steps
    holdout_items = grid.index[measure]
    workers = n_jobs or os.cpu_count() or 1
    groups = _item_groups(job, length, flags, workers)
    total = int(measure.sum() + challenge.sum() + flags["plan"].sum() + (error_steps > 0).sum())
    total = max(total, 1)
    plan_fc = np.full((len(grid), job.horizon), np.nan)
    hold_fc = np.full((len(grid), holdout), np.nan)
    methods = pd.Series("no history", index=grid.index, dtype=object)
    used = methods.to_numpy().copy()
    errors = []
    done = 0
    parts = map_cached(forecast_items, groups, store=store, n_jobs=workers, executor=executor)
    for part in parts:
        for r in part:
            if r.errors is not None:
                errors.append(_long_errors(grid.index[r.row], r.cuts, r.errors))
            if r.holdout is not None:
                hold_fc[r.row] = r.holdout[:holdout]
            if r.plan is not None:
                plan_fc[r.row] = r.plan[job.offset : ahead]
                used[r.row] = _short_label(r.method)
            done += r.series
        if progress is not None:
            progress(min(done, total), total)
    if progress is not None:
        progress(total, total)
    forecasts = pd.DataFrame(plan_fc, index=grid.index, columns=range(job.horizon))
    methods = pd.Series(used, index=grid.index, dtype=object)
    hold_fc = pd.DataFrame(hold_fc[measure], index=holdout_items, columns=range(holdout))

    # short histories: the family profile
    short = length.index[(length > 0) & (length < stat_min)]
    if len(short):
        indices = family_indices(grid, job.families, season)
        end_position = (grid.shape[1] - 1) % season
        for item in short:
            history = grid.loc[item].dropna().to_numpy()
            index = indices.loc[job.families[item]].to_numpy()
            profile = profile_forecast(history, end_position, index, ahead)
            forecasts.loc[item] = profile[job.offset :]
            methods[item] = "family profile"
    forecasts = forecasts.fillna(0.0)
    hold_long, wape = _holdout_accuracy(grid, holdout_items, hold_fc, holdout)
    errors_long = pd.concat(errors, ignore_index=True) if errors else None
    if errors_long is None:
        errors_long = pd.DataFrame(columns=ERROR_COLUMNS)
    return ForecastPlan(
        forecasts=forecasts, methods=methods, holdout=hold_long, wape=wape, errors=errors_long
    )


def _long_errors(item: object, cuts: np.ndarray, errors: np.ndarray) -> pd.DataFrame:
    """One item's error matrix (origins x steps) as ``item, origin, step, error`` rows."""
    origins_, steps = errors.shape
    return pd.DataFrame(
        {
            "item": np.repeat(np.asarray([item], dtype=object), origins_ * steps),
            "origin": np.repeat(cuts, steps),
            "step": np.tile(np.arange(1, steps + 1), origins_),
            "error": errors.reshape(-1),
        }
    )


def error_matrices(errors: pd.DataFrame) -> dict[object, np.ndarray]:
    """Each item's rolling-origin errors as an ``(origins, steps)`` matrix, origins longest
    first (as :func:`sop_xl.forecast.intervals.rolling_errors`), from the long table of
    :attr:`ForecastPlan.errors`."""
    origin = errors["origin"].to_numpy(dtype=int)
    step = errors["step"].to_numpy(dtype=int)
    value = errors["error"].to_numpy(dtype=float)
    out = {}
    for item, rows in errors.groupby("item", sort=False).indices.items():
        cuts, row = np.unique(-origin[rows], return_inverse=True)  # longest first
        matrix = np.full((cuts.size, step[rows].max()), np.nan)
        matrix[row, step[rows] - 1] = value[rows]
        out[item] = matrix
    return out


def _holdout_accuracy(
    grid: pd.DataFrame, items: pd.Index, hold_fc: pd.DataFrame, holdout: int
) -> tuple[pd.DataFrame, pd.Series]:
    """The holdout pairs of ``items`` as a long frame, and each item's WAPE (NaN: none)."""
    hold_periods = list(grid.columns[-holdout:]) if holdout else []
    hold_long = pd.DataFrame(columns=["item", "period", "actual", "forecast", "naive"])
    wape = pd.Series(np.nan, index=grid.index)
    if len(items):
        actual = grid.loc[items, hold_periods].to_numpy()
        naive = grid.loc[items].to_numpy()[:, -holdout - 1]
        hold_long = pd.DataFrame(
            {
                "item": np.repeat(items.to_numpy(), holdout),
                "period": np.tile(np.asarray(hold_periods), len(items)),
                "actual": actual.reshape(-1),
                "forecast": hold_fc.to_numpy(dtype=float).reshape(-1),
                "naive": np.repeat(naive, holdout),
            }
        )
        wape = accuracy_by_item(hold_long, metrics=["wape"])["wape"].reindex(grid.index)
    return hold_long, wape
