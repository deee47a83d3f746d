"""One command at a time per workbook, no lost update, no half-written or stale file (issue 10 §2).

The probes a user (or a colleague with Excel open) makes: two sop-xl commands on one file, the
file saved elsewhere during a run, a read-only file or folder, a save killed with kill -9.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sop_xl.cli import main
from sop_xl.demo import write_demo
from sop_xl.errors import SopError
from sop_xl.files import lock_path, workbook_lock
from sop_xl.workbook.book import edit_book, new_book, open_book

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'udfs'}"}


def sop_xl(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sop_xl", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        **kwargs,
    )


@pytest.fixture(scope="module")
def cycled(tmp_path_factory):
    """The demo workbook after `sop-xl run` (History empty)."""
    path = tmp_path_factory.mktemp("lock") / "cycled.xlsx"
    write_demo(path)
    assert main(["run", str(path), "--jobs", "1"]) == 0
    return path


@pytest.fixture
def template(tmp_path):
    return new_book().save(tmp_path / "plan.xlsx")


def _history_rows(path: Path) -> int:
    return len(open_book(path).read_table("tblHistory"))


def test_run_during_a_snapshot_is_refused_or_waits_and_no_history_row_is_lost(cycled, tmp_path):
    path = tmp_path / "d.xlsx"
    shutil.copy(cycled, path)
    snap = sop_xl("snapshot", str(path))
    deadline = time.monotonic() + 20
    while not lock_path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the snapshot holds the lock from before it reads the file
    run = sop_xl("run", str(path), "--jobs", "1")
    run_out, run_err = run.communicate(timeout=600)
    snap_out, snap_err = snap.communicate(timeout=600)
    assert snap.returncode == 0, snap_err
    assert "2,521 rows to History" in snap_out  # with the cycle time the run dated
    if run.returncode:  # refused after waiting for the lock (LOCK_TIMEOUT) ...
        assert run.returncode == 1
        assert run_err.count("\n") == 1 and "Traceback" not in run_err
        assert f"{path.name} is in use by another sop-xl command (lock file" in run_err
        assert "try again when it has finished" in run_err
    else:  # ... or started after the snapshot had saved (serialised): it read the new file
        assert f"updated {path}" in run_out
    assert _history_rows(path) == 2521  # before: 0, the run's later save overwrote the snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.xlsx"]  # lock file removed


def test_a_command_waits_for_the_lock_then_refuses_with_one_line(template):
    before = template.read_bytes()
    with workbook_lock(template):  # another sop-xl process, as far as the child can tell
        started = time.monotonic()
        child = sop_xl("snapshot", str(template))
        out, err = child.communicate(timeout=120)
        waited = time.monotonic() - started
    assert child.returncode == 1
    assert err.startswith("sop-xl: error: plan.xlsx is in use by another sop-xl command")
    assert err.count("\n") == 1
    assert waited >= 5  # LOCK_TIMEOUT
    assert template.read_bytes() == before
    assert not lock_path(template).exists()


def test_the_lock_is_reentrant_in_one_thread_and_removed_afterwards(template):
    with edit_book(template) as book:
        assert lock_path(template).exists()
        book.log("note")
        book.save()  # takes the same lock again: no wait, no refusal
        assert lock_path(template).exists()
    assert not lock_path(template).exists()
    assert open_book(template).read_table("tblLog")["Action"].tolist() == ["note"]


def test_a_file_saved_elsewhere_after_it_was_read_is_not_overwritten(template):
    book = open_book(template)
    book.log("sop-xl run")
    other = new_book()
    other.log("saved in Excel meanwhile")
    other.save(template)  # another program replaces the file during the run
    excel_version = template.read_bytes()
    with pytest.raises(SopError, match="plan.xlsx was changed on disk after sop-xl opened it"):
        book.save()
    assert template.read_bytes() == excel_version
    assert sorted(p.name for p in template.parent.iterdir()) == ["plan.xlsx"]


def test_a_file_changed_in_place_with_the_same_size_and_time_is_caught(template):
    book = open_book(template)
    data = bytearray(template.read_bytes())
    stat = template.stat()
    data[-30] ^= 1  # same size; the time is put back below: only the hash tells
    template.write_bytes(bytes(data))
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(SopError, match="changed on disk"):
        book.save()
    assert template.read_bytes() == bytes(data)


def test_the_book_saves_again_after_its_own_save(template):
    book = open_book(template)
    book.log("one")
    book.save()
    book.log("two")
    book.save()  # the fingerprint follows the book's own saves
    assert open_book(template).read_table("tblLog")["Action"].tolist() == ["one", "two"]


def test_a_read_only_workbook_is_refused_before_computing(cycled, tmp_path):
    path = tmp_path / "ro.xlsx"
    shutil.copy(cycled, path)
    path.chmod(0o444)
    before = path.read_bytes()
    child = sop_xl("run", str(path), "--jobs", "1")
    out, err = child.communicate(timeout=600)
    assert child.returncode == 1
    assert (
        err == f"sop-xl: error: {path} is read-only; nothing was written (make it writable first)\n"
    )
    assert out == ""  # refused before validate, read or forecast started
    assert path.read_bytes() == before


@pytest.fixture
def locked_folder(tmp_path):
    """A folder nobody may create files in (chattr +i for root, who ignores permissions)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    write_demo(folder / "plan.xlsx")
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("root without chattr cannot make a folder read-only")
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("chattr +i is not allowed here")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


@pytest.mark.skipif(os.name != "posix", reason="POSIX folder permissions")
def test_a_folder_that_is_not_writable_is_refused_before_computing(locked_folder):
    path = locked_folder / "plan.xlsx"
    before = path.read_bytes()
    child = sop_xl("run", str(path), "--jobs", "1")
    out, err = child.communicate(timeout=600)
    assert child.returncode == 1
    assert err.startswith(f"sop-xl: error: cannot write {path}: folder {locked_folder} is not")
    assert err.count("\n") == 1 and out == ""
    assert path.read_bytes() == before


def test_a_temporary_file_left_by_a_killed_save_is_removed_by_the_next_command(template):
    stale = template.with_name(".plan.xlsx.k1ll3d_x.tmp.xlsx")
    stale.write_bytes(b"half a workbook")
    other = template.with_name(".plan.xlsx.notes.txt")  # not ours: kept
    other.write_text("x")
    assert main(["new", str(template), "--force"]) == 0
    assert not stale.exists() and other.exists()
    stale.write_bytes(b"half a workbook")
    with edit_book(template):
        assert not stale.exists()


SAVER = """
import sys
from sop_xl.workbook.book import edit_book
path = sys.argv[1]
print("ready", flush=True)
while True:
    with edit_book(path) as book:
        book.log("save", messages="x" * 1500)
        book.save()
"""


@pytest.mark.skipif(os.name != "posix", reason="kill -9")
def test_kill_9_during_saves_leaves_a_whole_workbook(template):
    first = open_book(template).read_table("tblLog")
    assert first.empty
    for delay in (0.9, 1.7, 2.6):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(template)], stdout=subprocess.PIPE, env=ENV
        )
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        open_book(template).read_table("tblLog")  # a whole workbook: old or new version
    with edit_book(template) as book:  # the next command is not blocked by the dead one
        book.log("after")
        book.save()
    assert open_book(template).read_table("tblLog")["Action"].iloc[-1] == "after"
    assert sorted(p.name for p in template.parent.iterdir()) == ["plan.xlsx"]
