"""Step 4, capacity: what the requirement and the plan load on every resource, per period.

Per resource r and period t (DESIGN.md tblCapacity; issue 11):

- **RequiredLoad** = sum over the items made on r of the requirement (tblSupplyPlan Required,
  the strategy's production ignoring capacity) x HoursPerUnit [h];
- **Load** = the same for the plan (Production, capacity-feasible) [h];
- **Available** = tblResources HoursPerPeriod [h]; the plan may use up to Available x (1 +
  Settings OvertimePct);
- **Utilization** = Load / Available (of the plan; above 100% only by approved overtime);
- **OverloadHours** = max(0, RequiredLoad - Available): the hours the requirement lacks, which
  the reconciliation turns into decisions. Differences under 0.01 h are floating-point residue
  and count as 0 everywhere.

Items without a resource load nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, grid_of
from sop_xl.supply import capacity_load, resource_load
from sop_xl.workbook.schema import CAPACITY_MEASURES

NOISE_HOURS = 0.01


@dataclass(frozen=True)
class CapacityResult:
    """tblCapacity (Resource, Measure, one column per plan period) and notes."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def capacity_step(inputs: CycleInputs, supply_table: pd.DataFrame) -> CapacityResult:
    """Required load, load, available hours, utilization and overload of every resource.

    Parameters
    ----------
    inputs : CycleInputs
    supply_table : DataFrame
        tblSupplyPlan (its Required and Production rows).

    Returns
    -------
    CapacityResult
    """
    items = inputs.items
    labels = inputs.labels
    resource = items["Resource"].where(items["Resource"].isin(inputs.resources.index))
    hours = items["HoursPerUnit"].fillna(0.0)

    def made(measure: str) -> pd.DataFrame:
        grid = grid_of(supply_table, "Item", labels, measure=measure)
        if grid.empty and measure == "Required":  # a plan written before issue 11
            grid = grid_of(supply_table, "Item", labels, measure="Production")
        return grid.reindex(items.index).fillna(0.0).clip(lower=0.0)

    plan = capacity_load(made("Production"), resource, hours, inputs.resources)
    # the requirement may need hours a resource lacks (even one with 0 hours): no utilization
    required = resource_load(made("Required"), resource, hours, inputs.resources)
    available = plan.xs("Available", level="Measure")
    over = (required - available).clip(lower=0.0)
    blocks = {
        "RequiredLoad": required,
        "Load": plan.xs("Load", level="Measure"),
        "Available": available,
        "Utilization": plan.xs("Utilization", level="Measure"),
        "OverloadHours": over.where(over >= NOISE_HOURS, 0.0),
    }
    resources = available.index
    stacked = np.stack([blocks[m].to_numpy() for m in CAPACITY_MEASURES], axis=1)
    table = pd.DataFrame(
        {"Resource": np.repeat(resources.to_numpy(), len(CAPACITY_MEASURES)),
         "Measure": np.tile(CAPACITY_MEASURES, len(resources))}
    )  # fmt: skip
    values = pd.DataFrame(stacked.reshape(-1, len(labels)), columns=labels).round(4)
    table = pd.concat([table, values], axis=1)
    notes = []
    short = blocks["OverloadHours"]
    if (short.to_numpy() > 0).any():
        util = (required / available.where(available > 0)).stack()
        if len(util):
            worst = util.idxmax()
            which = f"{worst[0]} in {worst[1]} at {util[worst]:.0%} of its hours"
        else:  # only resources without hours are short
            worst = short.stack().idxmax()
            which = f"{worst[0]} in {worst[1]}, which has no hours"
        notes.append(
            f"the requirement needs {short.to_numpy().sum():,.0f} h more than available on "
            f"{int((short > 0).any(axis=1).sum())} resource(s); the worst {which}"
        )
    return CapacityResult(table=table, notes=notes)
