"""Batch forecasting speed: 10,000 synthetic monthly items (36 months, h = 18), all cores.

Prints items per second, wall seconds, and peak memory of the whole process tree (the parent
and its worker processes, sampled every 50 ms with psutil). Target: 10,000 items in under 2
minutes on a 2-core machine, under 2 GiB.

    python benchmarks/batch_speed.py                 # 10,000 items, method auto
    python benchmarks/batch_speed.py --items 2000 --method ets
    python benchmarks/batch_speed.py --items 2000 --vs-autoets   # per item vs AutoETS alone
    python benchmarks/batch_speed.py --items 10000 --dask        # LocalCluster vs local pool
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import psutil

from sop_xl.forecast.batch import Task, forecast_frame, group_slices, map_tasks, series_from_frame


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


def autoets_group(task: Task) -> list[np.ndarray]:
    """The reference: statsforecast's AutoETS alone (full search) on one group's histories."""
    import statsforecast.models as sf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            sf.AutoETS(season_length=task.season_length).forecast(y=y, h=task.horizon)["mean"]
            for y in task.histories
        ]


def paired_group(task: Task) -> tuple[float, float]:
    """CPU seconds of AutoETS alone and of sop-xl's forecast, item by item in turn (so that
    both meet the same load): (AutoETS, sop-xl) summed over the group."""
    import statsforecast.models as sf

    from sop_xl.forecast import forecast

    ref = ours = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for y in task.histories:
            started = time.process_time()
            sf.AutoETS(season_length=task.season_length).forecast(y=y, h=task.horizon)
            middle = time.process_time()
            forecast(y, task.horizon, method=task.method, season_length=task.season_length)
            ref, ours = ref + middle - started, ours + time.process_time() - middle
    return ref, ours


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the pool's workers) [s]."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``run()``."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    run()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def load() -> str:
    return f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def versus_autoets(frame: pd.DataFrame, method: str, jobs: int | None, rounds: int) -> None:
    """sop-xl's batch and statsforecast's AutoETS on the same items, same pool, same run.

    Both map the same groups over the same kind of pool (:func:`map_tasks`); rounds alternate
    which goes first, and each round's ratio is of times measured minutes apart at most. Then
    the two run item by item in turn in the same workers (:func:`paired_group`): the CPU
    ratio least moved by the load of a shared machine.
    """
    items, histories, _ = series_from_frame(frame)
    workers = jobs or os.cpu_count() or 1
    tasks = [Task(tuple(items[s]), tuple(histories[s]), 18, method, 12, None)
             for s in group_slices(len(items), workers, None)]  # fmt: skip
    n = len(items)

    def reference() -> None:
        for _ in map_tasks(autoets_group, tasks, n_jobs=workers):
            pass

    def ours() -> None:
        forecast_frame(frame, 18, method=method, n_jobs=workers)

    print(f"sop-xl {method} vs statsforecast AutoETS alone, {n} items, {workers} worker "
          f"process(es); {load()}")  # fmt: skip
    walls, cpus = [], []
    for r in range(rounds):
        order = [("AutoETS", reference), ("sop-xl", ours)]
        got = {name: timed(run) for name, run in (order if r % 2 == 0 else order[::-1])}
        (w_ref, c_ref), (w_our, c_our) = got["AutoETS"], got["sop-xl"]
        walls.append(w_our / w_ref)
        cpus.append(c_our / c_ref)
        print(f"  round {r + 1}: AutoETS {1000 * w_ref / n:.1f} ms/item wall "
              f"({1000 * c_ref / n:.1f} CPU), sop-xl {1000 * w_our / n:.1f} ms/item wall "
              f"({1000 * c_our / n:.1f} CPU): ratio {walls[-1]:.2f} wall, {cpus[-1]:.2f} CPU; "
              f"{load()}")  # fmt: skip
    print(f"  median ratio {np.median(walls):.2f} wall, {np.median(cpus):.2f} CPU "
          f"(target <= 0.40: {'met' if np.median(walls) <= 0.4 else 'missed'})")  # fmt: skip
    pairs = np.array(list(map_tasks(paired_group, tasks, n_jobs=workers))).sum(axis=0)
    print(f"  paired, item by item in the same worker: AutoETS {1000 * pairs[0] / n:.1f} "
          f"ms/item CPU, sop-xl {1000 * pairs[1] / n:.1f}: ratio {pairs[1] / pairs[0]:.2f}; "
          f"{load()}")  # fmt: skip


def versus_dask(frame: pd.DataFrame, method: str, rounds: int) -> None:
    """The forecast on a LocalCluster of 2 single-threaded worker processes vs the local pool
    of 2 processes, alternating; the cluster is warmed first (its workers import sop-xl once,
    as a team's standing cluster has)."""
    from distributed import Client, LocalCluster

    n = frame["item"].nunique()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        executor = client.get_executor()
        warm, _ = timed(lambda: forecast_frame(frame.iloc[:360], 18, method=method,
                                               executor=executor))  # fmt: skip
        print(f"Dask LocalCluster (2 workers x 1 thread) vs local pool (2 processes), {n} items; "
              f"warm-up of 10 items on the cluster {warm:.1f} s; {load()}")  # fmt: skip
        ratios = []
        for r in range(rounds):
            runs = [
                ("pool", lambda: forecast_frame(frame, 18, method=method, n_jobs=2)),
                ("dask", lambda: forecast_frame(frame, 18, method=method, executor=executor)),
            ]
            got = {name: timed(run)[0] for name, run in (runs if r % 2 == 0 else runs[::-1])}
            ratios.append(got["dask"] / got["pool"] - 1)
            print(f"  round {r + 1}: pool {got['pool']:.1f} s, Dask {got['dask']:.1f} s: "
                  f"overhead {100 * ratios[-1]:+.0f}%; {load()}")  # fmt: skip
        print(f"  median overhead {100 * np.median(ratios):+.0f}% (target < 15%: "
              f"{'met' if np.median(ratios) < 0.15 else 'missed'})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--method", default="auto")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (all cores)")
    parser.add_argument(
        "--vs-autoets",
        action="store_true",
        help="also time statsforecast's AutoETS alone on the same items",
    )
    parser.add_argument(
        "--dask", action="store_true", help="also time the forecast on a 2-worker Dask LocalCluster"
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each comparison")
    args = parser.parse_args(argv)

    frame = synthetic_portfolio(args.items)
    if args.vs_autoets:
        versus_autoets(frame, args.method, args.jobs, args.rounds)
    if args.dask:
        versus_dask(frame, args.method, args.rounds)
    if args.vs_autoets or args.dask:
        return 0
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
