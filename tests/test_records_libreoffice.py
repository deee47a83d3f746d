"""Two cycles of records opened by LibreOffice: no error values, statuses from the native
formulas, and the KPI, forecast value added, reconciliation and scenario pages render (the
PNGs are kept in the test's directory to be looked at)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from test_workbook_libreoffice import error_cells, soffice

from sop_xl.cycle import run_cycle, snapshot
from sop_xl.workbook.book import open_book

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


def _dates(path, month: int, days: tuple[int, ...]) -> None:
    wb = load_workbook(path)
    for i, day in enumerate(days):
        wb["Start"].cell(11 + i, 4).value = dt.datetime(2026, month, day)
    wb.save(path)


@pytest.fixture(scope="module")
def records(demo_rolled, tmp_path_factory):
    """Cycle 2026-01 run, snapshot and rolled forward with 2026-01's actuals added
    (conftest.demo_rolled), then cycle 2026-02 dated, run and snapshot."""
    path = tmp_path_factory.mktemp("records-lo") / "records.xlsx"
    shutil.copy(demo_rolled.path, path)
    _dates(path, 2, (3, 5, 10, 13, 19))
    run_cycle(open_book(path), n_jobs=1)
    snapshot(open_book(path))
    return path


def test_records_recalculate_without_error_values(records):
    converted = soffice(records, "xlsx", records.parent / "xlsx")
    assert error_cells(converted) == []
    kpis = open_book(converted).read_table("tblKPIs").set_index("KPI")
    assert kpis.at["S&OP cycle time", "Value"] == 16  # 3 Feb -> 19 Feb
    assert kpis.at["S&OP cycle time", "Status"] == "on target"
    assert kpis.at["Plan error, lag 1 (WAPE)", "Status"] in ("on target", "watch")


def test_records_pages_render(records):
    pdf = soffice(records, "pdf", records.parent / "pdf")
    pages = int(
        next(
            line.split()[-1]
            for line in subprocess.run(
                ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if line.startswith("Pages:")
        )
    )
    wanted = {
        "KPIs": "KPIs",
        "Forecast value added (from History)": "fva",
        "Reconciliation": "reconciliation",
        "Scenario": "scenarios",
    }
    found: dict[str, int] = {}
    for page in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.lstrip()
        for start, name in wanted.items():
            if name not in found and text.startswith(start):
                found[name] = page
    assert set(found) == set(wanted.values()), found
    for name, page in found.items():
        subprocess.run(
            ["pdftoppm", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", "-png",
             str(pdf), str(records.parent / name)],
            check=True, timeout=120,
        )  # fmt: skip
        assert (records.parent / f"{name}.png").stat().st_size > 10_000
    text = subprocess.run(
        ["pdftotext", "-f", str(found["fva"]), "-l", str(found["fva"]), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Forecast value added: WAPE by step" in text and "consensus" in text
