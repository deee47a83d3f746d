"""The outputs are the same as before the refactor: every output table, cell for cell.

The references in ``tests/data`` were captured (:mod:`golden`) at commit 5461547 from
``sop-xl demo --jobs 2`` (golden_demo.json) and from that demo after ``sop-xl run``,
``sop-xl snapshot``, ``sop-xl roll-forward`` and ``sop-xl run`` (golden_records.json). Here
the forecasts run with one worker: each series is fitted on its own, so the number of workers
changes nothing. Numbers agree to :data:`golden.TOLERANCE` (relative); times of a run are left
out (tblLog) or blanked (SnapshotTime, MovedTime).
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from golden import capture, differences

from sop_xl.cycle import roll_forward, run_cycle, snapshot
from sop_xl.workbook.book import open_book

DATA = Path(__file__).parent / "data"


def _reference(name: str) -> dict:
    return json.loads((DATA / name).read_text())


@pytest.fixture(scope="module")
def golden_demo() -> dict:
    return _reference("golden_demo.json")


def test_demo_outputs_match_the_reference(demo_finished_file, golden_demo):
    found = differences(golden_demo, capture(demo_finished_file))
    assert found == [], "\n".join(found)


def test_records_sequence_matches_the_reference(demo_finished_file, tmp_path):
    """demo -> run -> snapshot -> roll forward -> run, each step opening and saving the file
    as the CLI commands do."""
    path = Path(shutil.copy(demo_finished_file, tmp_path / "records.xlsx"))
    run_cycle(open_book(path), n_jobs=1)  # sop-xl run
    snapshot(open_book(path))  # sop-xl snapshot
    roll_forward(open_book(path))  # sop-xl roll-forward
    run_cycle(open_book(path), n_jobs=1)  # sop-xl run
    assert open_book(path).read_table("tblLog")["Action"].tolist() == [
        "run cycle",
        "run cycle",
        "snapshot",
        "roll forward",
        "run cycle",
    ]
    found = differences(_reference("golden_records.json"), capture(path))
    assert found == [], "\n".join(found)


def test_differences_reports_a_changed_cell(golden_demo):
    """The check can fail: one changed number, text, extra row or missing table is named."""
    assert differences(golden_demo, golden_demo) == []
    changed = copy.deepcopy(golden_demo)
    header = changed["tblForecast"][0]
    column = header.index("2026-01")
    first = changed["tblForecast"][1]
    first[column] = first[column] * (1 + 1e-4) + 1e-3  # well beyond the tolerance
    assert differences(golden_demo, changed) == [
        f"tblForecast row 1 2026-01: expected {golden_demo['tblForecast'][1][column]!r}, "
        f"got {first[column]!r}"
    ]
    # within the tolerance: the last bits of another CPU's arithmetic are not a difference
    close = copy.deepcopy(golden_demo)
    close["tblForecast"][1][column] *= 1 + 1e-9
    assert differences(golden_demo, close) == []

    changed = copy.deepcopy(golden_demo)
    changed["tblKPIs"][1][0] = "Forecast accuracy"
    changed["tblSupplyPlan"].append(changed["tblSupplyPlan"][-1])
    del changed["tblFVA"]
    assert differences(golden_demo, changed) == [
        "tblFVA: only in expected",
        f"tblKPIs row 1 KPI: expected {golden_demo['tblKPIs'][1][0]!r}, got 'Forecast accuracy'",
        f"tblSupplyPlan: {len(golden_demo['tblSupplyPlan'])} rows expected, "
        f"{len(changed['tblSupplyPlan'])} now",
    ]
