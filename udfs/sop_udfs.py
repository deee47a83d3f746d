"""sop-xl's Excel functions (xlwings UDF module; xlwings setting ``UDF_MODULES = sop_udfs``).

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
from sop_xl import cells
import sop_xl.forecast as forecast_core
from sop_xl.forecast import batch as forecast_batch
from sop_xl.forecast import metrics, segmentation

RANGE = {"ndim": 2, "err_to_str": True}


@xw.func
@cells.boundary
def sop_version():
    """The version of the sop-xl add-in."""
    return sop_xl.__version__


# ---------------------------------------------------------------------------------------------
# forecasting and accuracy (sop_xl.forecast)
# ---------------------------------------------------------------------------------------------
_HISTORY_DOC = "Demand per period, oldest first: a row or a column; blanks inside are filled."
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
