"""Benchmark: 100,000 items through safety stock, reorder point and an 18-period projection.

Run: ``python benchmarks/bench_inventory.py [--items N] [--periods T] [--repeat R]``.
Prints the compute seconds (best of R, inputs built beforehand) and the peak memory: the peak
of Python allocations during the compute (tracemalloc) and the process's peak resident set.
Target (issue 3): under 1 second for 100,000 items and 18 periods.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from sop_xl.inventory import fill_rate, reorder_point, safety_stock
from sop_xl.supply import days_of_supply, projected_inventory


def inputs(items: int, periods: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    index = pd.Index([f"SKU{i:06d}" for i in range(items)], name="Item")
    mean = rng.gamma(2.0, 50.0, items)
    columns = pd.period_range("2025-01", periods=periods, freq="M").strftime("%Y-%m")
    demand = pd.DataFrame(
        rng.poisson(mean[:, None], (items, periods)).astype(float), index=index, columns=columns
    )
    receipts = pd.DataFrame(
        np.where(rng.random((items, periods)) < 0.3, mean[:, None] * 3, 0.0),
        index=index,
        columns=columns,
    )
    return {
        "mean": pd.Series(mean, index=index),
        "sd": pd.Series(mean * rng.uniform(0.1, 0.6, items), index=index),
        "lead": pd.Series(rng.integers(0, 6, items).astype(float), index=index),
        "lead_sd": pd.Series(rng.uniform(0, 1, items), index=index),
        "level": pd.Series(rng.uniform(0.8, 0.995, items), index=index),
        "opening": pd.Series(mean * 2, index=index),
        "order": pd.Series(mean * 2, index=index),
        "demand": demand,
        "receipts": receipts,
    }


def cycle(data: dict) -> dict:
    """Safety stock, reorder point and projected inventory for every item."""
    ss = safety_stock(
        data["mean"],
        data["sd"],
        data["lead"],
        lead_time_sd=data["lead_sd"],
        service_level=data["level"],
        review_period=1,
    )
    rop = reorder_point(data["mean"], data["lead"], ss, review_period=1)
    on_hand = projected_inventory(data["opening"], data["demand"], data["receipts"])
    return {"ss": ss, "rop": rop, "on_hand": on_hand}


def extras(data: dict, ss) -> None:
    """Not in the target: fill-rate safety stock, its fill rate, days of supply."""
    fr = safety_stock(
        data["mean"],
        data["sd"],
        data["lead"],
        lead_time_sd=data["lead_sd"],
        service_level=data["level"],
        method="fill_rate",
        order_qty=data["order"],
        review_period=1,
    )
    fill_rate(fr, data["mean"], data["sd"], data["lead"], data["order"], review_period=1)
    on_hand = projected_inventory(data["opening"], data["demand"], data["receipts"])
    days_of_supply(on_hand, data["demand"])


def timed(func, *args, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=18)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    data = inputs(args.items, args.periods)
    seconds, result = timed(cycle, data, repeat=args.repeat)
    tracemalloc.start()
    cycle(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    extra_seconds, _ = timed(extras, data, result["ss"], repeat=max(1, args.repeat // 2))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    verdict = "meets" if seconds < 1.0 else "MISSES"
    print(f"items: {args.items:,}  periods: {args.periods}")
    print(
        f"safety stock + reorder point + projected inventory: {seconds:.3f} s (best of "
        f"{args.repeat}; target < 1 s: {verdict})"
    )
    print(f"peak memory during that compute (tracemalloc): {peak / 2**20:.1f} MiB")
    print(f"process peak resident set (inputs included): {rss:.0f} MiB")
    print(
        f"not in the target - fill-rate safety stock, fill rate, days of supply: "
        f"{extra_seconds:.3f} s"
    )


if __name__ == "__main__":
    main()
