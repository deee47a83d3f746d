"""Per-item safety stock from each item's own forecast errors, for the cycle runner.

:func:`with_item_errors` takes the policy table of
:func:`sop_xl.inventory.items.item_safety_stock` and each item's rolling-origin forecast errors
(the cycle's forecast step measures them, :mod:`sop_xl.forecast.plan`, fitting each item once
and forwarding it to the later origins, :mod:`sop_xl.forecast.forward`), and replaces the safety
stock of every item that has errors by
:func:`sop_xl.inventory.uncertainty.forecast_safety_stock`: the forecast's errors summed over
L + R, lead-time variability as before, Student-t widening and gamma lead-time demand.
``Sigma`` then shows the per-period standard deviation that gives the same stock in the
normal formula (:func:`~sop_xl.inventory.uncertainty.equivalent_demand_sd`) and
``SigmaSource`` says ``forecast_errors``; other items keep their row.
:func:`with_forecast_errors` does the same from the histories, refitting the method at every
origin (:func:`sop_xl.forecast.forecast_errors`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sop_xl.forecast import forecast_errors
from sop_xl.forecast.intervals import MIN_FIT, HorizonErrors, spread
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
    errors = {}
    for item in policy.index:
        if item not in histories.index:
            continue
        values = histories.loc[item].to_numpy(dtype=float)
        filled = np.flatnonzero(np.isfinite(values))
        if filled.size == 0 or policy.loc[item, "DemandMean"] <= 0:
            continue
        history = np.nan_to_num(values[filled[0] :])
        if history.size < MIN_FIT + 2:
            continue
        steps = max(math.ceil(float(policy.loc[item, "LeadTime"]) + review_period), 1)
        errors[item] = forecast_errors(history, steps, method=method, season_length=season_length)
    return with_item_errors(policy, errors, review_period=review_period)


def with_item_errors(
    policy: pd.DataFrame,
    errors: Mapping[object, HorizonErrors | np.ndarray],
    *,
    review_period: float = 0.0,
) -> pd.DataFrame:
    """The policy table with safety stocks from the given rolling-origin errors per item.

    Parameters
    ----------
    policy : DataFrame
        Index Item; DemandMean, Sigma, SigmaSource, LeadTime, LeadTimeSD, ServiceLevel,
        SafetyStock, ReorderPoint (as from ``item_safety_stock``, cycle service).
    errors : mapping
        Item -> its :class:`~sop_xl.forecast.HorizonErrors`, or the ``(origins, steps)``
        matrix of errors (actual - forecast [units], NaN where unseen) they are fitted to.
        Beyond its last step, the fitted spread runs on (``HorizonErrors.over``).
    review_period : float, keyword-only
        R [periods].

    Returns
    -------
    DataFrame
        A copy of ``policy``; rows of items with errors and a positive DemandMean get
        SafetyStock, ReorderPoint, Sigma and SigmaSource anew.

    Examples
    --------
    Errors of +/-10 at one step ahead from six origins, a lead time of one period, 95% cycle
    service: the spread is 10, widened by t_6.ppf(0.95) / z(0.95) = 1.18:

    >>> policy = pd.DataFrame({"DemandMean": [100.0], "Sigma": [2.0],
    ...     "SigmaSource": ["demand_sd"], "LeadTime": [1.0], "LeadTimeSD": [0.0],
    ...     "ServiceLevel": [0.95], "SafetyStock": [3.3], "ReorderPoint": [103.3]},
    ...     index=pd.Index(["A"], name="Item"))
    >>> out = with_item_errors(policy, {"A": np.array([[10.0], [-10.0]] * 3)})
    >>> out["SigmaSource"].iloc[0], bool(19 < out["SafetyStock"].iloc[0] < 21)
    ('forecast_errors', True)
    """
    out = policy.copy()
    rows: dict[str, list] = {"Item": [], "SafetyStock": [], "ReorderPoint": [], "Sigma": []}
    for item, given in errors.items():
        if item not in out.index:
            continue
        row = out.loc[item]
        if row["DemandMean"] <= 0:
            continue
        item_errors = spread(given) if isinstance(given, np.ndarray) else given
        lead, review = float(row["LeadTime"]), float(review_period)
        stock = forecast_safety_stock(
            item_errors,
            float(row["DemandMean"]),
            lead,
            lead_time_sd=float(row["LeadTimeSD"]),
            service_level=float(row["ServiceLevel"]),
            review_period=review,
        )
        rows["Item"].append(item)
        rows["SafetyStock"].append(stock)
        rows["ReorderPoint"].append(float(row["DemandMean"]) * (lead + review) + stock)
        level = float(row["ServiceLevel"])
        rows["Sigma"].append(equivalent_demand_sd(item_errors, lead, review, service_level=level))
    items = rows.pop("Item")
    for column, values in rows.items():  # one assignment per column, not per cell
        out.loc[items, column] = values
    out.loc[items, "SigmaSource"] = "forecast_errors"
    return out
