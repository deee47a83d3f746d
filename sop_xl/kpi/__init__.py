"""S&OP key performance indicators: pure formulas over plan and history totals."""

from sop_xl.kpi.indicators import (
    KPI,
    bias,
    fill_rate,
    inventory_turnover,
    margin_share,
    overload_hours,
    ratio,
    utilization,
    wape,
    weighted_mean,
    working_capital,
)

__all__ = [
    "KPI",
    "bias",
    "fill_rate",
    "inventory_turnover",
    "margin_share",
    "overload_hours",
    "ratio",
    "utilization",
    "wape",
    "weighted_mean",
    "working_capital",
]
