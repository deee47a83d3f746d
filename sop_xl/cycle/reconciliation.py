"""Step 6, reconciliation: per family and period, what is off and what the meeting decides.

The numbers come from :func:`sop_xl.reconcile.reconcile_table` on the item plan: Demand = the
consensus demand, Supply = what the supply plan ships against it (stock carried in + receipts +
production, at most the demand: see :mod:`sop_xl.cycle.finance`), so Gap = Supply - Demand is
the demand not served in its period (negative = shortage); Revenue, Budget, GapToBudget and
GrossMargin as in DESIGN.md.

Flags, in the order the meeting takes them:

- **overload**: a resource the family's items are made on is planned above 100% in the
  period. Its overload hours H = Load - Available are split over the families on it by their
  load; the family's share in units is H_f / (Load_f / Production_f). Decision: ``Approve
  H_f h overtime on R, pre-build or cut N units of F in P`` (overloads under 1 h are not
  flagged).
- **shortage**: Gap below -0.5 units without an overload behind it. Decision: ``Expedite N
  units of F (items) or agree the backlog with customers``.
- **budget**: revenue more than 5% below budget (decision: recover it or accept it) or more
  than 10% above (flag only: supply must follow the upside); gaps under 1% of the period's
  total budget are immaterial and not flagged.
- **no budget**: the family has no tblBudget row for the period. Budget and GapToBudget stay
  blank (never 0, which would show the whole revenue as a gap), so the table's totals of Budget
  and GapToBudget count only the periods with a budget; the flag says ``no budget for
  2027-07``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_xl.cycle.finance import (
    ItemFlows,
    budget_grid,
    families_of,
    item_flows,
    missing_budget_text,
)
from sop_xl.cycle.inputs import CycleInputs, grid_of
from sop_xl.reconcile import reconcile_table
from sop_xl.workbook import schema

MIN_OVERLOAD_HOURS = 1.0
MATERIAL_BUDGET_GAP = 0.01  # of the period's total budget: smaller gaps are not flagged
BELOW_BUDGET = -0.05
ABOVE_BUDGET = 0.10
SHORTAGE_UNITS = 0.5


@dataclass(frozen=True)
class ReconcileResult:
    """tblReconciliation: one row per family and period, and notes for the Log (the family
    periods without a budget)."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def family_overloads(
    inputs: CycleInputs, flows: ItemFlows, capacity_table: pd.DataFrame
) -> dict[tuple[str, str], list[tuple[str, float, float, float, float]]]:
    """Overloads per (family, label): [(resource, utilization, hours over on the resource,
    the family's share of them, units)]; overloads under one hour are ignored."""
    labels = inputs.labels
    load = grid_of(capacity_table, "Resource", labels, measure="Load")
    available = grid_of(capacity_table, "Resource", labels, measure="Available")
    over = load - available
    items = inputs.items
    hours = items["HoursPerUnit"].fillna(0.0)
    made = flows.production.clip(lower=0.0)
    item_load = made.mul(hours, axis=0)
    out: dict[tuple[str, str], list[tuple[str, float, float, float, float]]] = {}
    for resource in over.index:
        on = items.index[items["Resource"] == resource]
        if not len(on):
            continue
        for label in labels:
            if over.at[resource, label] < MIN_OVERLOAD_HOURS:
                continue
            total = load.at[resource, label]
            family_load = item_load.loc[on, label].groupby(items.loc[on, "Family"]).sum()
            family_units = made.loc[on, label].groupby(items.loc[on, "Family"]).sum()
            for family, fl in family_load.items():
                if fl <= 0:
                    continue
                hours_over = over.at[resource, label]
                share_hours = hours_over * fl / total
                units = share_hours * family_units[family] / fl
                if units < 1:
                    continue
                cap = available.at[resource, label]
                util = total / cap if cap else np.inf
                out.setdefault((family, label), []).append(
                    (resource, util, hours_over, share_hours, units)
                )
    return out


def _money(value: float, currency: str) -> str:
    return f"{currency} {abs(value):,.0f}"


def _short_items(flows: ItemFlows, members: pd.Index, label: str, top: int = 3) -> str:
    short = (flows.demand.loc[members, label] - flows.shipments.loc[members, label]).nlargest(top)
    return ", ".join(short.index[short > SHORTAGE_UNITS])


def decision(
    family: str,
    label: str,
    gap: float,
    revenue: float,
    budget: float,
    overloads: list[tuple[str, float, float, float, float]],
    short_items: str,
    currency: str,
    *,
    first_period: bool = False,
    material: float = 0.0,
) -> tuple[str, str]:
    """Flag and decision text of one family and period.

    Parameters
    ----------
    budget : float
        The family's budget in the period [currency]; NaN = no budget row (flagged ``no budget
        for <label>``, never a budget gap).
    overloads : list of (resource, utilization, hours over, family's hours, family's units)
    first_period : bool
        Nothing can be built before the first plan period: defer instead of pre-build.
    material : float
        Budget gaps smaller than this amount are not flagged [currency].

    Examples
    --------
    >>> flag, text = decision("Garden", "2026-06", 0, 9e4, 1e5,
    ...                       [("MOULD", 1.18, 310.0, 310.0, 1200.0)], "", "EUR")
    >>> flag
    'MOULD at 118%; 10% below budget'
    >>> for part in text.split("; "):
    ...     print(part)
    Approve 310 h overtime on MOULD, pre-build or cut 1,200 units of Garden in 2026-06
    Close the EUR 10,000 budget gap of Garden (promotion, price) or accept it
    """
    flags, decisions = [], []
    for resource, util, over, hours, units in overloads:
        flags.append(f"{resource} at {util:.0%}")
        share = f" (its share of {over:,.0f} h)" if hours < over - 0.5 else ""
        move = "defer or cut" if first_period else "pre-build or cut"
        decisions.append(
            f"Approve {hours:,.0f} h overtime on {resource}{share}, {move} {units:,.0f} units "
            f"of {family} in {label}"
        )
    if gap < -SHORTAGE_UNITS:
        flags.append(f"short {-gap:,.0f} units")
        if not overloads:
            which = f" ({short_items})" if short_items else ""
            decisions.append(
                f"Expedite {-gap:,.0f} units of {family}{which} or agree the backlog with customers"
            )
    if budget != budget:
        flags.append(f"no budget for {label}")
    elif budget > 0 and abs(revenue - budget) >= material:
        ratio = revenue / budget - 1
        if ratio < BELOW_BUDGET:
            flags.append(f"{-ratio:.0%} below budget")
            decisions.append(
                f"Close the {_money(revenue - budget, currency)} budget gap of {family} "
                "(promotion, price) or accept it"
            )
        elif ratio > ABOVE_BUDGET:
            flags.append(f"{ratio:.0%} above budget")
    return "; ".join(flags), "; ".join(decisions)


def reconcile_step(
    inputs: CycleInputs, supply_table: pd.DataFrame, capacity_table: pd.DataFrame
) -> ReconcileResult:
    """Reconciliation rows of every family and plan period.

    Parameters
    ----------
    inputs : CycleInputs
    supply_table, capacity_table : DataFrame
        tblSupplyPlan and tblCapacity (from this run or the book).
    """
    items = inputs.items
    labels = inputs.labels
    flows = item_flows(inputs, supply_table)
    n = len(labels)
    plan = pd.DataFrame(
        {
            "family": np.repeat(items["Family"].to_numpy(), n),
            "period": np.tile(labels, len(items)),
            "demand": flows.demand.to_numpy().reshape(-1),
            "supply": flows.shipments.to_numpy().reshape(-1),
            "price": np.repeat(items["UnitPrice"].fillna(0.0).to_numpy(), n),
            "unit_cost": np.repeat(items["UnitCost"].fillna(0.0).to_numpy(), n),
        }
    )
    families = families_of(inputs)
    grid = budget_grid(inputs, families)
    budget = grid.stack().rename("revenue").reset_index()
    budget.columns = ["family", "period", "revenue"]
    table = reconcile_table(plan, budget)
    notes = []
    unbudgeted = missing_budget_text(grid.isna())
    if unbudgeted:
        notes.append(
            f"{unbudgeted}: Budget and GapToBudget left blank, their totals count only the "
            "periods with a budget"
        )
    order = {f: i for i, f in enumerate(families)}
    table = table.sort_values(
        ["Period", "Family"], key=lambda c: c.map(order) if c.name == "Family" else c
    ).reset_index(drop=True)
    overloads = family_overloads(inputs, flows, capacity_table)
    currency = str(inputs.settings.get("Currency") or "")
    period_budget = table.groupby("Period")["Budget"].sum()
    texts = []
    for row in table.itertuples(index=False):
        members = items.index[items["Family"] == row.Family]
        texts.append(
            decision(
                row.Family,
                row.Period,
                row.Gap,
                row.Revenue,
                row.Budget,
                overloads.get((row.Family, row.Period), []),
                _short_items(flows, members, row.Period) if row.Gap < -SHORTAGE_UNITS else "",
                currency,
                first_period=row.Period == labels[0],
                material=MATERIAL_BUDGET_GAP * float(period_budget[row.Period]),
            )
        )
    table["Flag"] = [t[0] for t in texts]
    table["DecisionNeeded"] = [t[1] for t in texts]
    columns = schema.table("tblReconciliation").headers
    out = table[columns].copy()
    numeric = ["Demand", "Supply", "Gap", "Revenue", "Budget", "GapToBudget", "GrossMargin"]
    out[numeric] = out[numeric].astype(float).round(2)
    return ReconcileResult(out, notes)
