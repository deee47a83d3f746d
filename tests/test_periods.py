"""The period model (PeriodGrid) and the one long-table reader."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sop_xl import cells
from sop_xl.errors import SopError
from sop_xl.longtable import read_long_table
from sop_xl.periods import (
    MONTH,
    WEEK,
    PeriodGrid,
    is_period_label,
    parse_period,
    period_label,
    period_range,
)
from sop_xl.workbook import periods as workbook_periods

ts = pd.Timestamp


@pytest.mark.parametrize(
    "name, period_type, freq, per_year",
    [
        ("Month", "Month", "MS", 12),
        ("month", "Month", "MS", 12),
        (" MONTH ", "Month", "MS", 12),
        ("MS", "Month", "MS", 12),
        ("Week", "Week", "W-MON", 52),
        ("week", "Week", "W-MON", 52),
        ("W-MON", "Week", "W-MON", 52),
        ("7D", "Week", "W-MON", 52),
    ],
)
def test_grid_from_any_name(name, period_type, freq, per_year):
    grid = PeriodGrid(name)
    assert (grid.period_type, grid.freq, grid.per_year) == (period_type, freq, per_year)
    assert grid == PeriodGrid(period_type)  # one grid per type, whatever it was called
    assert PeriodGrid(grid) == grid


@pytest.mark.parametrize("name", ["Day", "", None, 12, "Q"])
def test_unknown_period_type_is_refused(name):
    with pytest.raises(SopError, match=r"^period type must be Month or Week \(or MS, W-MON\); got"):
        PeriodGrid(name)


@pytest.mark.parametrize(
    "grid, value, expected",
    [
        (MONTH, "2024-03", ts("2024-03-01")),
        (MONTH, " 2024-3 ", ts("2024-03-01")),
        (MONTH, "2024-03-01", ts("2024-03-01")),
        (MONTH, "2024/03/01", ts("2024-03-01")),
        (MONTH, "2024-03-01 00:00:00", ts("2024-03-01")),
        (MONTH, "2024-03-01T00:00", ts("2024-03-01")),
        (MONTH, dt.datetime(2024, 3, 1), ts("2024-03-01")),
        (MONTH, dt.date(2024, 3, 1), ts("2024-03-01")),
        (MONTH, np.datetime64("2024-03-01"), ts("2024-03-01")),
        (MONTH, 45352, ts("2024-03-01")),  # Excel serial
        (MONTH, 45352.75, ts("2024-03-01")),  # a serial's fraction is a time of day
        (MONTH, np.int64(45352), ts("2024-03-01")),
        (WEEK, "2024-W09", ts("2024-02-26")),
        (WEEK, "2024w9", ts("2024-02-26")),
        (WEEK, "2025-W01", ts("2024-12-30")),  # ISO year: week 1 starts in December
        (WEEK, "2020-W53", ts("2020-12-28")),  # a long ISO year
        (WEEK, "2024-02-26", ts("2024-02-26")),
        (WEEK, dt.datetime(2024, 2, 26), ts("2024-02-26")),
        (WEEK, 45348, ts("2024-02-26")),
    ],
)
def test_parse_accepts(grid, value, expected):
    assert grid.parse(value) == expected
    assert parse_period(value, grid.period_type) == expected  # the old name, same parser


@pytest.mark.parametrize(
    "grid, value, message",
    [
        (MONTH, "2024-03-15", "Period must be the first day of a month; got 2024-03-15"),
        (
            MONTH,
            dt.datetime(2024, 3, 15),
            "Period must be the first day of a month; got 2024-03-15",
        ),
        (MONTH, 45366, "Period must be the first day of a month; got 2024-03-15"),
        (MONTH, dt.datetime(2024, 3, 1, 10), "Period must be a date without a time of day; got"),
        (MONTH, "soon", "Period must be a date or a period like 2024-03; got 'soon'"),
        (MONTH, "Dec 2022", "Period must be a date or a period like 2024-03; got 'Dec 2022'"),
        (MONTH, "03/01/2024", "Period must be a date or a period like 2024-03; got '03/01/2024'"),
        (MONTH, "2024-W09", "Period must be a date or a period like 2024-03; got '2024-W09'"),
        (MONTH, "2024-13", "Period must name a month 1 to 12; got '2024-13'"),
        (MONTH, "2024-02-30", "Period must be a calendar date; got '2024-02-30'"),
        (MONTH, True, "Period must be a date or a period like 2024-03; got True"),
        (MONTH, None, "Period must be a date or a period like 2024-03; got None"),
        (MONTH, float("nan"), "Period must be a date or a period like 2024-03; got nan"),
        (MONTH, pd.NaT, "Period must be a date or a period like 2024-03; got NaT"),
        (MONTH, 0, "Period must be a date or a period like 2024-03; got 0"),
        (WEEK, "2024-03", "Period must be a Monday or a period like 2024-W09; got '2024-03'"),
        (WEEK, "2025-12-24", "Period must be a Monday \\(week start\\); got 2025-12-24"),
        (WEEK, "2021-W53", "Period must be an ISO week W01 to W52 \\(W53 in long years\\)"),
    ],
)
def test_parse_refuses_naming_the_field_and_value(grid, value, message):
    with pytest.raises(SopError, match=f"^{message}"):
        grid.parse(value, "Period")


def test_one_rule_for_off_grid_dates_everywhere():
    """2024-03-15 is refused by the cell reader, the workbook parser and the CLI reader alike."""
    message = "must be the first day of a month; got 2024-03-15"
    with pytest.raises(SopError, match=message):
        cells.period("2024-03-15", "Period")
    with pytest.raises(SopError, match=message):
        workbook_periods.parse_period("2024-03-15")
    frame = pd.DataFrame({"Item": ["A"], "Period": ["2024-03-15"], "Qty": ["1"]})
    with pytest.raises(SopError, match=message):
        read_long_table(frame, "in.csv", text_numbers=True)


@pytest.mark.parametrize(
    "grid, start, labels",
    [
        (MONTH, "2024-11", ["2024-11", "2024-12", "2025-01", "2025-02"]),
        (WEEK, "2024-W51", ["2024-W51", "2024-W52", "2025-W01", "2025-W02"]),
        (WEEK, "2020-W52", ["2020-W52", "2020-W53", "2021-W01", "2021-W02"]),
    ],
)
def test_range_and_labels_cross_the_year(grid, start, labels):
    periods = grid.range(start, 4)
    assert grid.labels(periods) == labels
    assert [grid.parse(label) for label in labels] == periods  # labels parse back
    assert period_range(start, 4, grid.period_type) == periods
    assert [period_label(p, grid.period_type) for p in periods] == labels
    assert grid.shift(periods[0], 3) == periods[3] and grid.shift(periods[3], -3) == periods[0]
    assert list(grid.between(periods[0], periods[-1])) == periods


def test_a_year_of_periods():
    assert MONTH.shift(ts("2026-01-01"), -MONTH.per_year) == ts("2025-01-01")
    assert WEEK.shift(ts("2026-01-05"), -WEEK.per_year) == ts("2025-01-06")
    assert len(set(WEEK.labels(WEEK.range("2025-W01", 52)))) == 52


def test_labels():
    assert MONTH.is_label("2024-03") and not MONTH.is_label("2024-W09")
    assert WEEK.is_label("2024-W09") and not WEEK.is_label("2024-03")
    assert is_period_label("2024-03") and is_period_label("2024-W09")
    assert not any(is_period_label(v) for v in ("Family", "2024-03-01", None, 202403))


def test_is_start():
    stamps = pd.Series([ts("2024-03-01"), ts("2024-03-04"), ts("2024-03-01 06:00")])
    assert MONTH.is_start(stamps).tolist() == [True, False, False]
    assert WEEK.is_start(stamps).tolist() == [False, True, False]


# ----------------------------------------------------------------------------------------------
# the long-table reader
# ----------------------------------------------------------------------------------------------
def test_reader_finds_columns_drops_blank_rows_and_reads_codes():
    frame = pd.DataFrame(
        {
            "qty": [5, None, "7", 2.0],
            "Note": ["x", "y", None, None],
            "ITEM": [" A ", None, 101.0, "007"],
            "Period": ["2024-01", None, 45352, dt.datetime(2024, 4, 1)],
        },
        index=[10, 11, 12, 13],
    )
    out = read_long_table(frame, "tblActuals", text_numbers=True)
    assert out.index.tolist() == [10, 12, 13]  # the blank row 11 is dropped, rows keep theirs
    assert out["item"].tolist() == ["A", "101", "007"]
    assert out["period"].tolist() == [ts("2024-01-01"), ts("2024-03-01"), ts("2024-04-01")]
    assert out["qty"].tolist() == [5.0, 7.0, 2.0]
    assert str(out["period"].dtype) == "datetime64[ns]"


def test_reader_on_a_week_grid():
    frame = pd.DataFrame({"Item": ["A", "A"], "Period": ["2024-W52", "2024-12-30"], "Qty": [1, 2]})
    out = read_long_table(frame, "t", grid="Week")
    assert out["period"].tolist() == [ts("2024-12-23"), ts("2024-12-30")]


@pytest.mark.parametrize(
    "row, kwargs, message",
    [
        ({"Qty": None}, {}, "t Qty must be a number; got a blank at row 7"),
        ({"Qty": "five"}, {}, "t Qty must be a number; got 'five' at row 7"),
        ({"Qty": "5"}, {}, "t Qty must be a number; got '5' at row 7"),  # text cell in Excel
        ({"Qty": "#N/A"}, {}, "t Qty contains an error value; got '#N/A' at row 7"),
        ({"Qty": True}, {}, "t Qty must be a number; got True at row 7"),
        ({"Qty": float("inf")}, {}, "t Qty must be a finite number; got inf at row 7"),
        ({"Qty": "inf"}, {"text_numbers": True}, "t Qty must be a number; got 'inf' at row 7"),
        ({"Item": None}, {}, "t Item must be filled; got a blank at row 7"),
        ({"Item": "#REF!"}, {}, "t Item contains an error value; got '#REF!' at row 7"),
        ({"Period": "later"}, {}, "t Period must be a date or a period like 2024-03; got 'later'"),
        ({"Period": "2024-01-15"}, {}, "t Period must be the first day of a month; got 2024-01-15"),
    ],
)
def test_reader_refuses_naming_table_column_value_and_row(row, kwargs, message):
    values = {"Item": "A", "Period": "2024-01", "Qty": 1.0} | row
    frame = pd.DataFrame([values], index=[7], dtype=object)
    with pytest.raises(SopError, match=f"^{message}"):
        read_long_table(frame, "t", **kwargs)


def test_reader_keeps_blank_quantities_when_asked():
    frame = pd.DataFrame({"Item": ["A", "A"], "Period": ["2024-01", "2024-02"], "Qty": [1, None]})
    out = read_long_table(frame, "tblActuals", blank_qty="nan")
    assert out["qty"].iloc[0] == 1.0 and np.isnan(out["qty"].iloc[1])


def test_reader_refuses_a_missing_column_and_an_empty_table():
    with pytest.raises(
        SopError,
        match=r"^t must have a header with Item, Period, Qty; missing 'Qty' in \['Item', 'Period'\]$",
    ):
        read_long_table(pd.DataFrame({"Item": ["A"], "Period": ["2024-01"]}), "t")
    empty = pd.DataFrame({"Item": [None], "Period": [None], "Qty": [None]})
    with pytest.raises(SopError, match="^t has no data rows$"):
        read_long_table(empty, "t")
