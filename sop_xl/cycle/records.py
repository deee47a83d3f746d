"""The History records of a workbook, from its History sheet or its plan archive.

With Settings ``Archive`` blank, History lives in tblHistory (as before). With an archive
(:mod:`sop_xl.records.archive`), every snapshot goes to the database and the sheet keeps only
the last ``HistoryCycles`` cycles (default :data:`DEFAULT_CYCLES`); then:

- :func:`with_archive_history` gives the steps the sheet's rows plus the archive's lag-1 plans
  of older cycles (what the supply step's demand uncertainty reads);
- :func:`archive_lag_sums` aggregates lag accuracy in the database for the kpis step;
- :func:`history_records` returns history rows for reading (``cycle, kind, item, period,
  qty``) from whichever holds them, e.g. the previous cycle's plan.

The plan is the workbook's file name: several workbooks share one archive, each reading and
replacing only its own rows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import getpass
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, item_code, parsed_periods
from sop_xl.cycle.transaction import Planned, Session, Writes, transact
from sop_xl.errors import SopError
from sop_xl.periods import PeriodGrid
from sop_xl.records.accuracy import LAGS
from sop_xl.records.archive import (
    HISTORY_COLUMNS,
    LOG_COLUMNS,
    Archive,
    archive_error,
    is_database_error,
    open_archive,
)
from sop_xl.workbook.book import Book

DEFAULT_CYCLES = 3
"""Cycles the History sheet keeps with an archive when Settings HistoryCycles is blank."""


def plan_name(location: Path | None) -> str:
    """The plan's name in a shared archive: the workbook's file name.

    >>> plan_name(Path("/plans/east.xlsx"))
    'east.xlsx'
    """
    return location.name if location is not None else "workbook"


@contextlib.contextmanager
def plan_archive(settings: dict[str, Any], location: Path | None) -> Iterator[Archive | None]:
    """The open archive of Settings ``Archive`` (None when blank), closed after the block.

    A database error inside the block (the server gone, the disk full, no right to write)
    becomes one line naming Settings Archive and its value (:func:`archive_error`), for the
    CLI and the macros alike.
    """
    where = str(settings.get("Archive") or "").strip()
    if not where:
        yield None
        return
    folder = location.parent if location is not None else None
    with open_archive(where, folder) as archive:
        try:
            yield archive
        except Exception as exc:
            if is_database_error(exc):
                raise archive_error(where, exc) from None
            raise


def log_row(action: str, rows: int, seconds: float, messages: str) -> pd.DataFrame:
    """One tblLog row as :meth:`~sop_xl.workbook.book.FileBook.log` writes it (Time, User,
    Action, Rows, Seconds, Messages), for the archive's copy of the Log."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (containers)
        user = ""
    row = {
        "Time": dt.datetime.now().replace(microsecond=0).isoformat(sep=" "),
        "User": user,
        "Action": action,
        "Rows": int(rows),
        "Seconds": round(float(seconds), 2),
        "Messages": " ".join(str(messages).split())[:2000],
    }
    return pd.DataFrame([row], columns=LOG_COLUMNS)


def kept_cycles(settings: dict[str, Any]) -> int:
    """Cycles the History sheet keeps with an archive (Settings HistoryCycles, default 3)."""
    return int(settings.get("HistoryCycles") or DEFAULT_CYCLES)


def typed_history(frame: pd.DataFrame, period_type: str) -> pd.DataFrame:
    """tblHistory rows (Cycle, SnapshotTime, Kind, Item, Period, Qty) as the archive stores
    them: ``cycle, snapshot_time, kind, item, period, qty``; rows whose cycle, period or qty
    do not parse are left out (as the cycle's own reading does)."""
    qty = pd.to_numeric(frame["Qty"], errors="coerce")
    out = pd.DataFrame(
        {
            "cycle": parsed_periods(frame["Cycle"], period_type),
            "snapshot_time": frame["SnapshotTime"].map(lambda v: "" if v is None else str(v)),
            "kind": frame["Kind"].map(lambda v: str(v or "").strip().lower()),
            "item": frame["Item"].map(item_code),
            "period": parsed_periods(frame["Period"], period_type),
            "qty": qty.astype(float),
        }
    )
    keep = out["cycle"].notna() & out["period"].notna() & out["qty"].notna()
    return out[keep].reset_index(drop=True)


def sheet_in_archive(inputs: CycleInputs, archive: Archive, plan: str) -> bool:
    """Every cycle of the History sheet is in the archive (so lag accuracy may be read from
    the archive alone; a sheet cycle not archived yet arrives with the next snapshot)."""
    shown = set(inputs.history["cycle"]) if len(inputs.history) else set()
    return shown <= set(archive.cycles(plan))


def with_archive_history(
    inputs: CycleInputs, archive: Archive, plan: str, *, lags: bool = False
) -> CycleInputs:
    """``inputs`` whose history adds the archive's lag-1 plans of cycles the sheet lacks
    (with ``lags``: every row lag accuracy reads, for when it cannot be aggregated in the
    archive alone)."""
    aheads = list(range(max(LAGS))) if lags else [0]
    older = archive.history(plan, kinds=("demand plan", "forecast"), aheads=aheads)
    shown = set(inputs.history["cycle"]) if len(inputs.history) else set()
    older = older[~older["cycle"].isin(shown)]
    if older.empty:
        return inputs
    history = pd.concat([older, inputs.history], ignore_index=True) if shown else older
    return dataclasses.replace(inputs, history=history)


def archive_lag_sums(archive: Archive, plan: str, inputs: CycleInputs) -> dict[int, pd.DataFrame]:
    """Per-item lag accuracy sums for each lag of :data:`~sop_xl.records.accuracy.LAGS`."""
    sums = archive.lags_sums(plan, inputs.actuals, lags=LAGS, freq=inputs.freq)
    return {lag: sums[lag].frame for lag in LAGS}


def history_records(
    inputs: CycleInputs,
    archive: Archive | None = None,
    plan: str | None = None,
    *,
    kinds: Sequence[str] | None = None,
    cycles: Sequence[pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """History rows ``cycle, kind, item, period, qty`` for reading, from the archive when one
    is given (all its cycles of ``plan``), else from the History sheet (``inputs.history``).

    ``kinds`` and ``cycles`` select rows; e.g. the previous cycle's consensus plan:
    ``history_records(inputs, kinds=["demand plan"], cycles=[previous])``.
    """
    if archive is not None:
        frame = archive.history(plan or "workbook", kinds=kinds)
    else:
        frame = inputs.history
    if len(frame) and kinds is not None:
        frame = frame[frame["kind"].isin(list(kinds))]
    if len(frame) and cycles is not None:
        frame = frame[frame["cycle"].isin(list(cycles))]
    return frame.reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# moving records: sop-xl archive FILE --export / --import
# ----------------------------------------------------------------------------------------------
def _labelled(typed: pd.DataFrame, period_type: str) -> pd.DataFrame:
    """Archive rows (cycle and period as dates) in tblHistory's layout (labels as text)."""
    grid = PeriodGrid(period_type)
    return pd.DataFrame(
        {
            "Cycle": [grid.label(pd.Timestamp(c)) for c in typed["cycle"]],
            "SnapshotTime": typed["snapshot_time"].astype(str).to_numpy(),
            "Kind": typed["kind"].to_numpy(),
            "Item": typed["item"].to_numpy(),
            "Period": [grid.label(pd.Timestamp(p)) for p in typed["period"]],
            "Qty": typed["qty"].astype(float).to_numpy(),
        }
    )


def export_history(book: Book) -> tuple[pd.DataFrame, str]:
    """Every History row of ``book``'s plan, in tblHistory's layout, and where it came from:
    the archive when Settings Archive names one, else the History sheet."""
    settings = book.settings()
    with plan_archive(settings, book.location()) as archive:
        if archive is None:
            frame = book.read_table("tblHistory").dropna(how="all")
            return frame.reindex(columns=HISTORY_COLUMNS).reset_index(drop=True), "History"
        rows = archive.table(plan_name(book.location()))
        return _labelled(rows, settings["PeriodType"]), f"the archive {archive.where}"


def import_history(book: Book, frame: pd.DataFrame, *, save: bool = True) -> str:
    """Put History rows (tblHistory's layout) where ``book`` keeps them: the archive (Settings
    Archive) or the History sheet; the cycles they hold replace those cycles' rows there.

    Raises
    ------
    SopError
        When ``frame`` lacks a tblHistory column or holds no row whose cycle, period and
        quantity parse.
    """
    missing = [c for c in HISTORY_COLUMNS if c not in frame.columns]
    if missing:
        raise SopError(
            f"the file needs the columns {', '.join(HISTORY_COLUMNS)}; missing {missing[0]}"
        )

    def work(session: Session) -> Planned:
        settings = session.settings()
        typed = typed_history(frame, settings["PeriodType"])
        if typed.empty:
            raise SopError("the file holds no History row with a cycle, a period and a Qty")
        cycles = sorted(set(typed["cycle"]))
        what = f"{len(typed):,} rows of {len(cycles)} cycle(s)"
        with plan_archive(settings, session.location()) as archive:
            if archive is not None:
                freq = PeriodGrid(settings["PeriodType"]).freq
                archive.snapshot(plan_name(session.location()), typed, freq=freq)
                return Planned(Writes(), len(typed), f"imported {what} into {archive.where}")
        sheet = session.read_table("tblHistory").reindex(columns=HISTORY_COLUMNS)
        sheet = sheet.dropna(how="all")
        held = parsed_periods(sheet["Cycle"], settings["PeriodType"]).isin(cycles)
        rows = _labelled(typed, settings["PeriodType"])
        kept = sheet[~held.to_numpy()]
        table = pd.concat([kept, rows], ignore_index=True) if len(kept) else rows
        return Planned(Writes(tables={"tblHistory": table}), len(rows), f"imported {what}")

    done = transact(book, "import history", work, save=save, refusal="cannot import: ")
    return done.planned.message
