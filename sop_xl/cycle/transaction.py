"""One transaction for every action on a workbook, so that a failure changes nothing.

Running the cycle (or one step), a snapshot, a roll forward and every ribbon button go through
:func:`transact`, in this order:

1. validate the inputs (any error: :class:`~sop_xl.errors.SopError` naming sheet, row, column
   and value; nothing written);
2. read the input tables once (:class:`Session` keeps every table it read, so validation and
   the action share the reads) and type them (:func:`~sop_xl.cycle.inputs.cycle_inputs`);
3. compute: the action's ``work(session)`` returns every change it will make (:class:`Writes`),
   without writing;
4. write the tables, appended rows and cells, in that order;
5. append one row to tblLog;
6. save (a file: atomically, a temporary file replacing the old one; a live Excel book: the
   gateway holds the writes until the macro commits them).

An exception before step 4 leaves the workbook as it was; the gateways hold every write in
memory until the save, so one in steps 4-6 does too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sop_xl.cycle.inputs import CycleInputs, cycle_inputs
from sop_xl.errors import SopError
from sop_xl.workbook.book import Book
from sop_xl.workbook.start_steps import start_steps
from sop_xl.workbook.validate import Problem, errors, validate

INPUTS = ("tblItems", "tblActuals", "tblAdjustments", "tblReceipts", "tblResources", "tblBudget")
"""The input tables every action reads (tblHistory and tblAdjustmentHistory too, when the
workbook has them)."""
SHOWN_PROBLEMS = 8  # problems named in a refusal

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is validate, read, a step name, write or save."""


@dataclass
class Writes:
    """Every change an action makes, planned before the first one is made.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Output tables whose rows are replaced, in writing order.
    appends : dict of str to DataFrame
        Rows added at the end of a table (History, adjustment history).
    cells : list of (sheet, top, left, block)
        Cells outside output tables (Settings' CycleStart, the Start sheet's step block, the
        rows of tblAdjustments a roll forward compacts).
    show : str or None
        The sheet to open the workbook on afterwards (a run that made the Summary).
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    appends: dict[str, pd.DataFrame] = field(default_factory=dict)
    cells: list[tuple[str, int, int, list[list[Any]]]] = field(default_factory=list)
    show: str | None = None  # the sheet the workbook opens on afterwards (the Summary)

    @property
    def rows(self) -> dict[str, int]:
        """Rows written or appended per table."""
        counts = {name: len(frame) for name, frame in self.tables.items()}
        for name, frame in self.appends.items():
            counts[name] = counts.get(name, 0) + len(frame)
        return counts


@dataclass
class Planned:
    """What ``work`` returns: the writes, the Log's row count and message."""

    writes: Writes
    rows: int
    message: str


@dataclass
class Done:
    """What a transaction did: the plan it carried out, its timings and where it saved."""

    planned: Planned
    seconds: dict[str, float]
    path: Path | None


class Session:
    """The workbook during one transaction: each table read once, the typed inputs.

    It offers the reading half of :class:`~sop_xl.workbook.book.Book` (what the validator
    needs), so validation and the action share the reads.
    """

    def __init__(self, book: Book) -> None:
        self.book = book
        self._tables: dict[str, pd.DataFrame] = {}
        self._settings: dict[str, Any] | None = None
        self._present = {name.lower() for name in book.table_names()}
        self.inputs: CycleInputs | None = None
        self.problems: list[Problem] = []

    # -- what the validator reads ----------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return self.book.sheet_names()

    def table_names(self) -> dict[str, str]:
        return self.book.table_names()

    def locate(self, name: str):
        return self.book.locate(name)

    def read_table(self, name: str) -> pd.DataFrame:
        """The table's rows (a copy); ``attrs["table"]`` names it for messages."""
        if name not in self._tables:
            frame = self.book.read_table(name)
            frame.attrs["table"] = name
            self._tables[name] = frame
        return self._tables[name].copy()

    def location(self):
        return self.book.location()

    def settings(self) -> dict[str, Any]:
        if self._settings is None:
            self._settings = self.book.settings()
        return dict(self._settings)

    # -- what actions read -------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """The workbook has table ``name`` (any case)."""
        return name.lower() in self._present

    def require(self, name: str, why: str) -> None:
        """Refuse when table ``name`` is missing: ``table X is missing: <why>``."""
        if not self.has(name):
            raise SopError(f"table {name} is missing: {why}")

    def typed(self) -> CycleInputs:
        """The typed inputs (read in step 2)."""
        if self.inputs is None:
            raise SopError("the inputs were not read")
        return self.inputs

    def start_steps(self) -> pd.DataFrame:
        """The Start sheet's step block (step, status, start, due); empty without one."""
        return start_steps(self.book)[0]


def _read(
    session: Session,
    tell: Callable[[str], None] = lambda stage: None,
    seconds: dict[str, float] | None = None,
) -> list[Problem]:
    """Validate, then read and type the inputs; problems found (read errors as problems).

    ``tell(stage)`` hears ``validate`` and ``read``; ``seconds`` gets the time of each.
    """
    seconds = {} if seconds is None else seconds
    mark = time.perf_counter()
    tell("validate")
    session.problems = validate(session)
    seconds["validate"] = time.perf_counter() - mark
    if errors(session.problems):
        return session.problems
    mark = time.perf_counter()
    tell("read")
    raw = {name: session.read_table(name) for name in INPUTS}
    if session.has("tblHistory"):
        raw["tblHistory"] = session.read_table("tblHistory")
    if session.has("tblAdjustmentHistory"):  # past events, taken out of the history
        raw["tblAdjustmentHistory"] = session.read_table("tblAdjustmentHistory")
    try:
        session.inputs = cycle_inputs(raw, session.settings())
    except SopError as exc:  # what only typing the inputs finds (e.g. no cycle start at all)
        problem = Problem("error", "Settings", None, "", None, " ".join(str(exc).split()))
        session.problems = [*session.problems, problem]
    seconds["read"] = time.perf_counter() - mark
    return session.problems


def check_inputs(book: Book) -> list[Problem]:
    """Every problem a run would refuse or warn about, without computing (``sop-xl validate``).

    The same checks as the first two stages of :func:`transact`, so validation says OK exactly
    when a run would go past them.
    """
    return _read(Session(book))


def _refusal(prefix: str, problems: Sequence[Problem]) -> str:
    shown = "; ".join(" ".join(str(p).split()) for p in problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    return f"{prefix}{len(problems)} error(s) in the inputs, nothing was written: {shown}" + (
        f"; and {more} more" if more > 0 else ""
    )


def transact(
    book: Book,
    action: str,
    work: Callable[[Session], Planned],
    *,
    save: bool = True,
    progress: Progress | None = None,
    refusal: str = "",
) -> Done:
    """Carry out one action on ``book`` as one transaction (see the module docstring).

    Parameters
    ----------
    book : Book
        A file (:func:`~sop_xl.workbook.book.open_book`) or a live Excel book.
    action : str
        What the Log row says (``run cycle``, ``snapshot``, ...).
    work : callable
        ``work(session) -> Planned``: reads through the session, computes, plans the writes.
    save : bool, keyword-only
        Save a file when done (a live book is left to its macro).
    progress : callable, optional, keyword-only
        ``progress(stage, done, total)``.
    refusal : str, keyword-only
        Put before the input-errors message (``cannot snapshot: ``).

    Raises
    ------
    SopError
        Input errors, or what ``work`` refuses; nothing is written then.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def tell(stage: str, done: int = 0, total: int = 1) -> None:
        if progress is not None:
            progress(stage, done, total)

    session = Session(book)
    bad = errors(_read(session, tell, seconds))
    if bad:
        raise SopError(_refusal(refusal, bad))

    mark = time.perf_counter()
    planned = work(session)
    seconds["compute"] = time.perf_counter() - mark

    mark = time.perf_counter()
    writes = planned.writes
    names = [*writes.tables, *writes.appends]
    for i, name in enumerate(writes.tables):
        tell("write", i, len(names))
        book.write_table(name, writes.tables[name])
    for i, name in enumerate(writes.appends, start=len(writes.tables)):
        tell("write", i, len(names))
        book.append_rows(name, writes.appends[name])
    for sheet, top, left, block in writes.cells:
        book.write_cells(sheet, top, left, block)
    if writes.show is not None:
        book.show_sheet(writes.show)
    seconds["write"] = time.perf_counter() - mark
    book.log(
        action, rows=planned.rows, seconds=time.perf_counter() - started, messages=planned.message
    )

    mark = time.perf_counter()
    path = None
    if save:
        tell("save")
        path = book.save()
    seconds["save"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    return Done(planned, seconds, path)
