"""The Start sheet tells what ran: each run advances its steps' status and dates (issue 12)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from openpyxl import load_workbook

from sop_xl.cycle import run_cycle, snapshot
from sop_xl.cycle.steps import STEPS, start_marks
from sop_xl.workbook.book import open_book
from sop_xl.workbook.start_steps import start_steps


def _block(path):
    steps, _ = start_steps(open_book(path))
    return steps


def _reset(path, status="not started", starts=(None,) * 6):
    wb = load_workbook(path)
    for i, start in enumerate(starts):
        wb["Start"].cell(11 + i, 3).value = status
        wb["Start"].cell(11 + i, 4).value = start
    wb.save(path)


def test_the_demo_run_shows_every_step_it_carried_out(demo_finished_file):
    steps = _block(demo_finished_file)
    assert steps["status"].tolist() == ["done"] * 4 + ["in progress", "not started"]
    dates = steps["start"].tolist()
    assert len(set(dates[:5])) == 1 and pd.notna(dates[0]) and pd.isna(dates[5])


def test_one_step_advances_its_start_step_and_keeps_a_typed_date(finished_demo):
    typed = dt.datetime(2026, 1, 9)
    _reset(finished_demo, starts=(None, None, typed, None, None, None))
    run_cycle(open_book(finished_demo), ["supply"], n_jobs=1)
    steps = _block(finished_demo)
    assert steps["status"].tolist() == ["not started"] * 2 + ["in progress"] + ["not started"] * 3
    assert steps.at[2, "start"] == pd.Timestamp(typed)
    run_cycle(open_book(finished_demo), ["capacity"], n_jobs=1)
    assert _block(finished_demo).at[2, "status"] == "done"
    run_cycle(open_book(finished_demo), ["supply"], n_jobs=1)
    assert _block(finished_demo).at[2, "status"] == "done"  # never goes back


def test_cycle_time_from_the_dates_runs_set(finished_demo):
    today = pd.Timestamp(dt.date.today())
    begun = (today - pd.Timedelta(days=12)).to_pydatetime()
    _reset(finished_demo, starts=(begun, None, None, None, None, None))
    report = run_cycle(open_book(finished_demo), ["kpis"], n_jobs=1)
    kpis = report.tables["tblKPIs"].set_index("KPI")
    # step 1 typed 12 days ago; step 5 dated by this refresh of the KPIs
    assert kpis.at["S&OP cycle time", "Value"] == 12.0
    assert _block(finished_demo).at[4, "start"] == today
    snapshot(open_book(finished_demo))
    steps = _block(finished_demo)
    assert steps["status"].tolist()[4:] == ["done", "in progress"]
    assert steps.at[5, "start"] == today


def test_every_start_step_but_the_meeting_and_implementation_has_a_step_that_finishes_it():
    marks = start_marks(STEPS)
    assert marks == {1: "done", 2: "done", 3: "done", 4: "done", 5: "in progress"}
