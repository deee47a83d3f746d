"""The live-workbook gateway (XlwingsBook) on xlwings' real remote Book, loaded with the demo.

No mock of xlwings: :mod:`remote_book` builds the JSON xlwings' Office.js client sends, and the
assertions read the write actions xlwings queues for the client (``book.json()``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import xlwings as xw
from openpyxl import load_workbook
from remote_book import actions, replay

from sop_xl.errors import SopError
from sop_xl.workbook import schema
from sop_xl.workbook.book import Book, open_book
from sop_xl.workbook.live import XlwingsBook


@pytest.fixture(scope="module")
def demo_path(demo_unrun_file):
    """The session's demo before the cycle (read only: remote_book loads it, nothing saves it)."""
    return demo_unrun_file


@pytest.fixture
def xbook(demo_path, shared_remote_book):
    return shared_remote_book(demo_path)


@pytest.fixture
def live(xbook):
    return XlwingsBook(xbook)


def _sheet_position(xbook, sheet: str) -> int:
    return [s.name for s in xbook.sheets].index(sheet)


def test_is_a_book(live):
    assert isinstance(live, Book)


def test_tables_are_found_where_the_file_has_them(live, demo_path):
    file = open_book(demo_path)
    assert live.sheet_names() == file.sheet_names()
    assert live.table_names() == file.table_names()
    for name in file.table_names():
        mine, theirs = live.locate(name), file.locate(name)
        assert (mine.sheet, mine.header_row, mine.first_col, mine.last_col, mine.last_row) == (
            theirs.sheet,
            theirs.header_row,
            theirs.first_col,
            theirs.last_col,
            theirs.last_row,
        ), name
        assert mine.headers == theirs.headers
    assert live.locate("TBLACTUALS").table == "tblActuals"  # Excel names ignore case


@pytest.mark.parametrize("name", [t.name for t in schema.TABLES.values() if t.role == "input"])
def test_input_tables_read_as_from_the_file(live, demo_path, name):
    expected = open_book(demo_path).read_table(name)
    got = live.read_table(name)
    pd.testing.assert_frame_equal(got, expected)


def test_settings_as_from_the_file(live, demo_path):
    assert live.settings() == open_book(demo_path).settings()


def test_each_table_is_read_with_one_value_call(live, monkeypatch):
    calls = []
    value = xw.main.Range.value

    def counting(self):
        calls.append(self.address)
        return value.fget(self)

    monkeypatch.setattr(xw.main.Range, "value", property(counting, value.fset))
    live.read_table("tblActuals")
    live.read_table("tblItems")
    live.read_table("tblActuals")
    live.locate("tblItems")
    # tblActuals: the demo's 1,537 rows; tblItems: 21 columns with Backlog, LikeItem,
    # LaunchPeriod and EndPeriod
    assert calls == ["$A$4:$C$1541", "$A$4:$U$48"]


def test_reading_queues_nothing(live, xbook):
    for name in live.table_names():
        live.read_table(name)
    live.settings()
    assert actions(xbook) == []


def test_missing_column_is_named(demo_path, shared_remote_book):
    data = shared_remote_book(demo_path)
    sheet = data.sheets["Actuals"]
    sheet.impl.api["values"][3][2] = "Quantity"  # the Qty header, renamed by a user
    with pytest.raises(SopError, match=r"tblActuals on sheet Actuals has no column 'Qty'"):
        XlwingsBook(data).read_table("tblActuals")


def test_missing_table_is_named(live):
    with pytest.raises(SopError, match="table tblNope not found in the workbook"):
        live.read_table("tblNope")


def test_error_cells_are_read_as_their_text(demo_path, shared_remote_book):
    data = shared_remote_book(demo_path)
    data.sheets["Actuals"].impl.api["values"][4][2] = "#N/A"
    frame = XlwingsBook(data).read_table("tblActuals")
    assert frame.iloc[0]["Qty"] == "#N/A"


FORECAST = pd.DataFrame(
    {
        "Item": ["GA-101", "0012"],
        "Family": ["Garden", "Spares"],
        "Method": ["ets", "croston"],
        "Pattern": ["smooth", "lumpy"],
        "ABC": ["A", "C"],
        "XYZ": ["X", "Z"],
        "HoldoutWAPE": [0.125, float("nan")],
        "2026-01": [100.5, 3.0],
        "2026-02": [110.0, 0.0],
    }
)


def test_write_is_held_until_commit_and_read_back(live, xbook):
    live.write_table("tblForecast", FORECAST)
    assert actions(xbook) == []  # nothing reaches Excel before commit
    back = live.read_table("tblForecast")
    assert back.index.tolist() == [5, 6]
    assert back.columns.tolist() == list(FORECAST.columns)
    assert back.loc[6, "Item"] == "0012"  # text stays text
    assert back.loc[5, "2026-01"] == 100.5
    assert back.loc[6, "HoldoutWAPE"] is None  # NaN is a blank
    assert live.locate("tblForecast").last_col == 9


def test_write_output_queues_blocks_and_a_resize(live, xbook):
    live.write_table("tblForecast", FORECAST)
    assert live.commit() == 3
    queued = actions(xbook)
    position = _sheet_position(xbook, "Forecast")
    values, resize, totals = queued
    assert values["func"] == "setValues"
    assert (values["sheet_position"], values["start_row"], values["start_column"]) == (
        position,
        3,  # header row 4, 0-based
        0,
    )
    assert (values["row_count"], values["column_count"]) == (3, 9)
    assert values["values"][0] == [
        "Item",
        "Family",
        "Method",
        "Pattern",
        "ABC",
        "XYZ",
        "HoldoutWAPE",
        "'2026-01",  # the apostrophe keeps Excel from making a date of the header
        "'2026-02",
    ]
    assert values["values"][1] == [
        "GA-101",
        "Garden",
        "ets",
        "smooth",
        "A",
        "X",
        0.125,
        100.5,
        110.0,
    ]
    assert values["values"][2][0] == "'0012"
    assert values["values"][2][6] == ""  # NaN written as a blank
    assert resize == {**resize, "func": "resizeTable", "args": [0, "$A$4:$I$6"]}
    assert totals["func"] == "setValues"
    assert totals["start_row"] == 2  # the totals row above the header
    assert totals["values"] == [
        ["Total", "", "", "", "", "", "", "=SUBTOTAL(109,H5:H6)", "=SUBTOTAL(109,I5:I6)"]
    ]


def test_shrinking_clears_what_the_table_left(live, xbook):
    live.write_table("tblForecast", FORECAST)
    live.write_table("tblForecast", FORECAST.iloc[:1, :8])
    live.commit()
    queued = actions(xbook)
    assert [a["func"] for a in queued] == [
        "setValues",
        "resizeTable",
        "setValues",
        "setValues",
        "rangeClearContents",
        "rangeClearContents",
        "resizeTable",
        "setValues",
    ]
    below, right = queued[4], queued[5]
    assert (
        below["start_row"],
        below["start_column"],
        below["row_count"],
        below["column_count"],
    ) == (
        5,
        0,
        1,
        9,
    )  # row 6, A:I
    assert (
        right["start_row"],
        right["start_column"],
        right["row_count"],
        right["column_count"],
    ) == (
        3,
        8,
        2,
        1,
    )  # column I, rows 4:5
    assert queued[6]["args"] == [0, "$A$4:$H$5"]
    assert queued[7]["values"][0][-1] == ""  # the old total of column I is cleared


def test_input_tables_are_refused(live, xbook):
    frame = pd.DataFrame({"Item": ["X"], "Period": ["2026-01"], "Qty": [1]})
    with pytest.raises(SopError, match="tblActuals on sheet Actuals is an input table"):
        live.write_table("tblActuals", frame)
    with pytest.raises(SopError, match="tblItems on sheet Items is an input table"):
        live.append_rows("tblItems", frame)
    assert live.pending == []
    live.commit()
    assert actions(xbook) == []


def test_output_needs_its_fixed_columns(live):
    with pytest.raises(SopError, match="cannot write tblForecast: the data has no column 'Method'"):
        live.write_table("tblForecast", FORECAST.drop(columns="Method"))


def test_growing_into_another_table_is_refused(live):
    kpis = pd.DataFrame({h: ["x"] for h in [*schema.TABLES["tblKPIs"].headers, "Extra1", "Extra2"]})
    with pytest.raises(SopError, match="tblKPIs on sheet KPIs would grow into table tblKPITrend"):
        live.write_table("tblKPIs", kpis)
    assert live.pending == []


def test_log_rows_are_appended_as_one_block(live, xbook):
    live.log("refresh forecast", rows=44, seconds=1.234, messages="done")
    live.log("build demand plan", rows=10, seconds=0.5, messages="ok")
    live.commit()
    first, second, resize = actions(xbook)
    position = _sheet_position(xbook, "Log")
    assert (
        first["sheet_position"],
        first["start_row"],
        first["row_count"],
        first["column_count"],
    ) == (
        position,
        4,  # row 5: the empty table's first row
        1,
        6,
    )
    time, user, action, rows, seconds, messages = first["values"][0]
    assert dt.datetime.fromisoformat(time.lstrip("'"))
    assert (action, rows, seconds, messages) == ("refresh forecast", 44, 1.23, "done")
    assert second["start_row"] == 5  # row 6, after the first
    assert resize["func"] == "resizeTable" and resize["args"] == [0, "$A$4:$F$6"]
    log = live.read_table("tblLog")
    assert log["Action"].tolist() == ["refresh forecast", "build demand plan"]


def test_status_bar_is_not_on_the_remote_engine(live, xbook):
    assert live.status("sop-xl: forecast 1/7") is False
    assert live.statuses == ["sop-xl: forecast 1/7"]
    assert live.alert("3 errors", mode="critical") is True
    assert actions(xbook)[-1]["func"] == "alert"
    assert actions(xbook)[-1]["args"][:2] == ["3 errors", "S&OP"]


def test_message_goes_to_the_start_sheet(live, xbook):
    live.show_message("refresh forecast: 2 errors; Actuals row 7 Qty is blank")
    live.commit()
    (action,) = actions(xbook)
    assert (action["sheet_position"], action["start_row"], action["start_column"]) == (0, 2, 0)
    assert action["values"] == [["refresh forecast: 2 errors; Actuals row 7 Qty is blank"]]


def test_discard_drops_pending_writes(live, xbook):
    live.write_table("tblForecast", FORECAST)
    live.discard()
    live.commit()
    assert actions(xbook) == []
    assert live.read_table("tblForecast").empty


def test_same_writes_give_the_same_cells_as_the_file(demo_path, tmp_path, shared_remote_book):
    """Replaying the queued actions on the demo gives the cells FileBook writes."""
    file = open_book(demo_path)
    xbook = shared_remote_book(demo_path)
    live = XlwingsBook(xbook)
    for book in (file, live):
        book.write_table("tblForecast", FORECAST)
        book.write_table("tblForecast", FORECAST.iloc[:1])
        book.log("refresh forecast", 1, 0.1, "ok")
    live.commit()
    file.save(tmp_path / "file.xlsx")
    expected = load_workbook(tmp_path / "file.xlsx")
    replayed = load_workbook(demo_path)
    replay(replayed, actions(xbook))
    for name in ("tblForecast", "tblLog"):
        loc = open_book(tmp_path / "file.xlsx").locate(name)
        ws_expected, ws_got = expected[loc.sheet], replayed[loc.sheet]
        assert dict.__getitem__(ws_got.tables, name).ref == loc.ref
        for row in range(loc.header_row - 1, loc.last_row + 3):
            for col in range(loc.first_col, loc.last_col + 3):
                want = ws_expected.cell(row, col).value
                got = ws_got.cell(row, col).value
                if name == "tblLog" and row > loc.header_row and col == loc.first_col:
                    continue  # the time of the run
                assert got == want, (name, row, col)
