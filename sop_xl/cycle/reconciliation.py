"""Step 6, reconciliation: per family and period, what is off and what the meeting decides.

The numbers come from :func:`sop_xl.reconcile.reconcile_table` on the item plan: Demand = the
consensus demand, Supply = what the supply plan ships against it (stock carried in + receipts +
production, at most the demand: see :mod:`sop_xl.cycle.finance`), so Gap = Supply - Demand is
the demand not served in its period (negative = shortage); Revenue, Budget, GapToBudget and
GrossMargin as in DESIGN.md.

Flags, in the order the meeting takes them:

- **capacity**: the supply plan has a Shortfall for the family's items on resource R in the
  period: requirement due then that R's hours (overtime included) cannot make in time, even
  pre-built (:mod:`sop_xl.supply.allocation`). Flag ``R needs X% of its hours`` (RequiredLoad
  / Available); decision ``Approve H h overtime on R by P to make N units of F (revenue), or
  accept the backlog`` with H = the shortfall units x HoursPerUnit, the hours that would close
  the gap. A resource whose requirement fits after pre-building needs no decision, and a
  safety-stock rebuild inside the frozen zone never makes one (nothing is required there).
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


@dataclass(frozen=True)
class Constraint:
    """A resource too short for a family's requirement in one period (issue 11).

    Attributes
    ----------
    resource : str
    needed : float
        RequiredLoad / Available of the resource in the period [-] (2.0 = the requirement
        needs twice its hours).
    hours : float
        Overtime hours that would make the family's shortfall on it [h].
    units : float
        The family's shortfall on it: requirement due in the period that the plan cannot make
        in time [units].
    revenue : float
        units x UnitPrice [currency]: the revenue at risk.
    """

    resource: str
    needed: float
    hours: float
    units: float
    revenue: float


def family_constraints(
    inputs: CycleInputs, supply_table: pd.DataFrame, capacity_table: pd.DataFrame
) -> dict[tuple[str, str], list[Constraint]]:
    """Capacity constraints per (family, label) from the supply plan's Shortfall rows.

    Only real constraints count: a shortfall exists only where the requirement does not fit
    the resource's hours (overtime included) even with pre-builds; shortfalls under 0.5 units
    or 0.01 h are residue and ignored.
    """
    labels = inputs.labels
    items = inputs.items
    short = grid_of(supply_table, "Item", labels, measure="Shortfall")
    if short.empty:
        return {}
    short = short.reindex(items.index).fillna(0.0)
    required = grid_of(capacity_table, "Resource", labels, measure="RequiredLoad")
    available = grid_of(capacity_table, "Resource", labels, measure="Available")
    hours = items["HoursPerUnit"].fillna(0.0)
    price = items["UnitPrice"].fillna(0.0)
    out: dict[tuple[str, str], list[Constraint]] = {}
    rows, cols = np.nonzero(short.to_numpy() > SHORTAGE_UNITS)
    found: dict[tuple[str, str, str], list[float]] = {}
    for r, c in zip(rows, cols, strict=True):
        item = short.index[r]
        key = (items.at[item, "Family"], labels[c], str(items.at[item, "Resource"]))
        units = float(short.iat[r, c])
        sums = found.setdefault(key, [0.0, 0.0, 0.0])
        sums[0] += units * float(hours[item])
        sums[1] += units
        sums[2] += units * float(price[item])
    for (family, label, resource), (need_h, units, revenue) in found.items():
        if need_h < 0.01:
            continue
        cap = available.at[resource, label] if resource in available.index else 0.0
        req = required.at[resource, label] if resource in required.index else 0.0
        needed = req / cap if cap else np.inf
        out.setdefault((family, label), []).append(
            Constraint(resource, needed, need_h, units, revenue)
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
    constraints: list[Constraint],
    short_items: str,
    currency: str,
    *,
    first_period: bool = False,
    material: float = 0.0,
    at_risk: float = 0.0,
) -> tuple[str, str]:
    """Flag and decision text of one family and period.

    Parameters
    ----------
    budget : float
        The family's budget in the period [currency]; NaN = no budget row (flagged ``no budget
        for <label>``, never a budget gap).
    constraints : list of Constraint
        The resources too short for the family's requirement in the period.
    first_period : bool
        Kept for callers; overtime in the period itself is the decision either way.
    material : float
        Budget gaps smaller than this amount are not flagged [currency].
    at_risk : float
        The revenue of the demand not shipped in the period, sum of (demand - shipments) x
        UnitPrice over the family's items [currency]; shown with a shortage.

    Examples
    --------
    >>> flag, text = decision("Garden", "2026-06", -1200, 9e4, 1e5,
    ...     [Constraint("MOULD", 1.18, 310.0, 1200.0, 24000.0)], "", "EUR", at_risk=24000.0)
    >>> flag
    'MOULD needs 118% of its hours; short 1,200 units (EUR 24,000); 10% below budget'
    >>> overtime, budget = text.split("; ")
    >>> print(overtime.split(" (")[0])
    Approve 310 h overtime on MOULD by 2026-06 to make 1,200 units of Garden
    >>> print(overtime.split(" (")[1])
    EUR 24,000), or accept the backlog
    >>> print(budget)
    Close the EUR 10,000 budget gap of Garden (promotion, price) or accept it
    """
    flags, decisions = [], []
    for c in constraints:
        flags.append(f"{c.resource} needs {c.needed:.0%} of its hours")
        decisions.append(
            f"Approve {c.hours:,.0f} h overtime on {c.resource} by {label} to make "
            f"{c.units:,.0f} units of {family} ({_money(c.revenue, currency)}), or accept the "
            "backlog"
        )
    if gap < -SHORTAGE_UNITS:
        risk = f" ({_money(at_risk, currency)})" if at_risk else ""
        flags.append(f"short {-gap:,.0f} units{risk}")
        if not constraints:
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
    constraints = family_constraints(inputs, supply_table, capacity_table)
    currency = str(inputs.settings.get("Currency") or "")
    period_budget = table.groupby("Period")["Budget"].sum()
    unserved = (flows.demand - flows.shipments).clip(lower=0.0)
    at_risk = unserved.mul(items["UnitPrice"].fillna(0.0), axis=0).groupby(items["Family"]).sum()
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
                constraints.get((row.Family, row.Period), []),
                _short_items(flows, members, row.Period) if row.Gap < -SHORTAGE_UNITS else "",
                currency,
                first_period=row.Period == labels[0],
                material=MATERIAL_BUDGET_GAP * float(period_budget[row.Period]),
                at_risk=float(at_risk.at[row.Family, row.Period]) if row.Gap < 0 else 0.0,
            )
        )
    table["Flag"] = [t[0] for t in texts]
    table["DecisionNeeded"] = [t[1] for t in texts]
    columns = schema.table("tblReconciliation").headers
    out = table[columns].copy()
    numeric = ["Demand", "Supply", "Gap", "Revenue", "Budget", "GapToBudget", "GrossMargin"]
    out[numeric] = out[numeric].astype(float).round(2)
    return ReconcileResult(out, notes)
