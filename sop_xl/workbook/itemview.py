"""The Item Plan sheet: one item's history and plans in rows, with a chart, by native formulas.

Pick an item in the yellow cell (a drop-down of tblItems' items); the sheet recalculates, no run
needed. Columns: the last ``HISTORY`` months before the plan, then ``PLAN`` plan months (the
first plan month is the first period header of tblDemandPlan). Rows:

- Actual: the item's rows of tblActuals in that month (blank when it has none);
- Statistical forecast: tblForecast; Consensus: tblDemandPlan;
- Adjustments: consensus - statistical (every adjustment at once: item, family, percent);
- Last cycle's plan: tblHistory's ``demand plan`` of the cycle one month before the plan;
- below, the chart's data: the actuals, then each plan from the first plan month (numbers
  only, so no line drops to a blank).

Months only (a weekly workbook shows blank headers). Every formula reads tables by name, so it
keeps working when a table is moved or grows.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sop_xl.workbook import schema
from sop_xl.workbook.charts import add_item_chart

HISTORY = 12  # months before the plan
PLAN = int(schema.SETTING_BY_KEY["Horizon"].default)  # plan months shown
ITEM_CELL = "B4"
FIRST = "$B$5"  # the first plan month (a date)
PREVIOUS = "$B$6"  # last cycle's label
HEADER_ROW = 8
FIRST_COL = 3  # column C
ROWS = ("Actual", "Statistical forecast", "Adjustments", "Consensus", "Last cycle's plan")
CHART_ROWS = ("Actual, then consensus", "Statistical forecast", "Last cycle's plan")


def _match(label: str, item: str = "$B$4") -> tuple[str, str, str]:
    """SUMPRODUCT pieces for tblActuals and tblHistory rows of ``item`` in month ``label``."""
    actual = f'(tblActuals[Item]={item})*(TEXT(tblActuals[Period],"yyyy-mm")={label})'
    history = (
        f'(tblHistory[Kind]="demand plan")*(tblHistory[Cycle]={PREVIOUS})'
        f"*(tblHistory[Item]={item})*(tblHistory[Period]={label})"
    )
    return actual, history, item


def headers(table: str) -> str:
    """The header row of ``table`` as a range (LibreOffice does not take ``[#Headers]`` whole;
    it does take one column's header, ``[[#Headers],[Item]]``, Item being the first column)."""
    return f"OFFSET({table}[[#Headers],[Item]],0,0,1,COLUMNS({table}))"


def _cell(table: str, label: str) -> str:
    """The item's cell of ``table`` in month ``label``, counted from the Item header (a bare
    table name is the body in Excel but the body and header in LibreOffice)."""
    row, col = f"MATCH($B$4,{table}[Item],0)", f"MATCH({label},{headers(table)},0)-1"
    return f'IFERROR(OFFSET({table}[[#Headers],[Item]],{row},{col}),"")'


def build_item_view(ws: Worksheet, items_ref: str) -> None:
    """Fill the Item Plan sheet ``ws``; ``items_ref`` is tblItems' Item column (for the list)."""
    ws["A4"] = "Item"
    ws["A4"].style = "SOP Label"
    ws[ITEM_CELL] = '=IFERROR(INDEX(tblItems[Item],1),"")'
    ws[ITEM_CELL].style = "SOP Input text"
    pick = DataValidation(type="list", formula1=items_ref, allow_blank=True)
    pick.promptTitle, pick.prompt = "Item", "Pick an item: every row below follows it"
    pick.add(ITEM_CELL)
    ws.add_data_validation(pick)
    ws["C4"] = (
        '=IFERROR(INDEX(tblItems[Description],MATCH($B$4,tblItems[Item],0))&"  ("'
        '&INDEX(tblItems[Family],MATCH($B$4,tblItems[Item],0))&")","")'
    )
    ws["C4"].style = "SOP Output text"
    first = f'=IFERROR(DATEVALUE(INDEX({headers("tblDemandPlan")},1,3)&"-01"),"")'
    for row, label, formula, fmt in (
        (5, "First plan month", first,
         "yyyy-mm"),
        (6, "Last cycle", f'=IF({FIRST}="","",TEXT(EDATE({FIRST},-1),"yyyy-mm"))', "@"),
    ):  # fmt: skip
        ws.cell(row, 1, label).style = "SOP Label"
        ws.cell(row, 2, formula).style = "SOP Output text"
        ws.cell(row, 2).number_format = fmt
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 14

    ws.cell(HEADER_ROW, 1, "Measure").style = "SOP Output header"
    ws.cell(HEADER_ROW, 2, "Unit").style = "SOP Output header"
    span = range(-HISTORY, PLAN)
    plans = "(COLUMNS(tblDemandPlan)-2)"
    for j, k in enumerate(span):
        col = FIRST_COL + j
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 8.5
        within = f"{k}<{plans}" if k >= 0 else "TRUE"
        ws.cell(HEADER_ROW, col, f'=IF(OR({FIRST}="",NOT({within})),"",'
                f'TEXT(EDATE({FIRST},{k}),"yyyy-mm"))').style = "SOP Output header"  # fmt: skip
        label = f"{letter}${HEADER_ROW}"
        actual, history, _ = _match(label)
        r = {name: HEADER_ROW + 1 + i for i, name in enumerate(ROWS)}
        stat, cons = f"{letter}{r['Statistical forecast']}", f"{letter}{r['Consensus']}"
        formulas = {
            "Actual": f'=IF(OR({label}="",SUMPRODUCT({actual})=0),"",'
            f"SUMPRODUCT({actual},tblActuals[Qty]))",
            "Statistical forecast": "=" + _cell("tblForecast", label),
            "Adjustments": f'=IF(AND(ISNUMBER({stat}),ISNUMBER({cons})),{cons}-{stat},"")',
            "Consensus": "=" + _cell("tblDemandPlan", label),
            "Last cycle's plan": f'=IF(OR({label}="",SUMPRODUCT({history})=0),"",'
            f"SUMPRODUCT({history},tblHistory[Qty]))",
        }
        for name, formula in formulas.items():
            ws.cell(r[name], col, formula).style = "SOP Output units"
        chart_top = HEADER_ROW + len(ROWS) + 3
        past = f"{letter}{r['Actual']}"
        source = {
            "Actual, then consensus": cons,
            "Statistical forecast": stat,
            "Last cycle's plan": f"{letter}{r[ROWS[4]]}",
        }
        for i, name in enumerate(CHART_ROWS):
            value = f"N({past})" if k < 0 else f"N({source[name]})"
            ws.cell(chart_top + i, col, f"={value}").style = "SOP Output units"
    for i, name in enumerate(ROWS):
        ws.cell(HEADER_ROW + 1 + i, 1, name).style = "SOP Output text"
        ws.cell(HEADER_ROW + 1 + i, 2, "units").style = "SOP Output text"
    chart_top = HEADER_ROW + len(ROWS) + 3
    ws.cell(chart_top - 1, 1, "Chart data").style = "SOP Label"
    for i, name in enumerate(CHART_ROWS):
        ws.cell(chart_top + i, 1, name).style = "SOP Output text"
        ws.cell(chart_top + i, 2, "units").style = "SOP Output text"
    last = FIRST_COL + len(span) - 1
    add_item_chart(ws, range(chart_top, chart_top + len(CHART_ROWS)), (HEADER_ROW, FIRST_COL, last),
                   f"A{chart_top + len(CHART_ROWS) + 1}")  # fmt: skip
