"""Supply planning: projected inventory, days of supply, production plans, capacity load.

One item at a time (1-D series of periods, as Excel cells give them) or every item and resource
over the horizon in one call (DataFrames: one row per item, one column per period).
"""

from sop_xl.supply.capacity import capacity_load, capacity_utilization, resource_load
from sop_xl.supply.production import ProductionPlan, production_plan, production_plan_table
from sop_xl.supply.projection import days_of_supply, projected_inventory

__all__ = [
    "ProductionPlan",
    "capacity_load",
    "capacity_utilization",
    "days_of_supply",
    "production_plan",
    "production_plan_table",
    "projected_inventory",
    "resource_load",
]
