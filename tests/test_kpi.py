"""KPI formulas (sop_xl.kpi): values worked by hand, undefined ratios, the status formula."""

from __future__ import annotations

import math

import pytest

from sop_xl import kpi
from sop_xl.errors import SopError
from sop_xl.workbook import schema


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        # 10 + 30 off on 300 actual units
        (kpi.wape, ([100, 200], [90, 230]), 40 / 300),
        (kpi.bias, ([100, 200], [90, 230]), 20 / 300),
        # a blank forecast skips the pair
        (kpi.wape, ([100, 200], [90, float("nan")]), 0.1),
        # COGS 1,200 over an average inventory of (100 + 300) / 2
        (kpi.inventory_turnover, ([100] * 12, [100, 300]), 6.0),
        (kpi.fill_rate, ([90, 100, 0], [100, 100, 0]), 0.95),
        (kpi.utilization, ([[80, 120], [50, 50]], [[100, 100], [100, 100]]), 0.75),
        (kpi.overload_hours, ([[80, 120], [150, 50]], [[100, 100], [100, 100]]), 70.0),
        (kpi.weighted_mean, ([2, 10, float("nan")], [3, 1, 5]), 4.0),
        (kpi.margin_share, ([100, 300], [60, 180]), 0.4),
    ],
)
def test_formulas(function, args, expected):
    assert function(*args) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("function", "args"),
    [
        (kpi.wape, ([0, 0], [1, 1])),
        (kpi.fill_rate, ([0], [0])),
        (kpi.inventory_turnover, ([10], [0, 0])),
        (kpi.margin_share, ([0], [0])),
    ],
)
def test_undefined_ratios_are_nan(function, args):
    assert math.isnan(function(*args))


def test_overload_shapes_must_match():
    with pytest.raises(SopError, match=r"load and available must have the same shape; got \(2,\)"):
        kpi.overload_hours([1, 2], [1, 2, 3])


def test_kpi_is_frozen():
    k = kpi.KPI("Fill rate", 0.97, 0.98, "%", "shipped / demand")
    with pytest.raises(AttributeError):
        k.value = 1.0  # type: ignore[misc]
    assert k.higher_is_better and not k.absolute


@pytest.mark.parametrize(
    ("higher", "absolute", "expected"),
    [
        (True, False, 'IF(tblKPIs[[#This Row],[Value]]>=tblKPIs[[#This Row],[Target]],"on target"'),
        (
            False,
            False,
            'IF(tblKPIs[[#This Row],[Value]]<=tblKPIs[[#This Row],[Target]],"on target"',
        ),
        (False, True, "IF(ABS(tblKPIs[[#This Row],[Value]])<=tblKPIs[[#This Row],[Target]],"),
    ],
)
def test_status_formula_direction(higher, absolute, expected):
    assert expected in schema.kpi_status_formula(higher, 0.1, absolute)
