"""The template: sheets, tables and headers as DESIGN.md says, and the committed file matches."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from sop_xl.workbook import schema
from sop_xl.workbook.builder import TEMPLATE_PATH, build_template
from sop_xl.workbook.fingerprint import differences, fingerprint

# copied from DESIGN.md ("Table columns"), independent of schema.py on purpose
DESIGN_COLUMNS = {
    "tblSettings": "Key, Value, Description",
    "tblItems": "Item, Description, Family, Unit, UnitPrice, UnitCost, LeadTime, LeadTimeSD, "
    "ServiceLevel, MOQ, LotSize, Resource, HoursPerUnit, OnHand, CycleTimeDays, Owner, Status, "
    "Backlog, LikeItem, LaunchPeriod, EndPeriod",  # DESIGN: "added: Backlog (issue 9),
    # LikeItem, LaunchPeriod, EndPeriod"; all optional
    "tblActuals": "Item, Period, Qty",
    # EventsRemoved (issue 15, optional) after DESIGN's fixed columns, before the periods
    "tblForecast": "Item, Family, Method, Pattern, ABC, XYZ, HoldoutWAPE, EventsRemoved",
    "tblAdjustments": "Item, Family, Period, Qty, Percent, Type, Owner, Comment",
    "tblDemandPlan": "Item, Family",
    "tblReceipts": "Item, Period, Qty",
    "tblSupplyPlan": "Item, Measure",
    "tblResources": "Resource, HoursPerPeriod, Description",
    "tblCapacity": "Resource, Measure",
    "tblBudget": "Family, Period, Revenue",
    "tblFinancePlan": "Family, Measure",
    "tblReconciliation": "Family, Period, Demand, Supply, Gap, Revenue, Budget, GapToBudget, "
    "GrossMargin, Flag, DecisionNeeded",
    "tblKPIs": "KPI, Value, Target, Status, Unit, Definition",
    "tblDecisions": "Date, Topic, Decision, Owner, Due, Status",
    "tblHistory": "Cycle, SnapshotTime, Kind, Item, Period, Qty",
    "tblLog": "Time, User, Action, Rows, Seconds, Messages",
    "tblSOPPlan": "Family, Measure, Unit",
    "tblYearView": "Family, VolumeToDate, VolumeRest, Volume, RevenueToDate, RevenueRest, "
    "Revenue, Budget, GapToBudget, GapPct, Note",
    "tblPlanChange": "Family, Period, LastPlan, ThisPlan, Change, ChangePct, RevenueChange",
}
DESIGN_SHEETS = [
    "Start",
    "Summary",
    "Settings",
    "Items",
    "Actuals",
    "Forecast",
    "Adjustments",  # issue 12: its own sheet, so a filter on tblDemandPlan hides none of its rows
    "Demand Plan",
    "Item Plan",  # issue 12: one item's history and plans, by formulas
    "Supply",
    "Capacity",
    "Finance",
    "S&OP Plan",
    "Reconciliation",
    "KPIs",
    "Decisions",
    "History",
    "Log",
    "xlwings.conf",
]
DESIGN_SETTINGS = (
    "Company, Owner, CycleStart, Horizon, PeriodType, SeasonLength, ForecastMethod, "
    "HoldoutPeriods, ServiceLevel, Strategy, Currency, DaysPerPeriod, DSO, DPO, ABC_A, ABC_B, "
    "XYZ_X, XYZ_Y"
).split(", ")


@pytest.fixture(scope="module")
def template():
    buffer = io.BytesIO()
    build_template().save(buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def test_schema_follows_design():
    assert list(schema.SHEET_NAMES) == DESIGN_SHEETS
    for name, columns in DESIGN_COLUMNS.items():
        assert schema.table(name).headers == columns.split(", "), name
    # ours last, then the keys added by issues 11, 12 and 14 (DESIGN: "added by issues 9-12")
    added = ["FrozenPeriods", "SafetyStockBuildPeriods", "Shortage", "PrebuildPeriods"]
    added += ["OvertimePct", "Scheduler", "Archive", "HistoryCycles", "FiscalYearStart"]
    assert [s.key for s in schema.SETTINGS] == DESIGN_SETTINGS + ["HistoryPeriods"] + added
    wide = {t.name for t in schema.TABLES.values() if t.period_columns}
    assert wide == {
        "tblForecast",
        "tblDemandPlan",
        "tblSupplyPlan",
        "tblCapacity",
        "tblFinancePlan",
        "tblSOPPlan",  # issue 12: the family S&OP grid
    }
    assert set(schema.INPUT_TABLES) == {
        "tblSettings",
        "tblItems",
        "tblActuals",
        "tblAdjustments",
        "tblReceipts",
        "tblResources",
        "tblBudget",
        "tblDecisions",
        "tblScenarios",  # issue 6: what-if scenarios
    }


def test_unknown_table_is_named():
    with pytest.raises(KeyError, match="unknown table 'tblNope'; known tables: tblSettings"):
        schema.table("tblNope")


def test_committed_template_is_the_builders_output(template):
    committed = load_workbook(TEMPLATE_PATH)
    diffs = differences(fingerprint(committed), fingerprint(template))
    assert not diffs, "rebuild with `python -m sop_xl.workbook.builder`:\n" + "\n".join(diffs[:20])


def test_every_table_on_its_sheet_with_exact_headers(template):
    for spec in schema.TABLES.values():
        ws = template[spec.sheet]
        assert spec.name in ws.tables, spec.name
        tbl = ws.tables[spec.name]
        assert [c.name for c in tbl.tableColumns] == spec.headers
        assert tbl.autoFilter is not None and tbl.autoFilter.ref == tbl.ref  # filter buttons
        first = tbl.ref.split(":")[0]
        row = ws[first].row
        col = ws[first].column
        assert [ws.cell(row, col + j).value for j in range(len(spec.headers))] == spec.headers


def test_output_tables_hold_only_headers_and_one_blank_row(template):
    for name in schema.OUTPUT_TABLES:
        spec = schema.table(name)
        tbl = template[spec.sheet].tables[name]
        first, last = tbl.ref.split(":")
        ws = template[spec.sheet]
        assert ws[last].row == ws[first].row + 1, name
        assert all(c.value is None for c in ws[f"{first}:{last}"][1]), name


def test_inputs_look_like_inputs_and_outputs_like_outputs(template):
    ws = template["Actuals"]
    assert ws["A4"].style == "SOP Input header"
    assert ws["C5"].style == "SOP Input units"
    assert ws["C5"].number_format == "#,##0"
    assert template["Forecast"]["A4"].style == "SOP Output header"
    assert template["Items"]["E5"].number_format == "#,##0.00"  # UnitPrice
    assert template["Items"]["I5"].number_format == "0.0%"  # ServiceLevel
    assert template["Actuals"]["B5"].number_format == "yyyy-mm"


def test_settings_defaults(template):
    ws = template["Settings"]
    rows = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(5, 5 + len(schema.SETTINGS))}
    assert rows["Horizon"] == 18 and rows["SeasonLength"] == 12
    assert rows["ForecastMethod"] == "auto" and rows["ServiceLevel"] == 0.95
    assert rows["CycleStart"] is None


def _lists(ws):
    return {
        dv.formula1.strip('"') for dv in ws.data_validations.dataValidation if dv.type == "list"
    }


def test_validation_lists(template):
    settings = _lists(template["Settings"])
    assert ",".join(schema.FORECAST_METHODS) in settings
    assert (
        "auto,naive,snaive,ma,ses,holt,damped,hw_add,hw_mul,ets,theta,arima,croston,sba,tsb"
        in settings
    )
    assert "chase,level,capacity" in settings
    assert "active,new,eol" in _lists(template["Items"])
    assert "sales,marketing,promotion,new product,event" in _lists(template["Adjustments"])


def test_frozen_headers_and_widths(template):
    for sheet in schema.SHEETS:
        if sheet.tables and sheet.name != "Summary":  # the Summary is one printed page
            ws = template[sheet.name]
            assert ws.freeze_panes in ("A5", "B5", "D5"), sheet.name  # S&OP Plan: to Unit
            # the KPI sheet repeats no header row: it would print over the charts
            expected = None if sheet.name == "KPIs" else "$4:$4"
            assert ws.print_title_rows == expected, sheet.name
    assert template["Items"].column_dimensions["B"].width == 28


FIXED_ROWS = {"tblKPIs": 28, "tblFVA": 3}  # room above the charts below them
# the Summary is one landscape page (issue 12): its tables have bounded rows (families + total;
# families x 6 periods; 5 decisions; the headline KPIs) and the chart's data stays off the page
FIXED_ROWS |= {"tblYearView": 12, "tblPlanChange": 28, "tblTopDecisions": 5,
               "tblHeadlineKPIs": 10}  # fmt: skip
CHART_DATA = {"tblRevenueByMonth"}


def test_print_areas_cover_every_output_table(template):
    """Every output table of a sheet with a print area lies inside one of its areas, to the
    last column and far below the last template row (tables grow down)."""
    from openpyxl.utils import range_boundaries

    for sheet in schema.SHEETS:
        ws = template[sheet.name]
        if not ws.print_area or sheet.name in ("Actuals", "History"):
            continue
        areas = [range_boundaries(a.split("!")[-1].replace("$", "")) for a in
                 str(ws.print_area).split(",")]  # fmt: skip
        for name in sheet.tables:
            if schema.table(name).role != "output" or name in CHART_DATA:
                continue
            left, top, right, _ = range_boundaries(ws.tables[name].ref)
            rows = 1000 if name not in FIXED_ROWS else FIXED_ROWS[name]  # rows a run may write
            assert any(
                a[0] <= left and right <= a[2] and a[1] <= top and a[3] >= top + rows for a in areas
            ), (sheet.name, name, ws.print_area)
    # data archives print their title only
    assert str(template["Actuals"].print_area) == "'Actuals'!$A$1:$J$2"


def test_conditional_formats(template):
    def formulas(sheet):
        return [
            f for cf in template[sheet].conditional_formatting for r in cf.rules for f in r.formula
        ]

    assert any('="OnHand"' in f and "<0" in f for f in formulas("Supply"))
    assert any('="Utilization"' in f and ">1" in f for f in formulas("Capacity"))
    assert any('="GapToBudget"' in f and "<0" in f for f in formulas("Finance"))
    assert any("<0" in f for f in formulas("Reconciliation"))
    assert any('"off target"' in f for f in formulas("KPIs"))


def test_kpi_charts_read_the_trend_table(template):
    ws = template["KPIs"]
    assert len(ws._charts) == 5  # the four trend charts, then the FVA chart (issue 6)
    trend_charts = ws._charts[:4]
    refs = [s.val.numRef.f for chart in trend_charts for part in chart._charts for s in part.series]
    assert len(refs) == 7
    trend = ws.tables["tblKPITrend"].ref  # H4:O5
    assert trend == "H4:O5"
    assert all(ref[8] in "IJKLMNO" and ref.endswith(ref[8] + "$5") for ref in refs), refs
    titles = [c.title.tx.rich.p[0].r[0].t for c in ws._charts]
    assert titles == [
        "Forecast vs actual",
        "Projected inventory vs safety stock",
        "Capacity utilization, busiest resource",
        "Revenue vs budget",
        "Forecast value added: WAPE by step",
    ]


def test_native_formulas(template):
    assert template["Actuals"]["C3"].value == "=SUBTOTAL(109,tblActuals[Qty])"
    assert template["Start"]["A1"].value.startswith(
        '="S&OP cycle - "&IFERROR(INDEX(tblSettings[Value]'
    )
    status = schema.kpi_status_formula(higher_is_better=True)
    assert status.startswith('=IF(OR(tblKPIs[[#This Row],[Value]]="",')


def test_start_sheet_has_six_steps_and_a_guide(template):
    ws = template["Start"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for step, owner, _, _ in schema.CYCLE_STEPS:
        assert step in texts and owner in texts
    assert schema.TEMPLATE_VERSION in texts
    links = {c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    assert "'Demand Plan'!A1" in links and "'KPIs'!A1" in links


def test_xlwings_conf(template):
    ws = template["xlwings.conf"]
    assert (ws["A1"].value, ws["B1"].value) == ("UDF Modules", "sop_udfs")
