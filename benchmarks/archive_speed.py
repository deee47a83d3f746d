"""The plan archive at scale: snapshot one cycle, then lag-1/lag-3 accuracy sums in SQL.

``python benchmarks/archive_speed.py --cycles 60 --items 10000`` fills a DuckDB file (in a
temporary folder, or ``--url postgresql://...``) with CYCLES snapshots of ITEMS items x 18
periods x 4 kinds, timing each snapshot, then times :meth:`Archive.lag_sums` for lags 1 and 3
(per-item sums aggregated in the database) against 36 months of actuals. Prints the figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sop_xl.records.archive import open_archive

KINDS = ["forecast", "demand plan", "supply plan", "revenue"]


def cycle_rows(cycle: pd.Timestamp, items: list[str], horizon: int, rng) -> pd.DataFrame:
    n = len(items)
    k, i, h = (a.ravel() for a in np.meshgrid(
        np.arange(len(KINDS)), np.arange(n), np.arange(horizon), indexing="ij"))  # fmt: skip
    periods = pd.date_range(cycle, periods=horizon, freq="MS")
    return pd.DataFrame(
        {
            "cycle": cycle,
            "snapshot_time": "bench",
            "kind": np.array(KINDS)[k],
            "item": np.array(items)[i],
            "period": periods[h],
            "qty": rng.gamma(2.0, 50.0, len(k)).round(2),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=18)
    parser.add_argument("--url", default=None, help="a postgresql:// URL instead of DuckDB")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    items = [f"I{i:05d}" for i in range(args.items)]
    cycles = pd.date_range("2021-01-01", periods=args.cycles, freq="MS")
    with tempfile.TemporaryDirectory() as folder:
        location = args.url or str(Path(folder) / "bench.duckdb")
        plan = f"bench-{args.items}-{args.cycles}.xlsx"
        with open_archive(location) as archive:
            times = []
            for cycle in cycles:
                rows = cycle_rows(cycle, items, args.horizon, rng)
                start = time.perf_counter()
                archive.snapshot(plan, rows, freq="MS")
                times.append(time.perf_counter() - start)
            total = len(rows) * args.cycles
            print(f"{total:,} rows in {args.cycles} snapshots of {len(rows):,} rows")
            print(f"snapshot of one cycle: median {np.median(times):.2f} s, max {max(times):.2f} s")
            again = time.perf_counter()
            archive.snapshot(plan, rows, freq="MS")
            print(f"the last cycle snapshot again (replaced): {time.perf_counter() - again:.2f} s")
            months = pd.date_range(cycles[-1] - pd.DateOffset(months=35), cycles[-1], freq="MS")
            actuals = pd.DataFrame(
                {
                    "item": np.repeat(items, len(months)),
                    "period": np.tile(months, len(items)),
                    "qty": rng.gamma(2.0, 50.0, len(items) * len(months)).round(0),
                }
            )
            start = time.perf_counter()
            sums = {lag: archive.lag_sums(plan, actuals, lag=lag, freq="MS") for lag in (1, 3)}
            seconds = time.perf_counter() - start
            pairs = {lag: int(s.frame["pairs"].sum()) for lag, s in sums.items()}
            print(f"lag-1 and lag-3 sums per item: {seconds:.2f} s ({pairs} pairs)")
            if args.url:
                archive._execute("DELETE FROM history WHERE plan = ?", (plan,))


if __name__ == "__main__":
    main()
