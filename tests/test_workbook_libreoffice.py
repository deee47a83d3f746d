"""LibreOffice, a real spreadsheet engine, opens our workbooks: formulas compute, PDF renders.

Each soffice call gets its own profile directory so parallel runs do not collide. The output
tables are filled here with simple stand-in numbers (the cycle is not part of this test) so the
formats, conditional formats, KPI formulas and charts are exercised as a planner sees them.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_xl.workbook import schema
from sop_xl.workbook.book import new_book, open_book
from sop_xl.workbook.periods import period_label, period_range

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")

ERRORS = ("#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:")


def soffice_all(sources: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """Convert ``sources`` (distinct file names) in one LibreOffice run, with a fresh profile;
    returns the converted files in the same order. One run starts LibreOffice once."""
    profile = outdir / f"profile-{uuid.uuid4().hex}"
    outdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", fmt, "--outdir", str(outdir), *map(str, sources)],
        capture_output=True, text=True, timeout=180 * len(sources),
    )  # fmt: skip
    shutil.rmtree(profile, ignore_errors=True)
    targets = [outdir / (source.stem + "." + fmt.split(":")[0]) for source in sources]
    for target in targets:
        assert target.exists(), f"soffice made no {target.name}: {result.stdout} {result.stderr}"
    return targets


def soffice(source: Path, fmt: str, outdir: Path) -> Path:
    """Convert ``source`` with a fresh LibreOffice profile; returns the converted file."""
    return soffice_all([source], fmt, outdir)[0]


def error_cells(path: Path) -> list[str]:
    wb = load_workbook(path, data_only=True)
    return [
        f"{ws.title}!{cell.coordinate}={cell.value}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith(ERRORS)
    ]


def fill_stand_in_outputs(path: Path) -> None:
    """Plausible output tables, computed naively (not the cycle), written via the gateway."""
    book = open_book(path)
    items = book.read_table("tblItems").set_index("Item")
    actuals = book.read_table("tblActuals")
    actuals["Period"] = pd.to_datetime(actuals["Period"])
    actuals["Qty"] = actuals["Qty"].astype(float)  # cells come back as objects
    settings = book.settings()
    plan = period_range(settings["CycleStart"], settings["Horizon"])
    labels = [period_label(p) for p in plan]
    history = actuals.pivot_table(index="Item", columns="Period", values="Qty", fill_value=0)
    season = history.iloc[:, -12:].to_numpy()
    forecast = pd.DataFrame(
        np.round(np.tile(season, 2)[:, : len(plan)]), index=history.index, columns=labels
    )
    fixed = pd.DataFrame(
        {"Item": forecast.index, "Family": items.loc[forecast.index, "Family"].to_numpy(),
         "Method": "snaive", "Pattern": "smooth", "ABC": "A", "XYZ": "X", "HoldoutWAPE": 0.18}
    )  # fmt: skip
    book.write_table("tblForecast", pd.concat([fixed, forecast.reset_index(drop=True)], axis=1))
    book.write_table(
        "tblDemandPlan",
        pd.concat([fixed[["Item", "Family"]], forecast.reset_index(drop=True)], axis=1),
    )
    rows = []
    for item, demand in list(forecast.iterrows())[:8]:
        onhand = items.at[item, "OnHand"] + np.cumsum(demand.mean() - demand.to_numpy())
        for measure, values in (
            ("Demand", demand.to_numpy()), ("Receipts", 0 * demand.to_numpy()),
            ("Production", np.full(len(plan), demand.mean())), ("OnHand", onhand),
            ("SafetyStock", np.full(len(plan), 0.5 * demand.mean())),
            ("DaysOfSupply", np.clip(30 * onhand / max(demand.mean(), 1), 0, 999)),
        ):  # fmt: skip
            rows.append([item, measure, *np.round(values, 1)])
    book.write_table("tblSupplyPlan", pd.DataFrame(rows, columns=["Item", "Measure", *labels]))
    resources = book.read_table("tblResources")
    cap_rows = []
    for _, res in resources.iterrows():
        load = res["HoursPerPeriod"] * (0.8 + 0.4 * np.sin(np.arange(len(plan)) / 2))
        cap_rows += [
            [res["Resource"], "Load", *load.round(0)],
            [res["Resource"], "Available", *[res["HoursPerPeriod"]] * len(plan)],
            [res["Resource"], "Utilization", *(load / res["HoursPerPeriod"]).round(3)],
        ]
    book.write_table(
        "tblCapacity", pd.DataFrame(cap_rows, columns=["Resource", "Measure", *labels])
    )
    fin_rows, rec_rows = [], []
    for family in sorted(items["Family"].unique()):
        revenue = np.full(len(plan), 100000.0 + 1000 * len(family))
        for k, measure in enumerate(schema.FINANCE_MEASURES):
            values = (
                revenue * (1 - 0.1 * k)
                if measure != "GapToBudget"
                else revenue * 0.05 * np.sin(np.arange(len(plan)))
            )
            fin_rows.append([family, measure, *values.round(0)])
        for label in labels[:6]:
            rec_rows.append([family, label, 1000, 950, -50, 120000, 125000, -5000, 45000,
                             "shortage; below budget", "Approve overtime or accept backlog"])  # fmt: skip
    book.write_table(
        "tblFinancePlan", pd.DataFrame(fin_rows, columns=["Family", "Measure", *labels])
    )
    book.write_table(
        "tblReconciliation",
        pd.DataFrame(rec_rows, columns=schema.table("tblReconciliation").headers),
    )
    kpis = pd.DataFrame(
        [
            ("Total sales (last 12 months)", 16.5e6, 17e6, True, "EUR", "sum of revenue"),
            ("Forecast error (WAPE)", 0.18, 0.2, False, "%", "sum|F-A| / sum A"),
            ("Bias", -0.08, 0.05, None, "%", "sum(F-A) / sum A, within +-target"),
            ("Capacity utilization", 0.93, 0.85, False, "%", "load / available hours"),
            ("Projected fill rate", 0.97, 0.98, True, "%", "expected share of demand served"),
        ],
        columns=["KPI", "Value", "Target", "higher", "Unit", "Definition"],
    )
    kpis["Status"] = [
        schema.kpi_status_formula(h is True, absolute=h is None) for h in kpis.pop("higher")
    ]
    book.write_table("tblKPIs", kpis[schema.table("tblKPIs").headers])
    hist = actuals.groupby("Period")["Qty"].sum()
    periods = [period_label(p) for p in hist.index[-12:]] + labels
    n_hist = 12
    total_fc = forecast.sum().to_numpy()
    trend = pd.DataFrame(
        {
            "Period": periods,
            "Actual": list(hist.to_numpy()[-12:]) + [None] * len(labels),
            "Forecast": list(hist.to_numpy()[-12:] * 1.05) + list(total_fc),
            "OnHand": [None] * n_hist + list(60000 + 20000 * np.sin(np.arange(len(labels)) / 3)),
            "SafetyStock": [None] * n_hist + [35000.0] * len(labels),
            "Utilization": [None] * n_hist + list(0.8 + 0.35 * np.sin(np.arange(len(labels)) / 2)),
            "Revenue": list(1.3e6 + 3e5 * np.sin(np.arange(len(periods)) / 2)),
            "Budget": [1.35e6] * len(periods),
        }
    )
    book.write_table("tblKPITrend", trend)
    book.log("stand-in outputs", rows=len(forecast), seconds=0.5, messages="test")
    book.save()


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("libreoffice")


NAMES = ("template", "demo", "filled")


@pytest.fixture(scope="module")
def workbooks(outdir, demo_unrun_file):
    """The empty template, the demo (the session's, read only) and the demo with stand-in
    outputs."""
    template = outdir / "template.xlsx"
    new_book().save(template)
    filled = outdir / "filled.xlsx"
    shutil.copy(demo_unrun_file, filled)
    fill_stand_in_outputs(filled)
    return {"template": template, "demo": demo_unrun_file, "filled": filled}


@pytest.fixture(scope="module")
def recalculated(workbooks, outdir):
    """Each workbook as LibreOffice recalculates and saves it (one soffice run for all)."""
    converted = soffice_all([workbooks[name] for name in NAMES], "xlsx", outdir / "xlsx")
    return dict(zip(NAMES, converted, strict=True))


@pytest.fixture(scope="module")
def pdfs(workbooks, outdir):
    """The template and the filled demo printed to PDF by LibreOffice (one soffice run)."""
    names = ("template", "filled")
    converted = soffice_all([workbooks[name] for name in names], "pdf", outdir / "pdf")
    return dict(zip(names, converted, strict=True))


@pytest.mark.parametrize("name", NAMES)
def test_no_error_values_after_recalculation(recalculated, name):
    assert error_cells(recalculated[name]) == []


def test_formulas_compute(workbooks, recalculated):
    converted = recalculated["filled"]
    wb = load_workbook(converted, data_only=True)
    assert wb["Start"]["A1"].value == "S&OP cycle - Brightwater Home & Garden"
    assert wb["Actuals"]["C3"].value == pytest.approx(
        open_book(workbooks["demo"]).read_table("tblActuals")["Qty"].sum()
    )
    status = [wb["KPIs"].cell(r, 4).value for r in range(5, 10)]
    assert status == ["watch", "on target", "off target", "watch", "watch"]
    # a converted file keeps the cached values: the gateway reads them for formula cells
    book = open_book(converted)
    assert book.read_table("tblKPIs")["Status"].tolist() == status


@pytest.mark.parametrize("name", ["template", "filled"])
def test_pdf_renders(pdfs, name):
    pdf = pdfs[name]
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(pdf.with_suffix(""))],
                       check=True, timeout=120)  # fmt: skip
        assert list(pdf.parent.glob(f"{pdf.stem}-*.png"))
