"""What the supply plan tells the meeting, on the demo and on a 1,000-item company.

Runs the whole cycle in memory on the demo company (``sop_xl.demo``) and on the synthetic
company of ``benchmarks/cycle_speed.py``, then prints, from the written tables only (so the
same script measures any version of sop-xl): the projected fill rate KPI, items short, units
short (demand not shipped in its own period), the units and revenue shipped, the overtime
hours the decisions ask for, the requirement's overload hours, the decision count and the peak
utilization of each resource in the plan.

    python benchmarks/supply_story.py                  # demo and 1,000 items
    python benchmarks/supply_story.py --items 300
"""

from __future__ import annotations

import argparse
import re

import numpy as np
import pandas as pd
from cycle_speed import synthetic_company  # benchmarks/ is on sys.path when run as a script

from sop_xl.cycle import run_cycle
from sop_xl.demo import demo_tables
from sop_xl.workbook.book import new_book
from sop_xl.workbook.fill import fill_inputs


def _grid(table: pd.DataFrame, key: str, measure: str) -> pd.DataFrame:
    labels = [c for c in table.columns if re.fullmatch(r"\d{4}-(\d{2}|W\d{2})", str(c))]
    rows = table[table["Measure"] == measure].set_index(key)[labels]
    return rows.apply(pd.to_numeric, errors="coerce").fillna(0.0)


def story(tables: dict[str, pd.DataFrame], jobs: int) -> dict[str, str]:
    book = new_book()
    fill_inputs(book.workbook, tables)
    run_cycle(book, save=False, n_jobs=jobs)
    supply = book.read_table("tblSupplyPlan")
    capacity = book.read_table("tblCapacity")
    rec = book.read_table("tblReconciliation")
    kpis = book.read_table("tblKPIs").set_index("KPI")["Value"]
    demand = _grid(supply, "Item", "Demand")
    on_hand = _grid(supply, "Item", "OnHand")
    decisions = rec["DecisionNeeded"].fillna("").astype(str)
    hours = sum(
        float(m.group(1).replace(",", ""))
        for text in decisions
        for m in re.finditer(r"Approve ([\d,]+) h overtime", text)
    )
    load = _grid(capacity, "Resource", "Load")
    available = _grid(capacity, "Resource", "Available")
    util = (load / available.where(available > 0)).max(axis=1)
    overload = (
        _grid(capacity, "Resource", "OverloadHours").to_numpy().sum()
        if "OverloadHours" in set(capacity["Measure"])
        else np.maximum(load - available, 0).to_numpy().sum()
    )
    fill = float(kpis["Projected fill rate"])
    return {
        "projected fill rate (KPI)": f"{fill:.1%}",
        "units short (demand x (1 - fill rate))": f"{demand.to_numpy().sum() * (1 - fill):,.0f}",
        "items short (a projected backlog)": f"{int((on_hand < -0.5).any(axis=1).sum())}",
        "units shipped / demand": f"{_grid(supply, 'Item', 'Shipments').to_numpy().sum():,.0f}"
        f" / {demand.to_numpy().sum():,.0f}",
        "overtime hours the decisions ask for": f"{hours:,.0f} h",
        "overload hours (requirement above hours)": f"{overload:,.0f} h",
        "reconciliation rows with a decision": f"{int((decisions != '').sum())} of {len(rec)}",
        "peak utilization in the plan": ", ".join(f"{r} {u:.0%}" for r, u in util.items()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    for name, tables in (
        ("demo", demo_tables()),
        (f"{args.items:,}-item company", synthetic_company(args.items)),
    ):
        print(name)
        for key, value in story(tables, args.jobs).items():
            print(f"  {key:<42} {value}")


if __name__ == "__main__":
    main()
