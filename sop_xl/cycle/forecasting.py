"""Step 1, forecast: the statistical forecast of every item, its accuracy and its segments.

For every item of tblItems (active, new and end-of-life alike: the demand plan needs the
run-out of an eol item too):

- **Method**: the Settings ForecastMethod (``auto`` picks per item, see
  :mod:`sop_xl.forecast.auto`) on the item's history, from its first actual to the last
  period before the cycle (a period without a row is zero demand). ``combo`` is ``auto``'s
  equal-weight mean of damped ETS, DOTM, Theta and CES.
- **auto, checked on the holdout**: with ``auto``, an item that ``auto`` forecasts with its
  combination (not intermittent) and that has two full seasons before its holdout is also
  forecast by Holt-Winters with an additive season (``hw_add``); where that is more than
  20% more accurate on the holdout (sum of absolute errors), ``hw_add`` forecasts the item.
  Why: on two or three years of history the ETS and CES members often drop a season their
  AICc cannot afford (``auto`` adjusts only its Theta members for a season on short
  histories, which measured best on real data, see :mod:`sop_xl.forecast.seasonality`), so
  the combination can understate a strong, regular season that Holt-Winters keeps. On the
  demo company this check lowers the forecast WAPE from 24% to 16% (measured with the Theta
  members adjusted).
- **Short histories** (fewer than max(SeasonLength, 6) periods: new products): a history that
  short cannot show a season, so the item gets its **family profile**: the level of its last
  three periods (seasonally adjusted) carried forward through the seasonal indices of its
  family (calendar-period mean over the family's complete seasons / overall mean). An item
  without any actual gets 0 (its launch volume comes in as a ``new product`` adjustment).
- **HoldoutWAPE**: the same method run on the history without its last HoldoutPeriods
  periods, scored against them (sum|F - A| / sum|A|); blank when the item has fewer than
  HoldoutPeriods + 6 periods. Both runs go to the batch forecaster in one call (the holdout
  series are re-dated to end with the others, which leaves their values unchanged).
- **Pattern**: Syntetos-Boylan class of the history; ``no history`` without actuals.
- **ABC** on value: actual revenue (qty x UnitPrice) of the last 12 months (one season);
  **XYZ**: coefficient of variation of the item's history.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, wide_table
from sop_xl.forecast.batch import forecast_frame, process_pool
from sop_xl.forecast.metrics import accuracy_by_item
from sop_xl.forecast.segmentation import abc, demand_patterns, xyz
from sop_xl.workbook import schema

MIN_STAT_HISTORY = 6
MIN_HOLDOUT_FIT = 6
PROFILE_PERIODS = 3
CHALLENGER = "hw_add"
CHALLENGER_MARGIN = 0.8
HOLDOUT_TAG = "\x1fholdout"  # no NUL: pandas hashes strings up to a NUL


@dataclass(frozen=True)
class ForecastResult:
    """What the forecast step returns.

    Attributes
    ----------
    table : DataFrame
        tblForecast: Item, Family, Method, Pattern, ABC, XYZ, HoldoutWAPE, one column per plan
        period.
    holdout : DataFrame
        Long ``item, period, actual, forecast, naive`` over the holdout periods (``naive`` =
        the last actual before the holdout), for the accuracy KPIs.
    """

    table: pd.DataFrame
    holdout: pd.DataFrame


def history_grid(inputs: CycleInputs) -> pd.DataFrame:
    """Actuals as a grid item x period, up to the last actual before the cycle start: NaN
    before an item's first actual, 0 for a missing period after it; items of tblItems
    without actuals are all NaN."""
    items = inputs.items.index
    actuals = inputs.actuals
    if actuals.empty:
        end = inputs.history_periods(1)[0]
        return pd.DataFrame(index=items, columns=pd.DatetimeIndex([end]), dtype=float)
    grid_periods = pd.date_range(actuals["period"].min(), actuals["period"].max(), freq=inputs.freq)
    grid = actuals.pivot_table(index="item", columns="period", values="qty", aggfunc="sum")
    grid = grid.reindex(index=items, columns=grid_periods)
    started = grid.notna().cumsum(axis=1) > 0
    return grid.where(~started, grid.fillna(0.0))


def _family_indices(grid: pd.DataFrame, families: pd.Series, season: int) -> pd.DataFrame:
    """Seasonal index per family and season position (period index mod ``season``)."""
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
def _pool(n_jobs: int | None) -> Iterator[dict]:
    """forecast_frame options sharing one process pool over the step's batches."""
    workers = n_jobs or os.cpu_count() or 1
    if workers == 1:
        yield {"n_jobs": 1}
        return
    with process_pool(workers) as executor:  # workers die with this process
        yield {"executor": executor, "n_jobs": workers}


def _batch(
    values: np.ndarray,
    row_of: dict[str, int],
    length: pd.Series,
    periods: pd.DatetimeIndex,
    full: list[str],
    holdout_items: list[str],
    holdout: int,
    steps: int,
    method: str,
    season: int,
    freq: str,
    options: dict,
    progress: Callable[[int, int], None] | None,
) -> dict[tuple[str, bool], tuple[str, np.ndarray]]:
    """Forecast full and holdout histories in one batch: {(item, is_holdout): (method, F)}.

    The holdout histories are re-dated to end with the others (the batch forecaster starts
    every forecast after the last period of the table); their values are unchanged.
    """
    names, blocks, dates = [], [], []
    for item in full:
        n = int(length[item])
        names.append(np.full(n, item, dtype=object))
        blocks.append(values[row_of[item], -n:])
        dates.append(periods[-n:])
    for item in holdout_items:
        n = int(length[item]) - holdout
        names.append(np.full(n, item + HOLDOUT_TAG, dtype=object))
        blocks.append(values[row_of[item], -(n + holdout) : -holdout])
        dates.append(periods[-n:])
    if not names:
        return {}
    long = pd.DataFrame(
        {
            "item": np.concatenate(names),
            "period": np.concatenate([np.asarray(d) for d in dates]),
            "qty": np.concatenate(blocks),
        }
    )
    result = forecast_frame(long, steps, method=method, season_length=season, freq=freq,
                            progress=progress, **options)  # fmt: skip
    forecasts = result["forecast"].to_numpy().reshape(-1, steps)
    out = {}
    for name, row, how in zip(result["item"].to_numpy()[::steps], forecasts,
                              result["method"].to_numpy()[::steps], strict=True):  # fmt: skip
        if name.endswith(HOLDOUT_TAG):
            out[(name[: -len(HOLDOUT_TAG)], True)] = (str(how), row)
        else:
            out[(name, False)] = (str(how), row)
    return out


def forecast_step(
    inputs: CycleInputs,
    *,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    plan: bool = True,
) -> ForecastResult:
    """Statistical forecast, holdout accuracy and segments of every item.

    Parameters
    ----------
    inputs : CycleInputs
    n_jobs : int or None, keyword-only
        Worker processes for the batch forecaster (None = all cores).
    progress : callable or None, keyword-only
        ``progress(done, total)`` in series forecast (twice the items with a holdout).
    plan : bool, keyword-only
        False = only the holdout (for the KPIs when the forecast step does not run): the
        table's forecasts are then 0.

    Returns
    -------
    ForecastResult
    """
    s = inputs.settings
    items = inputs.items
    season = int(s["SeasonLength"]) if int(s["SeasonLength"]) > 1 else 1
    holdout = int(s["HoldoutPeriods"])
    horizon = len(inputs.periods)
    grid = history_grid(inputs)
    # periods between the last actual and the cycle start (0 when the cycle starts right after)
    offset = len(pd.date_range(grid.columns[-1], inputs.periods[0], freq=inputs.freq)) - 2
    ahead = offset + horizon
    length = grid.notna().sum(axis=1)
    stat_min = max(season, MIN_STAT_HISTORY)
    stat_items = length.index[length >= stat_min]
    holdout_items = length.index[(length >= holdout + MIN_HOLDOUT_FIT) & (holdout > 0)]
    holdout_items = holdout_items.intersection(stat_items)

    periods = grid.columns
    values = grid.to_numpy(dtype=float)
    row_of = {item: i for i, item in enumerate(grid.index)}
    method = str(s["ForecastMethod"])
    steps = max(ahead, holdout)
    # by length: which items may meet the seasonal challenger (auto and 2 seasons of fit)
    may_challenge = [
        i
        for i in holdout_items
        if method == "auto" and season > 1 and length[i] - holdout >= 2 * season
    ]
    first_full = [i for i in stat_items if i not in set(may_challenge)] if plan else []
    total = len(holdout_items) + len(first_full) + 2 * len(may_challenge) * (1 if plan else 0)
    total += 0 if plan else len(may_challenge)
    counter = _Progress(progress, total)
    forecasts = pd.DataFrame(index=items.index, columns=range(horizon), dtype=float)
    methods = pd.Series("no history", index=items.index, dtype=object)
    hold_fc = pd.DataFrame(index=holdout_items, columns=range(holdout), dtype=float)

    def keep(out: dict, holdout_methods: dict | None = None) -> None:
        for (item, is_holdout), (how, row) in out.items():
            if is_holdout:
                hold_fc.loc[item] = row[:holdout]
                if holdout_methods is not None:
                    holdout_methods[item] = how
            else:
                forecasts.loc[item] = row[offset:ahead]
                methods[item] = _short_label(how)

    with _pool(n_jobs) as options:
        # 1. the method on every holdout, and on the full histories no challenger can take
        used: dict[str, str] = {}
        keep(_batch(values, row_of, length, periods, first_full, list(holdout_items), holdout,
                    steps, method, season, inputs.freq, options, counter), used)  # fmt: skip
        # 2. auto checked on the holdout against Holt-Winters (see the module docstring)
        seasonal = [i for i in may_challenge if used.get(i, "").startswith("combo")]
        winners: list[str] = []
        if seasonal:
            challenger = _batch(values, row_of, length, periods, [], seasonal, holdout, steps,
                                CHALLENGER, season, inputs.freq, options, counter)  # fmt: skip
            actual = grid.loc[seasonal].to_numpy()[:, -holdout:]
            for k, item in enumerate(seasonal):
                mine = np.abs(hold_fc.loc[item].to_numpy(float) - actual[k]).sum()
                theirs = np.abs(challenger[(item, True)][1][:holdout] - actual[k]).sum()
                if theirs < CHALLENGER_MARGIN * mine:
                    hold_fc.loc[item] = challenger[(item, True)][1][:holdout]
                    winners.append(item)
        # 3. the full histories of the challenged items, each by the method it kept
        if plan and may_challenge:
            rest = [i for i in may_challenge if i not in set(winners)]
            keep(_batch(values, row_of, length, periods, rest, [], holdout, steps, method,
                        season, inputs.freq, options, counter))  # fmt: skip
            keep(_batch(values, row_of, length, periods, winners, [], holdout, steps,
                        CHALLENGER, season, inputs.freq, options, counter))  # fmt: skip
    counter.finish()

    # short histories: the family profile
    short = length.index[(length > 0) & (length < stat_min)]
    if len(short):
        indices = _family_indices(grid, items["Family"], season)
        end_position = (grid.shape[1] - 1) % season
        for item in short:
            history = grid.loc[item].dropna().to_numpy()
            index = indices.loc[items.at[item, "Family"]].to_numpy()
            profile = profile_forecast(history, end_position, index, ahead)
            forecasts.loc[item] = profile[offset:]
            methods[item] = "family profile"
    forecasts = forecasts.fillna(0.0)

    # holdout accuracy
    hold_periods = list(periods[-holdout:]) if holdout else []
    hold_long = pd.DataFrame(columns=["item", "period", "actual", "forecast", "naive"])
    wape = pd.Series(np.nan, index=items.index)
    if len(holdout_items):
        actual = grid.loc[holdout_items, hold_periods].to_numpy()
        naive = grid.loc[holdout_items].to_numpy()[:, -holdout - 1]
        hold_long = pd.DataFrame(
            {
                "item": np.repeat(holdout_items.to_numpy(), holdout),
                "period": np.tile(np.asarray(hold_periods), len(holdout_items)),
                "actual": actual.reshape(-1),
                "forecast": hold_fc.to_numpy(dtype=float).reshape(-1),
                "naive": np.repeat(naive, holdout),
            }
        )
        wape = accuracy_by_item(hold_long, metrics=["wape"])["wape"].reindex(items.index)

    # segments
    complete = grid.stack().rename("qty").reset_index()
    complete.columns = ["item", "period", "qty"]
    pattern = pd.Series("no history", index=items.index, dtype=object)
    if not complete.empty:
        pattern.update(demand_patterns(complete)["pattern"])
    recent = grid.iloc[:, -12:].fillna(0.0).sum(axis=1)
    value = recent * items["UnitPrice"].fillna(0.0)
    abc_class = abc(value, a_share=float(s["ABC_A"]), b_share=float(s["ABC_B"]))
    if grid.shape[1] >= 2:
        xyz_class = xyz(grid, x_cv=float(s["XYZ_X"]), y_cv=float(s["XYZ_Y"]))
    else:
        xyz_class = pd.Series("Z", index=items.index)

    fixed = pd.DataFrame(
        {
            "Item": items.index,
            "Family": items["Family"].to_numpy(),
            "Method": methods.to_numpy(),
            "Pattern": pattern.to_numpy(),
            "ABC": np.asarray(abc_class),
            "XYZ": np.asarray(xyz_class),
            "HoldoutWAPE": wape.round(4).to_numpy(),
        }
    )
    grid_out = pd.DataFrame(forecasts.to_numpy(dtype=float), columns=inputs.labels)
    table = wide_table(fixed, grid_out)
    assert list(table.columns[:7]) == schema.table("tblForecast").headers
    return ForecastResult(table=table, holdout=hold_long)
