"""The write plan both gateways carry out: headers, body, kinds, totals, clears, range."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sop_xl.errors import SopError
from sop_xl.workbook import schema
from sop_xl.workbook.cellvalues import Formula, cell_value, needs_quote
from sop_xl.workbook.tables import Location
from sop_xl.workbook.writeplan import address, plan_append, plan_table

FORECAST = schema.table("tblForecast")
# Item ... HoldoutWAPE: columns A:G (the optional EventsRemoved is written only when given)
FIXED = tuple(c.name for c in FORECAST.columns if c.required)


def _forecast(items: list[str], periods: list[str], wape: float = 0.1) -> pd.DataFrame:
    rows = [[item, "F", "ses", "smooth", "A", "X", wape] + [10.0] * len(periods) for item in items]
    return pd.DataFrame(rows, columns=[*FIXED, *periods])


def _old(headers: tuple[str, ...], last_row: int, table: str = "tblForecast") -> Location:
    """A table whose header row is 4, from column A."""
    ref = address((4, 1, last_row, len(headers)))
    return Location(table, "Forecast", ref, 4, 1, len(headers), last_row, headers)


def test_headers_are_the_frame_then_the_user_columns():
    old = _old((*FIXED, "2025-12", "Note", "2026-01", "Double"), 6)
    plan = plan_table(old, FORECAST, _forecast(["A"], ["2026-01", "2026-02"]))
    # old period columns go, the user's columns stay at the right
    assert plan.headers == (*FIXED, "2026-01", "2026-02", "Note", "Double")
    assert plan.n_fixed == 9 and plan.user_columns == ("Note", "Double")
    assert plan.ref == "A4:K5"


def test_a_user_formula_repeats_on_every_row_and_other_user_values_are_blank():
    old = _old((*FIXED, "2026-01", "Note", "Double"), 5)
    first = [None] * 8 + ["checked", Formula("=H5*2")]
    plan = plan_table(
        old, FORECAST, _forecast(["A", "B", "C"], ["2026-01"]), first_row=lambda: first
    )
    assert [row[-2:] for row in plan.body] == [
        (None, Formula("=H5*2")),
        (None, Formula("=H6*2")),
        (None, Formula("=H7*2")),
    ]
    assert all(isinstance(row[-1], Formula) for row in plan.body)


def test_a_user_column_with_text_starting_with_equals_is_not_a_formula():
    old = _old((*FIXED, "2026-01", "Note"), 5)
    plan = plan_table(
        old, FORECAST, _forecast(["A", "B"], ["2026-01"]), first_row=lambda: [None] * 8 + ["=1+1"]
    )
    assert [row[-1] for row in plan.body] == [None, None]


def test_first_row_is_read_only_when_there_are_user_columns():
    def boom():
        raise AssertionError("read")

    plan_table(
        _old((*FIXED, "2026-01"), 5), FORECAST, _forecast(["A"], ["2026-01"]), first_row=boom
    )


def test_every_cell_is_in_the_body_blanks_included():
    frame = _forecast(["A", "B"], ["2026-01"], wape=float("nan"))
    frame.loc[1, "Method"] = None
    plan = plan_table(_old((*FIXED, "2026-01"), 9), FORECAST, frame)
    assert [len(row) for row in plan.body] == [8, 8]
    assert plan.body[0][6] is None and plan.body[1][2] is None
    assert plan.clears == ((7, 1, 9, 8),)  # rows 7:9 of the old table are cleared


def test_text_stays_text_and_only_formula_is_a_formula():
    frame = _forecast(['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"], ["2026-01"])
    plan = plan_table(_old((*FIXED, "2026-01"), 5), FORECAST, frame)
    items = [row[0] for row in plan.body]
    assert items == ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"]
    assert not any(isinstance(v, Formula) for row in plan.body for v in row)
    assert isinstance(plan.totals[7], Formula)


def test_an_empty_frame_keeps_one_blank_row():
    plan = plan_table(_old((*FIXED, "2026-01"), 8), FORECAST, _forecast([], ["2026-01"]))
    assert plan.body == ((None,) * 8,)
    assert plan.ref == "A4:H5"


def test_totals_sum_periods_and_clear_what_the_table_left():
    old = _old((*FIXED, "2026-01", "2026-02", "2026-03"), 9)
    plan = plan_table(old, FORECAST, _forecast(["A", "B"], ["2026-01"]))
    assert plan.totals == ("Total", *[None] * 6, Formula("=SUBTOTAL(109,H5:H6)"), None, None)
    assert plan.clears == ((7, 1, 9, 10), (4, 9, 6, 10))


def test_no_totals_row_on_row_one():
    old = Location("tblForecast", "Forecast", "A1:H2", 1, 1, 8, 2, (*FIXED, "2026-01"))
    assert plan_table(old, FORECAST, _forecast(["A"], ["2026-01"])).totals is None


def test_measure_rows_get_their_own_kind():
    spec = schema.table("tblCapacity")
    frame = pd.DataFrame(
        [["MOULD", "Load", 500.0], ["MOULD", "Utilization", 0.86]],
        columns=["Resource", "Measure", "2026-01"],
    )
    old = Location(
        "tblCapacity", "Capacity", "A4:C5", 4, 1, 3, 5, ("Resource", "Measure", "2026-01")
    )
    plan = plan_table(old, spec, frame)
    assert plan.kinds[0][2] != plan.kinds[1][2] == "percent"
    assert plan.kinds[0][:2] == plan.kinds[1][:2]


def test_refusals_name_the_table_and_column():
    old = _old((*FIXED, "2026-01"), 5)
    with pytest.raises(SopError, match="cannot write tblForecast: the data has no column 'Method'"):
        plan_table(old, FORECAST, _forecast(["A"], ["2026-01"]).drop(columns="Method"))
    doubled = pd.concat([_forecast(["A"], ["2026-01"]), pd.DataFrame({"2026-01": [1.0]})], axis=1)
    with pytest.raises(SopError, match="tblForecast: duplicated column names"):
        plan_table(old, FORECAST, doubled)


def test_growing_into_another_table_or_its_totals_row_is_refused():
    old = _old((*FIXED, "2026-01"), 5)
    frame = _forecast(list("ABCDE"), ["2026-01"])
    with pytest.raises(
        SopError, match="tblForecast on sheet Forecast would grow into table tblMine"
    ):
        plan_table(old, FORECAST, frame, neighbours=[("tblMine", (9, 1, 12, 2))])
    # tblReconciliation has a totals row above its header: row 9 is taken too
    with pytest.raises(SopError, match="would grow into table tblReconciliation"):
        plan_table(old, FORECAST, frame, neighbours=[("tblReconciliation", (10, 1, 12, 2))])
    plan_table(old, FORECAST, frame, neighbours=[("tblMine", (10, 1, 12, 2))])


def test_append_starts_after_the_last_filled_row():
    log = schema.table("tblLog")
    old = Location("tblLog", "Log", "A4:F9", 4, 1, 6, 9, tuple(log.headers))
    frame = pd.DataFrame(
        {"Action": ["run", "=1+1"], "Rows": pd.Series([np.int64(3), None], dtype=object)}
    )
    plan = plan_append(old, log, frame, last_filled=6)
    assert plan.start == 7 and plan.positions == (2, 3)
    assert plan.body == (("run", 3), ("=1+1", None))
    assert type(plan.body[0][1]) is int  # numpy to Python
    assert plan.last_row == 9 and plan.ref == "A4:F9"
    assert plan_append(old, log, pd.concat([frame] * 3), last_filled=6).ref == "A4:F12"
    assert plan_append(old, log, frame, last_filled=None).start == 5
    with pytest.raises(SopError, match="tblLog on sheet Log has no column 'Nope'"):
        plan_append(old, log, pd.DataFrame({"Nope": [1]}), last_filled=None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (float("nan"), None),
        (np.float64(2.5), 2.5),
        (np.int64(3), 3),
        (pd.NaT, None),
        (pd.Timestamp("2026-01-01"), dt.datetime(2026, 1, 1)),
        ("=1+1", "=1+1"),
        (Formula("=1+1"), Formula("=1+1")),
        (float("inf"), None),
    ],
)
def test_cell_value(value, expected):
    got = cell_value(value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("=1+1", True),
        ("+1", True),
        ("-x", True),
        ("@SUM(A1)", True),
        ("2026-01", True),
        ("0012", True),
        ("true", True),
        ("#N/A", True),
        ("GA-101", False),
        ("Garden", False),
        ("", False),
    ],
)
def test_needs_quote(text, quoted):
    assert needs_quote(text) is quoted


def test_formula_must_start_with_equals():
    with pytest.raises(ValueError, match="a formula starts with '='; got 'SUM"):
        Formula("SUM(A1:A3)")


def test_an_optional_fixed_column_is_written_when_the_data_has_it():
    """tblForecast's EventsRemoved (issue 15) is optional: a frame without it writes the
    required columns and the periods; with it, it comes after HoldoutWAPE."""
    old = _old((*FIXED, "EventsRemoved", "2026-01"), 5)
    without = plan_table(old, FORECAST, _forecast(["A"], ["2026-01"]))
    assert without.headers == (*FIXED, "2026-01")  # not kept as a user column either
    frame = _forecast(["A"], ["2026-01"])
    frame.insert(len(FIXED), "EventsRemoved", [150.0])
    plan = plan_table(old, FORECAST, frame)
    assert plan.headers == (*FIXED, "EventsRemoved", "2026-01")
    assert plan.kinds[0][len(FIXED)] == "units"
