"""The cycle's steps, declared once: what each reads, what it writes, the function that computes.

Every action on a workbook (``sop-xl run``, one ``--step``, a ribbon button, the snapshot's
staleness check, the what-if scenarios) asks this registry for its steps; nothing else lists
them or their order. A :class:`Step` is pure: it gets the typed inputs and the tables it declared
(DataFrames) and returns the tables it declared. Order comes from the declarations: a step runs
after every step whose output it reads (:func:`plan`).

Names a step reads or writes are either workbook tables (``tbl...``, read from the book when no
chosen step makes them) or *sources*: things read from the workbook that are not tables (the
Start sheet's step dates) or results held in memory between steps (``holdout``: the forecast's
measured holdout errors; ``forecast errors``: each item's rolling-origin errors, for the supply
step's safety stock). A step marked ``on_demand`` runs only to give a chosen step something
no chosen step makes (the kpis step alone measures the holdout again; the supply step alone
measures the forecast errors again, so that its safety stock is the whole cycle's), and not at
all when what it makes was given.

The steps (cycle order): forecast, demand, supply, capacity, finance, sopplan (the family S&OP
grid), reconcile, kpis, summary (the meeting's one page; issue 12).

>>> [step.name for step in plan(["kpis", "supply"])]
['errors', 'supply', 'kpis']
>>> plan(["plan"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sop_xl.errors.SopError: unknown step 'plan'; the steps are forecast, demand, ..., summary
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sop_xl.cycle.capacity import capacity_step
from sop_xl.cycle.demand import demand_step
from sop_xl.cycle.finance import finance_step, item_flows
from sop_xl.cycle.forecasting import forecast_step
from sop_xl.cycle.inputs import CycleInputs
from sop_xl.cycle.kpis import kpi_step, kpi_table
from sop_xl.cycle.reconciliation import reconcile_step
from sop_xl.cycle.sop_plan import sop_plan_step
from sop_xl.cycle.summary import summary_step
from sop_xl.cycle.supply_plan import supply_step
from sop_xl.cycle.whatif import scenario_table
from sop_xl.errors import SopError
from sop_xl.kpi import KPI
from sop_xl.records.indicators import record_kpis, typed_decisions
from sop_xl.records.scenarios import COLUMNS as SCENARIO_COLUMNS

HOLDOUT = "holdout"
"""In-memory result: the forecast's holdout errors (the kpis step's forecast accuracy)."""
FORECAST_ERRORS = "forecast errors"
"""In-memory result: each item's rolling-origin forecast errors (the supply step's safety stock)."""
LAG_SUMS = "archive lag sums"
"""Source given by the runner with a plan archive: per-item lag sums (sop_xl.cycle.records)."""
START_STEPS = "Start steps"
"""Source: the Start sheet's step block (status, start and due dates), for the cycle time."""


@dataclass
class StepContext:
    """What a step computes from: the typed inputs and every table read or made so far."""

    inputs: CycleInputs
    tables: Mapping[str, Any]
    n_jobs: int | None = None
    progress: Callable[[int, int], None] | None = None
    executor: Executor | None = None


@dataclass
class StepResult:
    """What a step made: its tables (by name), notes for the Log, and KPIs (the kpis step)."""

    tables: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    kpis: tuple[KPI, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step of the cycle.

    Attributes
    ----------
    name : str
        What users type (``--step supply``) and the Log shows.
    reads : tuple of str
        Tables (and sources) the step needs; an output of a step that is not run is read from
        the workbook and must not be empty.
    writes : tuple of str
        What it makes: workbook tables (written back) and in-memory results.
    compute : callable
        ``compute(StepContext) -> StepResult``, pure.
    optional : tuple of str
        Tables read when the workbook has them (user tables a step can do without).
    on_demand : bool
        Run only to give a chosen step something no chosen step makes; never chosen by name.
    forecasts : bool
        The step runs the batch forecaster (the one that uses worker processes or a cluster).
    advances : tuple of (int, str), optional
        The Start sheet's step (1-6) a run of this step advances, and to which status: the
        last step of a Start step makes it ``done``, an earlier one ``in progress``.
    """

    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    compute: Callable[[StepContext], StepResult] = field(repr=False)
    optional: tuple[str, ...] = ()
    on_demand: bool = False
    forecasts: bool = False
    advances: tuple[int, str] | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        """The workbook tables this step writes."""
        return tuple(name for name in self.writes if name.startswith("tbl"))


def _forecast(ctx: StepContext) -> StepResult:
    result = forecast_step(
        ctx.inputs, n_jobs=ctx.n_jobs, progress=ctx.progress, executor=ctx.executor
    )
    made = {"tblForecast": result.table, HOLDOUT: result.holdout, FORECAST_ERRORS: result.errors}
    return StepResult(made, list(result.notes))


def _holdout(ctx: StepContext) -> StepResult:
    result = forecast_step(
        ctx.inputs, n_jobs=ctx.n_jobs, plan=False, progress=ctx.progress, executor=ctx.executor
    )
    return StepResult({HOLDOUT: result.holdout})


def _errors(ctx: StepContext) -> StepResult:
    """The forecast's errors (and holdout) without a new forecast: the supply step alone."""
    result = forecast_step(
        ctx.inputs, n_jobs=ctx.n_jobs, plan=False, progress=ctx.progress, executor=ctx.executor
    )
    return StepResult({FORECAST_ERRORS: result.errors, HOLDOUT: result.holdout})


def _demand(ctx: StepContext) -> StepResult:
    result = demand_step(ctx.inputs, ctx.tables["tblForecast"])
    return StepResult({"tblDemandPlan": result.table}, list(result.notes))


def _supply(ctx: StepContext) -> StepResult:
    t = ctx.tables
    result = supply_step(
        ctx.inputs, t["tblDemandPlan"], t["tblForecast"], errors=t[FORECAST_ERRORS]
    )
    return StepResult({"tblSupplyPlan": result.table}, list(result.notes))


def _capacity(ctx: StepContext) -> StepResult:
    result = capacity_step(ctx.inputs, ctx.tables["tblSupplyPlan"])
    return StepResult({"tblCapacity": result.table}, list(result.notes))


def _finance(ctx: StepContext) -> StepResult:
    return StepResult(
        {"tblFinancePlan": finance_step(ctx.inputs, ctx.tables["tblSupplyPlan"]).table}
    )


def _reconcile(ctx: StepContext) -> StepResult:
    tables = ctx.tables
    rec = reconcile_step(ctx.inputs, tables["tblSupplyPlan"], tables["tblCapacity"])
    scenarios = tables.get("tblScenarios")
    if scenarios is None or scenarios.dropna(how="all").empty:
        compare = pd.DataFrame(columns=SCENARIO_COLUMNS)
    else:  # the what-if scenarios, each planned again by the supply step (issue 6)
        for name in ("tblDemandPlan", "tblForecast"):
            if tables.get(name) is None or tables[name].dropna(how="all").empty:
                raise SopError(
                    f"{name} is empty: run the {producer(name)} step before the reconcile step "
                    "(the what-if scenarios start from it)"
                )
        if FORECAST_ERRORS not in tables:  # measured once for all the scenarios
            tables = {**tables, **_errors(ctx).tables}
        compare = scenario_table(
            ctx.inputs,
            scenarios,
            tables["tblDemandPlan"],
            tables["tblForecast"],
            tables["tblSupplyPlan"],
            supply=lambda inputs, given: compute(
                ("supply",), inputs, {**given, FORECAST_ERRORS: tables[FORECAST_ERRORS]}
            )["tblSupplyPlan"],
        )
    notes = list(rec.notes)
    decisions = int((rec.table["DecisionNeeded"] != "").sum())
    if decisions:
        notes.append(f"{decisions} reconciliation row(s) need a decision")
    return StepResult({"tblReconciliation": rec.table, "tblScenarioCompare": compare}, notes)


def _kpis(ctx: StepContext) -> StepResult:
    inputs, tables = ctx.inputs, ctx.tables
    previous = tables.get("tblKPIs")
    flows = item_flows(inputs, tables["tblSupplyPlan"])
    kpis = kpi_step(inputs, flows, tables["tblCapacity"], tables[HOLDOUT], previous)
    # lag accuracy, FVA, cycle time from History, the Start sheet and Decisions (issue 6)
    records = record_kpis(
        inputs.history,
        inputs.actuals,
        inputs.items,
        freq=inputs.freq,
        cycle_start=inputs.periods[0],
        steps=tables[START_STEPS],
        decisions=typed_decisions(tables.get("tblDecisions")),
        lag_sums=tables.get(LAG_SUMS),  # with a plan archive: aggregated in its database
    )
    every = (*kpis.kpis, *records.kpis)
    out = {
        "tblKPIs": kpi_table(list(every), previous),
        "tblKPITrend": kpis.trend,
        "tblFVA": records.fva,
        "tblForecastAccuracy": records.table,
    }
    return StepResult(out, kpis=every)


def _sop_plan(ctx: StepContext) -> StepResult:
    t = ctx.tables
    result = sop_plan_step(
        ctx.inputs, t["tblDemandPlan"], t["tblSupplyPlan"], t["tblCapacity"], t["tblFinancePlan"]
    )
    return StepResult({"tblSOPPlan": result.table}, list(result.notes))


def _summary(ctx: StepContext) -> StepResult:
    t = ctx.tables
    result = summary_step(
        ctx.inputs,
        t["tblDemandPlan"],
        t["tblSupplyPlan"],
        t["tblFinancePlan"],
        t["tblReconciliation"],
        t["tblKPIs"],
    )
    return StepResult(result.tables, list(result.notes))


SUMMARY_TABLES = (
    "tblYearView",
    "tblHeadlineKPIs",
    "tblTopDecisions",
    "tblRevenueByMonth",
    "tblPlanChange",
)

REGISTRY: tuple[Step, ...] = (
    Step(
        name="forecast",
        reads=(),
        writes=("tblForecast", HOLDOUT, FORECAST_ERRORS),
        compute=_forecast,
        forecasts=True,
        advances=(1, "done"),
    ),
    Step(
        name="demand",
        reads=("tblForecast",),
        writes=("tblDemandPlan",),
        compute=_demand,
        advances=(2, "done"),
    ),
    Step(
        name="supply",
        reads=("tblDemandPlan", "tblForecast", FORECAST_ERRORS),
        writes=("tblSupplyPlan",),
        compute=_supply,
        advances=(3, "in progress"),
    ),
    Step(
        name="capacity",
        reads=("tblSupplyPlan",),
        writes=("tblCapacity",),
        compute=_capacity,
        advances=(3, "done"),
    ),
    Step(
        name="finance",
        reads=("tblSupplyPlan",),
        writes=("tblFinancePlan",),
        compute=_finance,
        advances=(4, "in progress"),
    ),
    Step(
        name="sopplan",
        reads=("tblDemandPlan", "tblSupplyPlan", "tblCapacity", "tblFinancePlan"),
        writes=("tblSOPPlan",),
        compute=_sop_plan,
    ),
    Step(
        name="reconcile",
        reads=("tblSupplyPlan", "tblCapacity"),
        optional=("tblScenarios", "tblDemandPlan", "tblForecast"),
        writes=("tblReconciliation", "tblScenarioCompare"),
        compute=_reconcile,
        advances=(4, "done"),
    ),
    Step(
        name="holdout",
        reads=(),
        writes=(HOLDOUT,),
        compute=_holdout,
        on_demand=True,
        forecasts=True,
    ),
    Step(
        name="errors",
        reads=(),
        writes=(FORECAST_ERRORS, HOLDOUT),
        compute=_errors,
        on_demand=True,
        forecasts=True,
    ),
    Step(
        name="kpis",
        reads=("tblSupplyPlan", "tblCapacity", HOLDOUT, START_STEPS),
        optional=("tblKPIs", "tblDecisions"),
        writes=("tblKPIs", "tblKPITrend", "tblFVA", "tblForecastAccuracy"),
        compute=_kpis,
        advances=(5, "in progress"),  # the pack for the meeting; a snapshot marks it done
    ),
    Step(
        name="summary",
        reads=(
            "tblDemandPlan",
            "tblSupplyPlan",
            "tblFinancePlan",
            "tblReconciliation",
            "tblKPIs",
        ),
        writes=SUMMARY_TABLES,
        compute=_summary,
    ),
)
"""Every step, in the order they are declared (:func:`plan` orders by what they read)."""

BY_NAME: dict[str, Step] = {step.name: step for step in REGISTRY}
STEPS: tuple[str, ...] = tuple(step.name for step in REGISTRY if not step.on_demand)
"""The cycle's steps users choose from, in cycle order."""
OUTPUTS: dict[str, tuple[str, ...]] = {name: BY_NAME[name].tables for name in STEPS}
"""The workbook tables each step writes."""

ALIASES = {
    "reconciliation": "reconcile",
    "kpi": "kpis",
    "demand plan": "demand",
    "demand-plan": "demand",
    "supply plan": "supply",
    "supply-plan": "supply",
    "sop plan": "sopplan",
    "sop-plan": "sopplan",
    "s&op plan": "sopplan",
}


def _cycle_order() -> tuple[Step, ...]:
    """Every step after the steps that make what it reads; declaration order among equals."""
    before = {
        step.name: {
            maker.name
            for name in step.reads + step.optional
            for maker in REGISTRY
            if name in maker.writes and maker is not step
        }
        for step in REGISTRY
    }
    placed: list[Step] = []
    while len(placed) < len(REGISTRY):
        done = {step.name for step in placed}
        ready = [s for s in REGISTRY if s not in placed and before[s.name] <= done]
        if not ready:  # a declaration error, caught by the tests
            raise SopError(f"the steps {sorted(set(before) - done)} read each other's outputs")
        placed.append(ready[0])
    return tuple(placed)


ORDER: tuple[Step, ...] = _cycle_order()


def step_names(steps: Iterable[str] | str | None) -> tuple[str, ...]:
    """Known step names in cycle order (None = all).

    >>> step_names(["KPI", "supply"])
    ('supply', 'kpis')
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


def plan(steps: Iterable[str] | str | None) -> tuple[Step, ...]:
    """The steps to run for the chosen ones, in order, with the on-demand steps they need."""
    chosen = set(step_names(steps))
    made: set[str] = set()
    for step in ORDER:
        if step.name in chosen:
            made.update(step.writes)
    run: set[str] = set(chosen)
    for step in ORDER:
        if step.name in chosen:
            for name in step.reads:
                if name in made:
                    continue
                helper = next((p for p in ORDER if p.on_demand and name in p.writes), None)
                if helper is not None:
                    run.add(helper.name)
                    made.update(helper.writes)
    return tuple(step for step in ORDER if step.name in run)


def needs(steps: tuple[Step, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) names the steps read that none of them makes, in first-use order."""
    made: set[str] = set()
    required: list[str] = []
    optional: list[str] = []
    for step in steps:
        for name in step.reads:
            if name not in made and name not in required:
                required.append(name)
        for name in step.optional:
            if name not in made and name not in required and name not in optional:
                optional.append(name)
        made.update(step.writes)
    return tuple(required), tuple(n for n in optional if n not in required)


def start_marks(steps: Iterable[str]) -> dict[int, str]:
    """The Start sheet steps the named steps advance, each to the furthest status.

    >>> start_marks(["supply"]), start_marks(["supply", "capacity"])
    ({3: 'in progress'}, {3: 'done'})
    """
    marks: dict[int, str] = {}
    for name in steps:
        step = BY_NAME[name]
        if step.advances is not None:
            number, status = step.advances
            if marks.get(number) != "done":
                marks[number] = status
    return marks


def producer(name: str) -> str | None:
    """The user-chosen step that makes table ``name`` (None for an input table)."""
    return next((s.name for s in REGISTRY if name in s.writes and not s.on_demand), None)


def compute(
    steps: Iterable[str] | str | None,
    inputs: CycleInputs,
    given: Mapping[str, Any],
    *,
    n_jobs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    done: Callable[[Step, StepResult, float], None] | None = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Run the chosen steps in memory on ``inputs`` and the ``given`` tables; return every table.

    Parameters
    ----------
    steps : iterable of str, str or None
        Step names (None = the whole cycle).
    inputs : CycleInputs
    given : mapping of str to DataFrame
        The tables and sources the steps read that none of them makes (see :func:`needs`).
    n_jobs : int or None, keyword-only
        Worker processes for a forecast.
    progress : callable, optional, keyword-only
        ``progress(step_name, done, total)``.
    done : callable, optional, keyword-only
        ``done(step, result, seconds)`` after each step (the runner's notes and timings).
    executor : concurrent.futures.Executor or None, keyword-only
        Where a forecast runs instead of local worker processes (a Dask cluster's executor).

    Returns
    -------
    dict of str to DataFrame
        ``given`` and everything the steps made.
    """
    import time

    tables: dict[str, Any] = dict(given)
    planned = plan(steps)
    read = {name for step in planned if not step.on_demand for name in step.reads}
    chosen = [  # an on-demand step is not needed when what it makes for the others is given
        step
        for step in planned
        if not (step.on_demand and all(n in tables for n in step.writes if n in read))
    ]
    made = set(tables)
    for step in chosen:  # before anything runs (a forecast may take minutes)
        missing = [name for name in step.reads if name not in made]
        if missing:
            raise SopError(f"the {step.name} step needs {missing[0]}, which nobody gave it")
        made.update(step.writes)
    for step in chosen:
        mark = time.perf_counter()
        if progress is not None:
            progress(step.name, 0, 1)
        report = None
        if progress is not None:

            def report(d: int, t: int, name: str = step.name) -> None:
                progress(name, d, t)

        result = step.compute(StepContext(inputs, tables, n_jobs, report, executor))
        tables.update(result.tables)
        if done is not None:
            done(step, result, time.perf_counter() - mark)
    return tables
