"""Safety stock from the forecast's errors, checked by simulation against its service targets.

For four demand processes (normal, gamma, seasonal, intermittent compound Bernoulli-gamma) the
script simulates items, runs the planning loop of :mod:`sop_xl.inventory.simulation` (at each
review: forecast the next L + R periods, safety stock from the rolling-origin errors summed over
L + R, order up to forecast + safety stock) and prints, for targets 90/95/98%, the realised
cycle service level of the policy set for cycle service and the realised fill rate of the
policy set for fill rate (each with the other measure beside it), and the time.

    python benchmarks/safety_stock_simulation.py            # 12 items x 600 periods per case
    python benchmarks/safety_stock_simulation.py --items 4 --periods 300   # quick

Reported runs use seed 1 (the tests use 11). Nothing here was tuned on these runs: the
degrees of freedom of the spread come from its own sampling distribution under normal errors
(:func:`sop_xl.inventory.uncertainty.spread_dof`); the diagnosis below used seed 2024.

Measured on 3 December 2026, seed 1 (realised minus target, points; L = 2, R = 1):

=============================  =================  =================
case (items x periods)         cycle service      fill rate
                               90 / 95 / 98%      90 / 95 / 98%
=============================  =================  =================
normal, ses (12 x 600)         +1.16 +1.55 +0.99  +0.76 +0.42 +0.30
gamma, ses (12 x 600)          -0.12 +0.30 +0.32  +0.12 -0.08 -0.04
intermittent, auto (12 x 600)  -0.87 +0.52 +0.88  +8.83 +4.64 +2.00
=============================  =================  =================

Before (2 December, Student t with the count of origins, 5, as degrees of freedom): normal
+1.55 +1.89 +1.20 / +0.88 +0.54 +0.42; gamma +0.35 +0.63 +0.62 / +0.55 +0.27 +0.28; seasonal
(auto, 3 x 240, about +/-1 point of its own noise) +0.86 +1.77 +1.02 / +2.91 +0.22 +0.09, not
rerun (an hour of auto fits on a loaded machine).

Diagnosis (seed 2024, the share of reviews whose demand over L + R stayed below the level):
the order-up-to accounting is right (the policy's cycle service equals that share to within
0.1 point for normal demand); the spread fitted to 6 origins varies like a chi-square with
6.0 degrees of freedom, not 5 (with 5, normal demand got +1.4/+1.0/+0.6 points from the t
alone); the rest of the normal case's excess, about 0.3-0.5 point, is the gamma's skew
(2 x CV, 0.2 here) that symmetric normal demand does not have, and the non-negative fit's
upward bias (the fitted variance averages 1.055 times the true one under normal errors).
For intermittent demand the fill-rate policy still holds far too much (its cycle service is
99.2% at a 90% fill-rate target): not yet diagnosed; the gamma fitted to a lead-time demand
with a third of its mass at zero, and the Student-t widening taken at the 99% quantile where
that stock sits, are the suspects.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from sop_xl.inventory.simulation import order_up_to_levels, plan_reviews, simulate_order_up_to

TARGETS = (0.90, 0.95, 0.98)
HISTORY = 60  # periods of history before the first review
LEAD_TIME, REVIEW = 2, 1


def demand(kind: str, periods: int, rng: np.random.Generator) -> np.ndarray:
    """One simulated demand path [units/period]."""
    t = np.arange(periods)
    if kind == "normal":  # mean 100, sd 20
        return rng.normal(100, 20, periods)
    if kind == "gamma":  # mean 100, sd 70.7 (shape 2): skewed
        return rng.gamma(2.0, 50.0, periods)
    if kind == "seasonal":  # 100 +/- 30 over 12 periods, noise sd 10
        return 100 + 30 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 10, periods)
    if kind == "intermittent":  # demand in 30% of periods, size gamma mean 20
        return (rng.random(periods) < 0.3) * rng.gamma(2.0, 10.0, periods)
    raise ValueError(kind)


CASES = {  # process: (method, season length)
    "normal": ("ses", 1),
    "gamma": ("ses", 1),
    "seasonal": ("auto", 12),
    "intermittent": ("auto", 1),
}


def run_case(kind: str, method: str, season: int, items: int, periods: int, seed: int = 1):
    """Realised (cycle service, fill rate) per target and policy, pooled over items."""
    rng = np.random.default_rng(seed)
    pooled: dict[tuple[str, float], list[tuple[float, float, int]]] = {}
    for _ in range(items):
        path = demand(kind, HISTORY + periods, rng)
        plan = plan_reviews(path, HISTORY, lead_time=LEAD_TIME, review_period=REVIEW,
                            method=method, season_length=season, refresh=12)  # fmt: skip
        for how in ("cycle", "fill_rate"):
            for target in TARGETS:
                levels = order_up_to_levels(plan, lead_time=LEAD_TIME, review_period=REVIEW,
                                            service_level=target, method=how)  # fmt: skip
                out = simulate_order_up_to(path[HISTORY:], levels, lead_time=LEAD_TIME,
                                           review_period=REVIEW)  # fmt: skip
                pooled.setdefault((how, target), []).append(
                    (out.cycle_service, out.fill_rate, out.cycles)
                )
    result = {}
    for key, rows in pooled.items():
        values = np.array(rows)
        weights = values[:, 2]
        result[key] = (
            float(np.average(values[:, 0], weights=weights)),
            float(np.average(values[:, 1], weights=weights)),
            int(weights.sum()),
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=12)
    parser.add_argument("--periods", type=int, default=600)
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"L = {LEAD_TIME}, R = {REVIEW}; {args.items} items x {args.periods} periods per case "
          f"after {HISTORY} periods of history; errors refitted every 12 reviews; seed "
          f"{args.seed}\n")  # fmt: skip
    for kind in args.cases:
        method, season = CASES[kind]
        started = time.perf_counter()
        result = run_case(kind, method, season, args.items, args.periods, args.seed)
        seconds = time.perf_counter() - started
        print(f"{kind} ({method}), {seconds:.0f} s:")
        for target in TARGETS:
            csl, fill_beside, cycles = result[("cycle", target)]
            csl_beside, fill, _ = result[("fill_rate", target)]
            print(f"  target {100 * target:.0f}%: cycle-service policy CSL {100 * csl:6.2f} "
                  f"({100 * (csl - target):+5.2f}; fill {100 * fill_beside:6.2f}) | fill-rate "
                  f"policy fill {100 * fill:6.2f} ({100 * (fill - target):+5.2f}; CSL "
                  f"{100 * csl_beside:6.2f}) | {cycles} cycles")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
