"""The plan archive at scale: snapshot one cycle, lag-1/lag-3 accuracy and FVA per item in SQL.

``python benchmarks/archive_speed.py`` builds the issue's archive, 60 cycles x 10,000 items x
18 periods x 4 kinds (43.2 million rows), in a DuckDB file in a temporary folder (or
``--url postgresql://...``), then times the code paths a cycle runs against it:

- the archive is filled by bulk inserts of Arrow tables straight into the archive's own
  ``history`` table (:func:`fill`), not through :meth:`Archive.snapshot`, which would take
  60 snapshots to build it;
- **snapshot**: :meth:`Archive.snapshot` of one more cycle (10,000 x 18 x 4 = 720,000 rows, built
  from typed tblHistory rows as ``sop-xl snapshot`` gives them), and of the same cycle again
  (its rows replaced);
- **accuracy**: :func:`sop_xl.cycle.records.archive_lag_sums` (lag 1 and lag 3 sums per item,
  aggregated in the database, against 36 months of actuals) and
  :func:`sop_xl.records.accuracy.tables_from_sums` (tblFVA and tblForecastAccuracy per item,
  family and total), as the kpis step reads them.

CPU seconds are printed beside the wall-clock ones (DuckDB runs 2 threads): on a machine
shared with other jobs, the wall clock says more about the load than about the code.

    python benchmarks/archive_speed.py              # 60 x 10,000 (43.2 million rows)
    python benchmarks/archive_speed.py --items 2000 --cycles 12   # quick

Figures are in the README's plan archive section.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa

from sop_xl.cycle.records import archive_lag_sums
from sop_xl.records.accuracy import tables_from_sums
from sop_xl.records.archive import Archive, open_archive, period_numbers

KINDS = ["forecast", "demand plan", "supply plan", "revenue"]


def cycle_rows(cycle: pd.Timestamp, items: np.ndarray, horizon: int, rng) -> pd.DataFrame:
    """One cycle's typed tblHistory rows (``cycle, snapshot_time, kind, item, period, qty``)."""
    grid = np.meshgrid(np.arange(len(KINDS)), np.arange(items.size), np.arange(horizon),
                       indexing="ij")  # fmt: skip
    k, i, h = (a.ravel() for a in grid)
    periods = pd.date_range(cycle, periods=horizon, freq="MS")
    return pd.DataFrame(
        {
            "cycle": np.full(k.size, cycle.to_datetime64()),
            "snapshot_time": "2026-12-03 09:00:00",
            "kind": np.array(KINDS, dtype=object)[k],
            "item": items[i],
            "period": periods.values[h],
            "qty": rng.gamma(2.0, 50.0, k.size).round(2),
        }
    )


def fill(archive: Archive, plan: str, cycles: pd.DatetimeIndex, items: np.ndarray,
         horizon: int, rng) -> int:  # fmt: skip
    """Insert ``cycles`` x ``items`` x ``horizon`` x 4 kinds into the archive's history table in
    bulk (Arrow tables in the table's column order); returns the rows inserted."""
    total = 0
    for cycle in cycles:
        rows = cycle_rows(cycle, items, horizon, rng)
        cycle_no = period_numbers(rows["cycle"], "MS")
        period_no = period_numbers(rows["period"], "MS")
        table = pa.table(
            {
                "plan": pa.array(np.full(len(rows), plan, dtype=object), pa.string()),
                "cycle": pa.array(rows["cycle"].values.astype("datetime64[D]")),
                "snapshot_time": pa.array(rows["snapshot_time"], pa.string()),
                "kind": pa.array(rows["kind"], pa.string()),
                "item": pa.array(rows["item"], pa.string()),
                "period": pa.array(rows["period"].values.astype("datetime64[D]")),
                "ahead": pa.array((period_no - cycle_no).astype(np.int32)),
                "period_no": pa.array(period_no.astype(np.int32)),
                "qty": pa.array(rows["qty"].to_numpy()),
            }
        )
        if archive.kind == "duckdb":
            archive.connection.register("bulk_rows", table)
            archive.connection.execute("INSERT INTO history SELECT * FROM bulk_rows")
            archive.connection.unregister("bulk_rows")
        else:
            archive._insert("history", table.to_pandas())
        total += table.num_rows
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=18)
    parser.add_argument("--url", default=None, help="a postgresql:// URL instead of DuckDB")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    items = np.array([f"I{i:05d}" for i in range(args.items)], dtype=object)
    cycles = pd.date_range("2021-01-01", periods=args.cycles + 1, freq="MS")
    plan = f"bench-{args.items}-{args.cycles}.xlsx"
    print(f"load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory() as folder:
        location = args.url or str(Path(folder) / "bench.duckdb")
        with open_archive(location) as archive:
            start = time.perf_counter()
            total = fill(archive, plan, cycles[:-1], items, args.horizon, rng)
            print(f"filled {total:,} rows ({args.cycles} cycles) in "
                  f"{time.perf_counter() - start:.0f} s (bulk Arrow inserts)")  # fmt: skip
        if not args.url:
            print(f"archive file: {os.path.getsize(location) / 2**30:.2f} GiB")
        with open_archive(location) as archive:  # reopened: what a cycle finds
            new = cycle_rows(cycles[-1], items, args.horizon, rng)
            start, cpu = time.perf_counter(), time.process_time()
            stored = archive.snapshot(plan, new, freq="MS")
            print(f"snapshot of one new cycle ({stored:,} rows): {time.perf_counter() - start:.2f}"
                  f" s (CPU {time.process_time() - cpu:.2f} s)")  # fmt: skip
            start, cpu = time.perf_counter(), time.process_time()
            archive.snapshot(plan, new.assign(snapshot_time="again"), freq="MS")
            print(f"the same cycle again (rows replaced): {time.perf_counter() - start:.2f} s "
                  f"(CPU {time.process_time() - cpu:.2f} s)")  # fmt: skip

            months = pd.date_range(cycles[-1] - pd.DateOffset(months=35), cycles[-1], freq="MS")
            actuals = pd.DataFrame(
                {
                    "item": np.repeat(items, len(months)),
                    "period": np.tile(months.values, len(items)),
                    "qty": rng.gamma(2.0, 50.0, len(items) * len(months)).round(0),
                }
            )
            inputs = SimpleNamespace(actuals=actuals, freq="MS")
            families = pd.Series([f"F{i % 50:02d}" for i in range(len(items))], index=items)
            start, cpu = time.perf_counter(), time.process_time()
            sums = archive_lag_sums(archive, plan, inputs)
            summed = time.perf_counter() - start
            fva, accuracy = tables_from_sums(sums, families)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            pairs = {lag: int(s["pairs"].sum()) for lag, s in sums.items()}
            print(f"lag-1 and lag-3 accuracy and FVA per item: {seconds:.2f} s (CPU {cpu:.2f} s) "
                  f"(sums in SQL {summed:.2f} s; {pairs} pairs; {len(accuracy):,} accuracy "
                  f"rows, FVA {len(fva)} rows)")  # fmt: skip
            if args.url:
                archive._execute("DELETE FROM history WHERE plan = ?", (plan,))
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
