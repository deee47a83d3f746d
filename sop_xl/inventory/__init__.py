"""Inventory policy: safety stock, reorder point, fill rate, EOQ, and per-item tables.

See :mod:`sop_xl.inventory.policy` for the formulas and :mod:`sop_xl.inventory.items` for the
cycle runner's per-item functions (safety stock from the Items table and from forecast error).
"""

from sop_xl.inventory.policy import (
    eoq,
    fill_rate,
    inverse_normal_loss,
    lead_time_demand_sd,
    normal_loss,
    reorder_point,
    safety_stock,
)

__all__ = [
    "eoq",
    "fill_rate",
    "inverse_normal_loss",
    "lead_time_demand_sd",
    "normal_loss",
    "reorder_point",
    "safety_stock",
]
