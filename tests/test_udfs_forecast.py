"""The forecasting Excel functions, called with what Excel hands over."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import sop_udfs
from sop_xl.forecast import forecast

from xlwings_server import as_matrix, through_xlwings

SEASONAL = [float(100 + 20 * np.sin(2 * np.pi * t / 12) + t) for t in range(36)]


def column(values):
    return [[v] for v in values]


def test_sop_forecast_returns_a_column_whatever_the_orientation():
    as_column = sop_udfs.sop_forecast(column(SEASONAL), 6)
    as_row = sop_udfs.sop_forecast([SEASONAL], 6)
    as_flat = sop_udfs.sop_forecast(SEASONAL, 6)
    expected = [[v] for v in forecast(SEASONAL, 6).mean.tolist()]
    assert as_column == as_row == as_flat == expected


def test_sop_forecast_exact_values_of_simple_methods():
    history = column([4, 8, 6, 10, 12, 2])
    assert sop_udfs.sop_forecast(history, 3, "naive") == [[2.0], [2.0], [2.0]]
    assert sop_udfs.sop_forecast(history, 4, "SNAIVE", 3) == [[10.0], [12.0], [2.0], [10.0]]
    assert sop_udfs.sop_forecast(history, 2, "ma", 4) == [[7.5], [7.5]]


def test_sop_forecast_trims_blank_ends_and_fills_gaps():
    # a range selected larger than the data, with one blank inside
    history = column([None, 10, None, 14, 16, 18, 20, 22, 24, 26, None, None])
    filled = forecast([10, 12, 14, 16, 18, 20, 22, 24, 26], 2, method="holt").mean.tolist()
    assert sop_udfs.sop_forecast(history, 2, "holt") == [[v] for v in filled]


def test_sop_forecast_defaults_for_blank_arguments():
    # Excel passes None for an omitted optional argument
    out = sop_udfs.sop_forecast(column(SEASONAL), None, None, None)
    assert len(out) == 18
    assert out == sop_udfs.sop_forecast(column(SEASONAL))


def test_sop_forecast_interval_rows_are_forecast_lower_upper():
    out = sop_udfs.sop_forecast_interval(column(SEASONAL), 4, 0.8)
    f = forecast(SEASONAL, 4, level=0.8)
    assert out == [[m, lo, hi] for m, lo, hi in zip(f.mean, f.lower, f.upper, strict=True)]
    assert all(lo <= m <= hi and lo >= 0 for m, lo, hi in out)


def test_sop_forecast_table_spills_a_grid_with_header():
    table = [
        ["Item", "Period", "Qty"],
        ["A", dt.datetime(2024, 1, 1), 5],
        ["A", dt.datetime(2024, 2, 1), 7],
        ["B", dt.datetime(2024, 2, 1), 3],
        [None, None, None],  # selection larger than the table
    ]
    assert sop_udfs.sop_forecast_table(table, 2, "naive") == [
        ["Item", "Method", "2024-03", "2024-04"],
        ["A", "naive", 7.0, 7.0],
        ["B", "naive", 3.0, 3.0],
    ]


def test_sop_forecast_table_reads_serial_dates_and_text_periods():
    table = [["Item", "Period", "Qty"], ["X", 45292, 1], ["X", "2024-02", 2], ["X", 45352, 3]]
    out = sop_udfs.sop_forecast_table(table, 1, "naive")
    assert out == [["Item", "Method", "2024-04"], ["X", "naive", 3.0]]


def test_sop_method_names_the_choice_of_auto():
    assert sop_udfs.sop_method(column([0, 0, 4, 0, 0, 0, 3, 0, 0, 5, 0, 0])) == "sba"
    assert sop_udfs.sop_method(column([0, 0, 0])) == "zero"
    assert sop_udfs.sop_method(column(SEASONAL)) == "combo(ets_damped,dotm,theta,ces,snaive)"


@pytest.mark.parametrize(
    "call, expected",
    [
        (
            lambda: sop_udfs.sop_forecast(column([1, "#N/A", 3])),
            "#SOP! history contains an error value; got '#N/A' at column position 2",
        ),
        (
            lambda: sop_udfs.sop_forecast(column([1, "abc", 3])),
            "#SOP! history must be numbers; got 'abc' at column position 2",
        ),
        (
            lambda: sop_udfs.sop_forecast([[1, 2], [3, 4]]),
            "#SOP! history must be a single row or column; got 2 rows x 2 columns",
        ),
        (
            lambda: sop_udfs.sop_forecast(column([None, None])),
            "#SOP! history has no numbers; got an empty range",
        ),
        (
            lambda: sop_udfs.sop_forecast(column([1, 2]), 0),
            "#SOP! horizon must be at least 1; got 0",
        ),
        (
            lambda: sop_udfs.sop_forecast(column([1, 2]), 2.5),
            "#SOP! horizon must be a whole number; got 2.5",
        ),
        (
            lambda: sop_udfs.sop_forecast(column([1, 2]), "ten"),
            "#SOP! horizon must be a number; got 'ten'",
        ),
        (
            lambda: sop_udfs.sop_forecast(column([1, 2]), 3, "magic"),
            "#SOP! method must be one of auto, naive, snaive, ma, ses, holt, damped, hw_add, hw_mul, ets, "
            "theta, arima, croston, sba, tsb; got 'magic'",
        ),
        (
            lambda: sop_udfs.sop_forecast(column([1, 2]), 3, "auto", -12),
            "#SOP! season_length must be at least 0; got -12",
        ),
        (
            lambda: sop_udfs.sop_forecast_interval(column([1, 2]), 3, 1.2),
            "#SOP! level must be between 0 and 1; got 1.2",
        ),
        (
            lambda: sop_udfs.sop_forecast_interval(column([1, 2]), 3, "#DIV/0!"),
            "#SOP! level must be a number; got '#DIV/0!'",
        ),
        (
            lambda: sop_udfs.sop_forecast_table([["Item", "Qty"], ["A", 1]]),
            "#SOP! actuals must have a header with Item, Period, Qty; missing 'Period' in ['Item', 'Qty']",
        ),
        (
            lambda: sop_udfs.sop_forecast_table(
                [["Item", "Period", "Qty"], ["A", "2024-01", 1], ["A", "2024-01", 2]]
            ),
            "#SOP! each item may have one row per period; got item 'A' twice in 2024-01-01",
        ),
        (
            lambda: sop_udfs.sop_forecast_table(
                [["Item", "Period", "Qty"], ["A", "2024-01-15", 1]]
            ),
            "#SOP! actuals Period must be the first day of a month; got 2024-01-15 at row 2",
        ),
        (
            lambda: sop_udfs.sop_method(column(["#VALUE!"])),
            "#SOP! history contains an error value; got '#VALUE!' at column position 1",
        ),
    ],
)
def test_bad_input_shows_a_clear_cell_message(call, expected):
    assert call() == expected


FORECAST_FUNCTIONS = [
    "sop_forecast",
    "sop_forecast_interval",
    "sop_forecast_table",
    "sop_method",
    "sop_version",
]


def test_xlwings_registers_the_functions_and_answers_the_same():
    table = [["Item", "Period", "Qty"], ["A", "2024-01", 5], ["A", "2024-02", 7]]
    calls = [
        ("sop_forecast", [column(SEASONAL), [[6]], None, None]),
        ("sop_forecast", [column([4, 8, 6, 10, 12, 2]), [[3]], [["naive"]], None]),
        ("sop_forecast_interval", [column(SEASONAL), [[4]], [[0.8]], None, None]),
        ("sop_forecast_table", [table, [[2]], [["naive"]], None]),
        ("sop_method", [column([0, 0, 4, 0, 0, 0, 3, 0, 0, 5, 0, 0]), None]),
        ("sop_forecast", [column([1, "#N/A"]), None, None, None]),
        ("sop_version", []),
    ]
    meta, results = through_xlwings(calls)
    functions = {f["id"]: f for f in meta["functions"]}
    for name in FORECAST_FUNCTIONS:
        registered = functions[name.upper()]
        assert registered["description"] == getattr(sop_udfs, name).__doc__
        for param in registered["parameters"]:
            assert not param["description"].startswith("Positional argument"), (name, param)
    assert [p["name"] for p in functions["SOP_FORECAST"]["parameters"]] == [
        "history",
        "horizon",
        "method",
        "season_length",
    ]
    assert all(p.get("optional") for p in functions["SOP_FORECAST"]["parameters"][1:])

    plain = [
        sop_udfs.sop_forecast(column(SEASONAL), 6),
        sop_udfs.sop_forecast(column([4, 8, 6, 10, 12, 2]), 3, "naive"),
        sop_udfs.sop_forecast_interval(column(SEASONAL), 4, 0.8),
        sop_udfs.sop_forecast_table(table, 2, "naive"),
        as_matrix(sop_udfs.sop_method(column([0, 0, 4, 0, 0, 0, 3, 0, 0, 5, 0, 0]))),
        as_matrix(sop_udfs.sop_forecast(column([1, "#N/A"]))),
        as_matrix(sop_udfs.sop_version()),
    ]
    for got, want in zip(results, plain, strict=True):
        if isinstance(want[0][0], float):
            np.testing.assert_allclose(
                np.array(got, dtype=float), np.array(want, dtype=float), rtol=1e-12
            )
        else:
            assert got == want
