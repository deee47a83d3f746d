"""`sop-xl new` and `sop-xl validate`."""

from __future__ import annotations

import pandas as pd

from sop_xl.cli import main
from sop_xl.workbook.book import open_book


def test_new_and_validate(tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    assert main(["new", str(path)]) == 0
    assert "wrote" in capsys.readouterr().out
    # a fresh template has no cycle start and no actuals: validate refuses it as run does
    # (issue 10 §4: they used to disagree, validate saying OK)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Settings CycleStart is blank and tblActuals is empty" in err


def test_new_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"precious")
    assert main(["new", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"sop-xl: error: {path} already exists; use --force to overwrite it"
    assert path.read_bytes() == b"precious"
    assert main(["new", str(tmp_path / "plan.csv")]) == 1
    assert "the workbook name must end in .xlsx or .xlsm; got plan.csv" in capsys.readouterr().err


def test_new_demo_then_validate_finds_a_planted_error(tmp_path, capsys):
    path = tmp_path / "demo.xlsx"
    assert main(["new", str(path), "--demo"]) == 0
    assert main(["validate", str(path)]) == 0
    book = open_book(path)
    ws = book.workbook["Actuals"]
    ws["A7"] = "NOPE-1"
    ws["C9"] = "abc"
    book.save()
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: Actuals row 7 Item: unknown item 'NOPE-1' (not in tblItems)",
        "error: Actuals row 9 Qty: Qty must be a number; got 'abc'",
        f"sop-xl: error: {path}: 2 error(s), 0 warning(s)",
    ]


def test_validate_missing_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "none.xlsx")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_only_new_and_validate_are_mine():
    from sop_xl.cli import COMMANDS, build_parser

    build_parser()
    assert {"new", "validate"} <= set(COMMANDS)
    assert isinstance(pd.__version__, str)
