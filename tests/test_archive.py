"""The plan archive (issue 14): DuckDB file and PostgreSQL, snapshots, lag accuracy in SQL.

PostgreSQL comes from ``SOP_XL_TEST_POSTGRES_URL`` (``.ci/run`` starts Debian's server and sets
it); without it the PostgreSQL cases skip on a developer's machine and FAIL on CI (``CI`` set).
Every test writes its own plan names, so tests sharing the database do not see each other.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FACTORS, fill_start_dates
from golden import capture, differences
from openpyxl import load_workbook

from sop_xl.cli import main
from sop_xl.cycle import roll_forward, run_cycle, snapshot
from sop_xl.records import archive as archive_module
from sop_xl.records.accuracy import (
    accuracy_table,
    fva_table,
    item_sums,
    lag_pairs,
    tables_from_sums,
)
from sop_xl.records.archive import open_archive
from sop_xl.workbook import tables
from sop_xl.workbook.book import open_book

POSTGRES = os.environ.get("SOP_XL_TEST_POSTGRES_URL", "")
ROOT = Path(__file__).resolve().parents[1]


def postgres_url() -> str:
    if POSTGRES:
        return POSTGRES
    if os.environ.get("CI"):
        pytest.fail("SOP_XL_TEST_POSTGRES_URL is not set on CI: .ci/run starts PostgreSQL")
    pytest.skip("no PostgreSQL here (set SOP_XL_TEST_POSTGRES_URL)")


@pytest.fixture(params=["duckdb", "postgresql"])
def location(request, tmp_path) -> str:
    """Where an archive is: a DuckDB file, or the test PostgreSQL."""
    if request.param == "duckdb":
        return str(tmp_path / "plans.duckdb")
    url = postgres_url()
    try:
        open_archive(url).close()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server fails on CI
        if os.environ.get("CI"):
            pytest.fail(f"cannot reach the test PostgreSQL: {exc}")
        pytest.skip(f"cannot reach PostgreSQL: {exc}")
    return url


def synthetic_history(n_items=6, n_cycles=5, horizon=4, seed=0, snapshot_time="t0"):
    """History rows (typed, the archive's layout) and the actuals: cycles 2025-01.. monthly."""
    rng = np.random.default_rng(seed)
    cycles = pd.date_range("2025-01-01", periods=n_cycles, freq="MS")
    kinds = ["forecast", "demand plan", "supply plan"]
    c, k, i, h = (a.ravel() for a in np.meshgrid(
        np.arange(n_cycles), np.arange(3), np.arange(n_items), np.arange(horizon), indexing="ij"))  # fmt: skip
    history = pd.DataFrame(
        {
            "cycle": cycles[c],
            "snapshot_time": snapshot_time,
            "kind": np.array(kinds)[k],
            "item": [f"I{j}" for j in i],
            "period": (cycles[c].to_period("M") + h).to_timestamp(),
            "qty": rng.integers(0, 50, len(c)).astype(float),
        }
    )
    # actuals through 2025-04, item I0 has none in 2025-02 (a missing actual is 0), I5 never sells
    periods = pd.date_range("2024-10-01", "2025-04-01", freq="MS")
    actuals = pd.DataFrame(
        [(f"I{i}", p, float(rng.integers(0, 60))) for i in range(n_items - 1) for p in periods],
        columns=["item", "period", "qty"],
    )
    actuals = actuals[~((actuals["item"] == "I0") & (actuals["period"] == "2025-02-01"))]
    return history, actuals


def test_tables_from_sums_equal_the_tables_from_pairs():
    history, actuals = synthetic_history()
    pairs = {lag: lag_pairs(history, actuals, lag=lag) for lag in (1, 3)}
    families = pd.Series(["F1", "F1", "F2", "F2", None, "F2", "F3"],
                         index=[f"I{i}" for i in range(6)] + ["NEW"])  # fmt: skip
    fva, table = tables_from_sums({lag: item_sums(p) for lag, p in pairs.items()}, families)
    pd.testing.assert_frame_equal(fva, fva_table(pairs))
    pd.testing.assert_frame_equal(table, accuracy_table(pairs, families))
    assert table["Lag1Naive"].notna().sum() > 3  # the comparison had numbers to compare


def test_snapshot_replaces_a_cycle_and_sums_match_pandas(location):
    history, actuals = synthetic_history()
    plan = f"p-{uuid.uuid4().hex[:8]}.xlsx"
    with open_archive(location) as archive:
        archive.snapshot(plan, history, freq="MS")
        again = history[history["cycle"] == "2025-02-01"].assign(snapshot_time="t1")
        assert archive.snapshot(plan, again, freq="MS") == len(again)
        stored = archive.history(plan)
        assert len(stored) == len(history)  # replaced, never duplicated
        assert archive.cycles(plan) == list(pd.date_range("2025-01-01", periods=5, freq="MS"))
        for lag in (1, 3):
            sums = archive.lag_sums(plan, actuals, lag=lag, freq="MS").frame
            expected = item_sums(lag_pairs(history, actuals, lag=lag))
            pd.testing.assert_frame_equal(sums, expected[sums.columns], check_names=False)
        assert archive.lag_sums(f"other-{plan}", actuals, lag=1, freq="MS").frame.empty


# ----------------------------------------------------------------------------------------------
# workbooks
# ----------------------------------------------------------------------------------------------
def set_settings(path: Path, **values) -> None:
    wb = load_workbook(path)
    ws, tbl = tables.find_table(wb, "tblSettings")
    loc = tables.locate(ws, tbl)
    rows = {ws.cell(r, loc.first_col).value: r for r in range(loc.header_row + 1, loc.last_row + 1)}
    for key, value in values.items():
        ws.cell(rows[key], loc.first_col + 1).value = value
    wb.save(path)


def record_january(path: Path) -> None:
    """Snapshot 2026-01, roll forward, add the 2026-01 actuals (conftest.demo_rolled's way)."""
    fill_start_dates(path)
    plan = open_book(path).read_table("tblDemandPlan").set_index("Item")["2026-01"].astype(float)
    snapshot(open_book(path))
    roll_forward(open_book(path))
    book = open_book(path)
    ws, tbl = tables.find_table(book.workbook, "tblActuals")
    items = list(plan.index)
    january = [float(round(plan[i] * FACTORS[k % 5])) for k, i in enumerate(items)]
    new = pd.DataFrame({"Item": items, "Period": dt.datetime(2026, 1, 1), "Qty": january})
    tables.append_rows(ws, tbl, new)
    book.save()


def test_cycle_with_a_duckdb_archive_gives_the_outputs_of_the_history_sheet(
    demo_rolled, demo_finished_file, tmp_path, monkeypatch
):
    sheet = Path(shutil.copy(demo_rolled.path, tmp_path / "sheet.xlsx"))
    run_cycle(open_book(sheet), n_jobs=1)

    archived = Path(shutil.copy(demo_finished_file, tmp_path / "plan.xlsx"))
    set_settings(archived, Archive="plans.duckdb")
    record_january(archived)
    calls = []
    real = archive_module.Archive.lags_sums
    monkeypatch.setattr(
        archive_module.Archive, "lags_sums", lambda *a, **k: calls.append(k) or real(*a, **k)
    )
    run_cycle(open_book(archived), n_jobs=1)
    assert [list(c["lags"]) for c in calls] == [[1, 3]]  # lag accuracy came from SQL
    found = differences(capture(sheet), capture(archived))
    # the Settings sheet is an input; tblHistory holds the same one cycle in both
    assert found == [], "\n".join(found)
    with open_archive(str(tmp_path / "plans.duckdb")) as archive:
        assert archive.cycles("plan.xlsx") == [pd.Timestamp("2026-01-01")]
        assert len(archive.history("plan.xlsx")) == len(open_book(sheet).read_table("tblHistory"))
    fva = open_book(archived).read_table("tblFVA")
    assert fva["Pairs"].iloc[0] == 44  # the 44 items' January: lag-1 pairs were measured

    # snapshot 2026-02 twice, HistoryCycles 1: the sheet keeps 2026-02, the archive both cycles
    set_settings(archived, HistoryCycles=1)
    run_cycle(open_book(archived), n_jobs=1)
    first = snapshot(open_book(archived))
    with open_archive(str(tmp_path / "plans.duckdb")) as archive:  # its own Log row went along
        log = archive._frame("SELECT action, messages FROM log WHERE plan = 'plan.xlsx'")
    assert log.iloc[-1].tolist() == ["snapshot", first.message]
    assert len(log) == len(open_book(archived).read_table("tblLog"))
    second = snapshot(open_book(archived))
    assert "replaced the earlier snapshot of 2026-02" in second.message
    history = open_book(archived).read_table("tblHistory")
    assert set(history["Cycle"]) == {"2026-02"}
    with open_archive(str(tmp_path / "plans.duckdb")) as archive:
        assert archive.cycles("plan.xlsx") == [
            pd.Timestamp("2026-01-01"),
            pd.Timestamp("2026-02-01"),
        ]
        stored = archive.history("plan.xlsx")
        assert (stored["cycle"] == "2026-02-01").sum() == first.rows == len(history)
        log = archive._frame("SELECT action FROM log WHERE plan = 'plan.xlsx'")
        assert log["action"].tolist()[-2:] == ["snapshot", "snapshot"]

    # export from the archive, import into another archive: the same rows
    out = tmp_path / "history.parquet"
    assert main(["archive", str(archived), "--export", str(out)]) == 0
    exported = pd.read_parquet(out)
    assert len(exported) == len(stored)
    set_settings(archived, Archive="other.duckdb")
    assert main(["archive", str(archived), "--import", str(out)]) == 0
    with open_archive(str(tmp_path / "other.duckdb")) as other:
        moved = other.history("plan.xlsx")
    pd.testing.assert_frame_equal(moved, stored)


def test_archive_command_refuses_a_bad_file_in_one_line(finished_demo, tmp_path, capsys):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    before = finished_demo.read_bytes()
    assert main(["archive", str(finished_demo), "--import", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sop-xl: error: cannot read bad.parquet as Parquet")
    assert finished_demo.read_bytes() == before
    assert main(["archive", str(finished_demo), "--export", str(tmp_path / "h.csv")]) == 1
    assert "--export must end in .parquet" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# two processes, and a kill -9
# ----------------------------------------------------------------------------------------------
WRITER = textwrap.dedent(
    """
    import sys, time
    import pandas as pd
    sys.path.insert(0, {tests!r})
    from test_archive import synthetic_history
    from sop_xl.records import archive as module
    location, plan, seed, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    history, _ = synthetic_history(n_items=150, n_cycles=12, horizon=18, seed=seed,
                                   snapshot_time=plan)
    if pause != "-":  # stop inside the transaction, after the rows went in: wait to be killed
        real = module.Archive._insert
        def insert(self, table, frame):
            real(self, table, frame)
            open(pause, "w").close()
            time.sleep(600)
        module.Archive._insert = insert
    with module.open_archive(location) as archive:
        archive.snapshot(plan, history, freq="MS")
    print(len(history))
    """
)


def writer(location: str, plan: str, seed: int, pause: str = "-") -> subprocess.Popen:
    script = WRITER.format(tests=str(ROOT / "tests"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "udfs")])}
    return subprocess.Popen(
        [sys.executable, "-c", script, location, plan, str(seed), pause],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip


def test_two_processes_snapshot_into_one_postgresql_archive_and_lose_nothing():
    url = postgres_url()
    tag = uuid.uuid4().hex[:8]
    plans = [f"east-{tag}.xlsx", f"west-{tag}.xlsx"]
    procs = [writer(url, plan, seed) for seed, plan in enumerate(plans)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    with open_archive(url) as archive:
        for seed, plan in enumerate(plans):
            expected, _ = synthetic_history(150, 12, 18, seed=seed, snapshot_time=plan)
            stored = archive.history(plan)
            assert len(stored) == len(expected) == int(outs[seed][0])
            assert stored["qty"].sum() == expected["qty"].sum()


def test_kill_9_inside_a_snapshot_leaves_the_archive_as_it_was(location, tmp_path):
    plan = f"k-{uuid.uuid4().hex[:8]}.xlsx"
    before, _ = synthetic_history(n_items=150, n_cycles=12, horizon=18, seed=7)
    with open_archive(location) as archive:
        archive.snapshot(plan, before, freq="MS")
        kept = archive.history(plan)
    flag = tmp_path / "inside"
    proc = writer(location, plan, 8, str(flag))
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert proc.poll() is None, proc.stderr.read()[-800:]
        assert time.monotonic() < deadline, "the writer never reached its insert"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with open_archive(location) as archive:
        after = archive.history(plan)
    pd.testing.assert_frame_equal(after, kept)


# ----------------------------------------------------------------------------------------------
# errors: one line naming Settings Archive and its value (password masked)
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, message",
    [
        ("postgresql://ann:secret@localhost:1/plans",
         r"^Settings Archive 'postgresql://ann:\*\*\*@localhost:1/plans': no PostgreSQL server "
         r"answers at localhost:1 \(connection refused\)$"),
        ("postgresql://ann:secret@localhost:abc/plans",
         r"^Settings Archive 'postgresql://ann:\*\*\*@localhost:abc/plans': not a valid URL"),
        ("postgresql://ann@localhost/plans?colour=blue",
         r"^Settings Archive 'postgresql://ann@localhost/plans\?colour=blue': invalid URI query "
         r"parameter: \"colour\"$"),
        ("missing/plans.duckdb", r"^Settings Archive 'missing/plans.duckdb': the folder .*missing "
         r"does not exist$"),
        ("text.duckdb", r"^Settings Archive 'text.duckdb': The file .*text.duckdb\" exists, but "
         r"it is not a valid DuckDB database file!$"),
        (".", r"^Settings Archive '.': .* is a folder; give a file name such as plans.duckdb$"),
    ],
)  # fmt: skip
def test_an_archive_that_cannot_be_opened_is_refused_in_one_line(value, message, tmp_path):
    (tmp_path / "text.duckdb").write_text("not a database")
    with pytest.raises(archive_module.SopError, match=message) as caught:
        open_archive(value, tmp_path)
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_without_permission_is_refused_in_one_line(tmp_path, monkeypatch):
    """DuckDB's message for a file the user may not write (root may write anything, so the
    error is the one DuckDB raises, given by a stand-in)."""
    import duckdb

    def refuse(path, *args, **kwargs):
        raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Permission denied')

    monkeypatch.setattr(duckdb, "connect", refuse)
    with pytest.raises(archive_module.SopError,
                       match=r"^Settings Archive 'plans.duckdb': Cannot open file .*plans.duckdb\": "
                             r"Permission denied$"):  # fmt: skip
        open_archive("plans.duckdb", tmp_path)


def test_a_wrong_password_is_refused_without_showing_it():
    url = postgres_url()
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    wrong = url.replace(f":{parts.password}@", ":wrong-one@") if parts.password else url
    if wrong == url:
        pytest.skip("the test URL has no password")
    with pytest.raises(archive_module.SopError,
                       match=r"^Settings Archive 'postgresql://[^:]+:\*\*\*@.*': password "
                             r"authentication failed for user"):  # fmt: skip
        open_archive(wrong)


def test_a_database_error_while_in_use_names_the_archive(tmp_path):
    from sop_xl.cycle.records import plan_archive

    settings = {"Archive": "plans.duckdb"}
    with pytest.raises(archive_module.SopError,
                       match=r"^Settings Archive 'plans.duckdb': Table with name nowhere does not "
                             r"exist!"):  # fmt: skip
        with plan_archive(settings, tmp_path / "plan.xlsx") as archive:
            archive._execute("SELECT * FROM nowhere")
    with pytest.raises(ZeroDivisionError):  # not a database error: left as it is
        with plan_archive(settings, tmp_path / "plan.xlsx"):
            1 / 0  # noqa: B018


def test_cli_and_macro_report_an_unreachable_archive_in_one_line(
    finished_demo, tmp_path, capsys, shared_remote_book, demo_unrun_file
):
    from sop_xl import macros
    from sop_xl.cycle.records import plan_archive

    url = "postgresql://planner:secret@localhost:1/plans"
    set_settings(finished_demo, Archive=url)
    before = finished_demo.read_bytes()
    shown = r"Settings Archive 'postgresql://planner:\*\*\*@localhost:1/plans': no PostgreSQL"
    assert main(["snapshot", str(finished_demo)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "secret" not in err[0], err
    assert re.match(rf"sop-xl: error: (cannot snapshot: )?{shown}", err[0]), err[0]
    assert main(["archive", str(finished_demo), "--export", str(tmp_path / "h.parquet")]) == 1
    assert re.match(rf"sop-xl: error: {shown}", capsys.readouterr().err)
    assert finished_demo.read_bytes() == before

    def work(live):  # what the Snapshot button's work meets first with this Settings Archive
        with plan_archive({"Archive": url}, live.location()):
            pass

    result = macros._run(shared_remote_book(demo_unrun_file), "snapshot cycle", work)
    assert not result.ok and "secret" not in result.message
    assert re.match(rf"snapshot cycle stopped: {shown}", result.message), result.message
