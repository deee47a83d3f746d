"""Every output table of a workbook as plain values, to compare runs cell by cell.

``python tests/golden.py WORKBOOK OUT.json`` writes them. The references in ``tests/data`` were
first written at commit 5461547, before the cycle pipeline was restructured (issue 9: the same
outputs after it), and written again when outputs changed on purpose: missing budget months
blank instead of 0 (issue 10), no new supply inside the lead time, safety stock built over
SafetyStockBuildPeriods and backlog carried (issue 11), and the projected fill rate counting
only demand shipped in its own period (backlog caught up later is not service); the
capacity-feasible plan beside the requirement (issue 11, item 3: Shortfall, RequiredLoad,
OverloadHours, pre-builds, decisions only for real constraints, per-resource KPIs; supply
values kept to 4 decimals; a shortage flag values the demand not shipped); the meeting pack's tables (issue 12: tblSOPPlan and the
Summary's), the WAPE KPIs named errors, the S&OP cycle time taken from the Start dates the run
sets (0 days: every step ran that day) and so recorded by the snapshot in History; new products
and events (issue 15): the demo's rice cooker KI-107 launched in 2024-04 and ramping up, the air
fryer KI-112 ramping up on the same curve as its like item (Method ``like item``), HE-109's
phase-out an EndPeriod instead of a -100% adjustment, and tblForecast's EventsRemoved column
(the demo's own data changed, so every table downstream of its actuals moved; the forecasts of
the other items did not); safety stock from each item's rolling-origin forecast errors
(issue 15 item 2: SigmaSource ``forecast_errors``, the Student-t widening with the spread's
effective degrees of freedom), so tblSupplyPlan and everything downstream of it moved.
Regenerate:
``sop-xl demo d.xlsx`` (golden_demo), then on a copy ``sop-xl run``, ``snapshot``,
``roll-forward``, ``run`` (golden_records);
:func:`differences` lists where two captures disagree. Tables that hold the time of a run
(tblLog, tblHistory's SnapshotTime) are left out or blanked.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from sop_xl.workbook import schema, tables

SKIP = {"tblLog"}
TIMES = {"SnapshotTime", "MovedTime"}
TOLERANCE = (
    1e-6  # relative, for numbers: the same arithmetic on another CPU may differ in the last bits
)


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def capture(path: str | Path) -> dict[str, list[list[Any]]]:
    """Header and body rows of every output table in the workbook at ``path``."""
    wb = load_workbook(path)
    out: dict[str, list[list[Any]]] = {}
    for name in sorted(tables.all_tables(wb)):
        spec = schema.TABLES.get(name)
        if spec is None or spec.role != "output" or name in SKIP:
            continue
        ws, tbl = tables.find_table(wb, name)
        loc = tables.locate(ws, tbl)
        rows = []
        for r in range(loc.header_row, loc.last_row + 1):
            row = [_plain(ws.cell(r, c).value) for c in range(loc.first_col, loc.last_col + 1)]
            rows.append(row)
        blank = [j for j, h in enumerate(rows[0]) if h in TIMES]
        for row in rows[1:]:
            for j in blank:
                row[j] = None
        out[name] = rows
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return a == b


def differences(
    expected: dict[str, list[list[Any]]], actual: dict[str, list[list[Any]]], limit: int = 20
) -> list[str]:
    """Where ``actual`` differs from ``expected``: table, row, column, both values."""
    found: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual or name not in expected:
            found.append(f"{name}: only in {'expected' if name in expected else 'actual'}")
            continue
        a, b = expected[name], actual[name]
        if len(a) != len(b):
            found.append(f"{name}: {len(a)} rows expected, {len(b)} now")
        for i, (ra, rb) in enumerate(zip(a, b, strict=False)):
            if len(ra) != len(rb):
                found.append(f"{name} row {i}: {len(ra)} columns expected, {len(rb)} now")
                continue
            for j, (va, vb) in enumerate(zip(ra, rb, strict=False)):
                if not _same(va, vb):
                    found.append(f"{name} row {i} {a[0][j]}: expected {va!r}, got {vb!r}")
                    if len(found) >= limit:
                        return found
    return found


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(capture(sys.argv[1]), indent=0))
