"""Run the S&OP cycle on a workbook: the chosen steps of the registry, as one transaction.

:func:`run_cycle` is the one entry point of the command line (``sop-xl run``, ``sop-xl
demo``) and of the ribbon macros (``run_cycle(book, ["supply"])``). The steps and their order
come from :mod:`sop_xl.cycle.steps`; validation, reading, writing, the Log row and the atomic
save from :func:`sop_xl.cycle.transaction.transact`, so a failure changes nothing. Outputs of
steps not run now come from the book: ``--step supply`` alone uses the tblDemandPlan and
tblForecast of an earlier run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sop_xl.cycle.records import (
    archive_lag_sums,
    plan_archive,
    plan_name,
    sheet_in_archive,
    with_archive_history,
)
from sop_xl.cycle.steps import (
    LAG_SUMS,
    OUTPUTS,
    START_STEPS,
    STEPS,
    Step,
    StepResult,
    compute,
    needs,
    plan,
    producer,
    start_marks,
    step_names,
)
from sop_xl.cycle.transaction import Planned, Progress, Session, Writes, transact
from sop_xl.errors import SopError
from sop_xl.forecast.batch import start_worker_server
from sop_xl.forecast.cluster import cluster_executor
from sop_xl.kpi import KPI
from sop_xl.workbook.book import Book
from sop_xl.workbook.start_steps import advance, start_steps
from sop_xl.workbook.validate import Problem

SHOWN_AFTER = "summary"  # a run of this step opens the workbook on its sheet
SUMMARY_SHEET = "Summary"

__all__ = ["OUTPUTS", "STEPS", "CycleReport", "Progress", "run_cycle", "step_names"]


@dataclass
class CycleReport:
    """What a run did.

    Attributes
    ----------
    steps : tuple of str
        The steps run, in order.
    rows : dict of str to int
        Rows written per table.
    seconds : dict of str to float
        Wall time of validate, read, each step, write, save and total.
    notes : list of str
        What the steps noticed (shortages, overloads, ignored adjustments); also in the Log.
    warnings : list of Problem
        Validation warnings (errors stop the run).
    tables : dict of str to DataFrame
        Every table written, as written.
    kpis : tuple of KPI
        The indicators, when the kpis step ran.
    path : Path or None
        Where the workbook was saved (None when not saved).
    """

    steps: tuple[str, ...]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    kpis: tuple[KPI, ...] = ()
    path: Path | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def message(self) -> str:
        """The Log's Messages text: warnings count and notes."""
        parts = []
        if self.warnings:
            parts.append(f"{len(self.warnings)} validation warning(s)")
        parts.extend(self.notes)
        return "; ".join(parts) or "OK"


def _given(session: Session, steps: tuple[Step, ...]) -> dict[str, Any]:
    """What the steps read that none of them makes: earlier outputs and sources from the book."""
    required, optional = needs(steps)
    given: dict[str, Any] = {}
    for name in required:
        if name == START_STEPS:
            given[name] = session.start_steps()
            continue
        if not name.startswith("tbl"):
            continue  # made in memory by an on-demand step
        user = next(s.name for s in steps if name in s.reads)
        session.require(name, f"the {user} step needs it")
        frame = session.read_table(name)
        if frame.dropna(how="all").empty:
            raise SopError(f"{name} is empty: run the {producer(name)} step before the {user} step")
        given[name] = frame
    for name in optional:
        if session.has(name):
            given[name] = session.read_table(name)
    return given


def run_cycle(
    book: Book,
    steps: Iterable[str] | None = None,
    progress: Progress | None = None,
    *,
    save: bool = True,
    n_jobs: int | None = None,
    scheduler: str | None = None,
) -> CycleReport:
    """Run the S&OP cycle (or some of its steps) on ``book``.

    Parameters
    ----------
    book : Book
        The workbook gateway (:func:`sop_xl.workbook.book.open_book` for a file).
    steps : iterable of str, optional
        Step names from :data:`STEPS` (forecast, demand, supply, capacity, finance,
        reconcile, kpis), any order and case; None = the whole cycle. Steps not run keep
        their tables; later steps read them from the book.
    progress : callable, optional
        ``progress(stage, done, total)``; the forecast step reports series done.
    save : bool, keyword-only
        Save the book when done (:meth:`Book.save`: a file atomically; a live Excel book is
        left open, its writes held for the macro to commit).
    n_jobs : int or None, keyword-only
        Worker processes for the forecast (None = all cores).
    scheduler : str or None, keyword-only
        Address of a Dask scheduler that runs the forecast (``tcp://host:8786``); None = the
        workbook's Settings ``Scheduler`` (blank there: local worker processes).

    Returns
    -------
    CycleReport

    Raises
    ------
    SopError
        When validation finds errors (each with sheet, row and value), a step lacks the
        output of an earlier step, or an output table is missing. Nothing is written then.

    Examples
    --------
    >>> from sop_xl.demo import demo_tables
    >>> from sop_xl.workbook.book import new_book
    >>> from sop_xl.workbook.fill import fill_inputs
    >>> book = new_book()
    >>> fill_inputs(book.workbook, demo_tables())
    >>> report = run_cycle(book, ["forecast", "demand"], save=False, n_jobs=1)
    >>> report.steps, report.rows["tblDemandPlan"]
    (('forecast', 'demand'), 44)
    """
    chosen = step_names(steps)
    steps_run = plan(chosen)
    if scheduler is None and (n_jobs or os.cpu_count() or 1) > 1:
        if any(step.forecasts for step in steps_run):  # a big book: its imports overlap reading
            start_worker_server()
    report = CycleReport(steps=chosen)
    timings: dict[str, float] = {}

    def done(step: Step, result: StepResult, seconds: float) -> None:
        timings[step.name] = timings.get(step.name, 0.0) + seconds
        report.notes.extend(result.notes)
        if result.kpis:
            report.kpis = result.kpis

    def work(session: Session) -> Planned:
        for step in chosen:
            for table in OUTPUTS[step]:
                session.require(table, f"the {step} step has nowhere to write")
        report.warnings = [p for p in session.problems if p.severity == "warning"]
        given = _given(session, steps_run)
        # the Start sheet shows what ran, and the cycle time reads the dates this run sets
        block, header_row = start_steps(session.book)
        block, start_writes = advance(block, header_row, start_marks(chosen), dt.date.today())
        if START_STEPS in given:
            given[START_STEPS] = block
        inputs = session.typed()
        address = scheduler or inputs.settings.get("Scheduler")
        forecasting = any(step.forecasts for step in steps_run)
        with plan_archive(inputs.settings, session.location()) as archive:
            if archive is not None:  # read what the steps need, then let others in
                plan_of = plan_name(session.location())
                in_sql = sheet_in_archive(inputs, archive, plan_of)
                inputs = with_archive_history(inputs, archive, plan_of, lags=not in_sql)
                if in_sql and any(step.name == "kpis" for step in steps_run):
                    given[LAG_SUMS] = archive_lag_sums(archive, plan_of, inputs)
        with cluster_executor(address if forecasting else None) as executor:
            tables = compute(
                chosen,
                inputs,
                given,
                n_jobs=n_jobs,
                progress=progress,
                done=done,
                executor=executor,
            )
        writes = Writes(tables={name: tables[name] for step in chosen for name in OUTPUTS[step]})
        writes.cells.extend(start_writes)
        if SHOWN_AFTER in chosen and SUMMARY_SHEET in session.sheet_names():
            writes.show = SUMMARY_SHEET  # the meeting's page opens first (issue 12)
        report.rows = writes.rows
        report.tables = dict(writes.tables)
        return Planned(writes, report.total_rows, report.message())

    action = "run cycle" if chosen == STEPS else "run " + ", ".join(chosen)
    result = transact(book, action, work, save=save, progress=progress)
    seconds = dict(result.seconds)
    compute_time = seconds.pop("compute", 0.0)
    seconds["read"] += compute_time - sum(timings.values())  # earlier outputs read by the steps
    report.seconds = {**{k: seconds[k] for k in ("validate", "read")}, **timings, **seconds}
    report.path = result.path
    return report
