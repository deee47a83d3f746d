"""The layout of the meeting pack's sheets (issue 12): Summary and S&OP Plan.

Called by :func:`sop_xl.workbook.builder.build_template` with its table maker, after the
sheet's title rows. The Summary is one landscape page: on the left the fiscal year
(tblYearView, room for :data:`FAMILY_ROOM` rows) and what changed since last cycle
(tblPlanChange, which grows down); on the right the top decisions (their wrapped text beside
the year's few rows, not beside the plan change), the headline KPIs and the revenue chart over
tblRevenueByMonth (its data right of the page, outside the print area). Tables stacked in one
band share its column widths. The S&OP Plan is one wide table, Family
to Unit frozen.
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
KPI_ROW = 5 + FAMILY_ROOM + 4  # header row of tblHeadlineKPIs and of tblPlanChange beside it
KPI_ROOM = 9  # data rows kept free under tblHeadlineKPIs
CHART_ROW = KPI_ROW + KPI_ROOM + 3  # the chart's top row, under the KPIs
MONTHS_COL = 19  # column S: tblRevenueByMonth, the chart's data, beside the printed page
PRINT_ROWS = 48  # printed rows of the Summary (the plan change of 4 families fits)
HEADER_HEIGHT = 28  # [pt] two lines of header text
# Column widths of the Summary: the tables stacked in one band share them
LEFT_WIDTHS = (12, 11, 11, 11, 12, 11, 12, 11, 11, 8, 20)  # A-K: tblYearView, tblPlanChange
RIGHT_WIDTHS = (56, 12, 12, 11, 7)  # M-Q: tblTopDecisions, tblHeadlineKPIs
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
    row = KPI_ROW  # headers side by side: a data row of one table never holds the other's header
    _label(ws, row - 2, 1, "What changed since last cycle: the consensus, next periods")
    change = add_table(ws, schema.table("tblPlanChange"), 1, header_row=row)
    for header in ("Change", "RevenueChange"):
        _negative_red(ws, change, header)

    _label(ws, 4, RIGHT_COL, "Top decisions and risks (Reconciliation), most at stake first")
    add_table(ws, schema.table("tblTopDecisions"), RIGHT_COL, header_row=5)
    _label(ws, KPI_ROW - 1, RIGHT_COL, "Headline KPIs (tblKPIs)")
    kpis = add_table(ws, schema.table("tblHeadlineKPIs"), RIGHT_COL, header_row=KPI_ROW)
    first, area = _column(kpis, "Status", 20)
    for text, color, font in (
        ("off target", styles.RED_FILL, styles.RED_FONT),
        ("watch", styles.AMBER_FILL, styles.AMBER_FONT),
        ("on target", styles.GREEN_FILL, styles.GREEN_FONT),
    ):
        ws.conditional_formatting.add(
            area, FormulaRule(formula=[f'${first}="{text}"'], **_fill(color, font))
        )
    months = add_table(ws, schema.table("tblRevenueByMonth"), MONTHS_COL, header_row=5)
    _label(ws, 4, MONTHS_COL, "Chart data (written by the cycle)")
    add_revenue_chart(ws, months, f"{get_column_letter(RIGHT_COL)}{CHART_ROW}")

    for header_row in (5, change.header_row, KPI_ROW):
        ws.row_dimensions[header_row].height = HEADER_HEIGHT
    for first_col, widths in ((1, LEFT_WIDTHS), (RIGHT_COL, RIGHT_WIDTHS)):
        for j, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(first_col + j)].width = width
    for col in (RIGHT_COL - 1, MONTHS_COL - 1):
        ws.column_dimensions[get_column_letter(col)].width = 2
    ws.freeze_panes = None
    ws.print_title_rows = None
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    last_col = get_column_letter(RIGHT_COL + len(RIGHT_WIDTHS) - 1)
    ws.print_area = f"A1:{last_col}{PRINT_ROWS}"


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
