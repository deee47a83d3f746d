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
import importlib
import importlib.util
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import xlwings as xw

from sop_xl.errors import SopError
from sop_xl.workbook.live import XlwingsBook
from sop_xl.workbook.validate import Problem, validate

log = logging.getLogger("sop_xl")

# xlwings' script decorator (0.30+): registers a script in Lite/Server, a no-op on desktop
script: Callable[[Any], Any] = getattr(xw, "script", None) or (lambda f: f)

STATUS_LIMIT = 250  # Excel's status bar shows about this much
SHOWN_PROBLEMS = 5  # problems named in a summary; the Log row carries more


@dataclass(frozen=True)
class MacroResult:
    """What a macro did: its action, whether it wrote results, and the message it showed."""

    action: str
    ok: bool
    message: str
    rows: int = 0
    seconds: float = 0.0
    problems: tuple[str, ...] = field(default_factory=tuple)


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


class _Failed(Exception):
    """A macro's own refusal (not available, bad input found), shown like a SopError."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(str(p) for p in problems)


Work = Callable[[XlwingsBook], tuple[int, str, tuple[str, ...]]]


def _run(
    book: Any,
    action: str,
    work: Work,
) -> MacroResult:
    """Run ``work`` on the live book; write its results and the message, or only the message."""
    book = book if book is not None else xw.Book.caller()
    live = XlwingsBook(book)
    started = time.perf_counter()
    live.status(f"S&OP: {action}...")
    ok, rows, problems = False, 0, ()
    try:
        rows, summary, problems = work(live)
        ok = True
    except _Failed as exc:
        summary, problems = str(exc), exc.problems
    except SopError as exc:
        summary = str(exc)
    except Exception as exc:  # a bug: one line for the user, the traceback for the log
        log.exception("%s failed", action)
        summary = f"internal error: {_one_line(str(exc) or type(exc).__name__, 200)}"
    if not ok:
        live.discard()  # bad input or a failure: nothing but the message is written
    seconds = time.perf_counter() - started
    summary = _one_line(summary)
    message = f"{action}: {summary}" if ok else f"{action} stopped, nothing written: {summary}"
    try:
        live.log(action, rows, seconds, summary if ok else f"stopped: {summary}")
    except SopError:  # no usable tblLog: the message still goes to Start and the status bar
        log.warning("%s: no Log row written", action)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    live.show_message(f"Last run {stamp}: {message}")
    live.commit()
    shown = live.status(_one_line(message, STATUS_LIMIT))
    if not ok or not shown:
        live.alert(_one_line(message, 1000), mode="info" if ok else "critical")
    return MacroResult(action, ok, message, rows, round(seconds, 2), problems)


def _cycle(steps: list[str] | None) -> Work:
    """The work of a cycle button: the cycle runner on the live book."""

    def work(live: XlwingsBook) -> tuple[int, str, tuple[str, ...]]:
        from sop_xl import cycle

        def progress(*args: Any) -> None:
            live.status(_one_line("S&OP: " + " ".join(str(a) for a in args), STATUS_LIMIT))

        report = cycle.run_cycle(live, steps=steps, progress=progress)
        return _report_rows(report), _report_summary(report), ()

    return work


def _report_rows(report: Any) -> int:
    return int(getattr(report, "rows", 0) or 0)


def _report_summary(report: Any) -> str:
    return _one_line(str(getattr(report, "summary", "") or "done"))


@script
def refresh_forecast(book: xw.Book | None = None) -> MacroResult:
    """Refresh Forecast: statistical forecast per item into tblForecast."""
    return _run(book, "refresh forecast", _cycle(["forecast"]))


@script
def build_demand_plan(book: xw.Book | None = None) -> MacroResult:
    """Build Demand Plan: forecast plus adjustments into tblDemandPlan."""
    return _run(book, "build demand plan", _cycle(["demand"]))


@script
def build_supply_plan(book: xw.Book | None = None) -> MacroResult:
    """Build Supply Plan: production, on-hand and capacity load (tblSupplyPlan, tblCapacity)."""
    return _run(book, "build supply plan", _cycle(["supply", "capacity"]))


@script
def reconcile(book: xw.Book | None = None) -> MacroResult:
    """Reconcile: finance plan and the demand/supply/budget reconciliation."""
    return _run(book, "reconcile", _cycle(["finance", "reconcile"]))


@script
def refresh_kpis(book: xw.Book | None = None) -> MacroResult:
    """Refresh KPIs: the KPI table for the executive meeting."""
    return _run(book, "refresh KPIs", _cycle(["kpis"]))


@script
def run_cycle(book: xw.Book | None = None) -> MacroResult:
    """Run Whole Cycle: every step from forecast to KPIs."""
    return _run(book, "run cycle", _cycle(None))


@script
def validate_inputs(book: xw.Book | None = None) -> MacroResult:
    """Validate Inputs: list the input problems; writes nothing but the message and a Log row."""

    def work(live: XlwingsBook) -> tuple[int, str, tuple[str, ...]]:
        problems = validate(live)
        if any(p.severity == "error" for p in problems):
            raise _Failed(_problem_summary(problems), problems)
        summary = "inputs OK" + (f" ({_problem_summary(problems)})" if problems else "")
        return 0, summary, tuple(str(p) for p in problems)

    return _run(book, "validate inputs", work)


def _records(function: str) -> Callable[..., Any] | None:
    """``sop_xl.records.<function>`` once the records module exists (issue 6), else None."""
    if importlib.util.find_spec("sop_xl.records") is None:
        return None
    return getattr(importlib.import_module("sop_xl.records"), function, None)


def _records_work(function: str) -> Work:
    def work(live: XlwingsBook) -> tuple[int, str, tuple[str, ...]]:
        run = _records(function)
        if run is None:
            raise _Failed(
                "not available yet: this version of sop-xl has no records module "
                f"(sop_xl.records.{function})"
            )
        result = run(live)
        return _report_rows(result), _report_summary(result), ()

    return work


@script
def snapshot_cycle(book: xw.Book | None = None) -> MacroResult:
    """Snapshot Cycle: archive this cycle's plans to History."""
    return _run(book, "snapshot cycle", _records_work("snapshot"))


@script
def roll_forward(book: xw.Book | None = None) -> MacroResult:
    """Roll Forward: start the next cycle (settings and plans one period on)."""
    return _run(book, "roll forward", _records_work("roll_forward"))


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
