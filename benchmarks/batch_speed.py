"""Batch forecasting speed: 10,000 synthetic monthly items (36 months, h = 18), all cores.

Prints items per second, wall seconds, and peak memory of the whole process tree (the parent
and its worker processes, sampled every 50 ms with psutil). Target: 10,000 items in under 2
minutes on a 2-core machine, under 2 GiB.

    python benchmarks/batch_speed.py                 # 10,000 items, method auto
    python benchmarks/batch_speed.py --items 2000 --method ets
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

import numpy as np
import pandas as pd
import psutil

from sop_xl.forecast.batch import forecast_frame


def synthetic_portfolio(n_items: int, months: int = 36, seed: int = 7) -> pd.DataFrame:
    """Mixed patterns: seasonal, trending, flat, noisy, intermittent, lumpy, new, dying."""
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    periods = pd.date_range("2022-01-01", periods=months, freq="MS")
    blocks = []
    kinds = rng.choice(8, size=n_items, p=[0.2, 0.15, 0.15, 0.1, 0.15, 0.1, 0.075, 0.075])
    level = rng.lognormal(4, 1, n_items)
    for kind in range(8):
        idx = np.flatnonzero(kinds == kind)
        lv = level[idx, None]
        noise = rng.normal(0, 1, (idx.size, months))
        if kind == 0:  # seasonal
            y = lv * (
                1
                + 0.3 * np.sin(2 * np.pi * (t + rng.integers(0, 12, (idx.size, 1))) / 12)
                + 0.08 * noise
            )
        elif kind == 1:  # trending
            y = lv * (1 + rng.normal(0.01, 0.01, (idx.size, 1)) * t + 0.1 * noise)
        elif kind == 2:  # flat
            y = lv * (1 + 0.1 * noise)
        elif kind == 3:  # noisy (erratic)
            y = lv * np.exp(0.6 * noise)
        elif kind == 4:  # intermittent
            y = np.where(rng.random((idx.size, months)) < 0.3, rng.poisson(lv / 10 + 1), 0)
        elif kind == 5:  # lumpy
            y = np.where(
                rng.random((idx.size, months)) < 0.2,
                lv * rng.lognormal(0, 1, (idx.size, months)),
                0,
            )
        elif kind == 6:  # new product: zeros before launch
            y = (
                lv
                * np.clip((t - rng.integers(12, 30, (idx.size, 1))) / 6, 0, 1)
                * (1 + 0.1 * noise)
            )
        else:  # end of life: fading out
            y = lv * np.clip(1 - t / rng.integers(20, 40, (idx.size, 1)), 0, 1) * (1 + 0.1 * noise)
        y = np.maximum(np.round(y), 0)
        blocks.append(pd.DataFrame({
            "item": np.repeat([f"SKU{i:06d}" for i in idx], months),
            "period": np.tile(periods, idx.size),
            "qty": y.ravel(),
        }))  # fmt: skip
    return pd.concat(blocks, ignore_index=True)


class PeakMemory:
    """Peak memory of this process and its children, sampled in a thread.

    ``peak`` sums each process's resident set (RSS): pages the forked workers share with the
    parent are counted once per process, so it overstates. ``peak_pss`` sums the proportional
    set sizes (PSS, a shared page split between the processes sharing it, as ``smem`` reports):
    the memory the tree really holds. Both are printed; targets are judged on ``peak``.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval, self.peak, self.peak_pss = interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process(os.getpid())
        while not self._stop.is_set():
            rss = pss = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    info = p.memory_full_info()
                except psutil.Error:
                    continue
                rss += info.rss
                pss += getattr(info, "pss", info.rss)  # PSS is Linux-only
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--method", default="auto")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (all cores)")
    args = parser.parse_args(argv)

    frame = synthetic_portfolio(args.items)
    print(f"{args.items} items x 36 months, h=18, method {args.method}, "
          f"{args.jobs or os.cpu_count()} worker processes on {os.cpu_count()} cores")  # fmt: skip
    with PeakMemory() as memory:
        started = time.perf_counter()
        out = forecast_frame(frame, 18, method=args.method, n_jobs=args.jobs)
        seconds = time.perf_counter() - started
    methods = out.drop_duplicates("item")["method"].value_counts()
    print(
        f"wall {seconds:.1f} s, {args.items / seconds:.0f} items/s, "
        f"peak memory (process tree) {memory.peak / 2**30:.2f} GiB RSS summed, "
        f"{memory.peak_pss / 2**30:.2f} GiB PSS"
    )
    print("methods used: " + ", ".join(f"{m} {c}" for m, c in methods.items()))
    if args.items == 10_000:
        print(
            f"target: under 120 s ({'met' if seconds < 120 else 'missed'}), under 2 GiB "
            f"({'met' if memory.peak < 2 * 2**30 else 'missed'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
