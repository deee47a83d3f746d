"""The ribbon macros: one function per button of the S&OP tab.

Each ``name(book=None)`` runs on the calling workbook: ``xw.Book.caller()`` when desktop Excel
calls it through ``RunPython`` (the ribbon's VBA callbacks), or the Book xlwings Lite/Server
hands a script (every macro is registered with xlwings' ``@script`` where xlwings has it; on
desktop that decorator leaves the function as it is).

Every macro works the same way, through :class:`~sop_xl.workbook.live.XlwingsBook`:

1. read everything and compute everything (the cycle's own code, as ``sop-xl run`` uses it);
   writes are held back, so a failure leaves the workbook as it was;
2. write the results, each table as one block;
3. say what happened: the status bar (desktop Excel; progress while it runs), a row in the Log
   sheet, the message cell A3 of the Start sheet, and an alert where the status bar is missing
   (xlwings Lite/Server) or the run failed.

A macro that finds bad input (a validation error, a missing table or column) writes nothing but
its message. Each returns a :class:`MacroResult` (what a test or a caller in Python can check).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import xlwings as xw

from sop_xl.errors import SopError
from sop_xl.workbook.live import XlwingsBook
from sop_xl.workbook.validate import Problem

log = logging.getLogger("sop_xl")

# xlwings' script decorator (0.30+): registers a script in Lite/Server, a no-op on desktop
script: Callable[[Any], Any] = getattr(xw, "script", None) or (lambda f: f)

STATUS_LIMIT = 250  # Excel's status bar shows about this much
SHOWN_PROBLEMS = 5  # problems named in a summary; the Log row carries more


@dataclass(frozen=True)
class MacroResult:
    """What a macro did: whether it wrote results, the message it left, what it showed.

    Attributes
    ----------
    action : str
        The button, e.g. ``refresh forecast``.
    ok : bool
        True when the results were written; False when it stopped (bad input, a missing table,
        not available, a failure) and wrote nothing but its message.
    message : str
        The summary shown in the status bar (or an alert), on the Start sheet and in the Log.
    rows : int
        Rows written to output tables.
    seconds : float
        Wall time.
    problems : tuple of str
        Validation problems found (the warnings of a run that went through).
    statuses : tuple of str
        Every status bar text, in order (progress, then the summary).
    """

    action: str
    ok: bool
    message: str
    rows: int = 0
    seconds: float = 0.0
    problems: tuple[str, ...] = ()
    statuses: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Outcome:
    rows: int
    summary: str
    problems: tuple[str, ...] = ()
    logged: bool = False  # the work wrote its own Log row (the cycle runner does)


Work = Callable[[XlwingsBook], _Outcome]


def _one_line(text: str, limit: int | None = None) -> str:
    text = " ".join(str(text).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _problem_summary(problems: Sequence[Problem]) -> str:
    """``2 errors, 1 warning: error: Actuals row 7 Qty: Qty is blank; ...``."""
    n_err = sum(p.severity == "error" for p in problems)
    n_warn = len(problems) - n_err
    counts = f"{n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}"
    ordered = sorted(problems, key=lambda p: p.severity != "error")  # errors first
    shown = "; ".join(str(p) for p in ordered[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    return counts + (f": {shown}" if shown else "") + (f"; and {more} more" if more > 0 else "")


class _Stopped(Exception):
    """A macro's own refusal (not available, bad input found), shown like a SopError."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(str(p) for p in problems)


def _run(book: Any, action: str, work: Work) -> MacroResult:
    """Run ``work`` on the live book; write its results and the message, or only the message."""
    book = book if book is not None else xw.Book.caller()
    live = XlwingsBook(book)
    started = time.perf_counter()
    live.status(f"S&OP {action}...")
    outcome: _Outcome | None = None
    problems: tuple[str, ...] = ()
    try:
        outcome = work(live)
    except _Stopped as exc:
        summary, problems = str(exc), exc.problems
    except SopError as exc:
        summary = str(exc)
    except Exception as exc:  # a bug: one line for the user, the traceback for the log
        log.exception("%s failed", action)
        summary = f"internal error: {_one_line(str(exc) or type(exc).__name__, 200)}"
    seconds = time.perf_counter() - started
    if outcome is None:
        live.discard()  # nothing but the message is written
        message = f"{action} stopped: {_one_line(summary)}"
        _log(live, action, 0, seconds, f"stopped: {_one_line(summary)}")
    else:
        problems = outcome.problems
        message = f"{action}: {_one_line(outcome.summary)}"
        if not outcome.logged:
            _log(live, action, outcome.rows, seconds, outcome.summary)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    live.show_message(f"Last run {stamp}: {message}")
    live.commit()
    ok = outcome is not None
    shown = live.status(_one_line(message, STATUS_LIMIT))
    if not ok or not shown:  # Lite/Server have no status bar; a stop needs to be seen
        live.alert(_one_line(message, 1000), mode="info" if ok else "critical")
    return MacroResult(
        action,
        ok,
        message,
        outcome.rows if outcome else 0,
        round(seconds, 2),
        problems,
        tuple(live.statuses),
    )


def _log(live: XlwingsBook, action: str, rows: int, seconds: float, messages: str) -> None:
    try:
        live.log(action, rows, seconds, messages)
    except SopError:  # no usable tblLog: the message still goes to Start and the status bar
        log.warning("%s: no Log row written (%s)", action, messages)


def _n_jobs() -> int | None:
    """Forecast workers: all cores, but one in xlwings Lite (Pyodide has no processes)."""
    return 1 if sys.platform == "emscripten" else None


def _report_summary(report: Any) -> str:
    """``wrote tblForecast (44 rows) in 1.2 s; 3 validation warning(s); <notes>``."""
    wrote = ", ".join(f"{name} ({rows} rows)" for name, rows in report.rows.items())
    seconds = report.seconds.get("total", 0.0)
    text = f"wrote {wrote} in {seconds:.1f} s"
    details = report.message()
    return text if details == "OK" else f"{text}; {details}"


def _cycle(action: str, steps: list[str] | None) -> Work:
    """The work of a cycle button: the cycle runner on the live book."""

    def work(live: XlwingsBook) -> _Outcome:
        from sop_xl.cycle import run_cycle

        def progress(stage: str, done: int = 0, total: int = 1) -> None:
            what = {"validate": "checking inputs", "read": "reading", "write": "writing"}
            text = f"S&OP {action}: {what.get(stage, stage)}"
            if total > 1:
                text += f" {done}/{total}"
            live.status(text)

        report = run_cycle(live, steps=steps, progress=progress, n_jobs=_n_jobs())
        return _Outcome(
            report.total_rows,
            _report_summary(report),
            tuple(str(p) for p in report.warnings),
            logged=True,
        )

    return work


@script
def refresh_forecast(book: xw.Book | None = None) -> MacroResult:
    """Refresh Forecast: statistical forecast per item into tblForecast."""
    return _run(book, "refresh forecast", _cycle("refresh forecast", ["forecast"]))


@script
def build_demand_plan(book: xw.Book | None = None) -> MacroResult:
    """Build Demand Plan: forecast plus adjustments into tblDemandPlan."""
    return _run(book, "build demand plan", _cycle("build demand plan", ["demand"]))


@script
def build_supply_plan(book: xw.Book | None = None) -> MacroResult:
    """Build Supply Plan: production, on-hand and capacity load (tblSupplyPlan, tblCapacity)."""
    return _run(book, "build supply plan", _cycle("build supply plan", ["supply", "capacity"]))


@script
def reconcile(book: xw.Book | None = None) -> MacroResult:
    """Reconcile: finance plan, the family S&OP plan and the demand/supply/budget
    reconciliation."""
    return _run(book, "reconcile", _cycle("reconcile", ["finance", "sopplan", "reconcile"]))


@script
def refresh_kpis(book: xw.Book | None = None) -> MacroResult:
    """Refresh KPIs: the KPI table and the one-page Summary for the executive meeting."""
    return _run(book, "refresh KPIs", _cycle("refresh KPIs", ["kpis", "summary"]))


@script
def run_cycle(book: xw.Book | None = None) -> MacroResult:
    """Run Whole Cycle: every step from forecast to KPIs."""
    return _run(book, "run cycle", _cycle("run cycle", None))


@script
def validate_inputs(book: xw.Book | None = None) -> MacroResult:
    """Validate Inputs: list the input problems; writes nothing but the message and a Log row."""

    def work(live: XlwingsBook) -> _Outcome:
        from sop_xl.cycle.transaction import check_inputs

        problems = check_inputs(live)
        if any(p.severity == "error" for p in problems):
            raise _Stopped(_problem_summary(problems), problems)
        summary = "inputs OK" + (f" ({_problem_summary(problems)})" if problems else "")
        return _Outcome(0, summary, tuple(str(p) for p in problems))

    return _run(book, "validate inputs", work)


def _records_work(function: str) -> Work:
    """The work of a records button: ``sop_xl.cycle.<function>`` (snapshot, roll_forward)."""

    def work(live: XlwingsBook) -> _Outcome:
        from sop_xl import cycle

        result = getattr(cycle, function)(live)
        return _Outcome(result.rows, str(result), logged=result.logged)

    return work


@script
def snapshot_cycle(book: xw.Book | None = None) -> MacroResult:
    """Snapshot Cycle: archive this cycle's plans to History."""
    return _run(book, "snapshot cycle", _records_work("snapshot"))


@script
def roll_forward(book: xw.Book | None = None) -> MacroResult:
    """Roll Forward: start the next cycle (settings and plans one period on)."""
    return _run(book, "roll forward", _records_work("roll_forward"))


#: The ribbon macros, one per button, each ``name(book=None)``; the add-in builder uses this list.
MACROS = (
    "refresh_forecast",
    "build_demand_plan",
    "build_supply_plan",
    "reconcile",
    "refresh_kpis",
    "run_cycle",
    "validate_inputs",
    "snapshot_cycle",
    "roll_forward",
)
