"""``sop-xl forecast`` as a newcomer runs it: files in, a file out, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_xl.cli import main
from sop_xl.forecast.batch import forecast_frame, to_wide


def test_example_to_xlsx(tmp_path, capsys):
    out = tmp_path / "forecast.xlsx"
    assert main(["forecast", "--example", "--horizon", "6", "--out", str(out)]) == 0
    book = load_workbook(out)
    sheet = book["Forecast"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Item", "Method"] and len(header) == 8
    assert sheet.max_row == 13  # 12 items
    assert "wrote" in capsys.readouterr().out


def test_csv_round_trip_matches_the_engine(tmp_path):
    source = tmp_path / "actuals.csv"
    rows = [
        ("A", f"2024-{m:02d}-01", q)
        for m, q in zip(range(1, 13), [5, 7, 6, 8, 9, 7, 8, 10, 9, 11, 10, 12], strict=True)
    ]
    rows += [("B", "2024-11-01", 3), ("B", "2024-12-01", 4)]
    pd.DataFrame(rows, columns=["Item", "Period", "Qty"]).to_csv(source, index=False)
    out = tmp_path / "f.csv"
    assert (
        main(
            [
                "forecast",
                str(source),
                "--horizon",
                "3",
                "--method",
                "naive",
                "--jobs",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_csv(out)
    assert got.columns.tolist() == ["Item", "Method", "2025-01", "2025-02", "2025-03"]
    assert got.loc[0, "2025-01"] == 12.0 and got.loc[1, "2025-03"] == 4.0
    frame = pd.DataFrame(rows, columns=["item", "period", "qty"]).assign(
        period=lambda d: pd.to_datetime(d["period"])
    )
    expected = to_wide(forecast_frame(frame, 3, method="naive", n_jobs=1))
    assert got["Method"].tolist() == expected["Method"].tolist()


def test_intervals_go_to_their_own_sheets(tmp_path):
    out = tmp_path / "f.xlsx"
    assert (
        main(["forecast", "--example", "--horizon", "2", "--level", "0.9", "--out", str(out)]) == 0
    )
    book = load_workbook(out)
    assert book.sheetnames == ["Forecast", "Lower", "Upper"]
    for row in range(2, 14):
        lo, mid, hi = (book[s].cell(row, 3).value for s in ("Lower", "Forecast", "Upper"))
        assert 0 <= lo <= mid <= hi


@pytest.mark.parametrize(
    "content, args, message",
    [
        (
            "Item,Qty\nA,5\n",
            [],
            "sop-xl: error: in.csv must have a header with Item, Period, Qty; missing 'Period' in ['Item', 'Qty']",
        ),
        (
            "Item,Period,Qty\nA,2024-01-01,5\nA,banana,3\n",
            [],
            "sop-xl: error: in.csv Period must be a date or a period like 2024-03; got 'banana' at row 3",
        ),
        (
            "Item,Period,Qty\nA,2024-01-01,five\n",
            [],
            "sop-xl: error: in.csv Qty must be a number; got 'five' at row 2",
        ),
        (
            "Item,Period,Qty\nA,2024-01-01,5\nA,2024-01-01,6\n",
            [],
            "sop-xl: error: each item may have one row per period; got item 'A' twice in 2024-01-01",
        ),
        (
            "Item,Period,Qty\nA,2024-01-01,5\n",
            ["--horizon", "0"],
            "sop-xl: error: horizon must be a whole number of at least 1; got 0",
        ),
        (
            "Item,Period,Qty\nA,2024-01-01,5\n",
            ["--level", "2"],
            "sop-xl: error: level must be between 0 and 1; got 2.0",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, content, args, message):
    source = tmp_path / "in.csv"
    source.write_text(content)
    out = tmp_path / "out.csv"
    out.write_text("previous result")
    assert main(["forecast", str(source), "--out", str(out), *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err == message
    assert out.read_text() == "previous result"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_missing_input_and_wrong_output_type(tmp_path, capsys):
    assert main(["forecast", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")]) == 1
    assert (
        capsys.readouterr().err.strip()
        == f"sop-xl: error: input file not found: {tmp_path / 'nope.csv'}"
    )
    assert main(["forecast", "--example", "--out", str(tmp_path / "o.txt")]) == 1
    assert (
        capsys.readouterr().err.strip()
        == "sop-xl: error: --out must end in .csv or .xlsx; got o.txt"
    )


@pytest.mark.parametrize("launcher", [["-m", "sop_xl"], ["-m", "sop_xl.cli"]])
def test_the_command_runs_as_a_program(tmp_path, launcher):
    out = tmp_path / "f.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sop_xl.cli",
            "forecast",
            "--example",
            "--horizon",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.exists()
