"""The Excel boundary layer: what Excel hands over, read the same way every time."""

import datetime as dt
import math

import numpy as np
import pytest

from sop_xl import cells
from sop_xl.errors import SopError


@pytest.mark.parametrize(
    "raw, values, orientation",
    [
        (5, [5.0], "column"),
        ([1, 2, 3], [1.0, 2.0, 3.0], "column"),
        ([[1], [2], [3]], [1.0, 2.0, 3.0], "column"),
        ([[1, 2, 3]], [1.0, 2.0, 3.0], "row"),
        ([[None, 1, None, 3, None, None]], [1.0, math.nan, 3.0], "row"),
        ([None, "", 4.5, ""], [4.5], "column"),
        (np.array([1, 2]), [1.0, 2.0], "column"),
    ],
)
def test_vector_reads_every_shape(raw, values, orientation):
    v = cells.vector(raw, "history")
    np.testing.assert_array_equal(v.values, np.array(values))
    assert v.orientation == orientation


@pytest.mark.parametrize(
    "raw, message",
    [
        ([[1], ["#N/A"], [3]], "history contains an error value; got '#N/A' at column position 2"),
        ([[1, "abc"]], "history must be numbers; got 'abc' at row position 2"),
        ([[True]], "history must be numbers; got True at column position 1"),
        ([[1, 2], [3, 4]], "history must be a single row or column; got 2 rows x 2 columns"),
        ([[None], [None]], "history has no numbers; got an empty range"),
        ([[dt.datetime(2024, 1, 1)]], "history must be numbers; got 2024-01-01 00:00:00"),
    ],
)
def test_vector_refuses_bad_cells(raw, message):
    with pytest.raises(SopError, match=f"^{message.replace('(', '.').replace(')', '.')}"):
        cells.vector(raw, "history")


@pytest.mark.parametrize(
    "raw, kwargs, expected",
    [(None, {"default": 18}, 18), ([[12.0]], {"integer": True}, 12), (0.5, {}, 0.5)],
)
def test_number(raw, kwargs, expected):
    assert cells.number(raw, "x", **kwargs) == expected


@pytest.mark.parametrize(
    "raw, kwargs, message",
    [
        (None, {}, "x is required; got a blank"),
        ("#DIV/0!", {}, "x must be a number; got '#DIV/0!'"),
        (2.5, {"integer": True}, "x must be a whole number; got 2.5"),
        (0, {"minimum": 1}, "x must be at least 1; got 0"),
        ([[1, 2]], {}, "x must be a single cell; got a range of 1 rows"),
    ],
)
def test_number_refuses(raw, kwargs, message):
    with pytest.raises(SopError, match=f"^{message}$"):
        cells.number(raw, "x", **kwargs)


def test_long_table_reads_header_by_name_and_skips_blank_rows():
    raw = [
        ["Qty", "Item", "Period", "Note"],
        [10, "A", dt.datetime(2024, 1, 1), None],
        [None, None, None, None],
        [12, "A", "2024-02", "x"],
        [3, 101.0, 45352, None],
    ]
    table = cells.long_table(raw, "actuals")
    assert table["item"].tolist() == ["A", "A", "101"]
    assert [p.strftime("%Y-%m") for p in table["period"]] == ["2024-01", "2024-02", "2024-03"]
    assert table["qty"].tolist() == [10.0, 12.0, 3.0]


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            [["Item", "Qty"], ["A", 1]],
            "actuals must have a header with Item, Period, Qty; missing 'Period'",
        ),
        (
            [["Item", "Period", "Qty"], ["A", "soon", 1]],
            "actuals Period must be a date or a period like 2024-03; got 'soon' at row 2",
        ),
        (
            [["Item", "Period", "Qty"], ["A", "2024-01", "#N/A"]],
            "actuals Qty contains an error value; got '#N/A' at row 2",
        ),
        ([["Item", "Period", "Qty"]], "actuals must have a header row and at least one data row"),
    ],
)
def test_long_table_refuses(raw, message):
    with pytest.raises(SopError, match=f"^{message}"):
        cells.long_table(raw, "actuals")


def test_boundary_turns_errors_into_cell_text():
    @cells.boundary
    def bad(x):
        raise SopError(f"service_level must be between 0 and 1; got {x}")

    @cells.boundary
    def broken():
        return 1 / 0

    assert bad(1.2) == "#SOP! service_level must be between 0 and 1; got 1.2"
    assert broken() == "#SOP! internal error: ZeroDivisionError: division by zero"
    assert len(cells.error_text("x" * 1000)) == 255


def test_shaped_keeps_orientation_and_refuses_nan():
    assert cells.shaped([1, 2], "column") == [[1], [2]]
    assert cells.shaped(np.array([1.5]), "row") == [[1.5]]
    with pytest.raises(SopError, match="non-finite"):
        cells.shaped([math.nan])


# ----------------------------------------------------------------------------------------------
# aligned: arguments that go together cell by cell
# ----------------------------------------------------------------------------------------------
def _plain(values):
    return [np.asarray(v).tolist() for v in values]


@pytest.mark.parametrize(
    "arguments, values, orientation",
    [
        # single cells stay plain numbers and give no orientation
        (((100, "d", None), ([[4]], "lt", None)), [100.0, 4.0], None),
        # a column, a row, a flat list (a column); single cells broadcast unchanged
        ((([[1], [2]], "d", None), (4, "lt", None)), [[1.0, 2.0], 4.0], "column"),
        ((([[1, 2]], "d", None), ([[3, 4]], "lt", None)), [[1.0, 2.0], [3.0, 4.0]], "row"),
        ((([1, 2], "d", None), (4, "lt", None)), [[1.0, 2.0], 4.0], "column"),
        # the orientation is that of the first range, whatever the others are
        (
            ((4, "d", None), ([[1, 2]], "lt", None), ([[1], [2]], "r", None)),
            [4.0, [1, 2], [1, 2]],
            "row",
        ),
    ],
)
def test_aligned_reads_values_and_orientation(arguments, values, orientation):
    got, got_orientation = cells.aligned(*arguments)
    assert _plain(got) == values
    assert got_orientation == orientation


def test_aligned_blank_handling():
    # blanks inside: NaN without a stand-in, the stand-in otherwise; a blank single cell too
    got, orientation = cells.aligned(
        ([[1], [None], [3]], "d", None),
        ([[None], [0.99], [None]], "level", 0.95),
        (None, "lt_sd", 0.0),
        (None, "q", None),
    )
    assert orientation == "column"
    np.testing.assert_array_equal(got[0], [1.0, math.nan, 3.0])
    assert _plain(got[1:3]) == [[0.95, 0.99, 0.95], 0.0]
    assert math.isnan(got[3])
    # trailing cells blank in every range are dropped ...
    got, orientation = cells.aligned(([[5, None, None]], "d", None), ([[1, 2, None]], "s", 0.0))
    assert orientation == "row"
    np.testing.assert_array_equal(got[0], [5.0, math.nan])
    np.testing.assert_array_equal(got[1], [1.0, 2.0])
    # ... and when one cell is left, it is a single number with no orientation
    got, orientation = cells.aligned(([[5], [None]], "d", 0.0), ([[None], [None]], "s", 0.0))
    assert (_plain(got), orientation) == ([5.0, 0.0], None)
    # an empty range reads as one blank cell
    got, orientation = cells.aligned(([], "d", 0.0), (7, "s", None))
    assert (_plain(got), orientation) == ([0.0, 7.0], None)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            (([[1], [2]], "demand", None), ([[1], [2], [3]], "supply", None), (4, "x", None)),
            "lengths must match: demand has 2 values, supply has 3 values",
        ),
        (
            (([[None], [None]], "demand", 0.0), ([[None], [None]], "supply", 0.0)),
            "demand has no numbers; got an empty range",
        ),
        ((([["#N/A"]], "lead_time", None),), "lead_time contains an error value; got '#N/A'"),
        ((("abc", "lead_time", None),), "lead_time must be a number; got 'abc'"),
        ((([[True]], "rate", None),), "rate must be a number; got True"),
        (
            (([[100], ["x"]], "demand_mean", None),),
            "demand_mean must be numbers; got 'x' at column position 2",
        ),
        (
            (([[1, "#DIV/0!"]], "demand", 0.0),),
            "demand contains an error value; got '#DIV/0!' at row position 2",
        ),
        (
            (([[1, 2], [3, 4]], "demand", 0.0),),
            "demand must be a single row or column; got 2 rows x 2 columns",
        ),
    ],
)
def test_aligned_refuses(arguments, message):
    with pytest.raises(SopError, match=f"^{message.replace('(', '.').replace(')', '.')}$"):
        cells.aligned(*arguments)
