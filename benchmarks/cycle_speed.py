"""The whole S&OP cycle headless on a big workbook: 1,000 items x 36 months, horizon 18.

Builds a synthetic company (five families with seasonal, trending, flat and intermittent
items, three resources, a budget, open receipts and adjustments), saves it as a workbook (not
timed), then times what ``sop-xl run`` does: open the file, validate and read the tables, each
step's compute, writing the output tables, and the atomic save. Peak memory is that of the
whole process tree (the forecast's worker processes included), sampled every 50 ms, as the
sum of resident sets (RSS, shared pages counted in every process) and of proportional set
sizes (PSS, shared pages split), see ``batch_speed.PeakMemory``.

Before the cycle, the forecast batch alone (``forecast_frame``, method auto) is timed on the
same items in the same run, for the ratio cycle / batch.

Targets (issue 14): 1,000 items under 15 s and 1 GiB; 10,000 items with an archive of 24
earlier cycles under 3 minutes and 2 GiB, the cycle at most 1.5x the forecast batch alone.

    python benchmarks/cycle_speed.py               # 1,000 items
    python benchmarks/cycle_speed.py --items 200
    python benchmarks/cycle_speed.py --items 10000 --archive-cycles 24
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from batch_speed import PeakMemory  # benchmarks/ is on sys.path when run as a script

from sop_xl.cycle import run_cycle
from sop_xl.forecast.batch import forecast_frame
from sop_xl.workbook import schema
from sop_xl.workbook.book import new_book, open_book
from sop_xl.workbook.fill import fill_inputs

# cold runs: every item is forecast, none comes from the results cache (sop_xl.forecast.cache)
os.environ["SOP_XL_CACHE"] = "0"

FAMILIES = {  # family: (resource, price range, season peak month, amplitude)
    "Garden": ("MOULD", (10, 90), 6, 0.6),
    "Heating": ("ASSY", (40, 250), 12, 0.6),
    "Kitchen": ("ASSY", (15, 140), 11, 0.1),
    "Tools": ("MOULD", (8, 60), 4, 0.25),
    "Spares": ("CNC", (5, 40), 1, 0.0),
}
HOURS = {"MOULD": (0.02, 0.06), "ASSY": (0.08, 0.3), "CNC": (0.3, 1.0)}


def synthetic_company(n_items: int, months: int = 36, seed: int = 11) -> dict[str, pd.DataFrame]:
    """Input tables of a company with ``n_items`` items and ``months`` of actuals."""
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2023-01-01", periods=months, freq="MS")
    start = periods[-1] + pd.DateOffset(months=1)
    families = rng.choice(list(FAMILIES), size=n_items, p=[0.25, 0.2, 0.25, 0.15, 0.15])
    rows, actual_blocks = [], []
    for k, family in enumerate(families):
        resource, prices, peak, amplitude = FAMILIES[family]
        code = f"{family[:2].upper()}-{k:05d}"
        price = float(np.exp(rng.uniform(*np.log(prices))))
        level = float(rng.lognormal(5, 0.8)) if family != "Spares" else float(rng.uniform(5, 40))
        t = np.arange(months)
        if family == "Spares":
            qty = np.round((rng.random(months) < 0.35) * rng.gamma(4, level / 4, months))
        else:
            season = np.maximum(
                1 + amplitude * np.cos(2 * np.pi * (periods.month.to_numpy() - peak) / 12), 0.15
            )
            trend = 1 + rng.choice([0, 0.02, -0.015], p=[0.7, 0.15, 0.15]) * t
            noise = rng.normal(1, rng.uniform(0.08, 0.25), months).clip(0.4, 1.8)
            qty = np.round(level * season * np.maximum(trend, 0.2) * noise)
        status = "new" if k % 97 == 5 else "eol" if k % 89 == 7 else "active"
        first = months - 5 if status == "new" else 0
        actual_blocks.append(pd.DataFrame({"Item": code, "Period": periods[first:],
                                           "Qty": qty[first:]}))  # fmt: skip
        lot = {"MOULD": 100, "ASSY": 50, "CNC": 10}[resource]
        rows.append({"Item": code, "Description": f"{family} item {k}", "Family": family,
                     "Unit": "pcs", "UnitPrice": round(price, 2),
                     "UnitCost": round(price * rng.uniform(0.5, 0.7), 2),
                     "LeadTime": {"MOULD": 1, "ASSY": 2, "CNC": 3}[resource],
                     "LeadTimeSD": 0.3, "ServiceLevel": None, "MOQ": 2 * lot, "LotSize": lot,
                     "Resource": resource, "HoursPerUnit": round(rng.uniform(*HOURS[resource]), 3),
                     "OnHand": float(np.ceil(1.5 * qty[-6:].mean() / lot) * lot),
                     "CycleTimeDays": 5.0, "Owner": "planner", "Status": status})  # fmt: skip
    items = pd.DataFrame(rows)
    actuals = pd.concat(actual_blocks, ignore_index=True)
    hours = actuals[actuals["Period"] >= periods[-12]].merge(
        items[["Item", "Resource", "HoursPerUnit"]], on="Item"
    )
    load = (hours["Qty"] * hours["HoursPerUnit"]).groupby(hours["Resource"]).sum() / 12
    resources = pd.DataFrame({"Resource": load.index, "HoursPerPeriod": (load / 0.8).round(-1),
                              "Description": "synthetic"})  # fmt: skip
    revenue = actuals.merge(items[["Item", "Family", "UnitPrice"]], on="Item")
    revenue["Revenue"] = revenue["Qty"] * revenue["UnitPrice"]
    monthly = revenue.groupby(["Family", revenue["Period"].dt.month])["Revenue"].mean()
    plan = pd.date_range(start, periods=18, freq="MS")
    budget = pd.DataFrame([{"Family": f, "Period": p, "Revenue": round(monthly[(f, p.month)], -2)}
                           for p in plan for f in FAMILIES])  # fmt: skip
    chosen = items.sample(min(100, n_items), random_state=seed)
    receipts = pd.DataFrame({"Item": chosen["Item"], "Period": start, "Qty": chosen["LotSize"] * 4})
    adjustments = pd.DataFrame(
        [(None, "Garden", start + pd.DateOffset(months=4), None, 0.1, "marketing", "x", "TV"),
         (items["Item"].iloc[0], None, start, 500.0, None, "sales", "x", "tender")],
        columns=schema.table("tblAdjustments").headers,
    )  # fmt: skip
    settings = pd.DataFrame({"Key": ["Company", "CycleStart"], "Value": ["Bench", start]})
    return {"tblSettings": settings, "tblItems": items, "tblActuals": actuals,
            "tblResources": resources, "tblBudget": budget, "tblReceipts": receipts,
            "tblAdjustments": adjustments}  # fmt: skip


def fill_archive(location: Path, tables: dict[str, pd.DataFrame], cycles: int) -> int:
    """A DuckDB archive holding ``cycles`` earlier cycles of the company (each 18 periods x
    4 kinds per item, lag-1 plans of the last months included); returns the rows stored."""
    from archive_speed import cycle_rows

    from sop_xl.records.archive import open_archive

    rng = np.random.default_rng(0)
    items = tables["tblItems"]["Item"].tolist()
    start = pd.Timestamp(tables["tblSettings"].set_index("Key").loc["CycleStart", "Value"])
    rows = 0
    with open_archive(str(location)) as archive:
        for k in range(cycles, 0, -1):
            history = cycle_rows(start - pd.DateOffset(months=k), items, 18, rng)
            rows += archive.snapshot(location.with_suffix(".xlsx").name, history, freq="MS")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument(
        "--archive-cycles",
        type=int,
        default=0,
        help="earlier cycles in a DuckDB archive (Settings Archive); 0 = none",
    )
    parser.add_argument(
        "--no-batch",
        action="store_true",
        help="skip timing the forecast batch alone on the same items",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sop_cycle_bench_"))
    path = folder / "bench.xlsx"
    book = new_book()
    tables = synthetic_company(args.items)
    if args.archive_cycles:
        settings = tables["tblSettings"]
        tables["tblSettings"] = pd.concat(
            [settings, pd.DataFrame({"Key": ["Archive"], "Value": ["bench.duckdb"]})],
            ignore_index=True,
        )
        started = time.perf_counter()
        stored = fill_archive(folder / "bench.duckdb", tables, args.archive_cycles)
        print(f"archive: {args.archive_cycles} earlier cycles, {stored:,} rows "
              f"({time.perf_counter() - started:.0f} s to fill, not timed)")  # fmt: skip
    fill_inputs(book.workbook, tables)
    book.save(path)
    print(f"{args.items} items, {len(tables['tblActuals']):,} actual rows, horizon 18: "
          f"{path.stat().st_size / 1e6:.1f} MB workbook")  # fmt: skip
    batch = None
    if not args.no_batch:  # the forecast batch alone, on the same items, in the same run
        actuals = tables["tblActuals"].rename(columns={"Item": "item", "Period": "period",
                                                       "Qty": "qty"})  # fmt: skip
        started = time.perf_counter()
        forecast_frame(actuals, 18, n_jobs=args.jobs)
        batch = time.perf_counter() - started
        print(f"forecast batch alone (auto, {actuals['item'].nunique()} items, h=18): "
              f"{batch:.1f} s; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    with PeakMemory() as memory:
        started = time.perf_counter()
        book = open_book(path)
        opened = time.perf_counter() - started
        report = run_cycle(book, n_jobs=args.jobs)
        total = time.perf_counter() - started
    s = report.seconds
    read = opened + s["validate"] + s["read"]
    compute = {step: s[step] for step in report.steps}
    print(f"read      {read:6.1f} s  (open {opened:.1f}, validate {s['validate']:.1f}, "
          f"tables {s['read']:.1f})")  # fmt: skip
    print(
        f"compute   {sum(compute.values()):6.1f} s  ("
        + ", ".join(f"{k} {v:.1f}" for k, v in compute.items())
        + ")"
    )
    print(f"write     {s['write'] + s['save']:6.1f} s  (tables {s['write']:.1f}, save "
          f"{s['save']:.1f})")  # fmt: skip
    print(f"total     {total:6.1f} s   peak memory (process tree) {memory.peak / 2**30:.2f} GiB "
          f"RSS summed, {memory.peak_pss / 2**30:.2f} GiB PSS   "
          f"{report.total_rows:,} rows written")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if batch is not None:
        print(f"cycle / forecast batch alone: {total / batch:.2f}x (target <= 1.5x: "
              f"{'met' if total <= 1.5 * batch else 'missed'}); the cycle's forecast step "
              f"{s['forecast']:.1f} s = {s['forecast'] / batch:.2f}x the batch (it forecasts "
              "each item's holdout too)")  # fmt: skip
    limit, memory_limit = (180, 2) if args.items >= 10_000 else (15, 1)
    print(f"targets: < {limit} s {'met' if total < limit else 'MISSED'}, < {memory_limit} GiB "
          f"{'met' if memory.peak < memory_limit * 2**30 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
