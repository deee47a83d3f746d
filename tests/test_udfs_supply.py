"""Excel functions for inventory, supply and reconciliation: exact cell outputs, every refusal
as its #SOP! text, and the same results through xlwings' own server machinery."""

import math

import pytest
from scipy import stats

import sop_udfs as udfs

from xlwings_server import through_xlwings

Z95 = stats.norm.ppf(0.95)


# ---------------------------------------------------------------------------------------------
# exact cell outputs
# ---------------------------------------------------------------------------------------------
def test_safety_stock_single_cell_and_column():
    assert udfs.sop_safety_stock(100, 20, 4) == pytest.approx(Z95 * 40, rel=1e-15)
    assert udfs.sop_safety_stock(
        [[100], [100], [None]], [[20], [20], [None]], [[1], [4], [None]]
    ) == [
        [pytest.approx(Z95 * 20, rel=1e-15)],
        [pytest.approx(Z95 * 40, rel=1e-15)],
    ]
    # a row in, a row out; a scalar broadcast against a row
    out = udfs.sop_safety_stock([[100, 100]], 20, [[1, 4]])
    assert len(out) == 1 and len(out[0]) == 2


def test_safety_stock_per_item_service_level_blank_takes_default():
    out = udfs.sop_safety_stock([[100], [100]], [[20], [20]], [[4], [4]], 0, [[None], [0.99]])
    assert out[0][0] == pytest.approx(Z95 * 40)
    assert out[1][0] == pytest.approx(stats.norm.ppf(0.99) * 40)


def test_safety_stock_lead_time_variability_and_fill_rate():
    # Chopra & Meindl ch. 12 worked examples
    assert round(udfs.sop_safety_stock(2500, 500, 7, 7, 0.9)) == 22491
    assert round(udfs.sop_safety_stock(2500, 500, 2, 0, 0.975, "Fill_Rate", 10000)) == 67


def test_reorder_point_fill_rate_eoq():
    assert udfs.sop_reorder_point([[100, 50]], 2, [[10, 5]]) == [[210.0, 105.0]]
    assert udfs.sop_reorder_point(100, 2, 10, 1) == 310.0
    assert round(udfs.sop_fill_rate(1000, 2500, 500, 2, 10000), 4) == 0.9975
    assert round(udfs.sop_eoq(1300, 8, 1, 0.225), 4) == 304.0468  # Snyder & Shen ex. 3.1


def test_projected_inventory_and_days_of_supply():
    assert udfs.sop_projected_inventory(100, [[30, 40, 50, None]], [[None, 50, None, None]]) == [
        [70.0, 80.0, 30.0]
    ]
    assert udfs.sop_projected_inventory(100, [[30], [40]]) == [[70.0], [30.0]]
    assert udfs.sop_days_of_supply([[150], [50], [100]], [[100], [100], [100]]) == [
        [45.0],
        [15.0],
        [30.0],
    ]
    assert udfs.sop_days_of_supply([[70, 0]], [[10, 10]], 7) == [[49.0, 0.0]]


def test_production_plan_strategies():
    assert udfs.sop_production_plan([[50, 80, 120]], 40, 10) == [[20.0, 80.0, 120.0]]
    assert udfs.sop_production_plan([[50, 80, 120]], 40, 0, "capacity", 60) == [[60.0, 60.0, 60.0]]
    assert udfs.sop_production_plan([[0], [0], [300]], 30, 30, "LEVEL") == [
        [100.0],
        [100.0],
        [100.0],
    ]
    assert udfs.sop_production_plan([[50, 80, 120]], 40, 0, "chase", None, 25) == [
        [25.0, 75.0, 125.0]
    ]


def test_capacity_prorate_reconcile():
    assert udfs.sop_capacity_load([[100, 120, 0]], 0.5, [[50, 50, 0]]) == [[1.0, 1.2, 0.0]]
    assert udfs.sop_prorate(100, [[1], [1], [1]], True) == [[34.0], [33.0], [33.0]]
    assert udfs.sop_prorate(10, [[0, 0]]) == [[5.0, 5.0]]
    assert udfs.sop_reconcile([[100, 120]], [[110, 100]], 10, 6, [[1000, 1300]]) == [
        ["demand", 100.0, 120.0],
        ["supply", 110.0, 100.0],
        ["gap", 10.0, -20.0],
        ["revenue", 1000.0, 1000.0],
        ["budget", 1000.0, 1300.0],
        ["gap to budget", 0.0, -300.0],
        ["gross margin", 400.0, 400.0],
        ["margin %", 0.4, 0.4],
    ]


# ---------------------------------------------------------------------------------------------
# refusals: the exact cell text
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, text",
    [
        (
            lambda: udfs.sop_safety_stock(100, 20, 4, 0, 1.2),
            "#SOP! service_level must be between 0 and 1; got 1.2",
        ),
        (
            lambda: udfs.sop_safety_stock(100, 20, 4, 0, 0),
            "#SOP! service_level must be between 0 and 1; got 0",
        ),
        (lambda: udfs.sop_safety_stock(100, -20, 4), "#SOP! demand_sd must be >= 0; got -20"),
        (lambda: udfs.sop_safety_stock(100, 20, -4), "#SOP! lead_time must be >= 0; got -4"),
        (lambda: udfs.sop_safety_stock(100, 20, 4, -1), "#SOP! lead_time_sd must be >= 0; got -1"),
        (
            lambda: udfs.sop_safety_stock(100, 20, "abc"),
            "#SOP! lead_time must be a number; got 'abc'",
        ),
        (
            lambda: udfs.sop_safety_stock(100, 20, [["#N/A"]]),
            "#SOP! lead_time contains an error value; got '#N/A'",
        ),
        (
            lambda: udfs.sop_safety_stock([[100], ["x"]], 20, 4),
            "#SOP! demand_mean must be numbers; got 'x' at column position 2",
        ),
        (
            lambda: udfs.sop_safety_stock([[100], [100]], [[20], [-1]], 4),
            "#SOP! demand_sd must be >= 0; got -1 at position 2",
        ),
        (
            lambda: udfs.sop_safety_stock([[100], [100]], [[20], [None]], 4),
            "#SOP! demand_sd must be a number; got a blank at position 2",
        ),
        (
            lambda: udfs.sop_safety_stock([[1], [2]], [[1], [2], [3]], 4),
            "#SOP! lengths must match: demand_mean has 2 values, demand_sd has 3 values",
        ),
        (
            lambda: udfs.sop_safety_stock(100, 20, 4, 0, 0.9, "fill_rate"),
            "#SOP! order_qty is required for method 'fill_rate'; got a blank",
        ),
        (
            lambda: udfs.sop_safety_stock(100, 20, 4, 0, 0.9, "fill_rate", 0),
            "#SOP! order_qty must be > 0; got 0",
        ),
        (
            lambda: udfs.sop_safety_stock(100, 20, 4, 0, 0.9, "type3"),
            "#SOP! method must be one of cycle, fill_rate; got 'type3'",
        ),
        (
            lambda: udfs.sop_safety_stock(None, 20, 4),
            "#SOP! demand_mean must be a number; got a blank",
        ),
        (
            lambda: udfs.sop_reorder_point(100, 2, 10, -1),
            "#SOP! review_period must be >= 0; got -1",
        ),
        (
            lambda: udfs.sop_fill_rate(10, 100, 20, 2, None),
            "#SOP! order_qty must be a number; got a blank",
        ),
        (lambda: udfs.sop_eoq(1300, 8, 0, 0.2), "#SOP! unit_cost must be > 0; got 0"),
        (lambda: udfs.sop_eoq(1300, 8, 1, True), "#SOP! holding_rate must be a number; got True"),
        (
            lambda: udfs.sop_projected_inventory("x", [[1, 2]]),
            "#SOP! opening must be a number; got 'x'",
        ),
        (
            lambda: udfs.sop_projected_inventory(0, [[1, 2]], [[1, 2, 3]]),
            "#SOP! lengths must match: demand has 2 values, supply has 3 values",
        ),
        (
            lambda: udfs.sop_days_of_supply([[1, None]], [[1, 1]]),
            "#SOP! inventory must be a number; got a blank at position 2",
        ),
        (
            lambda: udfs.sop_days_of_supply([[1, 1]], [[1, -1]]),
            "#SOP! demand must be >= 0; got -1 at position 2",
        ),
        (
            lambda: udfs.sop_days_of_supply([[1, 1]], [[1, 1]], 0),
            "#SOP! days_per_period must be > 0; got 0",
        ),
        (
            lambda: udfs.sop_production_plan([[1, 2]], 0, 0, "lean"),
            "#SOP! strategy must be one of chase, level, capacity; got 'lean'",
        ),
        (
            lambda: udfs.sop_production_plan([[1, 2]], 0, 0, "capacity"),
            "#SOP! capacity is required for strategy 'capacity'; got a blank",
        ),
        (
            lambda: udfs.sop_production_plan([[1, 2]], 0, 0, "capacity", [[5, None]]),
            "#SOP! capacity must be a number; got a blank at position 2",
        ),
        (
            lambda: udfs.sop_production_plan([[1, 2]], 0, 0, "chase", None, -5),
            "#SOP! lot_size must be > 0; got -5",
        ),
        (
            lambda: udfs.sop_production_plan([[1, 2]], 0, -1),
            "#SOP! safety_stock must be >= 0; got -1",
        ),
        (
            lambda: udfs.sop_capacity_load([[5, 5]], 1, [[5, 0]]),
            "#SOP! available_hours must be > 0 where there is load; got 0 at position 2 with a load of 5 hours",
        ),
        (
            lambda: udfs.sop_prorate(10, [[1], [-1]]),
            "#SOP! weights must be >= 0; got -1 at position 2",
        ),
        (
            lambda: udfs.sop_prorate(10.5, [[1], [1]], True),
            "#SOP! total must be a whole number to prorate in whole units; got 10.5",
        ),
        (
            lambda: udfs.sop_prorate(10, [[1], [1]], "maybe"),
            "#SOP! whole_units must be TRUE or FALSE; got 'maybe'",
        ),
        (
            lambda: udfs.sop_reconcile([[1, 2]], [[1, 2]], -1, 1, 0),
            "#SOP! price must be >= 0; got -1",
        ),
        (
            lambda: udfs.sop_reconcile([[1, 2]], [[1, 2]], 1, None, 0),
            "#SOP! unit_cost must be a number; got a blank",
        ),
    ],
)
def test_refusals_show_sop_text(call, text):
    assert call() == text


# ---------------------------------------------------------------------------------------------
# through xlwings' server machinery
# ---------------------------------------------------------------------------------------------
def m(value):
    """An argument as Office.js sends it: a 2-D matrix (None stays None = omitted)."""
    if value is None or (isinstance(value, list) and value and isinstance(value[0], list)):
        return value
    return [value] if isinstance(value, list) else [[value]]


CALLS = [
    ("sop_safety_stock", [m([[100], [120]]), m([[20], [30]]), m(4), None, None, None, None, None]),
    ("sop_safety_stock", [m(2500), m(500), m(2), m(0), m(0.975), m("fill_rate"), m(10000), m(0)]),
    ("sop_safety_stock", [m(100), m(20), m(4), m(0), m(1.2), None, None, None]),
    ("sop_reorder_point", [m([[100, 50]]), m(2), m([[10, 5]]), None]),
    ("sop_fill_rate", [m(1000), m(2500), m(500), m(2), m(10000), None, None]),
    ("sop_eoq", [m(1300), m(8), m(1), m(0.225)]),
    ("sop_projected_inventory", [m(100), m([[30, 40, 50]]), m([[None, 50, None]])]),
    ("sop_days_of_supply", [m([[150], [50], [100]]), m([[100], [100], [100]]), None]),
    ("sop_production_plan", [m([[50, 80, 120]]), m(40), m(0), m("capacity"), m(60), None]),
    ("sop_capacity_load", [m([[100, 120, 0]]), m(0.5), m([[50, 50, 0]])]),
    ("sop_prorate", [m(100), m([[1], [1], [1]]), m(True)]),
    ("sop_reconcile", [m([[100, 120]]), m([[110, 100]]), m(10), m(6), m([[1000, 1300]])]),
    ("sop_projected_inventory", [m(100), m([[30, "#N/A"]]), None]),
]
NAMES = sorted({name for name, _ in CALLS})


@pytest.fixture(scope="module")
def server():
    return through_xlwings(CALLS)


def _same(a, b):
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def test_every_udf_is_registered_with_help_and_argument_docs(server):
    meta, _ = server
    functions = {f["name"]: f for f in meta["functions"]}
    for name in NAMES:
        entry = functions[name.upper()]
        assert entry["description"] == getattr(udfs, name).__doc__.strip()
        assert entry["parameters"], name
        for parameter in entry["parameters"]:
            assert parameter["description"], f"{name}({parameter['name']}) has no doc"
            assert parameter["dimensionality"] == "matrix"


def test_xlwings_returns_what_the_plain_call_returns(server):
    _, results = server
    for (name, args), through in zip(CALLS, results, strict=True):
        plain = getattr(udfs, name)(*args)
        plain = plain if isinstance(plain, list) else [[plain]]
        assert _same(through, plain), (name, through, plain)
    assert results[2] == [["#SOP! service_level must be between 0 and 1; got 1.2"]]
    assert results[-1] == [["#SOP! demand contains an error value; got '#N/A' at row position 2"]]
