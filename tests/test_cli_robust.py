"""Never a traceback, never a hang (issue 10 §5): one line on stderr and exit 1 on any failure.

Probes a new user makes: a folder where a file belongs, a file that is no workbook, an empty
CSV, absurd --horizon and --jobs, a crafted workbook reaching Excel's last cell, an unexpected
error (its traceback goes to a log file the line names); and a killed `sop-xl run` whose
forecast workers must not outlive it.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sop_xl.cli import MAX_HORIZON, main
from sop_xl.demo import write_demo
from sop_xl.workbook.book import new_book
from sop_xl.workbook.limits import _expat_is_quadratic

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'udfs'}"}


def one_line_error(capsys, *args: str) -> str:
    """Run sop-xl in this process; assert exit 1, one stderr line, no traceback; return it."""
    assert main(list(args)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("sop-xl: error: ") and "Traceback" not in err
    return err


@pytest.fixture
def actuals(tmp_path):
    path = tmp_path / "actuals.csv"
    path.write_text("Item,Period,Qty\nA,2024-01-01,5\nA,2024-02-01,7\nA,2024-03-01,6\n")
    return path


def test_a_folder_as_the_workbook(capsys, tmp_path):
    for command in ("run", "snapshot", "roll-forward", "validate"):
        err = one_line_error(capsys, command, str(tmp_path))
        assert f"{tmp_path} is a folder" in err


def test_a_folder_as_forecast_input_or_output(capsys, tmp_path, actuals):
    err = one_line_error(capsys, "forecast", str(tmp_path), "--out", str(tmp_path / "f.csv"))
    assert f"input {tmp_path} is a folder" in err
    err = one_line_error(capsys, "forecast", str(actuals), "--out", str(tmp_path), "--jobs", "1")
    assert f"{tmp_path} is a folder, not a file" in err


def test_a_file_that_is_no_workbook(capsys, tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("Item,Period,Qty\nA,2024-01-01,5\n")
    err = one_line_error(capsys, "forecast", str(fake), "--out", str(tmp_path / "f.csv"))
    assert f"cannot open {fake} as an Excel workbook: it is not a zip file" in err
    err = one_line_error(capsys, "validate", str(fake))
    assert "as an Excel workbook" in err


def test_an_empty_csv(capsys, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    err = one_line_error(capsys, "forecast", str(empty), "--out", str(tmp_path / "f.csv"))
    assert f"{empty.name} is empty; it needs the columns Item, Period, Qty" in err
    assert not (tmp_path / "f.csv").exists()


def test_a_horizon_beyond_the_documented_limit(capsys, tmp_path, actuals):
    out = tmp_path / "f.csv"
    err = one_line_error(
        capsys, "forecast", str(actuals), "--horizon", "1000000000", "--out", str(out)
    )
    assert f"--horizon must be at most {MAX_HORIZON:,} periods; got 1,000,000,000" in err
    one_line_error(capsys, "forecast", str(actuals), "--horizon", "0", "--out", str(out))
    assert main(["forecast", str(actuals), "--horizon", str(MAX_HORIZON), "--out", str(out),
                 "--jobs", "1", "--method", "naive"]) == 0  # fmt: skip
    assert len(out.read_text().splitlines()[0].split(",")) == 2 + MAX_HORIZON


@pytest.mark.parametrize("jobs", ["-1", "0", "abc", "100000"])
def test_jobs_must_be_between_one_and_four_per_core(capsys, tmp_path, actuals, jobs):
    top = 4 * (os.cpu_count() or 1)
    err = one_line_error(
        capsys, "forecast", str(actuals), "--jobs", jobs, "--out", str(tmp_path / "f.csv")
    )
    assert f"argument --jobs: must be a whole number from 1 to {top}; got '{jobs}'" in err
    err = one_line_error(capsys, "run", str(tmp_path / "plan.xlsx"), "--jobs", jobs)
    assert "(see sop-xl run --help)" in err


def test_a_usage_error_is_one_line_and_exit_1(capsys):
    err = one_line_error(capsys, "run")
    assert "the following arguments are required: file" in err
    one_line_error(capsys, "no-such-command")


def test_an_unexpected_error_is_one_line_with_the_log_file(capsys, tmp_path, monkeypatch):
    from sop_xl.cli import COMMANDS, build_parser

    def broken(args):
        raise RuntimeError("a bug\nover two lines")

    build_parser()  # registers the commands
    help_, add_arguments, _ = COMMANDS["validate"]
    monkeypatch.setitem(COMMANDS, "validate", (help_, add_arguments, broken))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    err = one_line_error(capsys, "validate", "x.xlsx")
    assert err.startswith("sop-xl: error: RuntimeError: a bug over two lines (details in ")
    log = Path(err.split("(details in ")[1].rstrip(")\n"))
    if os.name != "nt":
        assert log.parent == tmp_path / "cache" / "sop-xl" / "logs"
    text = log.read_text()
    assert "command: sop-xl validate x.xlsx" in text
    assert "Traceback (most recent call last)" in text and "RuntimeError: a bug" in text


def test_a_disk_error_is_one_line(capsys, tmp_path, monkeypatch):
    def full(self, data):
        raise OSError(28, "No space left on device", str(self))

    path = new_book().save(tmp_path / "plan.xlsx")
    monkeypatch.setattr(Path, "write_bytes", full)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    err = one_line_error(capsys, "new", str(path), "--force")
    assert "sop-xl: error: No space left on device: " in err and "details in" in err


# -- size limits before parsing ------------------------------------------------------------------
@pytest.fixture
def stray_cell(tmp_path):
    """A demo workbook with one stray value at XFD1048576, Excel's last cell."""
    path = write_demo(tmp_path / "stray.xlsx")
    book = load_workbook(path)
    book["Actuals"]["XFD1048576"] = 1
    book.save(path)
    return path


def test_a_stray_cell_at_the_last_row_and_column_is_refused_in_seconds(capsys, stray_cell):
    before = stray_cell.read_bytes()
    started = time.monotonic()
    err = one_line_error(capsys, "validate", str(stray_cell))
    assert time.monotonic() - started < 10  # before: MemoryError after a minute at 2.5 GB
    assert "spans A1:XFD1048576, to Excel's last row or column" in err
    one_line_error(capsys, "run", str(stray_cell), "--jobs", "1")
    assert stray_cell.read_bytes() == before


def _rewrite(path: Path, change) -> None:
    """Rewrite the zip parts of ``path`` through ``change(name, data) -> data``."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    path.write_bytes(buffer.getvalue())


def test_a_table_reaching_the_last_row_is_refused(capsys, tmp_path):
    path = new_book().save(tmp_path / "t.xlsx")

    def widen(name, data):
        if name.startswith("xl/tables/") and b'displayName="tblActuals"' in data:
            ref = data.split(b' ref="')[1].split(b'"')[0]
            data = data.replace(b'ref="' + ref + b'"', b'ref="A4:C1048576"')
        return data

    _rewrite(path, widen)
    err = one_line_error(capsys, "validate", str(path))
    assert "spans A4:C1048576, to Excel's last row or column" in err


def test_a_part_that_inflates_to_gigabytes_is_refused(capsys, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b" " * 2**24
            for _ in range(40):  # 640 MiB of blanks, about 600 KB compressed
                part.write(block)
    err = one_line_error(capsys, "validate", str(path))
    assert "part xl/worksheets/sheet1.xml inflates to 671,088,640 bytes" in err


@pytest.mark.skipif(not _expat_is_quadratic(), reason="expat >= 2.6 reads comments in linear time")
def test_an_xml_comment_in_a_sheet_is_refused(capsys, tmp_path):
    path = new_book().save(tmp_path / "c.xlsx")
    _rewrite(
        path,
        lambda name, data: (
            data.replace(b"<sheetData>", b"<!-- x --><sheetData>", 1)
            if name.startswith("xl/worksheets/")
            else data
        ),
    )
    err = one_line_error(capsys, "validate", str(path))
    assert "contains an XML comment" in err


# -- workers die with their parent ---------------------------------------------------------------
def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _servers(pids: set[int]) -> list[int]:
    """Those of ``pids`` that are multiprocessing helpers (fork server, resource tracker)."""
    found = []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"multiprocessing" in command:
            found.append(pid)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited; only its exit code is left


def _survivors_of_a_kill(run: subprocess.Popen, workers: set[int]) -> list[int]:
    """Kill -9 ``run``, give its ``workers`` 20 s to end, and return those still alive (killed
    then, so that a failing test leaves none behind)."""
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 20
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if _alive(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_forecast_workers_die_with_a_killed_run(tmp_path):
    path = write_demo(tmp_path / "plan.xlsx")
    run = subprocess.Popen(
        [sys.executable, "-m", "sop_xl", "run", str(path), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**ENV, "SOP_XL_CACHE": "0"},  # forecast every item: none from the results cache
    )
    workers: set[int] = set()  # and the fork server they come from (Linux)
    deadline = time.monotonic() + 300
    forecasting = False
    while not forecasting and time.monotonic() < deadline and run.poll() is None:
        children = _children(run.pid)
        grandchildren = set().union(*map(_children, children)) if children else set()
        workers |= children | grandchildren
        # two workers: forked by the run itself, or by its fork server
        forecasting = len(grandchildren) >= 2 or len(children - {*_servers(children)}) >= 2
        time.sleep(0.05)
    assert workers, "the run ended before its forecast started workers"
    time.sleep(1.0)  # the workers are forecasting now
    alive = _survivors_of_a_kill(run, workers)
    assert not alive  # before: still there 27 minutes later


SERVED = """
import time
from sop_xl.forecast import batch
assert batch.start_worker_server(above=0)  # as for a big workbook: workers from the server
list(batch.map_tasks(time.sleep, [120, 120], n_jobs=2))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; fork server")
def test_workers_of_the_fork_server_die_with_a_killed_run():
    run = subprocess.Popen([sys.executable, "-c", SERVED], env=ENV)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        children = _children(run.pid)
        workers |= children | set().union(*map(_children, children))
        if len(workers - children) >= 2:  # the server's two workers are sleeping
            break
        time.sleep(0.05)
    assert len(workers - _children(run.pid)) >= 2, "no workers forked by a server"
    assert not _survivors_of_a_kill(run, workers)
