"""The capacity-feasible plan: the requirement fitted into each resource's hours.

The *requirement* is what the strategy (chase or level, lead-time feasible) would make if
capacity were unlimited. The *plan* makes it fit, per resource and period, in two passes
(issue 11, item 3):

1. **Pre-build** (backward, from the last period to the first). A period's hours go first to
   the requirement due in that period, then to quantities due in the next periods that did not
   fit there (the nearest due first), at most ``prebuild`` periods early and never inside an
   item's frozen zone (lead time + FrozenPeriods). What cannot be placed is the **shortfall**
   of the period it was due in.
2. **Catch-up** (forward). Hours left free by pass 1 make up earlier shortfalls (the backlog
   is then shipped late): an item is behind by the gap between the inventory its requirement
   and pre-builds would have given and the inventory the plan gives so far. With lost sales
   the lost demand is not made up.

**Allocation rule between items** sharing a scarce resource, in every tier: items in
``priority`` order (the cycle uses A items first, then B, then C, then items without a class;
within a class the highest gross margin per resource hour, (UnitPrice - UnitCost) /
HoursPerUnit; then the order of tblItems). Each item gets all the hours it needs before the
next one gets any.

The hours available are ``capacity x (1 + overtime)``; the load never exceeds them (beyond
floating-point residue). Items without a resource, or with 0 hours per unit, are not limited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fitted:
    """A capacity-feasible plan.

    Attributes
    ----------
    production : ndarray
        Items x periods [units/period]: pre-builds and catch-up included.
    shortfall : ndarray
        Items x periods [units]: the part of the requirement due in the period that capacity
        could not make in time (pass 1); it may be made later (catch-up).
    catch_up : ndarray
        Items x periods [units/period]: production that makes up earlier shortfalls.
    """

    production: np.ndarray
    shortfall: np.ndarray
    catch_up: np.ndarray

    @property
    def unmet(self) -> np.ndarray:
        """Units of the requirement never made within the horizon, per item."""
        return np.maximum(0.0, self.shortfall.sum(axis=1) - self.catch_up.sum(axis=1))


class Allocator:
    """Hands out a resource's hours to items in priority order (see the module docstring).

    Parameters
    ----------
    codes : ndarray of int
        Resource row of each item; -1 = not limited.
    hours : ndarray
        Hours per unit of each item [h/unit]; 0 = not limited.
    priority : ndarray of int
        Rank of each item (0 = served first); ties keep item order.
    """

    def __init__(self, codes: np.ndarray, hours: np.ndarray, priority: np.ndarray) -> None:
        self.bound = (codes >= 0) & (hours > 0)
        members = np.flatnonzero(self.bound)
        order = np.lexsort((members, priority[members], codes[members]))
        self.order = members[order]
        self.codes = codes
        self.hours = hours
        sorted_codes = codes[self.order]
        self.first = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]] if len(order) else order

    def grant(self, need: np.ndarray, left: np.ndarray) -> np.ndarray:
        """Units granted to each item of ``need`` [units] from the hours ``left`` per resource
        (updated in place). Items that are not limited get their whole need."""
        granted = np.where(self.bound, 0.0, np.maximum(need, 0.0))
        if not len(self.order):
            return granted
        idx = self.order
        want = np.maximum(need[idx], 0.0) * self.hours[idx]
        total = np.cumsum(want)
        start = np.maximum.accumulate(np.where(self.first, total - want, 0.0))
        # hours wanted by items ahead on the same resource (>= 0: the cumulative sums leave
        # residue, e.g. 1.2 - 1.0 - 0.2 < 0, which would hand a resource with 0 h a crumb)
        before = np.maximum(total - want - start, 0.0)
        cap = left[self.codes[idx]]
        hours = np.clip(cap - before, 0.0, want)
        # a need met in full is granted exactly (hours / rate would leave residue)
        granted[idx] = np.where(hours >= want, np.maximum(need[idx], 0.0), hours / self.hours[idx])
        np.subtract.at(left, self.codes[idx], hours)
        np.maximum(left, 0.0, out=left)
        return granted

    def load(self, units: np.ndarray, resources: int) -> np.ndarray:
        """Hours per resource of ``units`` per item."""
        bound = self.bound
        return np.bincount(
            self.codes[bound], weights=units[bound] * self.hours[bound], minlength=resources
        )


def prebuild_pass(
    required: np.ndarray,
    allocator: Allocator,
    limit: np.ndarray,
    free: np.ndarray,
    prebuild: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pass 1: fit the requirement, pre-building up to ``prebuild`` periods early.

    Parameters
    ----------
    required : ndarray
        Items x periods [units/period].
    limit : ndarray
        Resources x periods: hours available (overtime included).
    free : ndarray of int
        First period each item may produce in (its frozen zone ends before it).
    prebuild : int
        Periods a quantity may be made before it is due, >= 0.

    Returns
    -------
    production, shortfall : ndarray
        Items x periods.
    """
    n, periods = required.shape
    production = np.zeros_like(required)
    shortfall = np.zeros_like(required)
    carry = np.zeros((n, prebuild))  # carry[:, k]: due k + 1 periods after the current one
    for t in range(periods - 1, -1, -1):
        left = limit[:, t].copy()
        open_ = t >= free
        tiers = [required[:, t]] + [carry[:, k] for k in range(prebuild)]
        rest = []
        for quantity in tiers:
            made = np.where(open_, allocator.grant(np.where(open_, quantity, 0.0), left), 0.0)
            production[:, t] += made
            rest.append(quantity - made)
        if prebuild:
            if t + prebuild < periods:
                shortfall[:, t + prebuild] += rest[-1]
            carry = np.stack(rest[:-1], axis=1)
        else:
            shortfall[:, t] += rest[0]
    for k in range(prebuild):  # before the first period nothing can be built
        if k < periods:
            shortfall[:, k] += carry[:, k]
    return production, np.where(shortfall > 1e-9, shortfall, 0.0)


def catch_up_pass(
    production: np.ndarray,
    target: np.ndarray,
    flows: Callable[[np.ndarray, int, np.ndarray], np.ndarray],
    allocator: Allocator,
    limit: np.ndarray,
    free: np.ndarray,
) -> np.ndarray:
    """Pass 2: spare hours make up what the plan is behind.

    Parameters
    ----------
    production : ndarray
        Pass 1's plan (items x periods); not changed.
    target : ndarray
        Items x (periods + 1): the net inventory the requirement and pass 1's pre-builds would
        give at the start of each period (column 0 = the opening).
    flows : callable
        ``flows(level, t, made)`` -> net inventory after period t, given the level before it
        and the production in it (applies receipts, demand and the shortage rule).
    limit : ndarray
        Resources x periods: hours available (overtime included).

    Returns
    -------
    ndarray
        Catch-up production, items x periods.
    """
    periods = production.shape[1]
    resources = limit.shape[0]
    extra = np.zeros_like(production)
    level = target[:, 0].copy()
    for t in range(periods):
        left = np.maximum(limit[:, t] - allocator.load(production[:, t], resources), 0.0)
        behind = np.where(t >= free, target[:, t] - level, 0.0)
        behind = np.where(allocator.bound & (behind > 1e-9), behind, 0.0)
        extra[:, t] = allocator.grant(behind, left)
        level = flows(level, t, production[:, t] + extra[:, t])
    return extra
