"""Shared test settings and the expensive fixtures, built once per session.

The demo workbook before and after the cycle (and the records sequence several modules need)
are built once per session into their own folders. Those files are shared: a test that writes
to a workbook takes a fresh copy (:func:`unrun_demo`, :func:`finished_demo`, or
``shutil.copy`` in a module fixture). Each shared file's SHA-256 is checked when the session
ends, so a test that wrote to one fails loudly instead of spoiling the tests after it.
"""

import datetime as dt
import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings
from openpyxl import load_workbook

# tests import helpers (xlwings_server) from this folder
sys.path.insert(0, str(Path(__file__).parent))

# Property tests: random examples on a developer's machine, where a new failure is welcome;
# on CI (CI set, as GitHub Actions and most CI services do) the same examples every run, so a
# submission lands or fails on its code, not on the draw. Failures found either way are pinned
# with @example.
if os.environ.get("CI"):
    settings.register_profile("ci", derandomize=True, deadline=None)
    settings.load_profile("ci")

# The forecast cache (sop_xl.forecast.cache): one folder per test run, shared by the xdist
# workers and the CLI subprocesses they start, never the user's own cache. Tests that count
# forecast tasks turn it off (SOP_XL_CACHE=0) or give it a folder of their own.
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"solo-{os.getpid()}"
os.environ["SOP_XL_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / f"sop-xl-test-cache-{_RUN}")


def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist)
        shutil.rmtree(os.environ["SOP_XL_CACHE_DIR"], ignore_errors=True)


# Start sheet dates of cycle 2026-01 (steps 1-5); the demo's decisions are dated 2025-12-17,
# before step 1, so the meeting is step 5's start: 2 Jan -> 20 Jan = 18 days
STEP_STARTS = tuple(dt.datetime(2026, 1, d) for d in (2, 6, 9, 14, 20))
START_FIRST_ROW = 11  # the Start sheet's first step row; Status in column 3, Start in column 4
FACTORS = (0.8, 0.9, 1.0, 1.1, 1.2)  # the known 2026-01: item k sells consensus x FACTORS[k % 5]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SHARED: set[Path] = set()  # the session's shared workbooks


def _shared(path: Path) -> Iterator[Path]:
    """Yield ``path``; afterwards fail if a test changed the shared file."""
    before = _digest(path)
    SHARED.add(path)
    yield path
    assert _digest(path) == before, f"a test wrote to the shared workbook {path}; copy it first"


def fill_start_dates(path: Path, starts=STEP_STARTS, status: str | None = "done") -> None:
    """Write the Start sheet's step dates (and ``status`` unless None) into the file at ``path``."""
    wb = load_workbook(path)
    for i, start in enumerate(starts):
        if status is not None:
            wb["Start"].cell(START_FIRST_ROW + i, 3).value = status
        wb["Start"].cell(START_FIRST_ROW + i, 4).value = start
    wb.save(path)


@dataclass(frozen=True)
class FinishedDemo:
    """The demo workbook after ``sop-xl demo``: its file and the cycle's report."""

    path: Path
    report: object  # sop_xl.cycle.runner.CycleReport


@pytest.fixture(scope="session")
def demo_unrun_file(tmp_path_factory) -> Iterator[Path]:
    """The demo workbook before the cycle (:func:`sop_xl.demo.write_demo`). Shared: read only."""
    from sop_xl.demo import write_demo

    yield from _shared(write_demo(tmp_path_factory.mktemp("demo-unrun") / "demo.xlsx"))


@pytest.fixture(scope="session")
def demo_cycle(tmp_path_factory) -> Iterator[FinishedDemo]:
    """The demo after the whole cycle, built as ``sop-xl demo --jobs 1`` builds it: the template
    filled with the demo company, the cycle run in memory, then saved. Shared: read only."""
    from sop_xl.cycle import run_cycle
    from sop_xl.demo import demo_tables
    from sop_xl.workbook.book import new_book
    from sop_xl.workbook.fill import fill_inputs

    book = new_book()
    fill_inputs(book.workbook, demo_tables())
    report = run_cycle(book, save=False, n_jobs=1)
    path = book.save(tmp_path_factory.mktemp("demo-finished") / "sop_demo.xlsx")
    for checked in _shared(path):
        yield FinishedDemo(checked, report)


@pytest.fixture(scope="session")
def demo_finished_file(demo_cycle) -> Path:
    """The file of :func:`demo_cycle`. Shared: read only."""
    return demo_cycle.path


@pytest.fixture
def unrun_demo(demo_unrun_file, tmp_path) -> Path:
    """A fresh copy of the demo before the cycle, the test's own to change."""
    return Path(shutil.copy(demo_unrun_file, tmp_path / "demo.xlsx"))


@pytest.fixture
def finished_demo(demo_finished_file, tmp_path) -> Path:
    """A fresh copy of the demo after the whole cycle, the test's own to change."""
    return Path(shutil.copy(demo_finished_file, tmp_path / "sop_demo.xlsx"))


@pytest.fixture(scope="session")
def shared_remote_book():
    """``remote_book(path)`` for the shared workbooks, each file's JSON built once a session:
    every call gives a fresh xlwings remote Book a test may change."""
    import copy

    import remote_book  # sets the xlwings key before xlwings is imported

    payloads: dict[Path, dict] = {}

    def make(path: Path):
        path = Path(path)
        assert path in SHARED, f"{path} is not a shared workbook and may change: use remote_book"
        if path not in payloads:
            payloads[path] = remote_book.payload(path)
        return remote_book.xw.Book(json=copy.deepcopy(payloads[path]))

    return make


@dataclass(frozen=True)
class RolledDemo:
    """The finished demo with Start dates (cycle 2026-01), snapshot, rolled forward, and given
    a known month 2026-01 of actuals; not run again yet.

    Attributes
    ----------
    path : Path
        The workbook (shared: read only).
    snapshot, roll_forward : RecordResult
        What the snapshot and the roll forward returned.
    hand : dict of str to Series
        By item: ``actual`` (the 2026-01 added), ``consensus`` (tblDemandPlan 2026-01),
        ``statistical`` (tblForecast 2026-01), ``naive`` (the 2025-12 actuals) [units].
    """

    path: Path
    snapshot: object
    roll_forward: object
    hand: dict[str, pd.Series]


@pytest.fixture(scope="session")
def demo_rolled(demo_finished_file, tmp_path_factory) -> Iterator[RolledDemo]:
    """The demo rolled into cycle 2026-02 with the new month's actuals (see :class:`RolledDemo`)."""
    from sop_xl.cycle import roll_forward, snapshot
    from sop_xl.workbook import tables
    from sop_xl.workbook.book import open_book

    path = tmp_path_factory.mktemp("demo-rolled") / "plan.xlsx"
    shutil.copy(demo_finished_file, path)
    fill_start_dates(path)
    book = open_book(path)
    plan = book.read_table("tblDemandPlan").set_index("Item")["2026-01"].astype(float)
    stat = book.read_table("tblForecast").set_index("Item")["2026-01"].astype(float)
    actuals = book.read_table("tblActuals")
    december = actuals[actuals["Period"] == dt.datetime(2025, 12, 1)].set_index("Item")["Qty"]
    first = snapshot(book)
    rolled = roll_forward(open_book(path))

    items = list(plan.index)
    january = pd.Series(
        [float(round(plan[item] * FACTORS[k % 5])) for k, item in enumerate(items)], index=items
    )
    book = open_book(path)
    ws, tbl = tables.find_table(book.workbook, "tblActuals")
    new = pd.DataFrame(
        {"Item": items, "Period": dt.datetime(2026, 1, 1), "Qty": january.to_numpy()}
    )
    tables.append_rows(ws, tbl, new)
    book.save()
    hand = {
        "actual": january,
        "consensus": plan,
        "statistical": stat,
        "naive": pd.to_numeric(december).reindex(items).fillna(0.0),
    }
    for checked in _shared(path):
        yield RolledDemo(checked, first, rolled, hand)


@pytest.fixture(scope="session")
def built_addin(tmp_path_factory) -> Iterator[dict[str, Path]]:
    """``sop-xl build-addin`` once: ``{"xlam": sop_xl.xlam, "xlsm": sop_template.xlsm}``."""
    from sop_xl.cli import main

    out = tmp_path_factory.mktemp("addin")
    assert main(["build-addin", "--out", str(out)]) == 0
    built = {"xlam": out / "sop_xl.xlam", "xlsm": out / "sop_template.xlsm"}
    digests = {kind: _digest(path) for kind, path in built.items()}
    yield built
    for kind, path in built.items():
        assert _digest(path) == digests[kind], f"a test wrote to the shared {path.name}"
