"""The statistical forecast of a whole plan: which method forecasts which item, and how well.

:func:`plan_forecasts` takes a :class:`ForecastJob` (the items' history grid and the cycle's
forecast settings) and applies these rules; it is pure numpy/pandas on top of the batch
forecaster (:func:`sop_xl.forecast.batch.forecast_frame`), with no workbook in sight.

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
  ``holdout`` + 6 periods. Both runs go to the batch forecaster in one call (the holdout series
  are re-dated to end with the others, which leaves their values unchanged).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_xl.forecast.batch import forecast_frame, process_pool
from sop_xl.forecast.metrics import accuracy_by_item

MIN_STAT_HISTORY = 6  # periods: a shorter history gets the family profile
MIN_HOLDOUT_FIT = 6  # periods left to fit on once the holdout is set aside
PROFILE_PERIODS = 3  # last periods whose mean level a family profile carries forward
CHALLENGER = "hw_add"
CHALLENGER_MARGIN = 0.8  # the challenger wins below this share of auto's holdout error
HOLDOUT_TAG = "\x1fholdout"  # no NUL: pandas hashes strings up to a NUL


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
    """

    grid: pd.DataFrame
    families: pd.Series
    horizon: int
    offset: int = 0
    method: str = "auto"
    season: int = 12
    holdout: int = 6
    freq: str = "MS"


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
    """

    forecasts: pd.DataFrame
    methods: pd.Series
    holdout: pd.DataFrame
    wape: pd.Series


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


class _Progress:
    """Adds up the series done over several batches for one ``progress(done, total)``."""

    def __init__(self, progress: Callable[[int, int], None] | None, total: int) -> None:
        self.progress, self.total, self.before, self.last = progress, max(total, 1), 0, 0

    def __call__(self, done: int, total: int) -> None:
        self.last = done
        if self.progress is not None:
            self.progress(min(self.before + done, self.total), self.total)
        if done >= total:
            self.before, self.last = self.before + total, 0

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


@contextlib.contextmanager
def _pool(n_jobs: int | None, executor: Executor | None = None) -> Iterator[dict]:
    """forecast_frame options sharing one process pool (or the given executor) over the job's
    batches."""
    if executor is not None:
        yield {"executor": executor}
        return
    workers = n_jobs or os.cpu_count() or 1
    if workers == 1:
        yield {"n_jobs": 1}
        return
    with process_pool(workers) as executor:  # workers die with this process
        yield {"executor": executor, "n_jobs": workers}


@dataclass(frozen=True, eq=False)
class HoldoutBatch:
    """What every batch of one job shares: the histories, the holdout and how to run.

    Attributes
    ----------
    values : ndarray
        The job's grid as floats, item x period.
    rows : dict
        Row of each item in ``values``.
    length : Series
        Periods of history per item (from its first actual).
    periods : DatetimeIndex
        The grid's periods.
    holdout : int
        Periods kept aside.
    steps : int
        Periods every batch forecasts (enough for the offset, the horizon and the holdout).
    season : int
    freq : str
    options : dict
        :func:`~sop_xl.forecast.batch.forecast_frame` options (the shared pool).
    progress : callable
        ``progress(done, total)`` of one batch.
    """

    values: np.ndarray
    rows: dict[str, int]
    length: pd.Series
    periods: pd.DatetimeIndex
    holdout: int
    steps: int
    season: int
    freq: str
    options: dict
    progress: Callable[[int, int], None]

    def run(
        self, method: str, full: list[str], held: list[str]
    ) -> dict[tuple[str, bool], tuple[str, np.ndarray]]:
        """Forecast the ``full`` histories and the ``held`` ones without their holdout, in one
        batch: {(item, is_holdout): (method used, forecast of ``steps`` periods)}.

        The holdout histories are re-dated to end with the others (the batch forecaster starts
        every forecast after the last period of the table); their values are unchanged.
        """
        names, blocks, dates = [], [], []
        for item in full:
            n = int(self.length[item])
            names.append(np.full(n, item, dtype=object))
            blocks.append(self.values[self.rows[item], -n:])
            dates.append(self.periods[-n:])
        for item in held:
            n = int(self.length[item]) - self.holdout
            names.append(np.full(n, item + HOLDOUT_TAG, dtype=object))
            blocks.append(self.values[self.rows[item], -(n + self.holdout) : -self.holdout])
            dates.append(self.periods[-n:])
        if not names:
            return {}
        long = pd.DataFrame(
            {
                "item": np.concatenate(names),
                "period": np.concatenate([np.asarray(d) for d in dates]),
                "qty": np.concatenate(blocks),
            }
        )
        steps = self.steps
        result = forecast_frame(
            long,
            steps,
            method=method,
            season_length=self.season,
            freq=self.freq,
            progress=self.progress,
            **self.options,
        )
        forecasts = result["forecast"].to_numpy().reshape(-1, steps)
        items = result["item"].to_numpy()[::steps]
        used = result["method"].to_numpy()[::steps]
        out = {}
        for name, row, how in zip(items, forecasts, used, strict=True):
            if name.endswith(HOLDOUT_TAG):
                out[(name[: -len(HOLDOUT_TAG)], True)] = (str(how), row)
            else:
                out[(name, False)] = (str(how), row)
        return out


def plan_forecasts(
    job: ForecastJob,
    *,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    holdout_only: bool = False,
    executor: Executor | None = None,
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

    Returns
    -------
    ForecastPlan
    """
    grid, season, holdout = job.grid, job.season, job.holdout
    ahead = job.offset + job.horizon
    length = grid.notna().sum(axis=1)
    stat_min = max(season, MIN_STAT_HISTORY)
    stat_items = length.index[length >= stat_min]
    holdout_items = length.index[(length >= holdout + MIN_HOLDOUT_FIT) & (holdout > 0)]
    holdout_items = holdout_items.intersection(stat_items)
    plan = not holdout_only
    # by length: which items may meet the seasonal challenger (auto and 2 seasons of fit)
    may_challenge = [
        i
        for i in holdout_items
        if job.method == "auto" and season > 1 and length[i] - holdout >= 2 * season
    ]
    first_full = [i for i in stat_items if i not in set(may_challenge)] if plan else []
    total = len(holdout_items) + len(first_full) + 2 * len(may_challenge) * (1 if plan else 0)
    total += 0 if plan else len(may_challenge)
    counter = _Progress(progress, total)
    forecasts = pd.DataFrame(index=grid.index, columns=range(job.horizon), dtype=float)
    methods = pd.Series("no history", index=grid.index, dtype=object)
    hold_fc = pd.DataFrame(index=holdout_items, columns=range(holdout), dtype=float)

    def keep(out: dict, holdout_methods: dict | None = None) -> None:
        for (item, is_holdout), (how, row) in out.items():
            if is_holdout:
                hold_fc.loc[item] = row[:holdout]
                if holdout_methods is not None:
                    holdout_methods[item] = how
            else:
                forecasts.loc[item] = row[job.offset : ahead]
                methods[item] = _short_label(how)

    with _pool(n_jobs, executor) as options:
        batch = HoldoutBatch(
            values=grid.to_numpy(dtype=float),
            rows={item: i for i, item in enumerate(grid.index)},
            length=length,
            periods=grid.columns,
            holdout=holdout,
            steps=max(ahead, holdout),
            season=season,
            freq=job.freq,
            options=options,
            progress=counter,
        )
        # 1. the method on every holdout, and on the full histories no challenger can take
        used: dict[str, str] = {}
        keep(batch.run(job.method, first_full, list(holdout_items)), used)
        # 2. auto checked on the holdout against Holt-Winters (see the module docstring)
        seasonal = [i for i in may_challenge if used.get(i, "").startswith("combo")]
        winners: list[str] = []
        if seasonal:
            challenger = batch.run(CHALLENGER, [], seasonal)
            actual = grid.loc[seasonal].to_numpy()[:, -holdout:]
            for k, item in enumerate(seasonal):
                mine = np.abs(hold_fc.loc[item].to_numpy(float) - actual[k]).sum()
                theirs = np.abs(challenger[(item, True)][1][:holdout] - actual[k]).sum()
                if theirs < CHALLENGER_MARGIN * mine:
                    hold_fc.loc[item] = challenger[(item, True)][1][:holdout]
                    winners.append(item)
        # 3. the full histories of the challenged items, each by the method it kept
        if plan and may_challenge:
            keep(batch.run(job.method, [i for i in may_challenge if i not in set(winners)], []))
            keep(batch.run(CHALLENGER, winners, []))
    counter.finish()

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
    return ForecastPlan(forecasts=forecasts, methods=methods, holdout=hold_long, wape=wape)


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
