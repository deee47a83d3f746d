"""The supply plan's engine at scale: requirement, capacity allocation and the plan.

A synthetic company of ``--items`` items (default 10,000) on ``--resources`` resources
(default 20) over ``--periods`` periods (default 18): seasonal demand, lead times of 0-3
periods, lot sizes, MOQs, open receipts, opening backlog, and resources sized so that about a
third of them are short in the peak season (so pre-building, shortfall and catch-up all run).
Times :func:`sop_xl.supply.production_plan_table` (chase requirement, the pre-build pass, the
catch-up pass and the flows) side by side with the uncapacitated requirement alone, best of
``--repeat`` runs, and reports the peak memory the call allocates (tracemalloc: numpy and
pandas buffers) and the plan's figures.

Target (issue 11): under 2 s of compute for 10,000 items x 20 resources x 18 periods.

    python benchmarks/supply_speed.py
    python benchmarks/supply_speed.py --items 1000 --resources 5
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from sop_xl.supply import production_plan_table


def company(items: int, resources: int, periods: int, seed: int = 1) -> dict:
    """Inputs of :func:`production_plan_table` for a synthetic company."""
    rng = np.random.default_rng(seed)
    names = pd.Index([f"I{i:05d}" for i in range(items)])
    months = np.arange(periods)
    level = rng.lognormal(3.5, 1.0, items)
    season = 1 + 0.5 * np.sin(
        2 * np.pi * (months[None, :] - rng.integers(0, 12, items)[:, None]) / 12
    )
    demand = pd.DataFrame(rng.poisson(level[:, None] * season).astype(float), index=names)
    resource = pd.Series([f"R{r:02d}" for r in rng.integers(0, resources, items)], index=names)
    hours = pd.Series(rng.uniform(0.01, 0.3, items), index=names)
    load = (demand.mul(hours, axis=0)).groupby(resource).sum()
    # a third of the resources get 85% of their mean load: short in the peaks
    factor = np.where(np.arange(resources) % 3 == 0, 0.85, 1.3)
    capacity = pd.Series(load.mean(axis=1).to_numpy() * factor, index=load.index)
    receipts = pd.DataFrame(0.0, index=names, columns=demand.columns)
    receipts.iloc[:, 0] = np.where(rng.random(items) < 0.3, level, 0.0)
    return {
        "demand": demand,
        "opening": pd.Series(rng.uniform(0, 3, items) * level, index=names),
        "safety_stock": pd.Series(0.5 * level, index=names),
        "lot_size": pd.Series(np.where(rng.random(items) < 0.3, 10.0, 0.0), index=names),
        "moq": pd.Series(np.where(rng.random(items) < 0.2, 20.0, 0.0), index=names),
        "resource": resource,
        "hours_per_unit": hours,
        "capacity": capacity,
        "receipts": receipts,
        "lead_time": pd.Series(rng.integers(0, 4, items).astype(float), index=names),
        "backlog": pd.Series(np.where(rng.random(items) < 0.05, level, 0.0), index=names),
        "build_periods": 3,
        "prebuild_periods": 3,
    }


def timed(repeat: int, **kwargs) -> tuple[float, object]:
    best, plan = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        plan = production_plan_table(**kwargs)
        best = min(best, time.perf_counter() - start)
    return best, plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--periods", type=int, default=18)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inputs = company(args.items, args.resources, args.periods)
    limits = ("resource", "hours_per_unit", "capacity", "prebuild_periods")
    unconstrained = {k: v for k, v in inputs.items() if k not in limits}
    base, _ = timed(args.repeat, **unconstrained)
    full, plan = timed(args.repeat, **inputs)
    tracemalloc.start()
    production_plan_table(**inputs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    demand = inputs["demand"].to_numpy()
    hours = inputs["hours_per_unit"]
    load = plan.production.mul(hours, axis=0).groupby(inputs["resource"]).sum()
    need = plan.required.mul(hours, axis=0).groupby(inputs["resource"]).sum()
    cap = inputs["capacity"].reindex(load.index).to_numpy()[:, None]
    served = np.minimum(demand, plan.shipments.to_numpy())
    print(f"{args.items:,} items x {args.resources} resources x {args.periods} periods")
    print(f"  requirement only (no capacity):        {base:6.3f} s")
    print(f"  requirement + allocation + plan:       {full:6.3f} s  (target < 2 s; "
          f"{full / base:.1f}x the requirement)")  # fmt: skip
    print(f"  peak memory allocated by the call:     {peak / 2**20:6.1f} MiB (tracemalloc)")
    print(f"  resource-periods short (requirement):  {int((need.to_numpy() > cap + 0.01).sum())}"
          f" of {need.size}")  # fmt: skip
    print(
        "  overload hours of the requirement:     "
        f"{np.maximum(need.to_numpy() - cap, 0).sum():,.0f} h"
    )
    print(f"  max load / available in the plan:      {(load.to_numpy() / cap).max():.4f}")
    print(
        f"  pre-built units:                       "
        f"{np.maximum(plan.production.to_numpy() - plan.required.to_numpy(), 0).sum():,.0f}"
    )
    print(f"  shortfall units / never made:          {plan.shortfall.to_numpy().sum():,.0f} / "
          f"{plan.unmet.sum():,.0f}")  # fmt: skip
    print(
        f"  shipped / demand (all periods):        "
        f"{plan.shipments.to_numpy().sum() / demand.sum():.2%}"
    )
    print(f"  demand shipped in its own period (at most): {served.sum() / demand.sum():.2%}")


if __name__ == "__main__":
    main()
