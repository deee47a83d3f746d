"""The workbook gateway: read tables wherever they are, write outputs, log, save atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.table import Table

from sop_xl.errors import SopError
from sop_xl.workbook import schema
from sop_xl.workbook.book import Book, FileBook, new_book, open_book


@pytest.fixture
def book():
    return new_book()


def _moved_actuals() -> FileBook:
    """tblActuals at D10, columns shuffled, a user column added, rows unsorted."""
    wb = Workbook()
    ws = wb.active
    ws.title = "My history"
    rows = [
        ["Note", "Qty", "Period", "Item", "Checked"],
        ["late", 5, "2024-02", "B", "yes"],
        [None, 7, "2024-01", "A", None],
        [None, None, None, None, None],  # a blank row inside the table is skipped
        ["", 9, "2024-01", "B", "no"],
    ]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            ws.cell(10 + i, 4 + j, value)
    ws.add_table(Table(displayName="tblActuals", ref="D10:H14"))
    return FileBook(wb)


def test_fileBook_is_a_book(book):
    assert isinstance(book, Book)


def test_read_finds_table_by_name_and_header_not_address():
    frame = _moved_actuals().read_table("tblActuals")
    assert list(frame.columns) == ["Note", "Qty", "Period", "Item", "Checked"]
    assert frame.index.name == "row"
    assert list(frame.index) == [11, 12, 14]
    assert frame.loc[12, ["Item", "Period", "Qty"]].tolist() == ["A", "2024-01", 7]
    assert frame.loc[14, "Note"] is None  # "" reads as blank


def test_read_is_case_insensitive_on_table_names():
    assert len(_moved_actuals().read_table("TBLACTUALS")) == 3


def test_read_missing_table_and_column_name_them():
    book = _moved_actuals()
    with pytest.raises(SopError, match="table tblItems not found in the workbook"):
        book.read_table("tblItems")
    book.workbook["My history"]["E10"] = "Quantity"
    with pytest.raises(SopError, match="table tblActuals on sheet My history has no column 'Qty'"):
        book.read_table("tblActuals")


def test_settings_typed_with_defaults(book):
    settings = book.settings()
    assert settings["Horizon"] == 18 and isinstance(settings["Horizon"], int)
    assert settings["ServiceLevel"] == 0.95
    assert settings["CycleStart"] is None
    assert settings["ForecastMethod"] == "auto"


def test_settings_bad_value_names_sheet_key_and_value(book):
    ws = book.workbook["Settings"]
    row = next(r for r in range(5, 30) if ws.cell(r, 1).value == "ServiceLevel")
    ws.cell(row, 2).value = 1.5
    with pytest.raises(
        SopError,
        match=rf"Settings row {row}: setting ServiceLevel must be between 0.5 and 0.9999; got 1.5",
    ):
        book.settings()


def _forecast(items: list[str], periods: list[str]) -> pd.DataFrame:
    rows = []
    for i, item in enumerate(items):
        rows.append([item, "F", "ses", "smooth", "A", "X", 0.12] + [10.0 * (i + 1)] * len(periods))
    required = [c.name for c in schema.table("tblForecast").columns if c.required]
    columns = required + periods  # without the optional EventsRemoved
    return pd.DataFrame(rows, columns=columns)


def test_write_table_resizes_and_styles(book):
    book.write_table("tblForecast", _forecast(["A", "B", "C"], ["2026-01", "2026-02"]))
    ws = book.workbook["Forecast"]
    tbl = ws.tables["tblForecast"]
    assert tbl.ref == "A4:I7" and tbl.autoFilter.ref == "A4:I7"
    assert [c.name for c in tbl.tableColumns][-2:] == ["2026-01", "2026-02"]
    assert ws["H4"].value == "2026-01" and ws["H4"].style == "SOP Output header"
    assert ws["I7"].value == 30.0 and ws["I7"].style == "SOP Output units"
    assert ws["G5"].number_format == "0.0%"
    assert ws["H3"].value == "=SUBTOTAL(109,H5:H7)"  # totals above the header follow the rows
    frame = book.read_table("tblForecast")
    assert frame["Item"].tolist() == ["A", "B", "C"]


def test_write_table_clears_old_rows_and_columns(book):
    book.write_table("tblForecast", _forecast(list("ABCDE"), ["2026-01", "2026-02", "2026-03"]))
    book.write_table("tblForecast", _forecast(["A"], ["2026-02"]))
    ws = book.workbook["Forecast"]
    assert ws.tables["tblForecast"].ref == "A4:H5"
    assert ws["A6"].value is None and ws["A6"].style == "Normal"
    assert ws["I4"].value is None and ws["J5"].value is None
    assert ws["I3"].value is None


def test_write_table_keeps_user_columns_and_their_formulas(book):
    book.write_table("tblForecast", _forecast(["A", "B"], ["2026-01"]))
    ws = book.workbook["Forecast"]
    ws["I4"] = "Double"
    ws["I5"] = "=H5*2"
    tbl = ws.tables["tblForecast"]
    tbl.ref = "A4:I6"
    book.write_table("tblForecast", _forecast(["A", "B", "C"], ["2026-01", "2026-02"]))
    assert ws["J4"].value == "Double"
    assert [ws[f"J{r}"].value for r in (5, 6, 7)] == [
        "=H5*2",
        "=H6*2",
        "=H7*2",
    ]  # rows follow; columns still point at 2026-01
    assert [c.name for c in ws.tables["tblForecast"].tableColumns][-1] == "Double"


def test_write_table_measure_rows_get_their_own_format(book):
    frame = pd.DataFrame(
        [["MOULD", "Load", 500.0], ["MOULD", "Available", 580.0], ["MOULD", "Utilization", 0.86]],
        columns=["Resource", "Measure", "2026-01"],
    )
    book.write_table("tblCapacity", frame)
    loc = book.locate("tblCapacity")
    ws = book.workbook["Capacity"]
    assert ws.cell(loc.first_data_row + 2, loc.first_col + 2).number_format == "0.0%"
    assert ws.cell(loc.first_data_row, loc.first_col + 2).number_format == "#,##0.0"


def test_write_refuses_input_tables_and_missing_columns(book):
    with pytest.raises(
        SopError,
        match="table tblActuals on sheet Actuals is an input table; sop-xl never rewrites input tables",
    ):
        book.write_table("tblActuals", pd.DataFrame({"Item": [], "Period": [], "Qty": []}))
    with pytest.raises(SopError, match="cannot write tblKPIs: the data has no column 'Target'"):
        book.write_table("tblKPIs", pd.DataFrame({"KPI": ["x"], "Value": [1]}))


def test_write_refuses_to_grow_into_another_table(book):
    periods = [f"{2026 + m // 12}-{m % 12 + 1:02d}" for m in range(30)]
    frame = pd.DataFrame([["A", "Demand"] + [1.0] * 30], columns=["Item", "Measure"] + periods)
    book.write_table("tblSupplyPlan", frame)  # grows right: fine
    ws = book.workbook["Supply"]
    ws.add_table(Table(displayName="tblMine", ref="F20:G21"))
    tall = pd.DataFrame([["A", "Demand", 1.0]] * 30, columns=["Item", "Measure", "2026-01"])
    with pytest.raises(
        SopError, match="tblSupplyPlan on sheet Supply would grow into table tblMine"
    ):
        book.write_table("tblSupplyPlan", tall)


def test_charts_follow_the_trend_table(book):
    trend = pd.DataFrame(
        {h: [1.0] * 12 for h in schema.table("tblKPITrend").headers}
        | {"Period": [f"2025-{m:02d}" for m in range(1, 13)]}
    )
    book.write_table("tblKPITrend", trend)
    trend_charts = book.workbook["KPIs"]._charts[:4]  # the fifth reads tblFVA (issue 6)
    series = [s for c in trend_charts for part in c._charts for s in part.series]
    refs = [s.val.numRef.f for s in series]
    assert len(refs) == 7 and all(ref.endswith("$5:$" + ref[8] + "$16") for ref in refs), refs
    cats = [s.cat.numRef or s.cat.strRef for s in series]
    assert all(ref.f == "'KPIs'!$H$5:$H$16" for ref in cats)


def test_kpi_status_formula_is_written_as_formula(book):
    kpis = pd.DataFrame(
        {
            "KPI": ["Forecast error (WAPE)"],
            "Value": [0.18],
            "Target": [0.2],
            "Status": [schema.kpi_status_formula(higher_is_better=False)],
            "Unit": ["%"],
            "Definition": ["sum|F-A| / sum A"],
        }
    )
    book.write_table("tblKPIs", kpis)
    assert book.workbook["KPIs"]["D5"].value.startswith("=IF(")


def test_append_rows_and_log(book):
    book.log("forecast", rows=44, seconds=1.234, messages="2 warnings\nsecond line")
    book.log("supply plan", rows=264)
    frame = book.read_table("tblLog")
    assert frame["Action"].tolist() == ["forecast", "supply plan"]
    assert list(frame.index) == [5, 6]
    assert frame.loc[5, "Messages"] == "2 warnings second line"
    assert frame.loc[5, "Seconds"] == 1.23
    with pytest.raises(SopError, match="tblLog on sheet Log has no column 'Nope'"):
        book.append_rows("tblLog", pd.DataFrame({"Nope": [1]}))


def test_save_and_reopen(tmp_path, book):
    book.write_table("tblForecast", _forecast(["A"], ["2026-01"]))
    path = book.save(tmp_path / "plan.xlsx")
    again = open_book(path)
    assert again.read_table("tblForecast")["2026-01"].tolist() == [10.0]
    assert len(again.workbook["KPIs"]._charts) == 5  # four trend charts and the FVA chart
    assert again.workbook["Items"].data_validations.dataValidation


def test_save_failure_leaves_file_intact(tmp_path, book, monkeypatch):
    path = book.save(tmp_path / "plan.xlsx")
    before = path.read_bytes()
    book.write_table("tblForecast", _forecast(["A"], ["2026-01"]))

    def broken(self, data):  # writes half the file, then the disk "fails"
        with open(self, "wb") as handle:
            handle.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", broken)
    with pytest.raises(OSError, match="disk full"):
        book.save()
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["plan.xlsx"]  # no temporary file left behind
    # the template's table: Item to HoldoutWAPE and EventsRemoved (issue 15), one blank row
    assert load_workbook(path)["Forecast"].tables["tblForecast"].ref == "A4:H5"


def test_save_without_a_path_is_refused(book):
    with pytest.raises(SopError, match="save needs a file name"):
        book.save()


def test_open_book_errors(tmp_path):
    with pytest.raises(SopError, match="workbook .*nope.xlsx does not exist"):
        open_book(tmp_path / "nope.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(SopError, match="cannot open .*bad.xlsx as an Excel workbook"):
        open_book(bad)


def _reconciliation_row(family: str, decision: str) -> dict:
    """A tblReconciliation row of ones and zeros with this family and decision text."""
    return {"Family": family, "Period": "2026-06", "Demand": 1, "Supply": 1, "Gap": 0,
            "Revenue": 1, "Budget": 1, "GapToBudget": 0, "GrossMargin": 1, "Flag": "",
            "DecisionNeeded": decision}  # fmt: skip


def test_long_text_wraps_in_its_column_instead_of_running_over(tmp_path):
    """A DecisionNeeded text wider than its column wraps, and its row grows to show it."""
    import pandas as pd

    from sop_xl.workbook.book import new_book

    book = new_book()
    long_text = "Approve 260 h overtime on MOULD, pre-build or cut 6,464 units of Garden in 2026-06"
    frame = pd.DataFrame(
        [_reconciliation_row("Garden", long_text), _reconciliation_row("Kitchen", "none")]
    )
    book.write_table("tblReconciliation", frame)
    loc = book.locate("tblReconciliation")
    ws = book.workbook[loc.sheet]
    col = loc.first_col + loc.headers.index("DecisionNeeded")
    first, second = loc.first_data_row, loc.first_data_row + 1
    assert ws.cell(first, col).alignment.wrap_text
    assert ws.row_dimensions[first].height and ws.row_dimensions[first].height >= 27
    assert not ws.cell(second, col).alignment.wrap_text
    # a rerun without the long text gives the row its default height back
    frame.loc[0, "DecisionNeeded"] = "none"
    book.write_table("tblReconciliation", frame)
    assert not ws.cell(first, col).alignment.wrap_text
    assert ws.row_dimensions[first].height is None


def test_formulas_keep_rows_at_their_height():
    """The KPI Status column holds a long formula that shows one word: its row stays short."""
    import pandas as pd

    from sop_xl.workbook import schema
    from sop_xl.workbook.book import new_book

    book = new_book()
    status = schema.kpi_status_formula(False, 0.1)
    assert len(status) > 100
    frame = pd.DataFrame(
        [{"KPI": "Plan bias, lag 1", "Value": 0.02, "Target": 0.05, "Status": status,
          "Unit": "%", "Definition": "sum(F - A) / sum A, consensus, lag 1"}]
    )  # fmt: skip
    book.write_table("tblKPIs", frame)
    loc = book.locate("tblKPIs")
    ws = book.workbook[loc.sheet]
    assert ws.cell(loc.first_data_row, loc.first_col + loc.headers.index("Status")).value == status
    assert ws.row_dimensions[loc.first_data_row].height is None


def test_rows_beside_an_input_table_keep_their_users_height():
    """A planner's three-line comment in tblAdjustments (row made 40.5 pt tall by hand) keeps
    its height when tblDemandPlan beside it is rewritten; short multi-line output text grows
    its row."""
    import pandas as pd
    from openpyxl.styles import Alignment

    from sop_xl.workbook.book import new_book

    book = new_book()
    adj = book.locate("tblAdjustments")
    ws = book.workbook[adj.sheet]
    row = adj.first_data_row
    cell = ws.cell(
        row, adj.first_col + adj.headers.index("Comment"), "agreed\nwith sales\nsee mail"
    )
    cell.alignment = Alignment(wrap_text=True)
    ws.row_dimensions[row].height = 40.5
    book.write_table("tblDemandPlan", pd.DataFrame({"Item": ["A", "B"], "Family": ["F", "F"]}))
    assert ws.row_dimensions[row].height == 40.5
    book.write_table("tblDemandPlan", pd.DataFrame({"Item": ["A"], "Family": ["F"]}))
    assert ws.row_dimensions[row].height == 40.5

    rec = book.locate("tblReconciliation")
    book.write_table("tblReconciliation", pd.DataFrame([_reconciliation_row("F", "a\nb\nc")]))
    assert book.workbook[rec.sheet].row_dimensions[rec.first_data_row].height == 3 * 13.5
