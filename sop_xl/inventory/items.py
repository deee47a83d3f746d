"""Per-item safety stock for the cycle runner: the Items table in, one row per item out.

Which demand uncertainty the cycle runner uses
----------------------------------------------
Safety stock protects against what the plan gets wrong, so the runner uses the **forecast
error**: the RMSE of past forecasts against the actuals (lag-1 forecasts kept in History),
per period, scaled to the lead time and review period by the same sqrt(L + R) as a demand
standard deviation. The standard deviation of demand counts predictable swings (trend,
seasonality, promotions the forecast already knows about) as uncertainty and overstates the
stock for exactly the items the forecast handles well; the RMSE also includes the forecast's
bias, which errs on the safe side. Until an item has ``min_pairs`` (6) forecast/actual pairs
(a new workbook, a new item) the runner falls back on the standard deviation of its demand
history. ``sigma_source`` in the result says which one each item got.

Scaling by sqrt(L + R) assumes one-period errors are independent; where forecasts at the lag
of the lead time are kept, their RMSE can be passed directly with ``lead_time`` 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.inventory.arrays import fraction, numbers, text_option
from sop_xl.inventory.policy import METHODS, reorder_point, safety_stock

MIN_PAIRS = 6


def _long(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    columns = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ("item", "period", "qty") if c not in columns]
    if missing:
        raise SopError(f"{name} must have columns item, period, qty; missing {show(missing)}")
    out = frame[[columns["item"], columns["period"], columns["qty"]]].copy()
    out.columns = ["item", "period", "qty"]
    out["qty"] = numbers(out["qty"], f"{name} qty")
    return out


def forecast_rmse(actuals: pd.DataFrame, forecasts: pd.DataFrame) -> pd.DataFrame:
    """RMSE of past forecasts against actuals, per item.

    Parameters
    ----------
    actuals, forecasts : DataFrame
        Long tables with columns ``item, period, qty`` [units/period]; only periods present
        in both count.

    Returns
    -------
    DataFrame
        Index item; columns ``rmse`` = sqrt(mean((F - A)^2)) [units/period] and ``pairs``.

    Examples
    --------
    >>> a = pd.DataFrame({"item": ["A"] * 3, "period": [1, 2, 3], "qty": [10, 12, 8]})
    >>> f = pd.DataFrame({"item": ["A"] * 3, "period": [1, 2, 3], "qty": [11, 10, 8]})
    >>> forecast_rmse(a, f).round(4).to_dict("index")
    {'A': {'rmse': 1.291, 'pairs': 3.0}}
    """
    pairs = _long(actuals, "actuals").merge(
        _long(forecasts, "forecasts"), on=["item", "period"], suffixes=("_a", "_f")
    )
    squared = (pairs["qty_f"] - pairs["qty_a"]) ** 2
    grouped = squared.groupby(pairs["item"])
    return pd.DataFrame({"rmse": np.sqrt(grouped.mean()), "pairs": grouped.size().astype(float)})


def _all_periods(periods: pd.Index) -> pd.Index:
    """Every period from the first to the last: months, weeks (7 days) or whole numbers."""
    if len(periods) < 2:
        return periods
    if isinstance(periods, pd.DatetimeIndex):
        if (periods.day == 1).all():
            return pd.date_range(periods.min(), periods.max(), freq="MS")
        return pd.date_range(periods.min(), periods.max(), freq="7D").union(periods)
    if pd.api.types.is_integer_dtype(periods):
        return pd.Index(range(int(periods.min()), int(periods.max()) + 1))
    return periods


def demand_variability(
    actuals: pd.DataFrame, *, forecasts: pd.DataFrame | None = None, min_pairs: int = MIN_PAIRS
) -> pd.DataFrame:
    """Mean demand and the sigma per period to base safety stock on, per item.

    Parameters
    ----------
    actuals : DataFrame
        Long history ``item, period, qty``; a period missing between an item's first and last
        period is zero demand.
    forecasts : DataFrame, optional
        Past forecasts, long ``item, period, qty`` (e.g. lag-1 snapshots from History).
    min_pairs : int
        Forecast/actual pairs an item needs before its RMSE replaces its demand sd.

    Returns
    -------
    DataFrame
        Index item; ``mean``, ``sd`` (sample, 0 with one period), ``rmse``, ``pairs``,
        ``sigma`` and ``sigma_source`` (``forecast_error`` or ``demand_sd``).

    Examples
    --------
    >>> a = pd.DataFrame({"item": ["A", "A", "A"], "period": [1, 3, 4], "qty": [10, 20, 30]})
    >>> demand_variability(a)[["mean", "sd", "sigma_source"]].round(3).to_dict("index")
    {'A': {'mean': 15.0, 'sd': 12.91, 'sigma_source': 'demand_sd'}}
    """
    history = _long(actuals, "actuals")
    grid = history.pivot_table(index="item", columns="period", values="qty", aggfunc="sum")
    grid = grid.reindex(columns=_all_periods(grid.columns))
    filled = grid.notna().to_numpy()
    position = np.arange(grid.shape[1])
    first = np.where(filled.any(1), filled.argmax(1), 0)
    last = grid.shape[1] - 1 - filled[:, ::-1].argmax(1)
    inside = (position >= first[:, None]) & (position <= last[:, None])
    values = np.where(inside, np.nan_to_num(grid.to_numpy()), np.nan)
    counts = inside.sum(1)
    mean = np.nanmean(values, axis=1)
    sd = np.where(counts > 1, np.nanstd(values, axis=1, ddof=1) if values.size else 0, 0.0)
    out = pd.DataFrame({"mean": mean, "sd": sd}, index=grid.index)
    out["rmse"], out["pairs"] = np.nan, 0.0
    if forecasts is not None:
        errors = forecast_rmse(actuals, forecasts).reindex(out.index)
        out["rmse"], out["pairs"] = errors["rmse"], errors["pairs"].fillna(0.0)
    use_error = out["pairs"] >= min_pairs
    out["sigma"] = np.where(use_error, out["rmse"], out["sd"])
    out["sigma_source"] = np.where(use_error, "forecast_error", "demand_sd")
    return out


def item_safety_stock(
    items: pd.DataFrame,
    variability: pd.DataFrame,
    *,
    service_level: float = 0.95,
    review_period: float = 0.0,
    method: str = "cycle",
) -> pd.DataFrame:
    """Safety stock and reorder point for every item of the Items table in one call.

    Parameters
    ----------
    items : DataFrame
        tblItems: ``Item, LeadTime`` and optionally ``LeadTimeSD`` (blank = 0),
        ``ServiceLevel`` (blank = ``service_level``), ``LotSize``, ``MOQ``.
    variability : DataFrame
        Index item, columns ``mean`` and ``sigma`` per period (and ``sigma_source``), as from
        :func:`demand_variability`; an item missing here has no demand (mean 0, sigma 0).
    service_level : float
        Default service level (Settings ServiceLevel) [-].
    review_period : float
        R [periods].
    method : {"cycle", "fill_rate"}
        For ``fill_rate`` the order quantity is LotSize, else MOQ, else one period of demand.

    Returns
    -------
    DataFrame
        Index Item: DemandMean, Sigma, SigmaSource, LeadTime, LeadTimeSD, ServiceLevel,
        SafetyStock, ReorderPoint [units/period, units/period, -, periods, periods, -, units,
        units].

    Examples
    --------
    >>> items = pd.DataFrame({"Item": ["A", "B"], "LeadTime": [1, 4], "ServiceLevel": [None, 0.9]})
    >>> var = pd.DataFrame({"mean": [100.0, 100.0], "sigma": [20.0, 20.0]}, index=["A", "B"])
    >>> item_safety_stock(items, var)[["SafetyStock", "ReorderPoint"]].round(2).values.tolist()
    [[32.9, 132.9], [51.26, 451.26]]
    """
    method = text_option(method, "method", METHODS)
    if "Item" not in items.columns or "LeadTime" not in items.columns:
        raise SopError("items must have columns Item and LeadTime")
    table = items.set_index("Item")
    table.index.name = "Item"
    if table.index.duplicated().any():
        raise SopError(f"items has item {show(table.index[table.index.duplicated()][0])} twice")

    def column(name: str, default: float) -> pd.Series:
        if name not in table.columns:
            return pd.Series(default, index=table.index, dtype=float)
        values = numbers(table[name], name, blank=default, minimum=0)
        return pd.Series(values, index=table.index, dtype=float).rename(name)

    lead = pd.Series(numbers(table["LeadTime"], "LeadTime", minimum=0), index=table.index)
    lead.index.name = "Item"
    spread = column("LeadTimeSD", 0.0)
    level = column("ServiceLevel", service_level)
    fraction(level, "ServiceLevel")
    known = variability.reindex(table.index)
    mean = known["mean"].fillna(0.0)
    sigma = known["sigma"].fillna(0.0)
    source = (
        known["sigma_source"].fillna("no demand")
        if "sigma_source" in known
        else pd.Series("given", index=table.index)
    )
    order = None
    if method == "fill_rate":
        order = column("LotSize", 0.0)
        order = order.where(order > 0, column("MOQ", 0.0))
        order = order.where(order > 0, mean * max(review_period, 1.0)).where(lambda q: q > 0, 1.0)
    stock = safety_stock(
        mean.rename("demand_mean"),
        sigma.rename("demand_sd"),
        lead.rename("LeadTime"),
        lead_time_sd=spread.rename("LeadTimeSD"),
        service_level=level.rename("ServiceLevel"),
        method=method,
        order_qty=order,
        review_period=review_period,
    )
    point = reorder_point(mean, lead, stock, review_period=review_period)
    return pd.DataFrame(
        {
            "DemandMean": mean,
            "Sigma": sigma,
            "SigmaSource": source,
            "LeadTime": lead,
            "LeadTimeSD": spread,
            "ServiceLevel": level,
            "SafetyStock": stock,
            "ReorderPoint": point,
        }
    )
