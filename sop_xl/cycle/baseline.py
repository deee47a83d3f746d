"""What the forecast step learns from, and what it adds after: launches, past events, ends.

Three item facts of the workbook shape the statistical forecast beyond the history itself
(issue 15); the rules are in the core modules, this module reads them from the cycle's inputs:

- **Launches** (tblItems ``LikeItem``, ``LaunchPeriod``): an item's history starts at its
  LaunchPeriod, and a young item follows its like item's (or its family's) launch curve
  (:mod:`sop_xl.forecast.newitems`); its Method is then ``like item``, ``family launch`` or
  ``family profile``.
- **Past events** (adjustments of Type ``new product``, ``promotion``, ``event`` of periods
  before the cycle start: those roll forward moved to tblAdjustmentHistory, and any still in
  tblAdjustments): taken out of the history before the forecast (:mod:`sop_xl.forecast.events`).
  tblForecast's ``EventsRemoved`` says by how many units each item's history was cleaned.
- **Ends** (tblItems ``EndPeriod``): the forecast is 0 from that period on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_xl.cycle.inputs import CycleInputs
from sop_xl.forecast.events import clean_history, is_event
from sop_xl.forecast.newitems import Launches, end_forecast, new_item_forecasts, since_launch
from sop_xl.forecast.plan import MIN_STAT_HISTORY, ForecastJob, ForecastPlan


@dataclass(frozen=True)
class Baseline:
    """The history the forecast learns from.

    Attributes
    ----------
    grid : DataFrame
        Item x period: actuals from each item's launch, past events taken out [units/period].
    launches : Launches
    removed : Series
        Units of past events taken out of each item's history [units]; 0 where none.
    notes : list of str
        For the Log.
    """

    grid: pd.DataFrame
    launches: Launches
    removed: pd.Series
    notes: list[str]


def _columns(first: pd.Timestamp, stamps: pd.Series, freq: str) -> pd.Series:
    """Each timestamp as a column number counted from ``first`` on the ``freq`` grid (negative
    before it); NaN where NaT."""
    out = pd.Series(np.nan, index=stamps.index)
    for key, stamp in stamps.dropna().items():
        low, high = sorted((first, stamp))
        steps = len(pd.date_range(low, high, freq=freq)) - 1
        out[key] = steps if stamp >= first else -steps
    return out


def past_events(inputs: CycleInputs) -> pd.DataFrame:
    """Event adjustments of periods before the cycle start: tblAdjustmentHistory's and those
    still in tblAdjustments."""
    start = inputs.periods[0]
    frames = [inputs.adjustments[inputs.adjustments["period"] < start]]
    if not inputs.past_adjustments.empty:
        frames.append(inputs.past_adjustments[inputs.past_adjustments["period"] < start])
    frames = [f for f in frames if not f.empty]
    if not frames:
        return inputs.adjustments.iloc[:0]
    events = pd.concat(frames, ignore_index=True)
    return events[is_event(events["type"])]


def baseline(inputs: CycleInputs, grid: pd.DataFrame) -> Baseline:
    """The history of :func:`~sop_xl.cycle.forecasting.history_grid` from each item's launch,
    with the past events taken out."""
    items = inputs.items
    like = items["LikeItem"] if "LikeItem" in items else pd.Series(None, index=items.index)
    launch = items["LaunchPeriod"] if "LaunchPeriod" in items else pd.Series(pd.NaT, items.index)
    launches = Launches(
        like=like.reindex(grid.index),
        start=_columns(grid.columns[0], launch.reindex(grid.index), inputs.freq),
    )
    launched = since_launch(grid, launches.start)
    notes = _prelaunch_notes(grid, launched)
    events = past_events(inputs)
    cleaned = clean_history(launched, events, items["Family"])
    removed = cleaned.removed.sum(axis=1)
    if (removed != 0).any():
        changed = removed[removed != 0]
        shown = ", ".join(f"{i} {q:+,.0f}" for i, q in (-changed).head(5).items())
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        notes.append(
            f"past events (new product, promotion, event adjustments) taken out of the history "
            f"of {len(changed)} item(s): {shown}{more} units (tblForecast EventsRemoved)"
        )
    return Baseline(grid=cleaned.grid, launches=launches, removed=removed, notes=notes)


def _prelaunch_notes(grid: pd.DataFrame, launched: pd.DataFrame) -> list[str]:
    """A Log note naming the items whose sales before their LaunchPeriod are left out of the
    history (pilot or pre-series sales: the forecast learns from the launch on)."""
    before = grid.where(launched.isna() & grid.notna())
    units = before.abs().sum(axis=1)
    periods = (before.fillna(0.0) != 0).sum(axis=1)
    dropped = units[units > 0]
    if dropped.empty:
        return []
    shown = ", ".join(
        f"{i} {units[i]:,.0f} units in {periods[i]} period(s)" for i in dropped.index[:5]
    )
    more = f" and {len(dropped) - 5} more" if len(dropped) > 5 else ""
    return [
        f"sales before the LaunchPeriod are left out of the forecast history of "
        f"{len(dropped)} item(s): {shown}{more} (tblItems LaunchPeriod)"
    ]


def finish(
    inputs: CycleInputs, base: Baseline, job: ForecastJob, result: ForecastPlan
) -> tuple[pd.DataFrame, pd.Series]:
    """The plan's forecasts and methods with the young items on their launch curves and every
    item ended at its EndPeriod."""
    forecasts, methods = result.forecasts.copy(), result.methods.copy()
    young = new_item_forecasts(
        base.grid,
        job.families,
        base.launches,
        season=job.season,
        steps=job.offset + job.horizon,
        min_history=max(job.season, MIN_STAT_HISTORY),
    )
    for item in young.forecasts.index:
        forecasts.loc[item] = young.forecasts.loc[item].to_numpy()[job.offset :]
        methods[item] = young.methods[item]
    end = inputs.items["EndPeriod"] if "EndPeriod" in inputs.items else None
    if end is not None and end.notna().any():
        periods = pd.DatetimeIndex(inputs.periods)
        column = end.dropna().map(lambda stamp: float(periods.searchsorted(stamp)))
        forecasts = end_forecast(forecasts, column)
    return forecasts, methods
