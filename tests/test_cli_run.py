"""`sop-xl run` and `sop-xl demo`: exit codes, one-line errors, files untouched on failure."""

from __future__ import annotations

import subprocess
import sys

from golden import capture, differences

from sop_xl.cli import main
from sop_xl.workbook.book import open_book


def test_demo_writes_the_default_file_and_prints_a_summary(
    tmp_path, monkeypatch, capsys, demo_finished_file
):
    """The suite's one real ``sop-xl demo``; the other tests use the session's finished demo,
    built the same way (conftest.demo_cycle): every output table is the same."""
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--jobs", "1"]) == 0  # the default file name, here
    demo_file = tmp_path / "sop_demo.xlsx"
    assert demo_file.exists()
    book = open_book(demo_file)
    assert len(book.read_table("tblReconciliation")) == 72
    assert book.read_table("tblLog")["Action"].tolist() == ["run cycle"]
    assert differences(capture(demo_finished_file), capture(demo_file)) == []
    out = capsys.readouterr().out
    assert "wrote sop_demo.xlsx" in out
    assert "Forecast error (WAPE):" in out
    assert "decisions for the executive meeting:" in out
    # the first decisions shown: since issue 11 the catch-up after the lead times (CNC, ASSY)
    assert "h overtime on " in out
    assert "Reconciliation" in out and "KPIs" in out
    assert main(["demo", str(tmp_path / "d.csv")]) == 1
    assert "must end in .xlsx" in capsys.readouterr().err


def test_run_whole_cycle_and_steps(finished_demo, capsys):
    path = finished_demo
    assert main(["run", str(path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"updated {path}" in out and "tblSupplyPlan: 440 rows" in out  # 44 x 10 measures
    assert main(["run", str(path), "--step", "supply", "--step", "capacity"]) == 0
    out = capsys.readouterr().out
    assert "steps: supply, capacity" in out
    actions = open_book(path).read_table("tblLog")["Action"].tolist()
    assert actions == ["run cycle", "run cycle", "run supply, capacity"]


def test_run_refuses_bad_input_with_sheet_row_and_value(finished_demo, capsys):
    path = finished_demo
    book = open_book(path)
    ws = book.workbook["Actuals"]
    ws["A7"] = "NOPE-1"
    ws["C9"] = "abc"
    book.save()
    data = path.read_bytes()
    capsys.readouterr()
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("sop-xl: error: 2 error(s) in the inputs, nothing was written:")
    assert "Actuals row 7 Item: unknown item 'NOPE-1' (not in tblItems)" in err
    assert "Actuals row 9 Qty: Qty must be a number; got 'abc'" in err
    assert path.read_bytes() == data


def test_run_refuses_missing_file_and_unknown_step(tmp_path, finished_demo, capsys):
    demo_file = finished_demo
    assert main(["run", str(tmp_path / "nope.xlsx")]) == 1
    assert "does not exist" in capsys.readouterr().err
    data = demo_file.read_bytes()
    assert main(["run", str(demo_file), "--step", "budget"]) == 1
    assert "unknown step 'budget'; the steps are forecast, demand" in capsys.readouterr().err
    assert demo_file.read_bytes() == data


def test_run_as_a_process_shows_progress(finished_demo):
    path = finished_demo
    result = subprocess.run(
        [sys.executable, "-m", "sop_xl", "run", str(path), "--step", "demand", "--step",
         "kpis", "--jobs", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "validate ..." in result.stdout and "kpis ..." in result.stdout
    assert "steps: demand, kpis" in result.stdout
