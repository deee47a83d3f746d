"""The Start sheet: the cycle at a glance, the six steps, a guide to every sheet.

A planner opening the workbook for the first time should find their way without a manual: the
cycle month and owner (from tblSettings, by formula), the six steps of the monthly cycle with
owner, status and dates, what to do on each sheet (with a link to it), and how to run sop-xl.
"""

from __future__ import annotations

from copy import copy

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from sop_xl.workbook import schema, styles, tables

STEP_ROW = 10  # header of the steps block
HEADERS = ("Step", "Owner", "Status", "Start", "Due", "Sheets", "What to do")
WIDTHS = (30, 32, 12, 11, 11, 30, 78)


def _setting(key: str) -> str:
    return f'INDEX(tblSettings[Value],MATCH("{key}",tblSettings[Key],0))'


def _header(ws: Worksheet, row: int, headers: tuple[str, ...], role: str = "output") -> None:
    for j, text in enumerate(headers, start=1):
        ws.cell(row, j, text).style = styles.header_style_name(role)  # type: ignore[arg-type]


def _wrapped(alignment: Alignment, **changes: str) -> Alignment:
    """A copy of ``alignment`` with its text wrapped (and any other ``changes``)."""
    wrapped = copy(alignment)
    wrapped.wrap_text = True
    for name, value in changes.items():
        setattr(wrapped, name, value)
    return wrapped


def build_start(ws: Worksheet) -> None:
    """Fill the Start sheet ``ws``."""
    for j, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + j)].width = width
    ws["A1"] = f'="S&OP cycle - "&IFERROR({_setting("Company")},"")'
    ws["A1"].style = "SOP Title"
    ws.row_dimensions[1].height = 26
    ws["A2"] = (
        "The monthly sales & operations planning workbook. Yellow cells are yours to fill; "
        "grey cells are written by sop-xl."
    )
    ws["A2"].style = "SOP Subtitle"

    start = _setting("CycleStart")
    facts = (
        (
            "Cycle (first plan period)",
            f'=IFERROR(IF({start}="","after the last actual",{start}),"")',
            "yyyy-mm",
        ),
        ("Process owner", f'=IFERROR({_setting("Owner")}&"","")', "General"),
        ("Horizon (periods)", f'=IFERROR({_setting("Horizon")},"")', "0"),
        ("Template version", schema.TEMPLATE_VERSION, "@"),
    )
    for i, (label, value, fmt) in enumerate(facts, start=4):
        ws.cell(i, 1, label).style = "SOP Label"
        cell = ws.cell(i, 2, value)
        cell.style = "SOP Output text"
        cell.number_format = fmt
        cell.font = Font(name="Calibri", size=11, bold=True, color=styles.TITLE_FONT)
    ws.cell(4, 6, "Colours").style = "SOP Label"
    legend = (
        ("SOP Input text", "Input: you type here", 4),
        ("SOP Output text", "Output: written by sop-xl, do not type", 5),
        ("SOP Input header", "Header of an input table", 6),
        ("SOP Output header", "Header of an output table", 7),
    )
    for style, text, row in legend:
        ws.cell(row, 7, text).style = style

    ws.cell(STEP_ROW - 1, 1, "The six steps of the monthly cycle").style = "SOP Label"
    _header(ws, STEP_ROW, HEADERS)
    for i, (step, owner, sheets, todo) in enumerate(schema.CYCLE_STEPS, start=STEP_ROW + 1):
        values = (step, owner, "not started", None, None, sheets, todo)
        kinds = ("text", "text", "text", "date", "date", "text", "text")
        for j, (value, kind) in enumerate(zip(values, kinds, strict=True), start=1):
            role = "input" if j in (2, 3, 4, 5) else "output"
            cell = ws.cell(i, j, value)
            cell.style = styles.style_name(role, kind)  # type: ignore[arg-type]
        ws.cell(i, 7).style = "SOP Output text"
        ws.cell(i, 7).alignment = _wrapped(ws.cell(i, 7).alignment)
        ws.row_dimensions[i].height = 28
    last = STEP_ROW + len(schema.CYCLE_STEPS)
    status = f"C{STEP_ROW + 1}:C{last}"
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(schema.STEP_STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a valid status",
        error="Pick one of: " + ", ".join(schema.STEP_STATUSES),
    )
    dv.add(status)
    ws.add_data_validation(dv)
    dates = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
    dates.error = "Type a date"
    dates.add(f"D{STEP_ROW + 1}:E{last}")
    ws.add_data_validation(dates)
    first = f"$C{STEP_ROW + 1}"
    for text, fill, font in (
        ("done", styles.GREEN_FILL, styles.GREEN_FONT),
        ("in progress", styles.AMBER_FILL, styles.AMBER_FONT),
    ):
        ws.conditional_formatting.add(
            status,
            FormulaRule(
                formula=[f'{first}="{text}"'],
                fill=PatternFill("solid", bgColor=fill),
                font=Font(color=font),
            ),
        )

    guide = last + 2
    ws.cell(guide, 1, "What to do on each sheet").style = "SOP Label"
    _header(ws, guide + 1, ("Sheet", "Filled by", "Tables", "", "", "What to do", ""))
    ws.merge_cells(start_row=guide + 1, start_column=3, end_row=guide + 1, end_column=5)
    ws.merge_cells(start_row=guide + 1, start_column=6, end_row=guide + 1, end_column=7)
    for i, sheet in enumerate(schema.SHEETS[1:], start=guide + 2):
        cell = ws.cell(i, 1, sheet.name)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{sheet.name}'!A1")
        cell.style = "SOP Output text"
        cell.font = Font(name="Calibri", size=10, color="0563C1", underline="single")
        ws.cell(i, 2, sheet.who).style = "SOP Output text"
        for j in (4, 5, 7):
            ws.cell(i, j).style = "SOP Output text"
        lines = 1
        for col, text, chars in (
            (3, ", ".join(sheet.tables), sum(WIDTHS[2:5])),
            (6, sheet.purpose, sum(WIDTHS[5:7])),
        ):
            cell = ws.cell(i, col, text)
            cell.style = "SOP Output text"
            cell.alignment = _wrapped(cell.alignment, vertical="top")
            lines = max(lines, tables.wrapped_lines(text, chars - 2))  # wraps in place
        if lines > 1:
            ws.row_dimensions[i].height = tables.LINE_HEIGHT * lines
        ws.merge_cells(start_row=i, start_column=3, end_row=i, end_column=5)
        ws.merge_cells(start_row=i, start_column=6, end_row=i, end_column=7)

    notes_row = guide + 2 + len(schema.SHEETS) + 1
    ws.cell(notes_row, 1, "How to use").style = "SOP Label"
    notes = (
        "Run the cycle with the S&OP ribbon tab or on any machine with `sop-xl run FILE`; "
        "`sop-xl validate FILE` lists input problems (sheet, row, value) first.",
        "Every region is an Excel table with a fixed name (tblItems, tblActuals, ...): move it, "
        "sort it, add your own columns, but keep the table names and the header texts.",
        "Output tables (green headers) are rewritten on every run; keep notes in input tables "
        "or in columns of your own. Every run adds a row to Log.",
        "Excel functions such as =sop_forecast(history, 18) or =sop_safety_stock(...) need the "
        "xlwings add-in; the sheet xlwings.conf points it at the module sop_udfs.",
        "Totals above a table use SUBTOTAL: filter a table by Family to see family totals.",
    )
    for i, note in enumerate(notes, start=notes_row + 1):
        ws.cell(i, 1, "-").style = "SOP Note"
        ws.cell(i, 2, note).style = "SOP Note"
        ws.merge_cells(start_row=i, start_column=2, end_row=i, end_column=7)

    ws.freeze_panes = None
    ws.sheet_properties.tabColor = styles.TITLE_FONT
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"
