"""What-if scenarios: the levers of tblScenarios and the comparison with the base plan.

Pure pandas. A scenario is every tblScenarios row with the same name; each row pulls one
lever on some of the plan (``AppliesTo``: an item code, a family or, for capacity, a resource;
blank = all):

- ``demand``: consensus demand x (1 + Change);
- ``capacity``: available hours of the resource x (1 + Change);
- ``price``: unit price x (1 + Change);
- ``lead time``: lead time + Change periods (not below 0).

Rows of one scenario compound (two demand rows of +10% give x 1.21 where both apply).
:func:`compare` sets the scenario's totals beside the base: Difference = WhatIf - Base,
DiffPct = Difference / |Base| (blank when the base is 0).

Examples
--------
>>> frame = pd.DataFrame({"Scenario": ["Hot summer", "Hot summer"],
...                       "Lever": ["Demand", "capacity"], "AppliesTo": ["Garden", "MOULD"],
...                       "Change": [0.2, 0.1], "Comment": [None, None]}, index=[5, 6])
>>> parse_scenarios(frame)["Hot summer"][0]
Lever(lever='demand', applies_to='Garden', change=0.2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show

LEVERS = ("demand", "capacity", "price", "lead time")
MEASURES = ("Demand", "Supply", "Revenue", "GrossMargin", "WorkingCapital")
"""Compared per family: sums over the horizon, working capital as its average per period."""
COLUMNS = ["Scenario", "Family", "Measure", "Base", "WhatIf", "Difference", "DiffPct"]


@dataclass(frozen=True)
class Lever:
    """One row of a scenario: which lever, on what (None = all), by how much."""

    lever: str
    applies_to: str | None
    change: float


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""
    )


def parse_scenarios(frame: pd.DataFrame) -> dict[str, tuple[Lever, ...]]:
    """The scenarios of tblScenarios (rows as :meth:`Book.read_table` gives them), in order.

    Raises
    ------
    SopError
        Naming the row and column: a lever that is not one of :data:`LEVERS`, a Change that is
        not a number, a demand, capacity or price change at or below -100%, a row without a name.
    """
    out: dict[str, list[Lever]] = {}
    for row, rec in frame.dropna(how="all").iterrows():
        name, lever, target, change = (rec.get(c) for c in ("Scenario", "Lever", "AppliesTo",
                                                             "Change"))  # fmt: skip
        if _blank(name):
            raise SopError(f"tblScenarios row {row} Scenario: give the scenario a name")
        key = str(lever).strip().lower() if not _blank(lever) else ""
        if key not in LEVERS:
            raise SopError(
                f"tblScenarios row {row} Lever: must be one of {', '.join(LEVERS)}; "
                f"got {show(lever)}"
            )
        if isinstance(change, bool) or not isinstance(change, (int, float, np.number)):
            raise SopError(f"tblScenarios row {row} Change: must be a number; got {show(change)}")
        if np.isnan(change):
            raise SopError(f"tblScenarios row {row} Change: must be a number; got a blank")
        if key != "lead time" and change <= -1:
            raise SopError(
                f"tblScenarios row {row} Change: a {key} change must be above -1 (-100%); "
                f"got {show(change)}"
            )
        applies = None if _blank(target) else str(target).strip()
        out.setdefault(str(name).strip(), []).append(Lever(key, applies, float(change)))
    return {name: tuple(levers) for name, levers in out.items()}


def factor_by_item(
    levers: tuple[Lever, ...], lever: str, items: pd.DataFrame, *, base: float = 1.0
) -> pd.Series:
    """The multiplier (or, for lead time, the added periods) of each item for ``lever``.

    ``items`` is tblItems indexed by item code with a ``Family`` column.

    Raises
    ------
    SopError
        When AppliesTo names neither an item nor a family.
    """
    additive = lever == "lead time"
    out = pd.Series(0.0 if additive else base, index=items.index)
    codes = {str(i).lower(): i for i in items.index}
    families = items["Family"].astype(str).str.lower()
    for lv in levers:
        if lv.lever != lever:
            continue
        if lv.applies_to is None:
            where = pd.Series(True, index=items.index)
        elif lv.applies_to.lower() in codes:
            where = pd.Series(items.index == codes[lv.applies_to.lower()], index=items.index)
        elif lv.applies_to.lower() in set(families):
            where = families == lv.applies_to.lower()
        else:
            raise SopError(
                f"tblScenarios: {lever} AppliesTo {show(lv.applies_to)} is no item or family"
            )
        if additive:
            out[where] += lv.change
        else:
            out[where] *= 1.0 + lv.change
    return out


def factor_by_resource(levers: tuple[Lever, ...], resources: pd.Index) -> pd.Series:
    """The capacity multiplier of each resource."""
    out = pd.Series(1.0, index=resources)
    names = {str(r).lower(): r for r in resources}
    for lv in levers:
        if lv.lever != "capacity":
            continue
        if lv.applies_to is None:
            out *= 1.0 + lv.change
        elif lv.applies_to.lower() in names:
            out[names[lv.applies_to.lower()]] *= 1.0 + lv.change
        else:
            raise SopError(
                f"tblScenarios: capacity AppliesTo {show(lv.applies_to)} is no resource of "
                "tblResources"
            )
    return out


def compare(name: str, base: pd.DataFrame, what_if: pd.DataFrame) -> pd.DataFrame:
    """tblScenarioCompare rows of scenario ``name``.

    Parameters
    ----------
    base, what_if : DataFrame
        Families (index) x :data:`MEASURES` (columns), as :func:`family_totals` gives them.

    Examples
    --------
    >>> base = pd.DataFrame({"Demand": [100.0]}, index=["Garden"])
    >>> compare("Up", base, base * 1.1)[["Family", "Base", "WhatIf", "DiffPct"]].values.tolist()
    [['Garden', 100.0, 110.0, 0.1], ['Total', 100.0, 110.0, 0.1]]
    """
    base = pd.concat([base, base.sum().to_frame("Total").T])
    what_if = pd.concat([what_if, what_if.sum().to_frame("Total").T]).reindex(base.index)
    rows = []
    for family in base.index:
        for measure in base.columns:
            b, w = float(base.at[family, measure]), float(what_if.at[family, measure])
            diff = w - b
            pct = diff / abs(b) if b != 0 else None
            rows.append((name, family, measure, round(b, 2), round(w, 2), round(diff, 2),
                         None if pct is None else round(pct, 4)))  # fmt: skip
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.astype(object).where(out.notna(), None)
