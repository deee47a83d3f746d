"""sop-xl's Excel functions (xlwings UDF module; xlwings setting ``UDF Modules = sop_udfs``).

Thin wrappers only: each function reads its arguments through :mod:`sop_xl.cells`, calls the
calculation core, and shapes the result for the sheet. :func:`sop_xl.cells.boundary` turns bad
input into ``#SOP! ...`` cell text. Range arguments are declared ``ndim=2, err_to_str=True`` so
that desktop Excel hands error cells over as text and the boundary refuses them. The docstring
of each function is the help text Excel shows.
"""

from __future__ import annotations

import numpy as np
import xlwings as xw

import sop_xl
import sop_xl.forecast as forecast_core
import sop_xl.inventory as inventory_core
import sop_xl.kpi as kpi_core
import sop_xl.reconcile as reconcile_core
import sop_xl.supply as supply_core
from sop_xl import cells
from sop_xl.errors import SopError, show
from sop_xl.forecast import batch as forecast_batch
from sop_xl.forecast import metrics, segmentation
from sop_xl.records import cycletime

RANGE = {"ndim": 2, "err_to_str": True}


@xw.func
@cells.boundary
def sop_version():
    """The version of the sop-xl add-in."""
    return sop_xl.__version__


# ---------------------------------------------------------------------------------------------
# forecasting and accuracy (sop_xl.forecast)
# ---------------------------------------------------------------------------------------------
_HISTORY_DOC = (
    "Demand per period, oldest first: a row or a column; blanks inside are filled; "
    "the most recent 600 periods are used."
)
_METHOD_DOC = (
    "auto, naive, snaive, ma, ses, holt, damped, hw_add, hw_mul, ets, theta, arima, croston, "
    "sba or tsb (auto)."
)
_SEASON_DOC = "Periods per season: 12 for months, 52 for weeks; 0 or 1 = no season (12)."


def _forecast_args(history, horizon, method, season_length):
    return (
        cells.vector(history, "history"),
        cells.number(horizon, "horizon", default=18, integer=True, minimum=1),
        cells.text(method, "method", default="auto"),
        cells.number(season_length, "season_length", default=12, integer=True, minimum=0),
    )


@xw.func
@xw.arg("history", **RANGE, doc=_HISTORY_DOC)
@xw.arg("horizon", doc="Number of future periods to forecast (18).")
@xw.arg("method", doc=_METHOD_DOC)
@xw.arg("season_length", doc=_SEASON_DOC)
@cells.boundary
def sop_forecast(history, horizon=18, method="auto", season_length=12):
    """Statistical forecast of a demand history: a column of `horizon` values, never negative."""
    y, h, name, m = _forecast_args(history, horizon, method, season_length)
    return cells.shaped(forecast_core.forecast(y.values, h, method=name, season_length=m).mean)


@xw.func
@xw.arg("history", **RANGE, doc=_HISTORY_DOC)
@xw.arg("horizon", doc="Number of future periods to forecast (18).")
@xw.arg("level", doc="Coverage of the two-sided interval as a fraction (0.9).")
@xw.arg("method", doc=_METHOD_DOC)
@xw.arg("season_length", doc=_SEASON_DOC)
@cells.boundary
def sop_forecast_interval(history, horizon=18, level=0.9, method="auto", season_length=12):
    """Forecast with a prediction interval: `horizon` rows of forecast, lower, upper."""
    y, h, name, m = _forecast_args(history, horizon, method, season_length)
    coverage = cells.number(level, "level", default=0.9)
    f = forecast_core.forecast(y.values, h, method=name, season_length=m, level=coverage)
    return cells.block(np.column_stack([f.mean, f.lower, f.upper]))


@xw.func
@xw.arg("actuals", **RANGE, doc="Long table with a header row: Item, Period, Qty.")
@xw.arg("horizon", doc="Number of future periods to forecast (18).")
@xw.arg("method", doc=_METHOD_DOC)
@xw.arg("season_length", doc=_SEASON_DOC)
@cells.boundary
def sop_forecast_table(actuals, horizon=18, method="auto", season_length=12):
    """Forecast every item of a long table: header Item, Method, then one column per period."""
    table = cells.long_table(actuals, "actuals")
    h = cells.number(horizon, "horizon", default=18, integer=True, minimum=1)
    name = cells.text(method, "method", default="auto")
    m = cells.number(season_length, "season_length", default=12, integer=True, minimum=0)
    long = forecast_batch.forecast_frame(table, h, method=name, season_length=m, n_jobs=1)
    wide = forecast_batch.to_wide(long)
    return [list(wide.columns)] + cells.block(wide)


@xw.func
@xw.arg("history", **RANGE, doc=_HISTORY_DOC)
@xw.arg("season_length", doc=_SEASON_DOC)
@cells.boundary
def sop_method(history, season_length=12):
    """The forecasting method that auto picks for this history."""
    y = cells.vector(history, "history")
    m = cells.number(season_length, "season_length", default=12, integer=True, minimum=0)
    return forecast_core.method_for(y.values, season_length=m)


@xw.func
@xw.arg("actuals", **RANGE, doc="Actual demand per period: a row or a column; blanks are skipped.")
@xw.arg("forecast", **RANGE, doc="Forecast of the same periods: a range of the same size.")
@xw.arg("metric", doc="mae, rmse, mape, wape, smape, mase, bias or tracking_signal (wape).")
@xw.arg("season_length", doc="Season length m that scales mase (1: no seasonality).")
@cells.boundary
def sop_accuracy(actuals, forecast, metric="wape", season_length=1):
    """Forecast accuracy in one metric; mape, wape, smape and bias as fractions."""
    a = cells.vector(actuals, "actuals", trim=False)
    f = cells.vector(forecast, "forecast", trim=False)
    name = cells.text(metric, "metric", default="wape")
    m = cells.number(season_length, "season_length", default=1, integer=True, minimum=0)
    return metrics.accuracy(a.values, f.values, metric=name, season_length=m)


@xw.func
@xw.arg("actuals", **RANGE, doc="Actual demand per period: a row or a column; blanks are skipped.")
@xw.arg("baseline", **RANGE, doc="Baseline forecast (e.g. statistical or naive), same size.")
@xw.arg("candidate", **RANGE, doc="Candidate forecast (e.g. the consensus plan), same size.")
@xw.arg("metric", doc="mae, rmse, mape, wape, smape, mase, bias or tracking_signal (wape).")
@cells.boundary
def sop_fva(actuals, baseline, candidate, metric="wape"):
    """Forecast value added: error of baseline minus error of candidate (positive = adds value)."""
    a = cells.vector(actuals, "actuals", trim=False)
    b = cells.vector(baseline, "baseline", trim=False)
    c = cells.vector(candidate, "candidate", trim=False)
    name = cells.text(metric, "metric", default="wape")
    return metrics.fva(a.values, b.values, c.values, metric=name)


@xw.func
@xw.arg("history", **RANGE, doc="Demand per period: a row or a column; blanks are skipped.")
@cells.boundary
def sop_demand_pattern(history):
    """Demand pattern (Syntetos-Boylan): smooth, erratic, intermittent, lumpy or no demand."""
    return segmentation.demand_pattern(cells.vector(history, "history").values)


@xw.func
@xw.arg("values", **RANGE, doc="Value per item (e.g. revenue), >= 0: a row or a column.")
@xw.arg("a_share", doc="Cumulative share of value for A items (0.8).")
@xw.arg("b_share", doc="Cumulative share of value for A and B items (0.95).")
@cells.boundary
def sop_abc(values, a_share=0.8, b_share=0.95):
    """ABC class (A, B or C) of each item by cumulative share of value, in input order."""
    v = cells.vector(values, "values")
    a = cells.number(a_share, "a_share", default=0.8)
    b = cells.number(b_share, "b_share", default=0.95)
    return cells.shaped(segmentation.abc(v.values, a_share=a, b_share=b), v.orientation)


@xw.func
@xw.arg("history_grid", **RANGE, doc="One row per item, one column per period; blanks skipped.")
@xw.arg("x_cv", doc="Highest coefficient of variation of X items (0.5).")
@xw.arg("y_cv", doc="Highest coefficient of variation of Y items (1.0).")
@cells.boundary
def sop_xyz(history_grid, x_cv=0.5, y_cv=1.0):
    """XYZ class of each row by coefficient of variation (sample sd / mean); a column."""
    g = cells.grid(history_grid, "history_grid")
    x = cells.number(x_cv, "x_cv", default=0.5, minimum=0)
    y = cells.number(y_cv, "y_cv", default=1.0, minimum=0)
    return cells.shaped(segmentation.xyz(g, x_cv=x, y_cv=y))


# ---------------------------------------------------------------------------------------------
# inventory and supply (sop_xl.inventory, sop_xl.supply, sop_xl.reconcile)
# ---------------------------------------------------------------------------------------------
def _given(array):
    """An optional range: ``None`` when it is blank throughout."""
    return None if np.isnan(array).all() else array


def _cells(values, orientation):
    """One number for single-cell inputs, else a column or a row like the input."""
    values = np.asarray(values, dtype=float).reshape(-1)
    if orientation is None and values.size == 1:
        return cells.shaped(values)[0][0]
    return cells.shaped(values, orientation or "column")


@xw.func
@xw.arg(
    "demand_mean", **RANGE, doc="Mean demand per period: one cell or a column (one row per item)."
)
@xw.arg("demand_sd", **RANGE, doc="Standard deviation of demand (or forecast RMSE) per period.")
@xw.arg("lead_time", **RANGE, doc="Lead time L in periods, >= 0.")
@xw.arg("lead_time_sd", **RANGE, doc="Standard deviation of the lead time in periods, >= 0 (0).")
@xw.arg(
    "service_level",
    **RANGE,
    doc="Cycle service level (or target fill rate), between 0 and 1 (0.95).",
)
@xw.arg("method", doc="cycle (no stockout per cycle) or fill_rate (share of demand served).")
@xw.arg("order_qty", **RANGE, doc="Order quantity Q, > 0; required for fill_rate.")
@xw.arg("review_period", **RANGE, doc="Review period R in periods, >= 0 (0: continuous review).")
@cells.boundary
def sop_safety_stock(
    demand_mean,
    demand_sd,
    lead_time,
    lead_time_sd=0,
    service_level=0.95,
    method="cycle",
    order_qty=None,
    review_period=0,
):
    """Safety stock: max(0, z*sqrt((L+R) sd_d^2 + d^2 sd_L^2)); fill_rate via the normal loss."""
    how = cells.text(method, "method", default="cycle")
    (d, sd, lt, lt_sd, level, q, r), orientation = cells.aligned(
        (demand_mean, "demand_mean", None),
        (demand_sd, "demand_sd", None),
        (lead_time, "lead_time", None),
        (lead_time_sd, "lead_time_sd", 0.0),
        (service_level, "service_level", 0.95),
        (order_qty, "order_qty", None),
        (review_period, "review_period", 0.0),
    )
    result = inventory_core.safety_stock(
        d,
        sd,
        lt,
        lead_time_sd=lt_sd,
        service_level=level,
        method=how,
        order_qty=_given(q),
        review_period=r,
    )
    return _cells(result, orientation)


@xw.func
@xw.arg(
    "demand_mean", **RANGE, doc="Mean demand per period: one cell or a column (one row per item)."
)
@xw.arg("lead_time", **RANGE, doc="Lead time L in periods, >= 0.")
@xw.arg("safety_stock", **RANGE, doc="Safety stock in units (e.g. from sop_safety_stock).")
@xw.arg("review_period", **RANGE, doc="Review period R in periods, >= 0 (0: continuous review).")
@cells.boundary
def sop_reorder_point(demand_mean, lead_time, safety_stock, review_period=0):
    """Reorder point (order-up-to level with a review period): d * (L + R) + safety stock."""
    (d, lt, ss, r), orientation = cells.aligned(
        (demand_mean, "demand_mean", None),
        (lead_time, "lead_time", None),
        (safety_stock, "safety_stock", None),
        (review_period, "review_period", 0.0),
    )
    return _cells(inventory_core.reorder_point(d, lt, ss, review_period=r), orientation)


@xw.func
@xw.arg(
    "safety_stock", **RANGE, doc="Safety stock in units: one cell or a column (one row per item)."
)
@xw.arg("demand_mean", **RANGE, doc="Mean demand per period, >= 0.")
@xw.arg("demand_sd", **RANGE, doc="Standard deviation of demand per period, >= 0.")
@xw.arg("lead_time", **RANGE, doc="Lead time L in periods, >= 0.")
@xw.arg("order_qty", **RANGE, doc="Order quantity Q, > 0.")
@xw.arg("lead_time_sd", **RANGE, doc="Standard deviation of the lead time in periods, >= 0 (0).")
@xw.arg("review_period", **RANGE, doc="Review period R in periods, >= 0 (0).")
@cells.boundary
def sop_fill_rate(
    safety_stock, demand_mean, demand_sd, lead_time, order_qty, lead_time_sd=0, review_period=0
):
    """Expected fill rate of a safety stock: 1 - sigma * G(SS / sigma) / Q, as a fraction."""
    (ss, d, sd, lt, q, lt_sd, r), orientation = cells.aligned(
        (safety_stock, "safety_stock", None),
        (demand_mean, "demand_mean", None),
        (demand_sd, "demand_sd", None),
        (lead_time, "lead_time", None),
        (order_qty, "order_qty", None),
        (lead_time_sd, "lead_time_sd", 0.0),
        (review_period, "review_period", 0.0),
    )
    result = inventory_core.fill_rate(ss, d, sd, lt, q, lead_time_sd=lt_sd, review_period=r)
    return _cells(result, orientation)


@xw.func
@xw.arg("annual_demand", **RANGE, doc="Demand per year in units, >= 0: one cell or a column.")
@xw.arg("order_cost", **RANGE, doc="Fixed cost per order, >= 0.")
@xw.arg("unit_cost", **RANGE, doc="Cost of one unit, > 0.")
@xw.arg(
    "holding_rate", **RANGE, doc="Yearly holding cost as a fraction of unit cost, > 0 (e.g. 0.25)."
)
@cells.boundary
def sop_eoq(annual_demand, order_cost, unit_cost, holding_rate):
    """Economic order quantity: sqrt(2 * annual demand * order cost / (unit cost * holding rate))"""
    (demand, cost, price, rate), orientation = cells.aligned(
        (annual_demand, "annual_demand", None),
        (order_cost, "order_cost", None),
        (unit_cost, "unit_cost", None),
        (holding_rate, "holding_rate", None),
    )
    return _cells(inventory_core.eoq(demand, cost, price, rate), orientation)


@xw.func
@xw.arg("opening", **RANGE, doc="On-hand before the first period, in units.")
@xw.arg("demand", **RANGE, doc="Demand per period: a row or a column; a blank period is 0.")
@xw.arg("supply", **RANGE, doc="Receipts or production per period, same size; a blank period is 0.")
@cells.boundary
def sop_projected_inventory(opening, demand, supply=None):
    """Ending on-hand per period: opening + supply - demand, cumulated (negative = backlog)."""
    start = cells.number(opening, "opening")
    (need, made), orientation = cells.aligned((demand, "demand", 0.0), (supply, "supply", 0.0))
    return _cells(supply_core.projected_inventory(start, need, made), orientation)


@xw.func
@xw.arg("inventory", **RANGE, doc="Ending on-hand per period: a row or a column.")
@xw.arg("demand", **RANGE, doc="Demand per period, >= 0, same size; a blank period is 0.")
@xw.arg("days_per_period", doc="Days in one period: 30 for months (default), 7 for weeks.")
@cells.boundary
def sop_days_of_supply(inventory, demand, days_per_period=30):
    """Days the ending on-hand of each period covers the demand after it (0 to 999)."""
    days = cells.number(days_per_period, "days_per_period", default=30)
    (stock, need), orientation = cells.aligned(
        (inventory, "inventory", None), (demand, "demand", 0.0)
    )
    return _cells(supply_core.days_of_supply(stock, need, days_per_period=days), orientation)


@xw.func
@xw.arg("demand", **RANGE, doc="Demand per period: a row or a column; a blank period is 0.")
@xw.arg("opening", **RANGE, doc="On-hand before the first period, in units.")
@xw.arg("safety_stock", **RANGE, doc="Stock to hold at the end of each period, >= 0 (0).")
@xw.arg("strategy", doc="chase (default), level or capacity.")
@xw.arg(
    "capacity",
    **RANGE,
    doc="Units that can be made per period (one cell or one per period); for capacity.",
)
@xw.arg("lot_size", **RANGE, doc="Production comes in multiples of this, > 0 (blank or 0: none).")
@xw.arg("lead_time", **RANGE, doc="Lead time in periods, >= 0 (0): no production before it.")
@xw.arg(
    "receipts",
    **RANGE,
    doc="Open orders arriving per period (one cell or one per period; blank: 0).",
)
@cells.boundary
def sop_production_plan(
    demand,
    opening,
    safety_stock=0,
    strategy="chase",
    capacity=None,
    lot_size=None,
    lead_time=0,
    receipts=None,
):
    """Production per period: chase, level or capacity; none within lead_time, only receipts."""
    # after the lead time chase is P_t = max(0, D_t + SS - I_(t-1) - R_t), I_(t-1) < 0 a
    # backlog to catch up; sop_projected_inventory(opening, demand, receipts + production) is
    # the plan's on-hand (sop_xl.supply.production_plan has the worked example as a doctest)
    start = cells.number(opening, "opening")
    stock = cells.number(safety_stock, "safety_stock", default=0)
    how = cells.text(strategy, "strategy", default="chase")
    lot = cells.number(lot_size, "lot_size", default=0)
    lead = cells.number(lead_time, "lead_time", default=0)
    (need, limit, incoming), orientation = cells.aligned(
        (demand, "demand", 0.0), (capacity, "capacity", None), (receipts, "receipts", 0.0)
    )
    plan = supply_core.production_plan(
        need,
        start,
        safety_stock=stock,
        strategy=how,
        capacity=_given(limit),
        lot_size=lot or None,
        lead_time=lead,
        receipts=_given(incoming),
    )
    return _cells(plan.production, orientation)


@xw.func
@xw.arg("production", **RANGE, doc="Production per period: a row or a column; a blank period is 0.")
@xw.arg("hours_per_unit", **RANGE, doc="Resource hours per unit, >= 0: one cell or one per period.")
@xw.arg(
    "available_hours", **RANGE, doc="Available hours per period, >= 0: one cell or one per period."
)
@cells.boundary
def sop_capacity_load(production, hours_per_unit, available_hours):
    """Capacity utilization per period: production * hours per unit / available hours."""
    (made, rate, hours), orientation = cells.aligned(
        (production, "production", 0.0),
        (hours_per_unit, "hours_per_unit", None),
        (available_hours, "available_hours", None),
    )
    return _cells(supply_core.capacity_utilization(made, rate, hours), orientation)


@xw.func
@xw.arg("total", **RANGE, doc="The amount to split (e.g. a family's plan for a period).")
@xw.arg("weights", **RANGE, doc="Weight of each part, >= 0: a row or a column (e.g. past sales).")
@xw.arg(
    "whole_units",
    doc="TRUE: whole parts by largest remainder (total must be whole); FALSE: exact (default).",
)
@cells.boundary
def sop_prorate(total, weights, whole_units=False):
    """Split a total by weights; the parts sum exactly to it (equal parts if all weights are 0)."""
    amount = cells.number(total, "total")
    parts = cells.vector(weights, "weights")
    whole = _flag(whole_units, "whole_units")
    result = reconcile_core.prorate(amount, parts.values, whole_units=whole)
    return _cells(result, parts.orientation)


@xw.func
@xw.arg("demand", **RANGE, doc="Demand plan per period: a row or a column; a blank period is 0.")
@xw.arg("supply", **RANGE, doc="Supply plan per period in units, same size; a blank period is 0.")
@xw.arg("price", **RANGE, doc="Unit price: one cell or one per period, >= 0.")
@xw.arg("unit_cost", **RANGE, doc="Unit cost: one cell or one per period, >= 0.")
@xw.arg(
    "budget", **RANGE, doc="Revenue budget per period (or one cell for all); a blank period is 0."
)
@cells.boundary
def sop_reconcile(demand, supply, price, unit_cost, budget):
    """Demand, supply, gap, revenue, budget, gap to budget, gross margin, margin % per period."""
    (need, made, unit_price, cost, plan), _ = cells.aligned(
        (demand, "demand", 0.0),
        (supply, "supply", 0.0),
        (price, "price", None),
        (unit_cost, "unit_cost", None),
        (budget, "budget", 0.0),
    )
    table = reconcile_core.reconcile(need, made, unit_price, cost, plan)
    rows = zip(table.index, table.to_numpy().tolist(), strict=True)
    return cells.block([[label, *values] for label, values in rows])


# ---------------------------------------------------------------------------------------------
# KPIs from cells (sop_xl.kpi, sop_xl.records)
# ---------------------------------------------------------------------------------------------
@xw.func
@xw.arg("cogs", **RANGE, doc="Cost of goods sold per period: a row or a column; a blank is 0.")
@xw.arg("inventory_value", **RANGE, doc="Inventory value per period (same size or one cell), >= 0.")
@cells.boundary
def sop_inventory_turnover(cogs, inventory_value):
    """Inventory turnover: sum of COGS over the periods / mean inventory value over them."""
    (cost, stock), _ = cells.aligned(
        (cogs, "cogs", 0.0), (inventory_value, "inventory_value", None)
    )
    stock = np.atleast_1d(stock)
    if (stock < 0).any():
        raise SopError(f"inventory_value must be >= 0; got {show(float(stock[stock < 0][0]))}")
    if not np.nanmean(stock) > 0:
        raise SopError("inventory_value must have a mean above 0 (turnover is undefined); got 0")
    return kpi_core.inventory_turnover(cost, stock)


@xw.func
@xw.arg("inventory_value", **RANGE, doc="Inventory value per period: a row or a column; blank 0.")
@xw.arg("revenue", **RANGE, doc="Revenue per period (same size or one cell); a blank is 0.")
@xw.arg("cogs", **RANGE, doc="Cost of goods sold per period (same size or one cell); blank 0.")
@xw.arg("dso", doc="Days sales outstanding, >= 0 (45).")
@xw.arg("dpo", doc="Days payables outstanding, >= 0 (30).")
@xw.arg("days_per_period", doc="Days in one period: 30 for months (default), 7 for weeks.")
@cells.boundary
def sop_working_capital(inventory_value, revenue, cogs, dso=45, dpo=30, days_per_period=30):
    """Working capital per period: inventory + revenue * DSO / days - COGS * DPO / days."""
    receivable_days = cells.number(dso, "dso", default=45, minimum=0)
    payable_days = cells.number(dpo, "dpo", default=30, minimum=0)
    days = cells.number(days_per_period, "days_per_period", default=30)
    if days <= 0:
        raise SopError(f"days_per_period must be above 0; got {days:g}")
    (stock, sales, cost), orientation = cells.aligned(
        (inventory_value, "inventory_value", 0.0), (revenue, "revenue", 0.0), (cogs, "cogs", 0.0)
    )
    result = kpi_core.working_capital(stock, sales, cost, receivable_days, payable_days, days)
    return _cells(result, orientation)


@xw.func
@xw.arg("start_dates", **RANGE, doc="Start date of each cycle (e.g. step 1 of the Start sheet).")
@xw.arg("end_dates", **RANGE, doc="End date of each cycle (e.g. the executive meeting), same size.")
@cells.boundary
def sop_cycle_time(start_dates, end_dates):
    """Mean days from start to end over the pairs given (pairs with a blank are skipped)."""
    starts, _ = cells.dates(start_dates, "start_dates")
    ends, _ = cells.dates(end_dates, "end_dates")
    if len(starts) != len(ends):
        raise SopError(
            f"lengths must match: start_dates has {len(starts)} values, end_dates has {len(ends)}"
        )
    return cycletime.mean_days(starts, ends)


def _flag(value, name):
    """A TRUE/FALSE cell (also 1/0, or text true/false); blank = FALSE."""
    cell = value
    while isinstance(cell, list) and len(cell) == 1:
        cell = cell[0]
    if cells.is_blank(cell):
        return False
    if isinstance(cell, bool) or cell in (0, 1):
        return bool(cell)
    if isinstance(cell, str) and cell.strip().lower() in ("true", "false"):
        return cell.strip().lower() == "true"
    raise SopError(f"{name} must be TRUE or FALSE; got {show(cell)}")
