"""Reconciliation: proration that sums exactly, and the finance definitions of DESIGN.md."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sop_xl.errors import SopError
from sop_xl.reconcile import LABELS, prorate, prorate_groups, reconcile, reconcile_table


def test_prorate_proportional_with_residue_on_last_part():
    parts = prorate(100, [1, 1, 1])
    assert parts[:2].tolist() == [100 / 3, 100 / 3]
    assert parts.sum() == 100.0
    assert prorate(90, [2, 1, 0]).tolist() == [60.0, 30.0, 0.0]


def test_prorate_equal_when_all_weights_are_zero():
    assert prorate(10, [0, 0, 0, 0]).tolist() == [2.5, 2.5, 2.5, 2.5]


@pytest.mark.parametrize(
    "total, weights, expected",
    [
        (100, [1, 1, 1], [34, 33, 33]),  # tie on remainders: the earlier part gets the unit
        (
            10,
            [0.15, 0.25, 0.6],
            [2, 2, 6],
        ),  # quotas 1.5, 2.5, 6: largest remainders .5, .5 -> first
        (7, [1, 2, 4], [1, 2, 4]),
        (-10, [1, 1, 1], [-4, -3, -3]),
        (5, [0, 0], [3, 2]),
        # worked by hand: quotas 7.35, 7.35, 4.41, 2.45, 2.45, 0.98 -> floors sum to 22; the
        # 3 units left go to remainders .98, .45, .45
        (25, [1500, 1500, 900, 500, 500, 200], [7, 7, 4, 3, 3, 1]),
    ],
)
def test_prorate_whole_units_largest_remainder(total, weights, expected):
    assert prorate(total, weights, whole_units=True).tolist() == expected


@settings(max_examples=300, deadline=None)
@given(st.floats(-1e6, 1e6), st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_prorated_parts_sum_to_the_total(total, weights):
    parts = prorate(total, weights)
    assert parts.sum() == pytest.approx(total, abs=1e-9 * max(1.0, abs(total)))
    whole = prorate(round(total), weights, whole_units=True)
    assert whole.sum() == round(total)
    assert np.all(whole == np.round(whole))
    exact = prorate(round(total), weights)
    assert np.all(np.abs(whole - exact) < 1 + 1e-6)  # each whole part within one unit of its quota


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((10, [1, -1]), {}, "weights must be >= 0; got -1 at position 2"),
        ((10, [1, float("nan")]), {}, "weights must be a number; got a blank at position 2"),
        (
            (10.5, [1, 1]),
            {"whole_units": True},
            "total must be a whole number to prorate in whole units; got 10.5",
        ),
        ((10, []), {}, "weights has no numbers; got an empty range"),
        (("ten", [1]), {}, "total must be numbers; got 'ten'"),
    ],
)
def test_prorate_refuses(args, kwargs, message):
    with pytest.raises(SopError, match=f"^{message}$"):
        prorate(*args, **kwargs)


def test_prorate_keeps_series_index():
    parts = prorate(30, pd.Series({"a": 1.0, "b": 2.0}))
    assert parts.to_dict() == {"a": 10.0, "b": 20.0}


def test_prorate_groups_spreads_family_plan_over_items():
    weights = pd.Series({"a": 2.0, "b": 1.0, "c": 0.0, "d": 0.0})
    groups = pd.Series({"a": "F1", "b": "F1", "c": "F2", "d": "F2"})
    totals = pd.DataFrame({"M1": [90.0, 10.0], "M2": [30.0, 7.0]}, index=["F1", "F2"])
    out = prorate_groups(totals, weights, groups)
    assert out["M1"].tolist() == [60.0, 30.0, 5.0, 5.0]
    assert out["M2"].tolist() == [20.0, 10.0, 3.5, 3.5]
    whole = prorate_groups(totals, weights, groups, whole_units=True)
    assert whole["M2"].tolist() == [20.0, 10.0, 4.0, 3.0]
    with pytest.raises(SopError, match="^totals has no total for group 'F2'$"):
        prorate_groups(totals.loc[["F1"]], weights, groups)


def test_reconcile_definitions():
    table = reconcile([100, 120, 0], [110, 100, 5], 10, 6, [1000, 1300, 50])
    assert list(table.index) == list(LABELS)
    assert table.loc["gap"].tolist() == [10.0, -20.0, 5.0]
    assert table.loc["revenue"].tolist() == [1000.0, 1000.0, 0.0]  # sales = min(demand, supply)
    assert table.loc["gap to budget"].tolist() == [0.0, -300.0, -50.0]
    assert table.loc["gross margin"].tolist() == [400.0, 400.0, 0.0]
    assert table.loc["margin %"].tolist() == [0.4, 0.4, 0.0]  # 0 when revenue is 0


def test_reconcile_price_per_period_and_refusals():
    table = reconcile([10, 10], [10, 10], [2, 3], [1, 1], 0)
    assert table.loc["revenue"].tolist() == [20.0, 30.0]
    with pytest.raises(SopError, match="^lengths must match: demand has 2 periods, supply has 3$"):
        reconcile([1, 2], [1, 2, 3], 1, 1, 0)
    with pytest.raises(SopError, match="^price must be >= 0; got -1$"):
        reconcile([1, 2], [1, 2], -1, 1, 0)
    with pytest.raises(SopError, match="^lengths must match: demand has 2 periods, budget has 3$"):
        reconcile([1, 2], [1, 2], 1, 1, [1, 2, 3])


def test_reconcile_table_sales_are_per_item():
    plan = pd.DataFrame(
        {
            "family": ["F", "F", "G"],
            "period": ["2025-01"] * 3,
            "demand": [10.0, 10.0, 4.0],
            "supply": [15.0, 5.0, 4.0],
            "price": [2.0, 2.0, 5.0],
            "unit_cost": [1.0, 1.0, 0.0],
        }
    )
    budget = pd.DataFrame({"family": ["F"], "period": ["2025-01"], "revenue": [40.0]})
    out = reconcile_table(plan, budget).set_index("Family")
    assert out.loc["F", "Gap"] == 0.0
    assert out.loc["F", "Revenue"] == 30.0  # not 40: item b is short even though F is balanced
    assert out.loc["F", "GapToBudget"] == -10.0
    # G has no budget row: no budget and no gap to budget (issue 10 section 4), not 0
    assert np.isnan(out.loc["G", "Budget"]) and np.isnan(out.loc["G", "GapToBudget"])
    assert out.loc["G", "MarginPct"] == 1.0
    with pytest.raises(
        SopError,
        match=r"^plan must have columns family, period, demand, supply, price, unit_cost; missing \['price'\]$",
    ):
        reconcile_table(plan.drop(columns="price"))
