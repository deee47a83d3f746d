"""`sop-xl run` and `sop-xl demo`: exit codes, one-line errors, files untouched on failure."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sop_xl.cli import main
from sop_xl.workbook.book import open_book


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        assert main(["demo", "--jobs", "1"]) == 0  # the default file name, here
    finally:
        os.chdir(cwd)
    return folder / "sop_demo.xlsx"


def test_demo_writes_the_default_file_and_prints_where_to_look(demo_file, capsys):
    assert demo_file.exists()
    book = open_book(demo_file)
    assert len(book.read_table("tblReconciliation")) == 72
    assert book.read_table("tblLog")["Action"].tolist() == ["run cycle"]


def test_demo_summary(tmp_path, capsys):
    path = tmp_path / "d.xlsx"
    assert main(["demo", str(path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {path}" in out
    assert "Forecast accuracy (WAPE):" in out
    assert "decisions for the executive meeting:" in out
    assert "overtime on MOULD" in out
    assert "Reconciliation" in out and "KPIs" in out
    assert main(["demo", str(tmp_path / "d.csv")]) == 1
    assert "must end in .xlsx" in capsys.readouterr().err


def test_run_whole_cycle_and_steps(demo_file, tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(demo_file.read_bytes())
    assert main(["run", str(path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"updated {path}" in out and "tblSupplyPlan: 264 rows" in out
    assert main(["run", str(path), "--step", "supply", "--step", "capacity"]) == 0
    out = capsys.readouterr().out
    assert "steps: supply, capacity" in out
    actions = open_book(path).read_table("tblLog")["Action"].tolist()
    assert actions == ["run cycle", "run cycle", "run supply, capacity"]


def test_run_refuses_bad_input_with_sheet_row_and_value(demo_file, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(demo_file.read_bytes())
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


def test_run_refuses_missing_file_and_unknown_step(tmp_path, demo_file, capsys):
    assert main(["run", str(tmp_path / "nope.xlsx")]) == 1
    assert "does not exist" in capsys.readouterr().err
    data = demo_file.read_bytes()
    assert main(["run", str(demo_file), "--step", "budget"]) == 1
    assert "unknown step 'budget'; the steps are forecast, demand" in capsys.readouterr().err
    assert demo_file.read_bytes() == data


def test_run_as_a_process_shows_progress(demo_file, tmp_path):
    path = tmp_path / "proc.xlsx"
    path.write_bytes(demo_file.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "sop_xl", "run", str(path), "--step", "demand", "--step",
         "kpis", "--jobs", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "validate ..." in result.stderr and "kpis ..." in result.stderr
    assert "steps: demand, kpis" in result.stdout
