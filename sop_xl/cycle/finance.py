"""Step 5, finance: the plan in money per family and period.

What ships: per item and period, the units available to ship are the stock carried in (if
positive) + receipts + production; **sales** (shipments) = min(demand, available), so a
shortage lowers revenue in its period. Backlog delivered late is not counted again (the plan's
revenue is conservative). Then, per family f and period t (DESIGN.md, "Finance and
reconciliation"):

- Revenue = sum of sales x UnitPrice; COGS = sum of sales x UnitCost; GrossMargin = Revenue -
  COGS;
- InventoryValue = sum of max(0, projected on-hand) x UnitCost (a backlog is no asset);
- WorkingCapital = InventoryValue + Revenue x DSO / DaysPerPeriod - COGS x DPO / DaysPerPeriod
  (receivables minus payables, Settings DSO, DPO, DaysPerPeriod);
- Budget = tblBudget Revenue; GapToBudget = Revenue - Budget.

A family and period without a budget row has **no** budget: Budget and GapToBudget are blank
(NaN), never 0, so a missing month is not shown as the whole revenue above budget. A total of
budget over several periods is only compared with revenue over the same cells: it is blank when
a family sells in a period without a budget (:func:`period_budget`), and the text naming those
cells comes from :func:`missing_budget_text`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, grid_of
from sop_xl.workbook.schema import FINANCE_MEASURES


@dataclass(frozen=True)
class ItemFlows:
    """Item x period grids (labels as columns) of the supply plan and what it ships."""

    demand: pd.DataFrame
    receipts: pd.DataFrame
    production: pd.DataFrame
    on_hand: pd.DataFrame
    safety_stock: pd.DataFrame
    shipments: pd.DataFrame
    backlog: pd.DataFrame | None = None  # owed at the end of each period (issue 11 plans)

    def served_in_period(self, opening_backlog: np.ndarray) -> np.ndarray:
        """Demand shipped in its own period [units]: shipments first pay what was owed before
        the period (``opening_backlog`` for the first), the rest serves the period's demand.

        S_t* = min(D_t, max(0, S_t - B_(t-1))), B_0 = the opening backlog.
        """
        demand, shipped = self.demand.to_numpy(), self.shipments.to_numpy()
        if self.backlog is None:
            return np.minimum(demand, shipped)
        owed = np.concatenate(
            [np.asarray(opening_backlog, float).reshape(-1, 1), self.backlog.to_numpy()[:, :-1]],
            axis=1,
        )
        return np.minimum(demand, np.maximum(0.0, shipped - owed))


def item_flows(inputs: CycleInputs, supply_table: pd.DataFrame) -> ItemFlows:
    """The supply plan's grids and the shipments they allow (see the module docstring).

    Notes
    -----
    Opening stock 10, demand 30 then 30, production 0 then 40: the first period ships the 10 in
    stock, the second 30 of the 40 made (the backlog of 20 is not counted again). A supply
    plan with a Shipments row (issue 11) gives its own shipments, backlog shipped late included.
    """
    items = inputs.items.index
    labels = inputs.labels

    def grid(measure: str) -> pd.DataFrame:
        found = grid_of(supply_table, "Item", labels, measure=measure)
        return found.reindex(items).fillna(0.0)

    demand, receipts, production, on_hand, safety = (
        grid(m) for m in ("Demand", "Receipts", "Production", "OnHand", "SafetyStock")
    )
    opening = inputs.items["OnHand"].fillna(0.0).to_numpy()[:, None]
    carried = np.concatenate([opening, on_hand.to_numpy()[:, :-1]], axis=1)
    available = np.maximum(carried, 0.0) + receipts.to_numpy() + production.to_numpy()
    shipped = np.clip(np.minimum(demand.to_numpy(), available), 0.0, None)
    shipments = pd.DataFrame(shipped, index=items, columns=labels)
    backlog = None
    if "Shipments" in set(supply_table["Measure"]):  # the plan's own (backlog shipped late)
        shipments = grid("Shipments")
    if "Backlog" in set(supply_table["Measure"]):
        backlog = grid("Backlog")
    return ItemFlows(demand, receipts, production, on_hand, safety, shipments, backlog)


def budget_grid(
    inputs: CycleInputs, families: list[str], periods: list[pd.Timestamp] | None = None
) -> pd.DataFrame:
    """tblBudget as families x period labels [currency]; NaN where no budget row exists.

    Parameters
    ----------
    inputs : CycleInputs
    families : list of str
    periods : list of Timestamp, optional
        The periods (columns, as labels); default the plan periods.
    """
    labels = inputs.labels if periods is None else [inputs.label(p) for p in periods]
    budget = inputs.budget.copy()
    budget["label"] = [inputs.label(p) for p in budget["period"]]
    grid = budget.pivot_table(index="family", columns="label", values="revenue", aggfunc="sum")
    return grid.reindex(index=families, columns=labels).astype(float)


def missing_budget(budget: pd.DataFrame, revenue: pd.DataFrame) -> pd.DataFrame:
    """Where a family sells without a budget: budget NaN and revenue not 0 (families x labels).

    A family with neither revenue nor budget in a period is not missing anything.
    """
    return budget.isna() & (revenue.reindex_like(budget).fillna(0.0).abs() > 0)


def period_budget(budget: pd.DataFrame, revenue: pd.DataFrame) -> pd.Series:
    """The budget of all families per period [currency]: NaN where no family has a budget or a
    family sells without one (:func:`missing_budget`), so it compares with the revenue."""
    total = budget.sum(axis=0, min_count=1)
    return total.where(~missing_budget(budget, revenue).any(axis=0))


def _labels_text(labels: list[str]) -> str:
    if len(labels) <= 3:
        return ", ".join(labels)
    return f"{labels[0]} to {labels[-1]} ({len(labels)} periods)"


def missing_budget_text(missing: pd.DataFrame) -> str:
    """``no budget for Kitchen in 2027-07, 2027-08`` from a families x labels mask; blank if
    nothing is missing.

    >>> mask = pd.DataFrame([[False, True], [False, False]], index=["F", "G"],
    ...                     columns=["2027-06", "2027-07"])
    >>> missing_budget_text(mask)
    'no budget for F in 2027-07'
    """
    if not missing.to_numpy().any():
        return ""
    families = [str(f) for f in missing.index[missing.any(axis=1)]]
    labels = [str(c) for c in missing.columns[missing.any(axis=0)]]
    return f"no budget for {', '.join(families)} in {_labels_text(labels)}"


def families_of(inputs: CycleInputs) -> list[str]:
    """Families in order of first appearance in tblItems."""
    return list(pd.unique(inputs.items["Family"].dropna()))


def family_money(inputs: CycleInputs, flows: ItemFlows) -> dict[str, pd.DataFrame]:
    """Every finance measure as a families x labels grid, keyed by measure name; Budget and
    GapToBudget are NaN where no budget row exists."""
    items = inputs.items
    family = items["Family"]
    price = items["UnitPrice"].fillna(0.0).to_numpy()[:, None]
    cost = items["UnitCost"].fillna(0.0).to_numpy()[:, None]
    families = families_of(inputs)

    def by_family(values: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(values, index=items.index, columns=inputs.labels)
        return frame.groupby(family.to_numpy()).sum().reindex(families).fillna(0.0)

    sales = flows.shipments.to_numpy()
    revenue = by_family(sales * price)
    cogs = by_family(sales * cost)
    inventory = by_family(np.maximum(flows.on_hand.to_numpy(), 0.0) * cost)
    days = float(inputs.settings["DaysPerPeriod"])
    receivables = revenue * float(inputs.settings["DSO"]) / days
    payables = cogs * float(inputs.settings["DPO"]) / days
    budget = budget_grid(inputs, families)
    return {
        "Revenue": revenue,
        "COGS": cogs,
        "GrossMargin": revenue - cogs,
        "InventoryValue": inventory,
        "WorkingCapital": inventory + receivables - payables,
        "Budget": budget,
        "GapToBudget": revenue - budget,
    }


@dataclass(frozen=True)
class FinanceResult:
    """tblFinancePlan (Family, Measure, one column per plan period)."""

    table: pd.DataFrame


def finance_step(inputs: CycleInputs, supply_table: pd.DataFrame) -> FinanceResult:
    """Revenue, COGS, margin, inventory value, working capital and budget gap per family.

    Parameters
    ----------
    inputs : CycleInputs
    supply_table : DataFrame
        tblSupplyPlan (from the supply step or the book).
    """
    money = family_money(inputs, item_flows(inputs, supply_table))
    families = families_of(inputs)
    rows = []
    for family in families:
        for measure in FINANCE_MEASURES:
            rows.append([family, measure, *np.round(money[measure].loc[family].to_numpy(), 2)])
    table = pd.DataFrame(rows, columns=["Family", "Measure", *inputs.labels])
    return FinanceResult(table)
