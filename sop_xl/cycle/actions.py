"""Snapshot and roll forward: the two record actions on a workbook (CLI and ribbon buttons).

Both are one transaction (:func:`sop_xl.cycle.transaction.transact`), as a run of the cycle
is, so bad input changes nothing: validate, read, check, compute everything, then write, append
one Log row and save (a file atomically; a live book on the macro's commit).

**Snapshot** archives the cycle's plans into tblHistory, tagged with the cycle (its first plan
period, ``YYYY-MM``) and the time. Kinds: ``forecast`` (tblForecast), ``demand plan``
(tblDemandPlan, the consensus), ``supply plan`` (Production of tblSupplyPlan), ``revenue`` and
``gross margin`` (tblFinancePlan; Item holds the family) and ``cycle time`` (days, from the Start
sheet, when its dates are filled). A second snapshot of the same cycle replaces that cycle's
rows and says so; other cycles' rows are not touched. On the Start sheet it marks step 5 (the
executive meeting, which a snapshot follows) done and step 6 (implementation) in progress.

A snapshot is refused when the plan is *invalid* (input errors; a plan table empty or holding a
non-number) or *stale*: its periods are not the cycle's (the first period is not CycleStart, or
not Horizon of them), or the inputs changed after the last run: the demand, supply and finance
steps (the registry's, :mod:`sop_xl.cycle.steps`), run again from the stored forecast on the
inputs as they are now, do not give the tables
in the workbook (adjustments, receipts, items, prices, budget, settings changed), or the actuals
differ from those the KPI trend was computed with (a new month pasted, history edited).

**Roll forward** starts the next cycle: CycleStart moves one period on (the Horizon stays, so
the plan window shifts); adjustments of periods before the new cycle start have been applied
and move to tblAdjustmentHistory with their Qty or Percent (adjustments of later periods stay,
they still apply; the moved ``new product``, ``promotion`` and ``event`` ones are then taken out
of the history the next forecasts learn from, :mod:`sop_xl.cycle.baseline`); the
Start sheet's step statuses go back to ``not started`` and their dates are cleared. Actuals,
items, decisions and History stay. Refused when the actuals end before the current cycle (the
new cycle would start two periods after the last actual: paste the missing month first) and,
unless ``require_snapshot=False``, when the current cycle has no snapshot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter

from sop_xl.cycle.inputs import CycleInputs, grid_of, parsed_periods
from sop_xl.cycle.records import (
    LOG_COLUMNS,
    kept_cycles,
    log_row,
    plan_archive,
    plan_name,
    typed_history,
    with_archive_history,
)
from sop_xl.cycle.steps import compute
from sop_xl.cycle.transaction import Planned, Session, Writes, transact
from sop_xl.errors import SopError
from sop_xl.records.cycletime import cycle_time
from sop_xl.records.indicators import typed_decisions
from sop_xl.workbook.book import Book
from sop_xl.workbook.cellvalues import Formula
from sop_xl.workbook.periods import is_period_label, period_range
from sop_xl.workbook.start_steps import advance, reset_block, start_steps

EXCEL_ROWS = 1_048_576  # rows on an Excel sheet

PLAN_TABLES = ("tblForecast", "tblDemandPlan", "tblSupplyPlan", "tblFinancePlan")
TOLERANCE = 0.011  # tables are written to 2 decimals
RUN_FIRST = "run the cycle (sop-xl run FILE) before the snapshot"


@dataclass(frozen=True)
class RecordResult:
    """What a snapshot or roll forward did (``str()`` is its one-line message).

    Attributes
    ----------
    action : str
        ``snapshot`` or ``roll forward``.
    cycle : str
        The cycle snapshot, or the new cycle after a roll forward (``YYYY-MM``).
    rows : int
        Rows written (History rows; moved adjustments and changed cells for roll forward).
    message : str
    seconds : float
    path : Path or None
        Where the file was saved.
    logged : bool
        The action wrote its own Log row (the macros do not add a second one).
    """

    action: str
    cycle: str
    rows: int
    message: str
    seconds: float = 0.0
    path: Path | None = None
    logged: bool = True

    def __str__(self) -> str:
        return self.message


def _now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")


def _recorded(
    book: Book, action: str, work: Callable[[Session], tuple[Planned, str]], save: bool
) -> RecordResult:
    """Carry out a record action as one transaction; ``work`` also names the cycle."""
    cycle: list[str] = []

    def planned(session: Session) -> Planned:
        plan, name = work(session)
        cycle.append(name)
        return plan

    done = transact(book, action, planned, save=save, refusal=f"cannot {action}: ")
    plan = done.planned
    return RecordResult(
        action, cycle[0], plan.rows, plan.message, round(done.seconds["total"], 2), done.path
    )


def _require(session: Session, names: tuple[str, ...], action: str) -> None:
    for name in names:
        if not session.has(name):
            raise SopError(f"cannot {action}: table {name} is missing from the workbook")


# ----------------------------------------------------------------------------------------------
# snapshot
# ----------------------------------------------------------------------------------------------
def _first_difference(stored: pd.DataFrame, fresh: pd.DataFrame) -> str | None:
    """``'GA-101 2026-03: 1,200 in the workbook, 1,320 now'`` or None when they agree."""
    fresh = fresh.reindex(columns=stored.columns)
    if list(stored.index) != list(fresh.index):
        extra = [i for i in fresh.index if i not in set(stored.index)]
        gone = [i for i in stored.index if i not in set(fresh.index)]
        which = f"{extra[0]} is new" if extra else f"{gone[0]} is gone" if gone else "rows moved"
        return which
    a, b = stored.to_numpy(float), fresh.to_numpy(float)
    off = np.abs(a - b) > TOLERANCE + 1e-6 * np.abs(b)
    if not off.any():
        return None
    i, j = np.argwhere(off)[0]
    row = stored.index[i]
    row = " ".join(map(str, row)) if isinstance(row, tuple) else row
    return f"{row} {stored.columns[j]}: {a[i, j]:,.2f} in the workbook, {b[i, j]:,.2f} now"


def _by_measure(table: pd.DataFrame, key: str, labels: list[str]) -> pd.DataFrame:
    frame = table[table[key].notna()].copy()
    grid = grid_of(frame, key, labels).reset_index(drop=True)
    grid.index = pd.MultiIndex.from_arrays(
        [frame[key].astype(str).str.strip(), frame["Measure"].astype(str).str.strip()]
    )
    return grid


def _stale_actuals(inputs: CycleInputs, trend: pd.DataFrame) -> str | None:
    if trend.empty or "Actual" not in trend:
        return None
    shown = trend[trend["Actual"].map(lambda v: isinstance(v, (int, float)))]
    if shown.empty:
        return None
    totals = inputs.actuals.groupby("period")["qty"].sum()
    now = {inputs.label(p): q for p, q in totals.items()}
    last = inputs.label(inputs.actuals["period"].max()) if len(inputs.actuals) else None
    labels = [str(p) for p in shown["Period"]]
    if last is not None and last not in labels and last > labels[-1]:
        return f"the actuals of {last} arrived after the last run"
    for label, value in zip(labels, shown["Actual"], strict=True):
        if abs(round(now.get(label, 0.0)) - float(value)) > 0.5:
            return (
                f"the actuals of {label} changed after the last run "
                f"({float(value):,.0f} units then, {now.get(label, 0.0):,.0f} now)"
            )
    return None


def check_plan(inputs: CycleInputs, tables: dict[str, pd.DataFrame]) -> None:
    """Raise :class:`SopError` when the plan in ``tables`` is invalid or stale (see above)."""
    labels = inputs.labels
    start = labels[0]
    for name in PLAN_TABLES:
        table = tables[name]
        if table.dropna(how="all").empty:
            raise SopError(f"cannot snapshot: the plan is missing ({name} is empty); {RUN_FIRST}")
        periods = [str(c) for c in table.columns if is_period_label(str(c))]
        if not periods or periods[0] != start:
            first = periods[0] if periods else "no period"
            raise SopError(
                f"cannot snapshot: the plan is stale: {name} starts at {first}, but the cycle "
                f"starts at {start} (Settings CycleStart); {RUN_FIRST}"
            )
        if periods != labels:
            raise SopError(
                f"cannot snapshot: the plan is stale: {name} has {len(periods)} periods, "
                f"Horizon is {len(labels)}; {RUN_FIRST}"
            )
    try:
        stored = {
            "tblDemandPlan": grid_of(tables["tblDemandPlan"], "Item", labels),
            "tblSupplyPlan": _by_measure(tables["tblSupplyPlan"], "Item", labels),
            "tblFinancePlan": _by_measure(tables["tblFinancePlan"], "Family", labels),
        }
        grid_of(tables["tblForecast"], "Item", labels)
    except SopError as exc:
        raise SopError(f"cannot snapshot: the plan is invalid: {exc}") from None
    # the plan as the inputs give it now, from the stored forecast (History as at the run)
    then = inputs.history[inputs.history["cycle"] < inputs.periods[0]]
    at_run = dataclasses.replace(inputs, history=then)
    # each step from the stored tables before it, as the user's runs made them
    made = {step: compute((step,), at_run, tables) for step in ("demand", "supply", "finance")}
    fresh = {
        "tblDemandPlan": grid_of(made["demand"]["tblDemandPlan"], "Item", labels),
        "tblSupplyPlan": _by_measure(made["supply"]["tblSupplyPlan"], "Item", labels),
        "tblFinancePlan": _by_measure(made["finance"]["tblFinancePlan"], "Family", labels),
    }
    for name, grid in stored.items():
        diff = _first_difference(grid, fresh[name])
        if diff:
            raise SopError(
                f"cannot snapshot: the plan is stale: the inputs changed after the last run "
                f"({name} {diff}); {RUN_FIRST}"
            )
    trend = tables.get("tblKPITrend")
    changed = _stale_actuals(inputs, trend) if trend is not None else None
    if changed:
        raise SopError(f"cannot snapshot: the plan is stale: {changed}; {RUN_FIRST}")


def snapshot_rows(
    inputs: CycleInputs, tables: dict[str, pd.DataFrame], stamp: str, days: float
) -> pd.DataFrame:
    """tblHistory rows of this cycle's plans (see the module docstring for the kinds).

    Item plans keep their first Settings ``HistoryPeriods`` periods (blank: all of them);
    family finance plans keep the whole horizon.
    """
    labels = inputs.labels
    cycle = labels[0]
    kept = labels[: inputs.settings.get("HistoryPeriods") or len(labels)]
    parts = [
        ("forecast", grid_of(tables["tblForecast"], "Item", kept)),
        ("demand plan", grid_of(tables["tblDemandPlan"], "Item", kept)),
        ("supply plan", grid_of(tables["tblSupplyPlan"], "Item", kept, measure="Production")),
        ("revenue", grid_of(tables["tblFinancePlan"], "Family", labels, measure="Revenue")),
        (
            "gross margin",
            grid_of(tables["tblFinancePlan"], "Family", labels, measure="GrossMargin"),
        ),
    ]
    frames = []
    for kind, grid in parts:
        long = grid.stack().rename("Qty").reset_index()
        long.columns = ["Item", "Period", "Qty"]
        long.insert(0, "Kind", kind)
        frames.append(long)
    if days == days:
        frames.append(
            pd.DataFrame(
                [{"Kind": "cycle time", "Item": "S&OP cycle", "Period": cycle, "Qty": days}]
            )  # fmt: skip
        )
    out = pd.concat(frames, ignore_index=True)
    out["Qty"] = out["Qty"].astype(float).round(2)
    out.insert(0, "SnapshotTime", stamp)
    out.insert(0, "Cycle", cycle)
    return out[["Cycle", "SnapshotTime", "Kind", "Item", "Period", "Qty"]]


def snapshot(book: Book, *, save: bool = True) -> RecordResult:
    """Archive this cycle's plans into tblHistory (replacing an earlier snapshot of it).

    Parameters
    ----------
    book : Book
        The workbook (:func:`~sop_xl.workbook.book.open_book`, or the live book of a macro).
    save : bool, keyword-only
        Save a file when done.

    Raises
    ------
    SopError
        When the inputs have errors or the plan is missing, invalid or stale (see the module
        docstring); nothing is written then.
    """

    def work(session: Session) -> tuple[Planned, str]:
        began = time.perf_counter()
        _require(session, (*PLAN_TABLES, "tblHistory", "tblLog"), "snapshot")
        inputs = session.typed()
        with plan_archive(inputs.settings, session.location()) as archive:
            if archive is not None:  # the history the run read (lag-1 plans of older cycles)
                inputs = with_archive_history(inputs, archive, plan_name(session.location()))
        tables = {name: session.read_table(name) for name in PLAN_TABLES}
        if session.has("tblKPITrend"):
            tables["tblKPITrend"] = session.read_table("tblKPITrend")
        check_plan(inputs, tables)

        days = cycle_time(
            session.start_steps(), typed_decisions(session.read_table("tblDecisions"))
        )
        rows = snapshot_rows(inputs, tables, _now(), days)
        cycle = inputs.labels[0]
        history = session.read_table("tblHistory")
        same = parsed_periods(history["Cycle"], inputs.period_type) == inputs.periods[0]
        if inputs.settings.get("Archive"):
            return _to_archive(session, inputs, history, same, rows, began), cycle
        left = len(history) - int(same.sum())
        room = EXCEL_ROWS - session.locate("tblHistory").header_row
        if left + len(rows) > room:
            raise SopError(
                f"cannot snapshot: History would hold {left + len(rows):,} rows, more than the "
                f"{room:,} an Excel sheet has room for below its header; set HistoryPeriods in "
                f"Settings (3 keeps lag-1 and lag-3 accuracy) or move old cycles' rows to an "
                f"archive workbook"
            )
        counts = rows["Kind"].value_counts()
        kinds = ", ".join(f"{k} {counts[k]:,}" for k in pd.unique(rows["Kind"]))
        message = f"cycle {cycle}: {len(rows):,} rows to History ({kinds})"
        writes = Writes()
        if same.any():
            taken = sorted({str(t) for t in history.loc[same, "SnapshotTime"]})
            message += (
                f"; replaced the {int(same.sum()):,} rows of the earlier snapshot of {cycle} "
                f"(taken {', '.join(taken)})"
            )
            kept = history.loc[~same, ["Cycle", "SnapshotTime", "Kind", "Item", "Period", "Qty"]]
            writes.tables["tblHistory"] = (
                pd.concat([kept, rows], ignore_index=True) if len(kept) else rows
            )
        else:
            writes.appends["tblHistory"] = rows
        # a snapshot follows the executive meeting: step 5 done, step 6 (implementation) begun
        block, header_row = start_steps(book)
        writes.cells += advance(block, header_row, {5: "done", 6: "in progress"}, dt.date.today())[
            1
        ]
        return Planned(writes, len(rows), message), cycle

    return _recorded(book, "snapshot", work, save)


def _to_archive(
    session: Session,
    inputs: CycleInputs,
    history: pd.DataFrame,
    same: pd.Series,
    rows: pd.DataFrame,
    began: float,
) -> Planned:
    """Snapshot into the plan archive (Settings Archive; :mod:`sop_xl.cycle.records`).

    One database transaction stores this cycle's rows (replacing an earlier snapshot of it),
    the History sheet's older cycles the archive lacks, the workbook's adjustment history and
    its Log with this snapshot's own row (its Seconds count up to the archive write; the
    workbook's row, written after, has the whole, and the next snapshot's Log replaces it);
    then the sheet keeps the last HistoryCycles cycles. The archive is written before the
    workbook is saved: a failed save leaves a snapshot that the next one replaces.
    """
    period_type = inputs.period_type
    columns = ["Cycle", "SnapshotTime", "Kind", "Item", "Period", "Qty"]
    earlier = history.loc[~same, columns]
    plan = plan_name(session.location())
    keep = kept_cycles(inputs.settings)
    sheet = pd.concat([earlier, rows], ignore_index=True) if len(earlier) else rows
    cycles = parsed_periods(sheet["Cycle"], period_type)
    recent = sorted(set(cycles.dropna()))[-keep:]
    sheet = sheet[cycles.isin(recent).to_numpy()].reset_index(drop=True)
    room = EXCEL_ROWS - session.locate("tblHistory").header_row
    if len(sheet) > room:
        raise SopError(
            f"cannot snapshot: History would hold {len(sheet):,} rows, more than the {room:,} "
            f"an Excel sheet has room for; set HistoryCycles in Settings lower (now {keep})"
        )
    adjustments = (
        session.read_table("tblAdjustmentHistory") if session.has("tblAdjustmentHistory") else None
    )
    with plan_archive(inputs.settings, session.location()) as archive:
        assert archive is not None
        known = set(archive.cycles(plan))
        older = typed_history(earlier, period_type)
        older = older[~older["cycle"].isin(known)]
        new = typed_history(rows, period_type)
        message = (
            f"cycle {inputs.labels[0]}: {len(rows):,} rows to the archive {archive.where} (plan "
            f"{plan}" + (f"; with {len(older):,} rows of earlier cycles" if len(older) else "")
            + f"); History keeps the last {len(recent)} cycle(s)"
        )  # fmt: skip
        if same.any():
            message += f"; replaced the earlier snapshot of {inputs.labels[0]}"
        stored = len(new) + len(older)
        log = session.read_table("tblLog").reindex(columns=LOG_COLUMNS).dropna(how="all")
        own = log_row("snapshot", stored, time.perf_counter() - began, message)
        archive.snapshot(
            plan,
            pd.concat([older, new], ignore_index=True) if len(older) else new,
            freq=inputs.freq,
            adjustments=adjustments,
            log=pd.concat([log, own], ignore_index=True) if len(log) else own,
        )
    writes = Writes(tables={"tblHistory": sheet})
    return Planned(writes, stored, message)


# ----------------------------------------------------------------------------------------------
# roll forward
# ----------------------------------------------------------------------------------------------
def _moved_adjustments(
    inputs: CycleInputs, raw: pd.DataFrame, new_start: pd.Timestamp, cycle: str, stamp: str
) -> pd.DataFrame:
    """tblAdjustmentHistory rows: the adjustments of periods before ``new_start``."""
    past = inputs.adjustments.index[inputs.adjustments["period"] < new_start]
    frame = raw.loc[past, ["Item", "Family", "Qty", "Percent", "Type", "Owner", "Comment"]]
    frame = frame.astype(object).where(frame.notna(), None)
    frame.insert(0, "MovedTime", stamp)
    frame.insert(0, "Cycle", cycle)
    frame.insert(4, "Period", [inputs.label(p) for p in inputs.adjustments.loc[past, "period"]])
    return frame


def _compacted(book: Book, moved: pd.Index) -> tuple[str, int, int, list[list]]:
    """tblAdjustments' body without the ``moved`` rows: kept rows up, blank rows below.

    A file's formulas are kept and moved with their row (references translated).
    """
    loc = book.locate("tblAdjustments")
    top, left = loc.first_data_row, loc.first_col
    block = book.read_cells(loc.sheet, top, left, loc.last_row, loc.last_col)
    width = loc.last_col - left + 1
    kept = []
    for i, row in enumerate(block):
        excel_row = top + i
        if excel_row in set(moved) or all(v is None for v in row):
            continue
        target = top + len(kept)
        if target != excel_row:
            row = [_moved_formula(v, left + j, excel_row, target) for j, v in enumerate(row)]
        kept.append(row)
    kept += [[None] * width for _ in range(len(block) - len(kept))]
    return loc.sheet, top, left, kept


def _moved_formula(value: Any, col: int, source: int, target: int) -> Any:
    if isinstance(value, Formula):  # a plain str is text, whatever it starts with
        letter = get_column_letter(col)
        origin = f"{letter}{source}"
        return Formula(Translator(value, origin=origin).translate_formula(f"{letter}{target}"))
    return value


def roll_forward(book: Book, *, save: bool = True, require_snapshot: bool = True) -> RecordResult:
    """Start the next cycle (see the module docstring for what moves and what stays).

    Parameters
    ----------
    book : Book
    save : bool, keyword-only
        Save a file when done.
    require_snapshot : bool, keyword-only
        Refuse when the current cycle has no snapshot in tblHistory (its plan would be lost
        for lag accuracy).

    Raises
    ------
    SopError
        Input errors; actuals ending before the current cycle; no snapshot of the current
        cycle. Nothing is written then.
    """

    def work(session: Session) -> tuple[Planned, str]:
        _require(
            session,
            ("tblSettings", "tblAdjustments", "tblAdjustmentHistory", "tblLog"),
            "roll forward",
        )
        inputs = session.typed()
        current = inputs.periods[0]
        cycle = inputs.labels[0]
        if inputs.actuals.empty:
            raise SopError("cannot roll forward: tblActuals has no actuals before the cycle start")
        last = inputs.actuals["period"].max()
        after_last = period_range(last, 2, inputs.period_type)[1]
        if current > after_last:
            raise SopError(
                f"cannot roll forward past the end of the actuals: they end at "
                f"{inputs.label(last)} and the cycle already starts at {cycle}; add the actuals "
                f"of {inputs.label(after_last)} to tblActuals first"
            )
        history = inputs.history
        snapped = not history[
            (history["cycle"] == current) & (history["kind"] == "demand plan")
        ].empty
        if require_snapshot and not snapped:
            raise SopError(
                f"cannot roll forward: cycle {cycle} has no snapshot in History, so its plan "
                "would be lost for lag accuracy; snapshot it first (sop-xl snapshot FILE), or "
                "roll forward with --without-snapshot"
            )
        new_start = period_range(current, 2, inputs.period_type)[1]
        new_cycle = inputs.label(new_start)
        new_end = period_range(new_start, len(inputs.periods), inputs.period_type)[-1]

        settings = session.read_table("tblSettings")
        keys = settings["Key"].map(lambda v: str(v).strip().lower() if v is not None else "")
        rows = settings.index[keys == "cyclestart"]
        if not len(rows):
            raise SopError("cannot roll forward: tblSettings has no CycleStart row")
        loc = session.locate("tblSettings")
        value_col = loc.first_col + loc.headers.index("Value")
        old_value = settings.at[rows[0], "Value"]
        new_value: Any = new_cycle if isinstance(old_value, str) else new_start.to_pydatetime()
        raw_adjustments = session.read_table("tblAdjustments")
        moved = _moved_adjustments(inputs, raw_adjustments, new_start, cycle, _now())

        writes = Writes(cells=[(loc.sheet, int(rows[0]), value_col, [[new_value]])])
        if len(moved):
            writes.cells.append(_compacted(book, moved.index))
            writes.appends["tblAdjustmentHistory"] = moved.reset_index(drop=True)
        steps = reset_block(book)
        if steps is not None:
            writes.cells.append(steps)
        n_steps = len(steps[3]) if steps is not None else 0
        message = (
            f"cycle {cycle} -> {new_cycle}: CycleStart {new_cycle} (plan {new_cycle} to "
            f"{inputs.label(new_end)}); {len(moved)} adjustment(s) of past periods moved to "
            f"tblAdjustmentHistory; {n_steps} Start step(s) reset; run the cycle for the new plan"
        )
        if not snapped:
            message += f"; note: cycle {cycle} was not snapshot"
        changed = 1 + len(moved) + n_steps
        return Planned(writes, changed, message), new_cycle

    return _recorded(book, "roll forward", work, save)
