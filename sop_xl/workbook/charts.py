"""The native Excel charts of the KPI sheet, plotting columns of ``tblKPITrend``.

The charts read the table's data rows; when the cycle rewrites the table,
:func:`sop_xl.workbook.tables.write_rows` stretches every series to the new rows.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.series import SeriesLabel, StrRef
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sop_xl.workbook.periods import is_period_label
from sop_xl.workbook.tables import Location

WIDTH_CM = 12.9
HEIGHT_CM = 8.4
TITLE_COLOR = "1F3864"

# series colours: actuals dark blue, plans orange/green, limits grey/red
COLORS = {
    "Actual": "1F3864",
    "Forecast": "ED7D31",
    "OnHand": "2F5597",
    "SafetyStock": "C00000",
    "Utilization": "548235",
    "Revenue": "2F5597",
    "Budget": "ED7D31",
}


def _style_line(series, color: str, dashed: bool = False, width_emu: int = 22000) -> None:
    series.graphicalProperties.line.solidFill = color
    series.graphicalProperties.line.width = width_emu
    if dashed:
        series.graphicalProperties.line.dashStyle = "dash"
    series.smooth = False
    series.marker.symbol = "none"


def _title(text: str, size: int = 1200) -> Title:
    """A chart title in a readable size (hundredths of a point)."""
    font = CharacterProperties(sz=size, b=True, solidFill=TITLE_COLOR)
    para = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _small_text(size: int = 800) -> RichText:
    font = CharacterProperties(sz=size)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=font), endParaRPr=font)])


def _finish(chart, title: str, y_title: str, number_format: str) -> None:
    chart.title = _title(title)
    chart.x_axis.txPr = _small_text()
    chart.y_axis.txPr = _small_text()
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM
    if y_title:
        chart.y_axis.title = y_title
    chart.y_axis.numFmt = number_format
    chart.y_axis.majorGridlines.spPr = GraphicalProperties(ln=LineProperties(solidFill="D9D9D9"))
    # openpyxl 3.1 hides axes unless told otherwise
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.tickLblSkip = 3
    chart.legend.position = "b"
    chart.layout = Layout(manualLayout=ManualLayout(x=0.02, y=0.12, w=0.96, h=0.68))


def _refs(ws: Worksheet, loc: Location, header: str) -> Reference:
    col = loc.first_col + loc.headers.index(header)
    return Reference(ws, min_col=col, min_row=loc.header_row, max_row=loc.last_row)


def add_kpi_charts(ws: Worksheet, trend: Location, anchors: list[str]) -> None:
    """Add the four KPI charts at ``anchors`` (top-left cells), reading ``trend``.

    Forecast vs actual, projected inventory vs safety stock, capacity utilization, revenue
    vs budget.
    """
    period_col = trend.first_col + trend.headers.index("Period")
    categories = Reference(
        ws, min_col=period_col, min_row=trend.first_data_row, max_row=trend.last_row
    )

    def line(title: str, headers: list[str], y_title: str, fmt: str, dashed=()) -> LineChart:
        chart = LineChart()
        for head in headers:
            chart.add_data(_refs(ws, trend, head), titles_from_data=True)
        for series, head in zip(chart.series, headers, strict=True):
            _style_line(series, COLORS[head], dashed=head in dashed)
        chart.set_categories(categories)
        _finish(chart, title, y_title, fmt)
        return chart

    forecast = line("Forecast vs actual", ["Actual", "Forecast"], "units", "#,##0")
    stock = line(
        "Projected inventory vs safety stock",
        ["OnHand", "SafetyStock"],
        "units",
        "#,##0",
        dashed=("SafetyStock",),
    )

    util = BarChart()
    util.type = "col"
    util.add_data(_refs(ws, trend, "Utilization"), titles_from_data=True)
    util.series[0].graphicalProperties.solidFill = COLORS["Utilization"]
    util.series[0].graphicalProperties.line.solidFill = COLORS["Utilization"]
    util.set_categories(categories)
    util.gapWidth = 60
    _finish(util, "Capacity utilization, busiest resource", "", "0%")

    revenue = BarChart()
    revenue.type = "col"
    revenue.add_data(_refs(ws, trend, "Revenue"), titles_from_data=True)
    revenue.series[0].graphicalProperties.solidFill = COLORS["Revenue"]
    revenue.series[0].graphicalProperties.line.solidFill = COLORS["Revenue"]
    revenue.set_categories(categories)
    revenue.gapWidth = 60
    budget = LineChart()
    budget.add_data(_refs(ws, trend, "Budget"), titles_from_data=True)
    _style_line(budget.series[0], COLORS["Budget"], dashed=True)
    budget.set_categories(categories)
    _finish(revenue, "Revenue vs budget", "", "#,##0")
    revenue += budget

    for chart, anchor in zip((forecast, stock, util, revenue), anchors, strict=True):
        ws.add_chart(chart, anchor)


def add_fva_chart(ws: Worksheet, fva: Location, anchor: str) -> None:
    """Forecast value added: lag-1 and lag-3 WAPE of naive, statistical and consensus (issue 6).

    Clustered columns from ``tblFVA`` (one row per step): a step lower than the one before it
    adds value.
    """
    step_col = fva.first_col + fva.headers.index("Step")
    categories = Reference(ws, min_col=step_col, min_row=fva.first_data_row, max_row=fva.last_row)
    chart = BarChart()
    chart.type = "col"
    for head, color in (("Lag1WAPE", "2F5597"), ("Lag3WAPE", "ED7D31")):
        chart.add_data(_refs(ws, fva, head), titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = color
        chart.series[-1].graphicalProperties.line.solidFill = color
    chart.set_categories(categories)
    chart.gapWidth = 80
    _finish(chart, "Forecast value added: WAPE by step", "WAPE", "0%")
    chart.x_axis.tickLblSkip = 1
    ws.add_chart(chart, anchor)


def add_revenue_chart(ws: Worksheet, months: Location, anchor: str) -> None:
    """The Summary's chart (issue 12): revenue by month of the fiscal year from
    ``tblRevenueByMonth``: actual to date and plan as columns in one slot, budget as a line."""
    period_col = months.first_col + months.headers.index("Period")
    categories = Reference(
        ws, min_col=period_col, min_row=months.first_data_row, max_row=months.last_row
    )
    bars = BarChart()
    bars.type = "col"
    for head, color in (("Actual", COLORS["Actual"]), ("Plan", COLORS["Revenue"])):
        bars.add_data(_refs(ws, months, head), titles_from_data=True)
        bars.series[-1].graphicalProperties.solidFill = color
        bars.series[-1].graphicalProperties.line.solidFill = color
    bars.series[-1].graphicalProperties.solidFill = "9DC3E6"  # the plan lighter than actuals
    bars.overlap = 100  # a month has an actual or a plan, never both: one slot each
    bars.gapWidth = 50
    bars.set_categories(categories)
    budget = LineChart()
    budget.add_data(_refs(ws, months, "Budget"), titles_from_data=True)
    _style_line(budget.series[0], COLORS["Budget"], dashed=True)
    budget.set_categories(categories)
    _finish(bars, "Revenue: actual to date, plan and budget", "", "#,##0")
    bars.x_axis.tickLblSkip = 1
    bars.width = 16.5  # the Summary's right half
    bars += budget
    ws.add_chart(bars, anchor)


def add_item_chart(ws: Worksheet, rows: range, header: tuple[int, int, int], anchor: str) -> None:
    """The Item Plan chart: one line per row of ``rows`` (its name in column A, values from the
    header's first column), over the period headers ``header`` = (row, first col, last col)."""
    row, first, last = header
    chart = LineChart()
    colors = (COLORS["Actual"], COLORS["Forecast"], COLORS["SafetyStock"])
    for r, color in zip(rows, colors, strict=False):
        series = Series(Reference(ws, min_col=first, max_col=last, min_row=r, max_row=r))
        series.tx = SeriesLabel(strRef=StrRef(f"'{ws.title}'!$A${r}"))
        _style_line(series, color, dashed=color == COLORS["SafetyStock"])
        chart.series.append(series)
    chart.set_categories(Reference(ws, min_col=first, max_col=last, min_row=row, max_row=row))
    _finish(chart, "The item: actuals, forecast and plans", "units", "#,##0")
    chart.width = 24.0
    ws.add_chart(chart, anchor)


UTILIZATION_TITLE = "Capacity utilization by resource"


def point_utilization_chart(capacity_ws: Worksheet, capacity: Location) -> None:
    """Redraw the KPI sheet's utilization chart with one line per resource, from the
    Utilization rows of ``tblCapacity`` just written at ``capacity`` (issue 11: an average, or
    a sum, over resources hides the one that is full).

    The chart keeps the place and size of the one it replaces (the template's chart of the
    busiest resource, until a run writes tblCapacity). A line at 100% would need a helper
    row; the axis is in percent and the KPI table names each resource's peak.
    """
    wb = capacity_ws.parent
    if "KPIs" not in wb.sheetnames:
        return
    kpi_ws = wb["KPIs"]
    old = next((c for c in kpi_ws._charts if _title_text(c).startswith("Capacity utilization")),
               None)  # fmt: skip
    if old is None:
        return
    headers = capacity.headers
    periods = [j for j, h in enumerate(headers) if is_period_label(h)]
    if not periods or "Measure" not in headers or "Resource" not in headers:
        return
    first, last = capacity.first_col + periods[0], capacity.first_col + periods[-1]
    measure_col = capacity.first_col + headers.index("Measure")
    resource_col = capacity.first_col + headers.index("Resource")
    chart = LineChart()
    palette = ("548235", "C00000", "2F5597", "ED7D31", "7030A0", "808080", "BF9000", "00B0F0")
    sheet = capacity_ws.title.replace("'", "''")
    for r in range(capacity.first_data_row, capacity.last_row + 1):
        if capacity_ws.cell(r, measure_col).value != "Utilization":
            continue
        series = Series(Reference(capacity_ws, min_col=first, max_col=last, min_row=r, max_row=r))
        letter = get_column_letter(resource_col)
        series.tx = SeriesLabel(strRef=StrRef(f"'{sheet}'!${letter}${r}"))
        _style_line(series, palette[len(chart.series) % len(palette)])
        chart.series.append(series)
    chart.set_categories(
        Reference(capacity_ws, min_col=first, max_col=last, min_row=capacity.header_row)
    )
    _finish(chart, UTILIZATION_TITLE, "", "0%")
    chart.anchor = old.anchor
    chart.width, chart.height = old.width, old.height
    kpi_ws._charts[kpi_ws._charts.index(old)] = chart


def _title_text(chart) -> str:
    try:
        return "".join(run.t for p in chart.title.tx.rich.p for run in (p.r or []))
    except AttributeError:
        return ""
