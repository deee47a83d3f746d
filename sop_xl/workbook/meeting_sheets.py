"""The layout of the meeting pack's sheets (issue 12): Summary and S&OP Plan.

Called by :func:`sop_xl.workbook.builder.build_template` with its table maker, after the
sheet's title rows. The Summary is one landscape page: on the left, the fiscal year
(tblYearView), the headline KPIs and the top decisions, stacked with room for
:data:`FAMILY_ROOM` families; on the right the revenue chart over tblRevenueByMonth (its data
below the chart's page, outside the print area) and what changed since last cycle
(tblPlanChange, which grows down). The S&OP Plan is one wide table, Family to Unit frozen.
"""

from __future__ import annotations

from collections.abc import Callable

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sop_xl.workbook import schema, styles
from sop_xl.workbook.charts import add_revenue_chart
from sop_xl.workbook.tables import Location

AddTable = Callable[..., Location]  # builder._add_table(ws, spec, first_col, header_row=...)

FAMILY_ROOM = 10  # data rows kept free under tblYearView: 9 families and the total
RIGHT_COL = 13  # column M: the right half of the Summary
CHART_ROWS = 18  # rows the chart covers, from row 4
MONTHS_COL = 21  # column U: tblRevenueByMonth, the chart's data, beside the printed page
SUMMARY_SCALE_ROWS = 50  # printed rows of the Summary (the plan change of 4 families fits)
SOP_PLAN_SCALE = 70  # print scale of the S&OP Plan [%], pages across as needed


def _fill(color: str, font: str) -> dict:
    return {"fill": PatternFill("solid", bgColor=color), "font": Font(color=font)}


def _label(ws: Worksheet, row: int, col: int, text: str) -> None:
    ws.cell(row, col, text).style = "SOP Label"


def _column(loc: Location, header: str, rows: int = 200) -> tuple[str, str]:
    """(first cell, range) of a column of ``loc``'s data."""
    letter = get_column_letter(loc.first_col + loc.headers.index(header))
    first = f"{letter}{loc.first_data_row}"
    return first, f"{first}:{letter}{loc.first_data_row + rows}"


def _negative_red(ws: Worksheet, loc: Location, header: str) -> None:
    first, area = _column(loc, header)
    rule = FormulaRule(
        formula=[f"AND(ISNUMBER({first}),{first}<0)"], **_fill(styles.RED_FILL, styles.RED_FONT)
    )
    ws.conditional_formatting.add(area, rule)


def build_summary(ws: Worksheet, add_table: AddTable) -> None:
    """The Summary sheet: its five tables, the chart, one landscape page."""
    row = 5
    _label(ws, row - 1, 1, "The fiscal year of the cycle start: actual to date + plan vs budget")
    year = add_table(ws, schema.table("tblYearView"), 1, header_row=row)
    for header in ("GapToBudget", "GapPct"):
        _negative_red(ws, year, header)
    row += FAMILY_ROOM + 3
    _label(ws, row - 1, 1, "Headline KPIs (tblKPIs)")
    kpis = add_table(ws, schema.table("tblHeadlineKPIs"), 1, header_row=row)
    first, area = _column(kpis, "Status", 20)
    for text, color, font in (
        ("off target", styles.RED_FILL, styles.RED_FONT),
        ("watch", styles.AMBER_FILL, styles.AMBER_FONT),
        ("on target", styles.GREEN_FILL, styles.GREEN_FONT),
    ):
        ws.conditional_formatting.add(
            area, FormulaRule(formula=[f'${first}="{text}"'], **_fill(color, font))
        )
    row += 12
    _label(ws, row - 1, 1, "Top decisions and risks (Reconciliation), most revenue at stake first")
    add_table(ws, schema.table("tblTopDecisions"), 1, header_row=row)
    last_left = row + 6

    months = add_table(ws, schema.table("tblRevenueByMonth"), MONTHS_COL, header_row=5)
    _label(ws, 4, MONTHS_COL, "Chart data (written by the cycle)")
    add_revenue_chart(ws, months, f"{get_column_letter(RIGHT_COL)}4")
    change_row = 4 + CHART_ROWS + 3
    _label(ws, change_row - 2, RIGHT_COL, "What changed since last cycle (consensus, units)")
    change = add_table(ws, schema.table("tblPlanChange"), RIGHT_COL, header_row=change_row)
    for header in ("Change", "RevenueChange"):
        _negative_red(ws, change, header)
    ws.column_dimensions[get_column_letter(RIGHT_COL - 1)].width = 3
    ws.column_dimensions[get_column_letter(MONTHS_COL - 1)].width = 3

    ws.freeze_panes = None
    ws.print_title_rows = None
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    last_col = get_column_letter(change.last_col)
    ws.print_area = f"A1:{last_col}{max(last_left, SUMMARY_SCALE_ROWS)}"


def build_sop_plan(ws: Worksheet, add_table: AddTable) -> None:
    """The S&OP Plan sheet: tblSOPPlan, Family to Unit frozen, problems coloured."""
    loc = add_table(ws, schema.table("tblSOPPlan"), 1)
    measure = f"${get_column_letter(loc.first_col + 1)}{loc.first_data_row}"
    first = get_column_letter(loc.last_col + 1)
    cell = f"{first}{loc.first_data_row}"
    area = f"{cell}:{get_column_letter(loc.last_col + 160)}{loc.first_data_row + 2000}"
    red = _fill(styles.RED_FILL, styles.RED_FONT)
    amber = _fill(styles.AMBER_FILL, styles.AMBER_FONT)
    for name, test, fmt in (
        ("Gap to budget", "<0", red),
        ("Inventory", "<0", red),
        ("Backlog", ">0", amber),
        ("Capacity utilization", ">1", red),
        ("Capacity utilization", ">0.85", amber),
    ):
        condition = f'AND({measure}="{name}",ISNUMBER({cell}),{cell}{test})'
        ws.conditional_formatting.add(
            area, FormulaRule(formula=[condition], stopIfTrue=True, **fmt)
        )
    sales = f'AND({measure}="Sales plan",ISNUMBER({cell}))'
    ws.conditional_formatting.add(area, FormulaRule(formula=[sales], font=Font(bold=True)))
    ws.freeze_panes = f"{first}{loc.first_data_row}"
    ws.print_title_cols = f"A:{get_column_letter(loc.last_col)}"
    ws.page_setup.fitToWidth = 0
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = SOP_PLAN_SCALE


MEETING_SHEETS: dict[str, Callable[[Worksheet, AddTable], None]] = {
    "Summary": build_summary,
    "S&OP Plan": build_sop_plan,
}
"""Sheet name -> its layout function."""
