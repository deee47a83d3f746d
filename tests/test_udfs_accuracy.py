"""Excel functions sop_accuracy, sop_fva, sop_demand_pattern, sop_abc, sop_xyz: exact cell output.

Arguments are what Excel hands over: scalars, flat lists, lists of rows, None for blanks,
error cells as text (err_to_str), datetimes.
"""

import datetime as dt
import importlib.util
import inspect
import os
import sys
from pathlib import Path

import pytest

from xlwings_server import as_matrix, through_xlwings

UDFS = Path(__file__).resolve().parents[1] / "udfs"


def _load_repo_udfs():
    """The repo's udfs/sop_udfs.py (an installed copy of it may be stale)."""
    spec = importlib.util.spec_from_file_location("sop_udfs_under_test", UDFS / "sop_udfs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


udfs = _load_repo_udfs()
sop_accuracy, sop_fva = udfs.sop_accuracy, udfs.sop_fva
sop_demand_pattern, sop_abc, sop_xyz = udfs.sop_demand_pattern, udfs.sop_abc, udfs.sop_xyz

ACT = [[100], [0], [200], [50]]
FC = [[90], [10], [230], [50]]  # |e| 10, 10, 30, 0; sum |A| 350; sum e 30


# ----------------------------------------------------------------------------------------------
# sop_accuracy
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, expected",
    [
        ((ACT, FC), 50 / 350),  # default metric wape
        ((ACT, FC, "MAE"), 12.5),
        ((ACT, FC, " bias "), 30 / 350),
        ((ACT, FC, None, None), 50 / 350),  # blanks take the defaults
        ((ACT, FC, "tracking_signal"), 2.4),
        ((ACT, FC, "mase", 1), 12.5 / 150),  # scale (100 + 200 + 150) / 3
        ((ACT, FC, "mase", 2.0), 12.5 / 75),  # scale (|200 - 100| + |50 - 0|) / 2
        (([100, 0, 200, 50], [90, 10, 230, 50], "mae"), 12.5),  # flat lists
        (([[100, 0, 200, 50]], FC, "mae"), 12.5),  # a row against a column of the same length
        ((5, 4, "mae"), 1.0),  # single cells
        (
            ([[100], [None], [200], [None]], [[90], [7], [None], [None]], "mae"),
            10.0,
        ),  # blanks skipped
        (([[0], [0]], [[0], [0]]), 0.0),  # nothing to forecast, nothing forecast
    ],
)
def test_sop_accuracy(args, expected):
    assert sop_accuracy(*args) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "args, cell",
    [
        (
            ([[1], ["#N/A"]], [[1], [2]]),
            "#SOP! actuals contains an error value; got '#N/A' at column position 2",
        ),
        (
            ([[1], [2]], [[1], ["#DIV/0!"]]),
            "#SOP! forecast contains an error value; got '#DIV/0!' at column position 2",
        ),
        (
            ([[1], [2]], [[1], ["n/a"]]),
            "#SOP! forecast must be numbers; got 'n/a' at column position 2",
        ),
        (
            ([[1], [2]], [[dt.datetime(2024, 1, 1)], [2]]),
            "#SOP! forecast must be numbers; got 2024-01-01 00:00:00 at column position 1",
        ),
        (
            ([[1], [2], [3]], [[1], [2]]),
            "#SOP! actuals and forecast must have the same length; got 3 and 2",
        ),
        (
            ([[1, 2], [3, 4]], [[1], [2]]),
            "#SOP! actuals must be a single row or column; got 2 rows x 2 columns",
        ),
        (
            ([[None], [2]], [[1], [None]]),
            "#SOP! no period has both actuals and forecast filled; got 2 periods",
        ),
        (
            (ACT, FC, "mad"),
            "#SOP! metric must be one of mae, rmse, mape, wape, smape, mase, bias, tracking_signal; got 'mad'",
        ),
        ((ACT, FC, 3), "#SOP! metric must be text; got 3"),
        ((ACT, FC, "mase", -1), "#SOP! season_length must be at least 0; got -1"),
        ((ACT, FC, "mase", 2.5), "#SOP! season_length must be a whole number; got 2.5"),
        ((ACT, FC, "mase", "#N/A"), "#SOP! season_length must be a number; got '#N/A'"),
        (
            (ACT, FC, "mase", 12),
            "#SOP! mase needs more than season_length (12) actuals to scale by; got 4",
        ),
        (
            ([[0], [0]], [[1], [0]]),
            "#SOP! wape is undefined when every actual is 0; use mae instead",
        ),
        (
            ([[0], [0]], [[1], [0]], "mape"),
            "#SOP! mape is undefined when every actual is 0; use mae instead",
        ),
        (
            ([[5], [5]], [[4], [6]], "mase"),
            "#SOP! mase is undefined when the actuals never change at lag 1 (mean |A_t - A_(t-1)| is 0); use mae instead",
        ),
    ],
)
def test_sop_accuracy_bad_input(args, cell):
    assert sop_accuracy(*args) == cell


# ----------------------------------------------------------------------------------------------
# sop_fva
# ----------------------------------------------------------------------------------------------
def test_sop_fva():
    actuals = [[100], [100], [100], [100]]
    naive = [[80], [130], [100], [90]]  # wape 60/400
    consensus = [[95], [110], [100], [None]]  # wape 15/300 over the first three periods
    assert sop_fva(actuals, naive, consensus) == pytest.approx(50 / 300 - 15 / 300)
    assert sop_fva(actuals, naive, consensus, "MAE") == pytest.approx(50 / 3 - 5)
    assert sop_fva(actuals, consensus, naive, None) == pytest.approx(-(50 / 300 - 15 / 300))
    assert sop_fva([100, 100], [130, 130], [90, 90], "bias") == pytest.approx(0.2)  # |0.3| - |-0.1|


@pytest.mark.parametrize(
    "args, cell",
    [
        (
            ([1, 2], [1, 2], [1]),
            "#SOP! actuals and candidate must have the same length; got 2 and 1",
        ),
        (
            ([1, 2], [None, 2], [1, None]),
            "#SOP! no period has actuals, baseline and candidate all filled; got 2 periods",
        ),
        (
            ([1, 2], [1, "#VALUE!"], [1, 2]),
            "#SOP! baseline contains an error value; got '#VALUE!' at column position 2",
        ),
        (
            ([1, 2], [1, 2], [1, 2], "x"),
            "#SOP! metric must be one of mae, rmse, mape, wape, smape, mase, bias, tracking_signal; got 'x'",
        ),
    ],
)
def test_sop_fva_bad_input(args, cell):
    assert sop_fva(*args) == cell


# ----------------------------------------------------------------------------------------------
# sop_demand_pattern
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "history, expected",
    [
        ([[10], [11], [9], [10], [12]], "smooth"),
        ([[1, 20, 2, 30, 1, 25]], "erratic"),
        (
            [[None], [0], [5], [0], [0], [7], [0], [6], [0], [None]],
            "intermittent",
        ),  # outer blanks trimmed
        ([0, 1, 0, 0, 40, 0, 0, 3], "lumpy"),
        ([[0, 0, 0]], "no demand"),
        (7, "smooth"),
    ],
)
def test_sop_demand_pattern(history, expected):
    assert sop_demand_pattern(history) == expected


@pytest.mark.parametrize(
    "history, cell",
    [
        ([[None], [None]], "#SOP! history has no numbers; got an empty range"),
        (
            [[1], ["#N/A"], [3]],
            "#SOP! history contains an error value; got '#N/A' at column position 2",
        ),
        ([[1, 2], [3, 4]], "#SOP! history must be a single row or column; got 2 rows x 2 columns"),
    ],
)
def test_sop_demand_pattern_bad_input(history, cell):
    assert sop_demand_pattern(history) == cell


# ----------------------------------------------------------------------------------------------
# sop_abc
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, expected",
    [
        (([[5], [50], [30], [10], [5]],), [["B"], ["A"], ["A"], ["B"], ["C"]]),
        (([[5, 50, 30, 10, 5]],), [["B", "A", "A", "B", "C"]]),  # a row in, a row out
        (([5, 50, 30, 10, 5],), [["B"], ["A"], ["A"], ["B"], ["C"]]),  # a flat list is a column
        (([[5], [50], [30], [10], [5], [None]], None, None), [["B"], ["A"], ["A"], ["B"], ["C"]]),
        (([[70], [None], [20], [10]],), [["A"], ["C"], ["A"], ["B"]]),  # a blank inside counts as 0
        # shares before: 50 -> 0, 30 -> 0.5 (not below 0.5), 10 -> 0.8, 5 -> 0.9 (not below 0.9)
        (([[5], [50], [30], [10], [5]], 0.5, 0.9), [["C"], ["A"], ["B"], ["B"], ["C"]]),
        ((9,), [["A"]]),
    ],
)
def test_sop_abc(args, expected):
    assert sop_abc(*args) == expected


@pytest.mark.parametrize(
    "args, cell",
    [
        (([[5], [-1]],), "#SOP! values must be >= 0; got -1 at position 2"),
        (
            ([[5], ["#REF!"]],),
            "#SOP! values contains an error value; got '#REF!' at column position 2",
        ),
        (([[5], [1]], "x"), "#SOP! a_share must be a number; got 'x'"),
        (([[5], [1]], 0), "#SOP! a_share must be above 0 and at most 1; got 0.0"),
        (([[5], [1]], 0.9, 0.8), "#SOP! b_share must be between a_share (0.9) and 1; got 0.8"),
        (([[None]],), "#SOP! values has no numbers; got an empty range"),
    ],
)
def test_sop_abc_bad_input(args, cell):
    assert sop_abc(*args) == cell


# ----------------------------------------------------------------------------------------------
# sop_xyz
# ----------------------------------------------------------------------------------------------
GRID = [
    [5, 10, 15, None],  # CV 0.5: X
    [0, 10, 20, None],  # CV 1.0: Y
    [0, 0, 30, None],  # CV 1.73: Z
    [10, None, 12, 8],  # CV 0.2 (blank skipped): X
    [None, None, None, None],  # nothing: Z
    [3, None, None, None],  # one number: Z
    [None, None, None, None],  # trailing blank rows of the selection are dropped
]


@pytest.mark.parametrize(
    "args, expected",
    [
        ((GRID,), [["X"], ["Y"], ["Z"], ["X"], ["Z"], ["Z"]]),
        ((GRID, None, None), [["X"], ["Y"], ["Z"], ["X"], ["Z"], ["Z"]]),
        ((GRID, 0.1, 0.6), [["Y"], ["Z"], ["Z"], ["Y"], ["Z"], ["Z"]]),
        (([[10, 12, 8]],), [["X"]]),
    ],
)
def test_sop_xyz(args, expected):
    assert sop_xyz(*args) == expected


@pytest.mark.parametrize(
    "args, cell",
    [
        (
            ([[1], [2], [3]],),
            "#SOP! history_grid must have one row per item and at least 2 period columns; got 3 rows x 1 column",
        ),
        (
            ([[1, 2, 3], [4, 5, "#N/A"]],),
            "#SOP! history_grid contains an error value; got '#N/A' at row 2, column 3",
        ),
        (([[1, 2]], -1), "#SOP! x_cv must be at least 0; got -1"),
        (([[1, 2]], 0.6, 0.5), "#SOP! y_cv must be at least x_cv (0.6); got 0.5"),
        (([[None, None]],), "#SOP! history_grid has no numbers; got an empty range"),
    ],
)
def test_sop_xyz_bad_input(args, cell):
    assert sop_xyz(*args) == cell


# ----------------------------------------------------------------------------------------------
# through xlwings' own custom-function machinery
# ----------------------------------------------------------------------------------------------
OURS = ("sop_accuracy", "sop_fva", "sop_demand_pattern", "sop_abc", "sop_xyz")

CALLS = [
    ("sop_accuracy", [ACT, FC]),
    ("sop_accuracy", [ACT, FC, "MAE"]),
    ("sop_accuracy", [ACT, FC, "mase", 2]),
    ("sop_accuracy", [[[1], ["#N/A"]], [[1], [2]]]),
    ("sop_accuracy", [ACT, FC, "mad"]),
    ("sop_fva", [[[100], [100]], [[130], [130]], [[90], [90]], "bias"]),
    ("sop_fva", [[[1], [2]], [[1], [2]], [[1]]]),
    ("sop_demand_pattern", [[[0], [5], [0], [0], [7], [0], [6], [0]]]),
    ("sop_demand_pattern", [[[None], [None]]]),
    ("sop_abc", [[[5, 50, 30, 10, 5]]]),
    ("sop_abc", [[[5], [50], [30], [10], [5]], 0.5, 0.9]),
    ("sop_abc", [[[5], [-1]]]),
    ("sop_xyz", [GRID]),
    ("sop_xyz", [GRID, 0.1, 0.6]),
    ("sop_xyz", [[[1], [2]]]),
]


def _server_args(func, args):
    """Office.js sends every declared argument, a 2-D matrix each, None for one left out."""
    n = len(inspect.signature(func).parameters)
    return [as_matrix(a) for a in args] + [None] * (n - len(args))


def test_registered_and_called_through_xlwings(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(UDFS), *sys.path]))
    calls = [(name, _server_args(getattr(udfs, name), args)) for name, args in CALLS]
    meta, results = through_xlwings(calls)
    functions = {f["id"]: f for f in meta["functions"]}
    for name in OURS:
        func = getattr(udfs, name)
        entry = functions[name.upper()]
        assert entry["name"] == name.upper()
        assert entry["description"] == func.__doc__
        params = list(inspect.signature(func).parameters.values())
        assert [p["name"] for p in entry["parameters"]] == [p.name for p in params]
        for spec, param in zip(entry["parameters"], params, strict=True):
            assert spec["description"], f"{name}({param.name}) has no help text"
            assert spec.get("optional", False) == (param.default is not inspect.Parameter.empty)
    for (name, args), got in zip(CALLS, results, strict=True):
        plain = getattr(udfs, name)(*args)
        expected = plain if isinstance(plain, list) else [[plain]]
        assert got == expected, (name, args)
    accuracy_args = {p["name"]: p["description"] for p in functions["SOP_ACCURACY"]["parameters"]}
    assert (
        accuracy_args["metric"]
        == "mae, rmse, mape, wape, smape, mase, bias or tracking_signal (wape)."
    )
