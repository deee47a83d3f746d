"""Run each scenario of tblScenarios beside the base plan, with the cycle's own steps.

The base plan's tables are read, never changed: each scenario copies the inputs and the
consensus demand plan, pulls its levers (:mod:`sop_xl.records.scenarios`), plans supply again
with the registry's supply step (:mod:`sop_xl.cycle.steps`, so safety stock follows a lead time
change and production follows demand, within capacity under the ``capacity`` strategy) and sums
demand, shipped supply, revenue, gross margin and working capital per family, as the finance
step does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import pandas as pd

from sop_xl.cycle.finance import families_of, family_money, item_flows
from sop_xl.cycle.inputs import CycleInputs
from sop_xl.records.scenarios import (
    COLUMNS,
    MEASURES,
    compare,
    factor_by_item,
    factor_by_resource,
    parse_scenarios,
)


def family_totals(inputs: CycleInputs, supply_table: pd.DataFrame) -> pd.DataFrame:
    """Families x :data:`~sop_xl.records.scenarios.MEASURES` over the plan horizon."""
    flows = item_flows(inputs, supply_table)
    money = family_money(inputs, flows)
    family = inputs.items["Family"].to_numpy()
    families = families_of(inputs)

    def units(grid: pd.DataFrame) -> pd.Series:
        return grid.sum(axis=1).groupby(family).sum().reindex(families).fillna(0.0)

    return pd.DataFrame(
        {
            "Demand": units(flows.demand),
            "Supply": units(flows.shipments),
            "Revenue": money["Revenue"].sum(axis=1),
            "GrossMargin": money["GrossMargin"].sum(axis=1),
            "WorkingCapital": money["WorkingCapital"].mean(axis=1),
        },
        index=families,
    )[list(MEASURES)]


def scenario_inputs(inputs: CycleInputs, levers) -> CycleInputs:
    """The inputs with the price, lead time and capacity levers pulled."""
    items = inputs.items.copy()
    items["UnitPrice"] = items["UnitPrice"] * factor_by_item(levers, "price", items)
    lead = items["LeadTime"] + factor_by_item(levers, "lead time", items)
    items["LeadTime"] = lead.clip(lower=0.0)
    resources = inputs.resources * factor_by_resource(levers, inputs.resources.index)
    return dataclasses.replace(inputs, items=items, resources=resources)


def scenario_demand(inputs: CycleInputs, demand_table: pd.DataFrame, levers) -> pd.DataFrame:
    """tblDemandPlan with the demand levers pulled (period columns scaled per item)."""
    factor = factor_by_item(levers, "demand", inputs.items)
    table = demand_table.copy()
    keys = table["Item"].map(lambda v: None if v is None else str(v).strip())
    scale = keys.map(factor).fillna(1.0).to_numpy()
    for label in inputs.labels:
        if label in table.columns:
            values = pd.to_numeric(table[label], errors="coerce")
            table[label] = (values * scale).round(2)
    return table


def scenario_table(
    inputs: CycleInputs,
    scenarios: pd.DataFrame,
    demand_table: pd.DataFrame,
    forecast_table: pd.DataFrame,
    supply_table: pd.DataFrame,
    *,
    supply: Callable[[CycleInputs, Mapping[str, pd.DataFrame]], pd.DataFrame],
) -> pd.DataFrame:
    """tblScenarioCompare: every scenario against the base plan, per family and Total.

    Parameters
    ----------
    inputs : CycleInputs
    scenarios : DataFrame
        tblScenarios as read from the book.
    demand_table, forecast_table, supply_table : DataFrame
        The base plan: tblDemandPlan, tblForecast and tblSupplyPlan (not changed).
    supply : callable, keyword-only
        ``supply(inputs, {"tblDemandPlan": ..., "tblForecast": ...})`` -> tblSupplyPlan: the
        cycle's supply step (:func:`sop_xl.cycle.steps.compute`).

    Returns
    -------
    DataFrame
        :data:`~sop_xl.records.scenarios.COLUMNS`; no rows when no scenario is defined.
    """
    parsed = parse_scenarios(scenarios)
    if not parsed:
        return pd.DataFrame(columns=COLUMNS)
    base = family_totals(inputs, supply_table)
    parts = []
    for name, levers in parsed.items():
        what = scenario_inputs(inputs, levers)
        demand = scenario_demand(inputs, demand_table, levers)
        plan = supply(what, {"tblDemandPlan": demand, "tblForecast": forecast_table})
        parts.append(compare(name, base, family_totals(what, plan)))
    out = pd.concat(parts, ignore_index=True)
    return out.astype(object).where(out.notna(), None)
