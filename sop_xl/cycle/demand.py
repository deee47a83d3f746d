"""Step 2, demand plan: the consensus demand = statistical forecast + adjustments.

Per item i and plan period t, with F the statistical forecast (tblForecast):

    D_it = max(0, F_it * (1 + p_it + p_ft) + q_it + share_it * q_ft)

- p_it, q_it: the sum of the item's own adjustments in t (Percent as a fraction, Qty in units);
- p_ft, q_ft: the same for its family f; a family Qty is **prorated over the family's items
  that sell in t by their statistical forecast in t** (:func:`sop_xl.reconcile.prorate_groups`:
  the parts sum exactly to the Qty; an equal split when those items all forecast 0), so
  share_it = F_it / sum of F over them. An item sells in t unless it is end-of-life (its plan is
  what its stock serves, so a share would be cut away and the promotion lost) or its own
  adjustments cut it by 100% or more in t; a family with no item selling in t keeps its Qty out
  of the plan. The Log says where each family Qty went (family, period, how many items);
- several adjustments on the same item (or family) and period add up; adjustments outside the
  plan periods are ignored (and reported);
- a result below 0 is cut to 0 (reported).

New products: the forecast step gives a young item its like item's (or family's) launch curve
or its family profile (:mod:`sop_xl.forecast.newitems`); a launch volume is a ``new product``
Qty adjustment on top.

End-of-life items (Status ``eol``): nothing new is made for them (the supply step plans no
production), so their plan is the demand the remaining stock can serve: the cumulative demand
plan is capped by opening on-hand + open receipts, and from the phase-out date their demand is
0: the item's EndPeriod (tblItems), or the first period with an adjustment of -100% or below,
whichever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, grid_of, wide_table
from sop_xl.reconcile import prorate_groups


@dataclass(frozen=True)
class DemandResult:
    """tblDemandPlan (Item, Family, one column per plan period) and notes for the Log."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _sums(frame: pd.DataFrame, key: str, column: str, labels: list[str]) -> pd.DataFrame:
    """The adjustments' ``column`` summed per ``key`` (item or family) and label."""
    sums = frame.dropna(subset=[column]).pivot_table(
        index=key, columns="label", values=column, aggfunc="sum"
    )
    return sums.reindex(columns=labels, fill_value=0.0).fillna(0.0)


def sells(inputs: CycleInputs, items: pd.Index, own_percent: pd.DataFrame) -> pd.DataFrame:
    """Items x labels: True where the item takes a share of a family Qty (see the module
    docstring): not end-of-life and not cut by 100% or more by its own adjustments."""
    eol = (inputs.items["Status"].reindex(items) == "eol").to_numpy()
    return (own_percent.reindex(items).fillna(0.0) > -1.0) & ~eol[:, None]


def spread_family_qty(
    totals: pd.DataFrame, forecast: pd.DataFrame, family: pd.Series, selling: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """Each family Qty over the family's selling items by forecast, and what went where.

    Parameters
    ----------
    totals : DataFrame
        Families x labels: the summed family Qty [units].
    forecast : DataFrame
        Items x labels: the statistical forecast (the weights) [units].
    family : Series
        The family of each item.
    selling : DataFrame of bool
        Items x labels: the items that may take a share (:func:`sells`).

    Returns
    -------
    parts : DataFrame
        Items x labels: each item's share [units]; per family and label they sum to its Qty.
    where : list of str
        ``Heating 2026-03 +500 over 2 of 3 items`` per family Qty, and the ones not applied.

    Examples
    --------
    >>> family = pd.Series({"a": "F", "b": "F", "e": "F"})
    >>> forecast = pd.DataFrame({"P": [100.0, 300.0, 200.0]}, index=family.index)
    >>> selling = pd.DataFrame({"P": [True, True, False]}, index=family.index)
    >>> parts, where = spread_family_qty(pd.DataFrame({"P": [500.0]}, index=["F"]),
    ...                                  forecast, family, selling)
    >>> parts["P"].tolist(), where
    ([125.0, 375.0, 0.0], ['F P +500 over 2 of 3 items'])
    """
    items = forecast.index
    parts = pd.DataFrame(0.0, index=items, columns=forecast.columns)
    where = []
    size = family.value_counts()
    for label in forecast.columns:
        column = totals[label]
        column = column[column != 0]
        if column.empty:
            continue
        members = items[selling[label].to_numpy() & family.isin(column.index).to_numpy()]
        count = family[members].value_counts()
        for name, qty in column.items():
            took = int(count.get(name, 0))
            if took:
                where.append(f"{name} {label} {qty:+,.0f} over {took} of {size[name]} items")
            else:
                where.append(f"{name} {label} {qty:+,.0f} not applied: no item of it sells")
        if len(members):
            spread = prorate_groups(
                column[column.index.isin(count.index)], forecast.loc[members, label],
                family[members],
            )  # fmt: skip
            parts.loc[members, label] = spread.to_numpy()
    return parts, where


def adjustment_grids(
    inputs: CycleInputs, forecast: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Percent and Qty adjustments per item and plan period (family ones spread to items).

    Parameters
    ----------
    inputs : CycleInputs
    forecast : DataFrame
        Statistical forecast, items x plan period labels.

    Returns
    -------
    percent, qty : DataFrame
        Items x labels: the summed fractions (item + its family) and the units (item + its
        share of the family Qty, over the items that sell: :func:`spread_family_qty`).
    notes : list of str
    """
    labels = inputs.labels
    items = forecast.index
    family = inputs.items["Family"].reindex(items)
    percent = pd.DataFrame(0.0, index=items, columns=labels)
    qty = pd.DataFrame(0.0, index=items, columns=labels)
    notes = []
    adj = inputs.adjustments.copy()
    if adj.empty:
        return percent, qty, notes
    adj["label"] = [inputs.label(p) for p in adj["period"]]
    outside = ~adj["label"].isin(labels)
    if outside.any():
        notes.append(
            f"{int(outside.sum())} adjustment(s) outside the plan periods ignored "
            f"(Adjustments rows {', '.join(str(r) for r in adj.index[outside][:5])})"
        )
    adj = adj[~outside]
    by_item = adj[adj["item"].notna()]
    by_family = adj[adj["item"].isna() & adj["family"].notna()]
    own = _sums(by_item, "item", "percent", labels).reindex(items, fill_value=0.0)
    percent += own.to_numpy()
    qty += _sums(by_item, "item", "qty", labels).reindex(items, fill_value=0.0).to_numpy()
    percent += (
        _sums(by_family, "family", "percent", labels).reindex(family, fill_value=0.0).to_numpy()
    )
    totals = _sums(by_family, "family", "qty", labels)
    totals = totals[totals.index.isin(family.dropna().unique())]
    if not totals.empty and (totals != 0).to_numpy().any():
        parts, where = spread_family_qty(totals, forecast, family, sells(inputs, items, own))
        qty += parts.to_numpy()
        shown = "; ".join(where[:5]) + (f"; and {len(where) - 5} more" if len(where) > 5 else "")
        notes.append(
            f"family Qty spread over the items that sell (not eol, not cut by 100%): {shown}"
        )
    return percent, qty, notes


def phase_out(inputs: CycleInputs, demand: pd.DataFrame) -> pd.DataFrame:
    """The eol items' demand: cut to what their stock serves, zero from the phase-out date."""
    items = inputs.items
    eol = items.index[(items["Status"] == "eol") & items.index.isin(demand.index)]
    if not len(eol):
        return demand
    demand = demand.copy()
    labels = inputs.labels
    adj = inputs.adjustments
    cut = adj[adj["item"].isin(eol) & (adj["percent"] <= -1)].groupby("item")["period"].min()
    if "EndPeriod" in items:  # issue 15: the phase-out date declared on the item
        cut = pd.concat([cut, items.loc[eol, "EndPeriod"].dropna()]).groupby(level=0).min()
    for item, period in cut.items():
        demand.loc[item, [lab for lab, p in zip(labels, inputs.periods, strict=True)
                          if p >= period]] = 0.0  # fmt: skip
    receipts = inputs.receipts[inputs.receipts["item"].isin(eol)].copy()
    receipts["label"] = [inputs.label(p) for p in receipts["period"]]
    inflow = receipts.pivot_table(index="item", columns="label", values="qty", aggfunc="sum")
    inflow = inflow.reindex(index=eol, columns=labels).fillna(0.0)
    available = items.loc[eol, "OnHand"].fillna(0.0).clip(lower=0).to_numpy()[:, None]
    available = available + inflow.cumsum(axis=1).to_numpy()
    served = np.minimum(demand.loc[eol].cumsum(axis=1).to_numpy(), available)
    served = np.maximum.accumulate(served, axis=1)
    demand.loc[eol] = np.diff(served, axis=1, prepend=0.0)
    return demand


def demand_step(inputs: CycleInputs, forecast_table: pd.DataFrame) -> DemandResult:
    """Consensus demand plan of every item.

    Parameters
    ----------
    inputs : CycleInputs
    forecast_table : DataFrame
        tblForecast, from the forecast step or read from the book.

    Returns
    -------
    DemandResult
    """
    forecast = grid_of(forecast_table, "Item", inputs.labels)
    items = inputs.items.index
    forecast = forecast.reindex(items).fillna(0.0)
    percent, qty, notes = adjustment_grids(inputs, forecast)
    raw = forecast * (1.0 + percent) + qty
    negative = raw < 0
    if negative.to_numpy().any():
        first = negative.stack()
        item, label = first[first].index[0]
        notes.append(
            f"adjustments took demand below 0 in {int(negative.to_numpy().sum())} cell(s), "
            f"e.g. {item} {label} ({raw.at[item, label]:,.0f}); cut to 0"
        )
    demand = phase_out(inputs, raw.clip(lower=0.0))
    fixed = pd.DataFrame({"Item": items, "Family": inputs.items["Family"].to_numpy()})
    return DemandResult(wide_table(fixed, demand), notes)
