"""Build the S&OP template workbook with openpyxl.

``workbook_templates/sop_template.xlsx`` is exactly what :func:`build_template` writes; a test
rebuilds it and compares sheets, tables, cells, validations and formats. Run
``python -m sop_xl.workbook.builder`` to refresh the committed file after changing the layout.

Layout of every table sheet: row 1 the title, row 2 who fills it and what it is for, row 3 the
totals (``SUBTOTAL``, so a filter on Family shows family totals), row 4 the table headers
(frozen), data from row 5. An input table sits on the left of its sheet and grows down; the
output table next to it grows right (one column per plan period).
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from sop_xl.files import atomic_path
from sop_xl.workbook import schema, styles
from sop_xl.workbook.charts import add_fva_chart, add_kpi_charts
from sop_xl.workbook.itemview import build_item_view
from sop_xl.workbook.meeting_sheets import MEETING_SHEETS
from sop_xl.workbook.start import build_start
from sop_xl.workbook.tables import Location, locate

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "workbook_templates" / "sop_template.xlsx"

HEADER_ROW = 4
GAP = 1  # empty columns between two tables on one sheet
PERIOD_SPAN = 160  # columns of a wide table that conditional formatting covers
ROW_SPAN = 20000  # rows that validation and conditional formatting cover
VALIDATION_ROWS = {"tblActuals": 200000, "tblResources": 1000}  # tables with another span
KPI_CHART_ANCHORS = ["A35", "D35", "A52", "D52"]  # below room for 28 KPIs
KPI_TREND_COL = 8  # column H, right of the KPI table and charts
KPI_CHARTS_ROW = 34
KPI_PRINT_ROWS = 69  # the bottom of the second row of charts
FVA_COL = 17  # column Q, right of the trend table: tblFVA, its chart, tblForecastAccuracy
FVA_CHART_ANCHOR = "Q10"
FVA_PRINT_ROWS = 27  # the bottom of the FVA chart
PRINT_SCALE = 70  # wide plans print at this scale (more pages across), never fitted smaller
DATA_SHEETS = ("Actuals", "History")  # archives of rows, not pages: only their title prints


def _red() -> dict:
    return {
        "fill": PatternFill("solid", bgColor=styles.RED_FILL),
        "font": Font(color=styles.RED_FONT),
    }


def _amber() -> dict:
    return {
        "fill": PatternFill("solid", bgColor=styles.AMBER_FILL),
        "font": Font(color=styles.AMBER_FONT),
    }


def _green() -> dict:
    return {
        "fill": PatternFill("solid", bgColor=styles.GREEN_FILL),
        "font": Font(color=styles.GREEN_FONT),
    }


def _add_table(
    ws: Worksheet,
    spec: schema.Table,
    first_col: int,
    rows: list[list] | None = None,
    header_row: int = HEADER_ROW,
):
    """Write ``spec``'s headers at (header_row, first_col), the rows below, and the Table."""
    rows = rows or [[None] * len(spec.columns)]
    head_style = styles.header_style_name(spec.role)
    for j, column in enumerate(spec.columns):
        col = first_col + j
        cell = ws.cell(header_row, col, column.name)
        cell.style = head_style
        note = Comment(f"{column.description}", "sop-xl", width=220, height=60)
        cell.comment = note
        ws.column_dimensions[get_column_letter(col)].width = column.width
        for i, row in enumerate(rows):
            data = ws.cell(header_row + 1 + i, col, row[j])
            data.style = styles.style_name(spec.role, column.kind)
    last_col = first_col + len(spec.columns) - 1
    ref = f"{get_column_letter(first_col)}{header_row}:{get_column_letter(last_col)}"
    ref += f"{header_row + len(rows)}"
    table = XlTable(displayName=spec.name, ref=ref, autoFilter=AutoFilter(ref=ref))
    table.tableColumns = [TableColumn(id=i + 1, name=h) for i, h in enumerate(spec.headers)]
    table.tableStyleInfo = TableStyleInfo(
        name="TableStyleLight1", showRowStripes=False, showColumnStripes=False
    )
    ws.add_table(table)
    loc = locate(ws, table)
    if spec.role == "input":
        _column_validations(ws, spec, loc)
    for name in spec.totals:
        j = spec.headers.index(name)
        cell = ws.cell(header_row - 1, first_col + j, f"=SUBTOTAL(109,{spec.name}[{name}])")
        cell.style = "SOP Total"
        cell.number_format = styles.NUMBER_FORMATS[spec.column(name).kind]
    if spec.totals or spec.period_totals:
        ws.cell(header_row - 1, first_col, "Total").style = "SOP Total"
    return loc


def _holds_money(sheet: schema.Sheet) -> bool:
    specs = [schema.table(name) for name in sheet.tables]
    return any(
        c.kind in ("money", "price") or (t.period_columns and t.period_kind == "money")
        for t in specs
        for c in t.columns
    )


def _title(ws: Worksheet, sheet: schema.Sheet) -> None:
    ws["A1"] = sheet.name
    ws["A1"].style = "SOP Title"
    ws["A2"] = f"{sheet.purpose}.  Filled by: {sheet.who}."
    if _holds_money(sheet):  # the currency of Settings, by formula: it follows a change there
        text = ws["A2"].value.replace('"', '""')
        currency = 'INDEX(tblSettings[Value],MATCH("Currency",tblSettings[Key],0))'
        ws["A2"] = f'="{text}  Money in "&IFERROR({currency},"?")&"."'
    ws["A2"].style = "SOP Subtitle"
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[HEADER_ROW].height = 28


def _col_range(loc: Location, header: str, rows: int = ROW_SPAN) -> str:
    letter = get_column_letter(loc.first_col + loc.headers.index(header))
    return f"{letter}{loc.first_data_row}:{letter}{loc.first_data_row + rows}"


def _validation(ws: Worksheet, rule: schema.Rule, sqref: str, what: str) -> None:
    """Offer ``rule`` (see :class:`~sop_xl.workbook.schema.Rule`) on the cells ``sqref``.

    Choices become a drop-down list, bounds a number check; a rule that refers to another
    table's column (``tblItems.Item``) a drop-down of that column, through INDIRECT, because
    Excel's list source takes no structured reference directly; this one only warns, so a
    spreadsheet that cannot resolve it never blocks typing. A rule with none of these adds
    nothing. A ``warning`` rule lets the user keep the value after a question, as the
    validator does.
    """
    style = "stop" if rule.severity == "error" else "warning"
    if rule.refers:
        table, column = rule.refers.split(".")
        options = {
            "type": "list",
            "formula1": f'INDIRECT("{table}[{column}]")',
            "errorTitle": f"Not a known {what}",
            "error": f"{what} names a row of {table}'s {column} column",
            "promptTitle": what,
            "prompt": f"One of {table}'s {column} values, or blank",
        }
        style = "warning"
    elif rule.choices:
        choices = ", ".join(rule.choices)
        options = {
            "type": "list",
            "formula1": '"' + ",".join(rule.choices) + '"',
            "errorTitle": f"Not a valid {what}",
            "error": f"Pick one of: {choices}",
            "promptTitle": what,
            "prompt": choices[:255],
        }
    elif rule.low is None and rule.high is None:
        return
    else:
        options = _bounds(rule, sqref.split(":")[0])
        options |= {
            "errorTitle": f"Check {what}",
            "error": f"{what} must be a number {rule.bounds}",
        }
    dv = DataValidation(allow_blank=True, showErrorMessage=True, errorStyle=style, **options)
    dv.add(sqref)
    ws.add_data_validation(dv)


def _bounds(rule: schema.Rule, cell: str) -> dict[str, str]:
    """Excel's form of a rule's bounds: an operator with one or two limits, or a formula on the
    first ``cell`` where both ends are excluded (Excel's operators cannot say that)."""
    low, high = rule.low, rule.high
    if low is not None and high is not None:
        if rule.strict:
            formula = f"AND(ISNUMBER({cell}),{cell}>{low:g},{cell}<{high:g})"
            return {"type": "custom", "formula1": formula}
        return {
            "type": "decimal",
            "operator": "between",
            "formula1": f"{low:g}",
            "formula2": f"{high:g}",
        }
    if low is not None:
        operator = "greaterThan" if rule.strict else "greaterThanOrEqual"
        return {"type": "decimal", "operator": operator, "formula1": f"{low:g}"}
    operator = "lessThan" if rule.strict else "lessThanOrEqual"
    return {"type": "decimal", "operator": operator, "formula1": f"{high:g}"}


def _column_validations(ws: Worksheet, spec: schema.Table, loc: Location) -> None:
    """The declared rules of an input table's columns as Excel data validation."""
    rows = VALIDATION_ROWS.get(spec.name, ROW_SPAN)
    for column in spec.columns:
        if column.rule is not None:
            _validation(ws, column.rule, _col_range(loc, column.name, rows), column.name)


def _wide_area(loc: Location) -> tuple[str, str, str]:
    """First period cell, the first Measure cell, and the period area of a wide table."""
    first = loc.last_col + 1
    last = first + PERIOD_SPAN
    r1, r2 = loc.first_data_row, loc.first_data_row + ROW_SPAN
    cell = f"{get_column_letter(first)}{r1}"
    measure = ""
    if "Measure" in loc.headers:
        measure = f"${get_column_letter(loc.first_col + loc.headers.index('Measure'))}{r1}"
    area = f"{cell}:{get_column_letter(last)}{r2}"
    return cell, measure, area


def _print_setup(ws: Worksheet, title_rows: bool = True, fit_height: int = 0) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = fit_height
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = False
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddFooter.center.text = "sop-xl S&&OP"  # && prints one & (&O would be a code)
    if title_rows:
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _settings_sheet(ws: Worksheet) -> None:
    spec = schema.table("tblSettings")
    rows = [[s.key, s.default, s.description] for s in schema.SETTINGS]
    loc = _add_table(ws, spec, 1, rows)
    for i, setting in enumerate(schema.SETTINGS):
        cell = ws.cell(loc.first_data_row + i, loc.first_col + 1)
        ws.cell(loc.first_data_row + i, loc.first_col).style = "SOP Output text"
        ws.cell(loc.first_data_row + i, loc.first_col + 2).style = "SOP Output text"
        if setting.key in ("ServiceLevel", "ABC_A", "ABC_B"):
            cell.number_format = "0.0%"
        if setting.key == "CycleStart":
            cell.number_format = "yyyy-mm"
        if setting.rule is not None:
            _validation(ws, setting.rule, cell.coordinate, setting.key)


def _items_sheet(ws: Worksheet) -> None:
    loc = _add_table(ws, schema.table("tblItems"), 1)
    price = _col_range(loc, "UnitPrice").split(":")[0]
    cost = _col_range(loc, "UnitCost").split(":")[0]
    rule = FormulaRule(
        formula=[f"AND(ISNUMBER(${cost}),ISNUMBER(${price}),${cost}>${price})"], **_red()
    )
    area = f"{price}:{_col_range(loc, 'UnitCost').split(':')[1]}"
    ws.conditional_formatting.add(area, rule)
    status = _col_range(loc, "Status")
    ws.conditional_formatting.add(
        status,
        FormulaRule(formula=[f'${status.split(":")[0]}="eol"'], font=Font(color="808080")),
    )
    ws.freeze_panes = f"B{HEADER_ROW + 1}"


def _wide_rules(ws: Worksheet, loc: Location, measure: str, rules: list) -> None:
    cell, measure_cell, area = _wide_area(loc)
    for test, fmt in rules:
        condition = f'AND({measure_cell}="{measure}",ISNUMBER({cell}),{cell}{test})'
        ws.conditional_formatting.add(
            area, FormulaRule(formula=[condition], stopIfTrue=True, **fmt)
        )


def _kpi_sheet(ws: Worksheet) -> None:
    kpis = _add_table(ws, schema.table("tblKPIs"), 1)
    status = _col_range(kpis, "Status", 200)
    first = status.split(":")[0]
    for text, fmt in (("off target", _red()), ("watch", _amber()), ("on target", _green())):
        ws.conditional_formatting.add(status, FormulaRule(formula=[f'${first}="{text}"'], **fmt))
    trend = _add_table(ws, schema.table("tblKPITrend"), KPI_TREND_COL)
    ws.column_dimensions[get_column_letter(KPI_TREND_COL - 1)].width = 3
    ws.cell(HEADER_ROW - 1, KPI_TREND_COL, "Chart data (written by the cycle)").style = "SOP Label"
    ws.cell(
        KPI_CHARTS_ROW, 1, "Charts (from tblKPITrend; they follow it as it grows)"
    ).style = "SOP Label"
    add_kpi_charts(ws, trend, KPI_CHART_ANCHORS)
    # forecast value added (issue 6): the step table, its chart, the per-item table right of it
    ws.column_dimensions[get_column_letter(FVA_COL - 1)].width = 3
    ws.cell(HEADER_ROW - 1, FVA_COL, "Forecast value added (from History)").style = "SOP Label"
    fva = _add_table(ws, schema.table("tblFVA"), FVA_COL)
    add_fva_chart(ws, fva, FVA_CHART_ANCHOR)
    accuracy_col = fva.last_col + 1 + GAP
    ws.column_dimensions[get_column_letter(accuracy_col - 1)].width = 3
    accuracy = _add_table(ws, schema.table("tblForecastAccuracy"), accuracy_col)
    for name in ("Lag1OverrideFVA", "Lag3OverrideFVA", "Lag1StatFVA", "Lag3StatFVA"):
        area = _col_range(accuracy, name)
        first = area.split(":")[0]
        ws.conditional_formatting.add(
            area, FormulaRule(formula=[f"AND(ISNUMBER(${first}),${first}<0)"], **_red())
        )
    # portrait pages: the KPI table; the four charts (no header row repeated over them); the
    # chart data; forecast value added with its chart; the whole
    # per-item accuracy table, lag 1 and lag 3 (its header repeats, as no chart is beside it)
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToHeight = 0
    last = get_column_letter
    ws.print_area = [  # each area starts a page
        f"A1:{last(kpis.last_col)}{KPI_CHARTS_ROW - 1}",
        f"A{KPI_CHARTS_ROW}:{last(kpis.last_col)}{KPI_PRINT_ROWS}",
        f"{last(trend.first_col)}1:{last(trend.last_col)}{ROW_SPAN}",
        f"{last(fva.first_col)}1:{last(fva.last_col)}{FVA_PRINT_ROWS}",
        f"{last(accuracy.first_col)}1:{last(accuracy.last_col)}{ROW_SPAN}",
    ]


def build_template() -> Workbook:
    """Build the S&OP template: every sheet and table of :mod:`sop_xl.workbook.schema`.

    Returns
    -------
    openpyxl.Workbook
        Input tables hold one blank row to type into; output tables only their headers and
        one blank row (an Excel table keeps at least one).
    """
    wb = Workbook()
    styles.register_styles(wb)
    wb.remove(wb.active)
    for sheet in schema.SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.sheet_view.zoomScale = 100
        if sheet.name == "Start":
            build_start(ws)
            continue
        if sheet.name == "xlwings.conf":
            for i, (key, value) in enumerate(schema.XLWINGS_CONF, start=1):
                ws.cell(i, 1, key)
                ws.cell(i, 2, value)
            ws.column_dimensions["A"].width = 16
            ws.column_dimensions["B"].width = 16
            ws.sheet_properties.tabColor = "808080"
            continue
        _title(ws, sheet)
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        ws.sheet_properties.tabColor = (
            styles.INPUT_HEADER
            if any(schema.TABLES[t].role == "input" for t in sheet.tables)
            else styles.OUTPUT_HEADER
        )
        _print_setup(ws, title_rows=sheet.name != "KPIs")  # no header printed over charts
        if sheet.name == "Settings":
            _settings_sheet(ws)
            continue
        if sheet.name == "Items":
            _items_sheet(ws)
            continue
        if sheet.name == "KPIs":
            _kpi_sheet(ws)
            continue
        if sheet.name in MEETING_SHEETS:  # Summary, S&OP Plan (issue 12)
            MEETING_SHEETS[sheet.name](ws, _add_table)
            continue
        if sheet.name == "Item Plan":
            items = wb["Items"].tables["tblItems"].ref.split(":")
            column = "".join(ch for ch in items[0] if ch.isalpha())
            build_item_view(ws, f"'Items'!${column}${HEADER_ROW + 1}:${column}${ROW_SPAN}")
            ws.freeze_panes = "C9"
            continue
        col = 1
        locs: dict[str, Location] = {}
        for name in sheet.tables:
            if locs:  # a narrow empty column between two tables
                ws.column_dimensions[get_column_letter(col - 1)].width = 3
            locs[name] = _add_table(ws, schema.table(name), col)
            col = locs[name].last_col + 1 + GAP
        _sheet_rules(ws, locs)
        if sheet.name in DATA_SHEETS:
            ws.print_area = "A1:J2"
        if "tblDemandPlan" in locs:  # readable: a fixed scale, Item and Family on every page
            ws.sheet_properties.pageSetUpPr.fitToPage = False
            ws.page_setup.scale = PRINT_SCALE
            ws.print_title_cols = "A:B"
        if "tblScenarioCompare" in locs:  # the reconciliation pages, then the scenario pages
            rec, scenarios = locs["tblReconciliation"], locs["tblScenarios"]
            last = get_column_letter(locs["tblScenarioCompare"].last_col)
            ws.print_area = [
                f"A1:{get_column_letter(rec.last_col)}{ROW_SPAN}",
                f"{get_column_letter(scenarios.first_col)}1:{last}{ROW_SPAN}",
            ]
    wb.active = 0
    wb.properties.creator = "sop-xl"
    wb.properties.title = "S&OP workbook"
    return wb


def _sheet_rules(ws: Worksheet, locs: dict[str, Location]) -> None:
    """Validation lists and conditional formats of the sheets with plain table layouts."""
    if "tblForecast" in locs:
        ws.freeze_panes = f"B{HEADER_ROW + 1}"
    if "tblSupplyPlan" in locs:
        _wide_rules(ws, locs["tblSupplyPlan"], "OnHand", [("<0", _red())])
        _wide_rules(ws, locs["tblSupplyPlan"], "DaysOfSupply", [("<=0", _red())])
    if "tblCapacity" in locs:
        _wide_rules(ws, locs["tblCapacity"], "Utilization", [(">1", _red()), (">0.85", _amber())])
    if "tblFinancePlan" in locs:
        _wide_rules(ws, locs["tblFinancePlan"], "GapToBudget", [("<0", _red()), (">=0", _green())])
    if "tblReconciliation" in locs:
        loc = locs["tblReconciliation"]
        for name in ("Gap", "GapToBudget"):
            area = _col_range(loc, name)
            first = area.split(":")[0]
            ws.conditional_formatting.add(
                area, FormulaRule(formula=[f"AND(ISNUMBER(${first}),${first}<0)"], **_red())
            )
        flag = _col_range(loc, "Flag")
        ws.conditional_formatting.add(
            flag, FormulaRule(formula=[f"LEN(${flag.split(':')[0]})>0"], **_amber())
        )
    if "tblScenarioCompare" in locs:
        area = _col_range(locs["tblScenarioCompare"], "Difference")
        first = area.split(":")[0]
        ws.conditional_formatting.add(
            area, FormulaRule(formula=[f"AND(ISNUMBER(${first}),${first}<0)"], **_red())
        )
    if "tblDecisions" in locs:
        loc = locs["tblDecisions"]
        status = _col_range(loc, "Status").split(":")[0]
        due = _col_range(loc, "Due").split(":")[0]
        overdue = f'AND(ISNUMBER(${due}),${due}<TODAY(),${status}<>"done",${status}<>"cancelled")'
        ws.conditional_formatting.add(
            _col_range(loc, "Due"), FormulaRule(formula=[overdue], **_red())
        )
        done = _col_range(loc, "Status")
        ws.conditional_formatting.add(done, FormulaRule(formula=[f'${status}="done"'], **_green()))


def write_template(path: str | os.PathLike[str] = TEMPLATE_PATH) -> Path:
    """Build the template and save it atomically at ``path``."""
    wb = build_template()
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


if __name__ == "__main__":  # python -m sop_xl.workbook.builder [PATH]
    import sys

    print(write_template(*sys.argv[1:2]))
