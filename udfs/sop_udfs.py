"""sop-xl's Excel functions (xlwings UDF module; xlwings setting ``UDF_MODULES = sop_udfs``).

Thin wrappers only: each function reads its arguments through :mod:`sop_xl.cells`, calls the
calculation core, and shapes the result for the sheet. :func:`sop_xl.cells.boundary` turns bad
input into ``#SOP! ...`` cell text. Range arguments are declared ``ndim=2, err_to_str=True`` so
that desktop Excel hands error cells over as text and the boundary refuses them. The docstring
of each function is the help text Excel shows.
"""

from __future__ import annotations

import xlwings as xw

import sop_xl
from sop_xl import cells
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
