"""Step 1, forecast: the statistical forecast of every item, its accuracy and its segments.

For every item of tblItems (active, new and end-of-life alike: the demand plan needs the
run-out of an eol item too), the step turns the cycle's inputs into a
:class:`~sop_xl.forecast.plan.ForecastJob` (the history grid up to the last actual before the
cycle, and the Settings ForecastMethod, SeasonLength and HoldoutPeriods) and the result of
:func:`~sop_xl.forecast.plan.plan_forecasts` into tblForecast. The rules (the method per item,
``auto`` checked against Holt-Winters on the holdout, the family profile of short histories,
the holdout accuracy) are described in :mod:`sop_xl.forecast.plan`. Here:

- **Method**: the method that forecast the item, ``like item``, ``family launch``,
  ``family profile`` or ``no history``.
- **HoldoutWAPE**: sum|F - A| / sum|A| over the last HoldoutPeriods periods, forecast from the
  history before them (rounded to 4 places); blank when the item has fewer than
  HoldoutPeriods + 6 periods.
- **Pattern**: Syntetos-Boylan class of the history; ``no history`` without actuals.
- **ABC** on value: actual revenue (qty x UnitPrice) of the last 12 months (one season);
  **XYZ**: coefficient of variation of the item's history.
- **EventsRemoved** (after the fixed columns of DESIGN.md): units of past events taken out of
  the item's history before the forecast; blank = none.

What the forecast learns from (each item's history from its LaunchPeriod, past events taken
out) and what it gets after (young items on a launch curve, 0 from an EndPeriod) is
:mod:`sop_xl.cycle.baseline`; the segments (Pattern, ABC, XYZ) are of the actual sales.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_xl.cycle import baseline
from sop_xl.cycle.inputs import CycleInputs, wide_table
from sop_xl.forecast.cache import default_cache
from sop_xl.forecast.plan import ForecastJob, plan_forecasts
from sop_xl.forecast.segmentation import abc, demand_patterns, xyz
from sop_xl.workbook import schema


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
    notes : list of str
        For the Log (the histories cleaned of past events).
    errors : DataFrame or None
        Long ``item, origin, step, error``: each item's rolling-origin forecast errors over
        its lead time (:func:`error_steps`), for the supply step's safety stock; None when not
        asked for.
    """

    table: pd.DataFrame
    holdout: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    errors: pd.DataFrame | None = None


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


def error_steps(inputs: CycleInputs) -> pd.Series:
    """Steps ahead of each item's rolling-origin errors [periods]: the periods its safety
    stock covers, ceil(LeadTime) (R = 0 in the supply step), at least 1; 0 for end-of-life
    items, which get no safety stock."""
    items = inputs.items
    lead = pd.to_numeric(items["LeadTime"], errors="coerce").fillna(0.0).clip(lower=0.0)
    steps = np.maximum(np.ceil(lead.to_numpy(dtype=float)), 1).astype(int)
    return pd.Series(np.where(items["Status"] == "eol", 0, steps), index=items.index)


def forecast_step(
    inputs: CycleInputs,
    *,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    plan: bool = True,
    executor: Executor | None = None,
    errors: bool = True,
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
    executor : concurrent.futures.Executor or None, keyword-only
        Where the forecast runs instead of local worker processes (a Dask cluster's executor).
    errors : bool, keyword-only
        Also measure each item's rolling-origin errors over its lead time, in the same tasks
        (the supply step's safety stock).

    Returns
    -------
    ForecastResult
    """
    s = inputs.settings
    items = inputs.items
    grid = history_grid(inputs)
    # periods between the last actual and the cycle start (0 when the cycle starts right after)
    offset = len(pd.date_range(grid.columns[-1], inputs.periods[0], freq=inputs.freq)) - 2
    base = baseline.baseline(inputs, grid)  # from each launch, past events taken out
    job = ForecastJob(
        grid=base.grid,
        families=items["Family"],
        horizon=len(inputs.periods),
        offset=offset,
        method=str(s["ForecastMethod"]),
        season=int(s["SeasonLength"]) if int(s["SeasonLength"]) > 1 else 1,
        holdout=int(s["HoldoutPeriods"]),
        freq=inputs.freq,
        error_steps=error_steps(inputs) if errors else None,
    )
    store = default_cache()  # a rerun forecasts only the items whose task changed
    try:
        result = plan_forecasts(
            job,
            n_jobs=n_jobs,
            progress=progress,
            holdout_only=not plan,
            executor=executor,
            store=store,
        )
    finally:
        if store is not None:
            store.close()
    forecasts, methods = result.forecasts, result.methods
    if plan:  # young items on their launch curve, ended items at 0
        forecasts, methods = baseline.finish(inputs, base, job, result)

    # segments
    complete = grid.stack().rename("qty").reset_index()
    complete.columns = ["item", "period", "qty"]
    pattern = pd.Series("no history", index=items.index, dtype=object)
    if not complete.empty:
        pattern.update(demand_patterns(complete)["pattern"])
    recent = grid.iloc[:, -inputs.grid.per_year :].fillna(0.0).sum(axis=1)  # the last year
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
            "HoldoutWAPE": result.wape.round(4).to_numpy(),
            "EventsRemoved": base.removed.round(2).replace(0.0, np.nan).to_numpy(),
        }
    )
    grid_out = pd.DataFrame(forecasts.to_numpy(dtype=float), columns=inputs.labels)
    table = wide_table(fixed, grid_out)
    assert list(table.columns[: fixed.shape[1]]) == schema.table("tblForecast").headers
    return ForecastResult(
        table=table,
        holdout=result.holdout,
        notes=base.notes,
        errors=result.errors if errors else None,
    )
