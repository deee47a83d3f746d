"""Step 4, capacity: load, available hours and utilization per resource and period.

Load = sum over the items made on the resource of planned production x HoursPerUnit [h];
Available = tblResources HoursPerPeriod [h]; Utilization = Load / Available (over 100% is an
overload, which the reconciliation turns into a decision). Items without a resource load
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, grid_of
from sop_xl.supply import capacity_load


@dataclass(frozen=True)
class CapacityResult:
    """tblCapacity (Resource, Measure, one column per plan period) and notes."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def capacity_step(inputs: CycleInputs, supply_table: pd.DataFrame) -> CapacityResult:
    """Load and utilization of every resource of tblResources.

    Parameters
    ----------
    inputs : CycleInputs
    supply_table : DataFrame
        tblSupplyPlan (its Production rows).

    Returns
    -------
    CapacityResult
    """
    items = inputs.items
    labels = inputs.labels
    production = grid_of(supply_table, "Item", labels, measure="Production")
    production = production.reindex(items.index).fillna(0.0).clip(lower=0.0)
    resource = items["Resource"].where(items["Resource"].isin(inputs.resources.index))
    table = capacity_load(production, resource, items["HoursPerUnit"].fillna(0.0), inputs.resources)
    table = table.round(4).reset_index()
    notes = []
    util = table[table["Measure"] == "Utilization"].set_index("Resource")[labels]
    over = util > 1.0
    if over.to_numpy().any():
        worst = util.stack().idxmax()
        notes.append(
            f"{int(over.to_numpy().sum())} overloaded resource-period(s); the worst "
            f"{worst[0]} in {worst[1]} at {util.at[worst]:.0%}"
        )
    return CapacityResult(table=table, notes=notes)
