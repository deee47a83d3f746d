"""Run the S&OP cycle on a workbook: validate, read everything, compute, write, log, save.

:func:`run_cycle` is the one entry point of the command line (``sop-xl run``, ``sop-xl
demo``) and of the ribbon macros (``run_cycle(book, ["supply"])``). It touches the workbook
only through the :class:`~sop_xl.workbook.book.Book` methods, so it runs the same on a file
(:class:`~sop_xl.workbook.book.FileBook`) and on a live Excel book.

Order of work, so that a failure changes nothing:

1. validate the inputs: any error raises :class:`SopError` listing the problems (sheet, row,
   column, value); nothing is written;
2. read every table the chosen steps need (outputs of steps not run now come from the book:
   ``--step supply`` alone uses the tblDemandPlan and tblForecast of an earlier run);
3. compute the steps in cycle order, in memory;
4. write every output table, append a row to tblLog, and save (FileBook: atomically, a
   temporary file replacing the old one; an error before that leaves the file untouched).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sop_xl.cycle.capacity import capacity_step
from sop_xl.cycle.demand import demand_step
from sop_xl.cycle.finance import finance_step, item_flows
from sop_xl.cycle.forecasting import forecast_step
from sop_xl.cycle.inputs import cycle_inputs
from sop_xl.cycle.kpis import kpi_step, kpi_table
from sop_xl.cycle.reconciliation import reconcile_step
from sop_xl.cycle.supply_plan import supply_step
from sop_xl.errors import SopError
from sop_xl.kpi import KPI
from sop_xl.records.hooks import kpi_records, scenario_compare
from sop_xl.workbook.book import Book
from sop_xl.workbook.validate import Problem, errors, validate

STEPS = ("forecast", "demand", "supply", "capacity", "finance", "reconcile", "kpis")
"""The cycle's steps, in order."""

OUTPUTS: dict[str, tuple[str, ...]] = {
    "forecast": ("tblForecast",),
    "demand": ("tblDemandPlan",),
    "supply": ("tblSupplyPlan",),
    "capacity": ("tblCapacity",),
    "finance": ("tblFinancePlan",),
    "reconcile": ("tblReconciliation", "tblScenarioCompare"),
    "kpis": ("tblKPIs", "tblKPITrend", "tblFVA", "tblForecastAccuracy"),
}
"""The tables each step writes."""

NEEDS: dict[str, tuple[str, ...]] = {
    "forecast": (),
    "demand": ("tblForecast",),
    "supply": ("tblDemandPlan", "tblForecast"),
    "capacity": ("tblSupplyPlan",),
    "finance": ("tblSupplyPlan",),
    "reconcile": ("tblSupplyPlan", "tblCapacity"),
    "kpis": ("tblSupplyPlan", "tblCapacity"),
}
"""The earlier outputs each step reads."""

INPUTS = ("tblItems", "tblActuals", "tblAdjustments", "tblReceipts", "tblResources", "tblBudget")
ALIASES = {
    "reconciliation": "reconcile",
    "kpi": "kpis",
    "demand plan": "demand",
    "demand-plan": "demand",
    "supply plan": "supply",
    "supply-plan": "supply",
}

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is validate, read, a step name, write or save."""


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


def step_names(steps: Iterable[str] | None) -> tuple[str, ...]:
    """Known step names in cycle order (None = all).

    >>> step_names(["KPI", "supply"])
    ('supply', 'kpis')
    >>> step_names(["plan"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: unknown step 'plan'; the steps are forecast, demand, ..., kpis
    """
    if steps is None:
        return STEPS
    if isinstance(steps, str):
        steps = [steps]
    chosen = set()
    for name in steps:
        key = str(name).strip().lower()
        key = ALIASES.get(key, key)
        if key not in STEPS:
            raise SopError(f"unknown step {str(name)!r}; the steps are {', '.join(STEPS)}")
        chosen.add(key)
    if not chosen:
        raise SopError(f"no step given; the steps are {', '.join(STEPS)}")
    return tuple(s for s in STEPS if s in chosen)


class _ReadOnce:
    """A Book whose tables are read once (validation and the cycle share the reads)."""

    def __init__(self, book: Book) -> None:
        self._book = book
        self._tables: dict[str, pd.DataFrame] = {}
        self._settings: dict[str, Any] | None = None

    def sheet_names(self) -> list[str]:
        return self._book.sheet_names()

    def table_names(self) -> dict[str, str]:
        return self._book.table_names()

    def locate(self, name: str):
        return self._book.locate(name)

    def read_table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            self._tables[name] = self._book.read_table(name)
        return self._tables[name].copy()

    def settings(self) -> dict[str, Any]:
        if self._settings is None:
            self._settings = self._book.settings()
        return dict(self._settings)


def _problem_text(problems: Sequence[Problem], limit: int = 8) -> str:
    shown = []
    for p in problems[:limit]:
        where = p.sheet + (f" row {p.row}" if p.row is not None else "")
        where += f" {p.column}" if p.column else ""
        shown.append(f"{where}: {p.message}")
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    return "; ".join(shown) + more


def run_cycle(
    book: Book,
    steps: Iterable[str] | None = None,
    progress: Progress | None = None,
    *,
    save: bool = True,
    n_jobs: int | None = None,
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
        Save the book when done (when it has a ``save`` method, as a FileBook does). A live
        Excel book is left open and unsaved.
    n_jobs : int or None, keyword-only
        Worker processes for the forecast (None = all cores).

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
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def tell(stage: str, done: int = 0, total: int = 1) -> None:
        if progress is not None:
            progress(stage, done, total)

    # 1. validate
    tell("validate")
    reader = _ReadOnce(book)
    problems = validate(reader)
    bad = errors(problems)
    if bad:
        raise SopError(
            f"{len(bad)} error(s) in the inputs, nothing was written: {_problem_text(bad)}"
        )
    present = {name.lower() for name in reader.table_names()}
    for step in chosen:
        for table in OUTPUTS[step]:
            if table.lower() not in present:
                raise SopError(f"table {table} is missing: the {step} step has nowhere to write")
    seconds["validate"] = time.perf_counter() - started

    # 2. read
    mark = time.perf_counter()
    tell("read")
    raw = {name: reader.read_table(name) for name in INPUTS}
    if "tblhistory" in present:  # present holds lower-case names
        raw["tblHistory"] = reader.read_table("tblHistory")
    inputs = cycle_inputs(raw, reader.settings())
    tables: dict[str, pd.DataFrame] = {}

    def earlier(name: str, step: str) -> pd.DataFrame:
        if name in tables:
            return tables[name]
        producer = next(s for s, outs in OUTPUTS.items() if name in outs)
        if name.lower() not in present:
            raise SopError(f"table {name} is missing: the {step} step needs it")
        frame = reader.read_table(name)
        if frame.dropna(how="all").empty:
            raise SopError(f"{name} is empty: run the {producer} step before the {step} step")
        return frame

    for step in chosen:
        for name in NEEDS[step]:
            if not any(name in OUTPUTS[s] for s in chosen[: chosen.index(step)]):
                tables[name] = earlier(name, step)
    previous_kpis = reader.read_table("tblKPIs") if "kpis" in chosen else None
    seconds["read"] = time.perf_counter() - mark

    # 3. compute
    report = CycleReport(steps=chosen)
    holdout = None
    for step in chosen:
        mark = time.perf_counter()
        tell(step)
        if step == "forecast":
            result = forecast_step(
                inputs, n_jobs=n_jobs, progress=lambda d, t: tell("forecast", d, t)
            )
            tables["tblForecast"], holdout = result.table, result.holdout
        elif step == "demand":
            demand = demand_step(inputs, tables["tblForecast"])
            tables["tblDemandPlan"] = demand.table
            report.notes.extend(demand.notes)
        elif step == "supply":
            supply = supply_step(inputs, tables["tblDemandPlan"], tables["tblForecast"])
            tables["tblSupplyPlan"] = supply.table
            report.notes.extend(supply.notes)
        elif step == "capacity":
            capacity = capacity_step(inputs, tables["tblSupplyPlan"])
            tables["tblCapacity"] = capacity.table
            report.notes.extend(capacity.notes)
        elif step == "finance":
            tables["tblFinancePlan"] = finance_step(inputs, tables["tblSupplyPlan"]).table
        elif step == "reconcile":
            rec = reconcile_step(inputs, tables["tblSupplyPlan"], tables["tblCapacity"])
            tables["tblReconciliation"] = rec.table
            scenarios = reader.read_table("tblScenarios") if "tblscenarios" in present else None
            tables["tblScenarioCompare"] = scenario_compare(  # what-if scenarios (issue 6)
                inputs, scenarios, lambda name: earlier(name, "reconcile"), tables["tblSupplyPlan"]
            )
            decisions = int((rec.table["DecisionNeeded"] != "").sum())
            if decisions:
                report.notes.append(f"{decisions} reconciliation row(s) need a decision")
        elif step == "kpis":
            if holdout is None:  # the forecast step did not run: measure the holdout again
                holdout = forecast_step(inputs, n_jobs=n_jobs, plan=False).holdout
            flows = item_flows(inputs, tables["tblSupplyPlan"])
            kpis = kpi_step(inputs, flows, tables["tblCapacity"], holdout, previous_kpis)
            # lag accuracy, FVA, cycle time from History, Start and Decisions (issue 6)
            records = kpi_records(book, inputs, reader.read_table("tblDecisions"))
            tables["tblKPIs"] = kpi_table([*kpis.kpis, *records.kpis], previous_kpis)
            tables["tblKPITrend"] = kpis.trend
            tables["tblFVA"], tables["tblForecastAccuracy"] = records.fva, records.table
            report.kpis = (*kpis.kpis, *records.kpis)
        seconds[step] = time.perf_counter() - mark

    # 4. write, log, save
    mark = time.perf_counter()
    written = [name for step in chosen for name in OUTPUTS[step]]
    for i, name in enumerate(written):
        tell("write", i, len(written))
        book.write_table(name, tables[name])
        report.rows[name] = len(tables[name])
        report.tables[name] = tables[name]
    report.warnings = [p for p in problems if p.severity == "warning"]
    seconds["write"] = time.perf_counter() - mark
    action = "run cycle" if chosen == STEPS else "run " + ", ".join(chosen)
    total = time.perf_counter() - started
    book.log(action, rows=report.total_rows, seconds=total, messages=report.message())
    mark = time.perf_counter()
    saver = getattr(book, "save", None)
    if save and callable(saver):
        tell("save")
        report.path = saver()
    seconds["save"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    report.seconds = seconds
    return report
