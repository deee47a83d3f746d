"""Per-item safety stock from each item's own forecast errors, for the cycle runner.

:func:`with_forecast_errors` takes the policy table of
:func:`sop_xl.inventory.items.item_safety_stock` and, for every item whose history is long
enough for the rolling origins (:func:`sop_xl.forecast.forecast_errors`), replaces its safety
stock by :func:`sop_xl.inventory.uncertainty.forecast_safety_stock`: the forecast's errors
summed over L + R, lead-time variability as before, Student-t widening and gamma lead-time
demand. ``Sigma`` then shows the per-period standard deviation that gives the same stock in
the normal formula (:func:`~sop_xl.inventory.uncertainty.equivalent_demand_sd`) and
``SigmaSource`` says ``forecast_errors``; other items keep their row.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sop_xl.forecast import forecast_errors
from sop_xl.forecast.intervals import MIN_FIT
from sop_xl.inventory.uncertainty import equivalent_demand_sd, forecast_safety_stock


def with_forecast_errors(
    policy: pd.DataFrame,
    histories: pd.DataFrame,
    *,
    method: str = "auto",
    season_length: int = 12,
    review_period: float = 0.0,
) -> pd.DataFrame:
    """The policy table with safety stocks from each item's rolling-origin forecast errors.

    Parameters
    ----------
    policy : DataFrame
        Index Item; DemandMean, Sigma, SigmaSource, LeadTime, LeadTimeSD, ServiceLevel,
        SafetyStock, ReorderPoint (as from ``item_safety_stock``, cycle service).
    histories : DataFrame
        Demand per item (rows) and period (columns, oldest first) [units]; NaN before an
        item's first period (e.g. ``sop_xl.cycle.forecasting.history_grid``).
    method, season_length : keyword-only
        The forecasting method and season whose errors count (Settings ForecastMethod,
        SeasonLength).
    review_period : float, keyword-only
        R [periods].

    Returns
    -------
    DataFrame
        A copy of ``policy``; rows of items with at least ``MIN_FIT + 2`` periods of history
        and a positive DemandMean get SafetyStock, ReorderPoint, Sigma and SigmaSource anew.

    Examples
    --------
    >>> policy = pd.DataFrame({"DemandMean": [10.0], "Sigma": [2.0], "SigmaSource": ["demand_sd"],
    ...     "LeadTime": [1.0], "LeadTimeSD": [0.0], "ServiceLevel": [0.95], "SafetyStock": [3.3],
    ...     "ReorderPoint": [13.3]}, index=pd.Index(["A"], name="Item"))
    >>> flat = pd.DataFrame([[10.0] * 12], index=["A"])
    >>> with_forecast_errors(policy, flat, method="naive")[["SafetyStock", "SigmaSource"]].values
    array([[0.0, 'forecast_errors']], dtype=object)
    """
    out = policy.copy()
    for item in out.index:
        if item not in histories.index:
            continue
        values = histories.loc[item].to_numpy(dtype=float)
        filled = np.flatnonzero(np.isfinite(values))
        row = out.loc[item]
        if filled.size == 0 or row["DemandMean"] <= 0:
            continue
        history = np.nan_to_num(values[filled[0] :])
        if history.size < MIN_FIT + 2:
            continue
        lead, review = float(row["LeadTime"]), float(review_period)
        steps = max(math.ceil(lead + review), 1)
        errors = forecast_errors(history, steps, method=method, season_length=season_length)
        stock = forecast_safety_stock(
            errors,
            float(row["DemandMean"]),
            lead,
            lead_time_sd=float(row["LeadTimeSD"]),
            service_level=float(row["ServiceLevel"]),
            review_period=review,
        )
        out.loc[item, "SafetyStock"] = stock
        out.loc[item, "ReorderPoint"] = float(row["DemandMean"]) * (lead + review) + stock
        out.loc[item, "Sigma"] = equivalent_demand_sd(
            errors, lead, review, service_level=float(row["ServiceLevel"])
        )
        out.loc[item, "SigmaSource"] = "forecast_errors"
    return out
