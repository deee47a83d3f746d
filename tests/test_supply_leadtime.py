"""Issue 11, items 1, 2 and 5: lead-time-feasible supply, the safety-stock ramp and backlog.

The core (:func:`production_plan`), the Excel function (``sop_production_plan``), the supply
step on the small company of test_cycle_steps, and the new Settings keys and tblItems column
refused by ``validate`` with sheet, row and value.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cycle_steps import raw_tables

import sop_udfs as udfs
from sop_xl.cycle.demand import demand_step
from sop_xl.cycle.finance import finance_step, item_flows
from sop_xl.cycle.forecasting import forecast_step
from sop_xl.cycle.inputs import cycle_inputs, grid_of
from sop_xl.cycle.supply_plan import supply_step
from sop_xl.demo import demo_tables
from sop_xl.errors import SopError
from sop_xl.supply import production_plan, production_plan_table, projected_inventory
from sop_xl.workbook import schema
from sop_xl.workbook.book import new_book
from sop_xl.workbook.fill import fill_inputs
from sop_xl.workbook.settings import parse_settings
from sop_xl.workbook.validate import validate

LABELS = ["2026-01", "2026-02", "2026-03", "2026-04"]


# ---------------------------------------------------------------------------------------------
# the core, one item
# ---------------------------------------------------------------------------------------------
def test_worked_example_of_the_issue():
    """Demand 100 a period, nothing on hand, lead time 3: the backlog of 300 is caught up in
    period 4, the first period new production can land."""
    plan = production_plan([100] * 6, 0, lead_time=3)
    assert plan.production.tolist() == [0.0, 0.0, 0.0, 400.0, 100.0, 100.0]
    assert plan.on_hand.tolist() == [-100.0, -200.0, -300.0, 0.0, 0.0, 0.0]
    assert plan.shortage.tolist() == [100.0, 200.0, 300.0, 0.0, 0.0, 0.0]
    assert plan.shipments.tolist() == [0.0, 0.0, 0.0, 400.0, 100.0, 100.0]
    # the Excel functions say the same
    assert udfs.sop_production_plan([[100]] * 6, 0, lead_time=3) == [
        [0.0], [0.0], [0.0], [400.0], [100.0], [100.0]]  # fmt: skip
    made = [[0], [0], [0], [400], [100], [100]]
    assert udfs.sop_projected_inventory(0, [[100]] * 6, made) == [
        [-100.0], [-200.0], [-300.0], [0.0], [0.0], [0.0]]  # fmt: skip


def test_only_receipts_arrive_inside_the_lead_time():
    # 2.2 periods count as 3; the open order of 150 in period 2 is all that arrives
    plan = production_plan([100] * 5, 120, lead_time=2.2, receipts=[0, 150, 0, 0, 0])
    # on hand 20, 70, -30 (30 owed): period 4 makes its 100 and the 30 owed
    assert plan.production.tolist() == [0.0, 0.0, 0.0, 130.0, 100.0]
    assert plan.shipments.tolist() == [100.0, 100.0, 70.0, 130.0, 100.0]
    assert udfs.sop_production_plan(
        [[100] * 5], 120, 0, "chase", None, None, 2.2, [[None, 150, None, None, None]]
    ) == [[0.0, 0.0, 0.0, 130.0, 100.0]]


def test_safety_stock_is_built_over_the_ramp():
    # SS 90 over 3 periods: targets 30, 60, 90 -> 100 + 30 each period, then demand
    plan = production_plan([100] * 6, 0, safety_stock=90, build_periods=3)
    assert plan.production.tolist() == [130.0, 130.0, 130.0, 100.0, 100.0, 100.0]
    assert plan.on_hand.tolist() == [30.0, 60.0, 90.0, 90.0, 90.0, 90.0]
    # after a 2-period lead time: the backlog of 200 first, then the ramp from 0
    plan = production_plan([100] * 6, 0, safety_stock=90, build_periods=3, lead_time=2)
    assert plan.production.tolist() == [0.0, 0.0, 330.0, 130.0, 130.0, 100.0]
    # stock already above part of SS: the ramp starts from it, never draws it down
    plan = production_plan([100] * 4, 160, safety_stock=90, build_periods=3, lead_time=1)
    assert plan.on_hand.tolist() == [60.0, 70.0, 80.0, 90.0]
    # 1 (the default) reaches SS at once, as before
    assert production_plan([50, 80, 120], 40, safety_stock=10).production.tolist() == [
        20.0, 80.0, 120.0]  # fmt: skip


def test_opening_backlog_is_shipped_first():
    plan = production_plan([100] * 3, 0, backlog=40)
    assert plan.production.tolist() == [140.0, 100.0, 100.0]
    assert plan.shipments.tolist() == [140.0, 100.0, 100.0]
    # inside a lead time it waits: 60 on hand ships towards the 40 owed and the demand
    plan = production_plan([100] * 3, 60, backlog=40, lead_time=1)
    assert plan.shipments.tolist() == [60.0, 180.0, 100.0]
    assert plan.on_hand.tolist() == [-80.0, 0.0, 0.0]


def test_lost_sales_are_not_owed():
    plan = production_plan([100] * 4, 50, lead_time=2, shortage="lost")
    assert plan.shipments.tolist() == [50.0, 0.0, 100.0, 100.0]
    assert plan.lost.tolist() == [50.0, 100.0, 0.0, 0.0]
    assert plan.on_hand.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert plan.production.tolist() == [0.0, 0.0, 100.0, 100.0]


def test_capacity_never_pre_builds_inside_the_lead_time():
    # 300 in period 4 on 100 a period: periods 3 and 4 can make 200; 1-2 are inside the lead
    plan = production_plan([0, 0, 0, 300], 0, strategy="capacity", capacity=100, lead_time=2)
    assert plan.production.tolist() == [0.0, 0.0, 100.0, 100.0]
    assert plan.unmet == 100.0
    assert plan.required.tolist() == [0.0, 0.0, 0.0, 300.0]


def test_level_spreads_over_the_periods_after_the_lead_time():
    plan = production_plan([100] * 6, 0, safety_stock=40, strategy="level", lead_time=2)
    assert plan.production.tolist() == [0.0, 0.0, 160.0, 160.0, 160.0, 160.0]
    assert plan.on_hand[-1] == pytest.approx(40.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lead_time": -1}, "lead_time must be >= 0; got -1"),
        ({"backlog": -5}, "backlog must be >= 0; got -5"),
        ({"shortage": "owed"}, "shortage must be one of backlog, lost; got 'owed'"),
        ({"build_periods": 1.5}, "build_periods must be a whole number; got 1.5"),
        ({"receipts": [1, -2, 0]}, "receipts must be >= 0; got -2"),
        ({"receipts": [1, 2]}, "lengths must match: demand has 3 periods, receipts has 2"),
    ],
)
def test_new_arguments_are_refused_when_bad(kwargs, message):
    with pytest.raises(SopError, match=f"^{message}"):
        production_plan([1, 2, 3], 0, **kwargs)


@settings(max_examples=150, deadline=None)
@given(
    demand=st.lists(st.floats(0, 500), min_size=1, max_size=12),
    data=st.data(),
    opening=st.floats(0, 400),
    backlog=st.floats(0, 200),
    ss=st.floats(0, 100),
    lead=st.floats(0, 6),
    build=st.integers(1, 4),
    strategy=st.sampled_from(["chase", "level", "capacity"]),
    shortage=st.sampled_from(["backlog", "lost"]),
)
def test_no_new_supply_inside_the_lead_time_and_shipments_are_on_hand(
    demand, data, opening, backlog, ss, lead, build, strategy, shortage
):
    n = len(demand)
    receipts = data.draw(st.lists(st.floats(0, 300), min_size=n, max_size=n))
    cap = data.draw(st.floats(0, 600))
    plan = production_plan(demand, opening, safety_stock=ss, strategy=strategy, capacity=cap,
                           lead_time=lead, receipts=receipts, backlog=backlog,
                           build_periods=build, shortage=shortage)  # fmt: skip
    frozen = min(n, math.ceil(lead - 1e-9))
    assert (plan.production[:frozen] == 0).all()
    assert (plan.production >= 0).all() and (plan.shipments >= 0).all()
    stock = np.concatenate([[opening], np.maximum(plan.on_hand[:-1], 0)])
    owing = np.concatenate([[backlog], np.maximum(-plan.on_hand[:-1], 0)])
    on_hand = stock + np.array(receipts) + plan.production
    owed = owing + np.array(demand)
    assert (plan.shipments <= on_hand + 1e-9).all() and (plan.shipments <= owed + 1e-9).all()
    if shortage == "backlog":  # sop_projected_inventory agrees to the last bit
        supply = np.array(receipts) + plan.production
        np.testing.assert_array_equal(
            plan.on_hand, projected_inventory(opening - backlog, demand, supply)
        )
        # shipped = what was owed at the start + demand - what is still owed at the end
        assert plan.shipments.sum() == pytest.approx(
            backlog + sum(demand) - plan.shortage[-1], abs=1e-6
        )
    else:
        assert (plan.on_hand >= 0).all()
        assert plan.shipments.sum() + plan.lost.sum() == pytest.approx(
            backlog + sum(demand), abs=1e-6
        )


def test_table_equals_single_item_plans():
    demand = pd.DataFrame([[100, 100, 100, 100], [10, 50, 0, 80]], index=["A", "B"],
                          columns=LABELS)  # fmt: skip
    receipts = pd.DataFrame([[0, 50, 0, 0], [0, 0, 0, 0]], index=["A", "B"], columns=LABELS)
    plan = production_plan_table(
        demand,
        pd.Series({"A": 20.0, "B": 0.0}),
        safety_stock=pd.Series({"A": 60.0, "B": 5.0}),
        receipts=receipts,
        lead_time=pd.Series({"A": 1.0, "B": 0.0}),
        frozen_periods=1,
        backlog=pd.Series({"A": np.nan, "B": 10.0}),
        build_periods=3,
    )
    for code, opening, ss, lead, back in (("A", 20, 60, 2, 0), ("B", 0, 5, 1, 10)):
        one = production_plan(demand.loc[code].tolist(), opening, safety_stock=ss,
                              lead_time=lead, receipts=receipts.loc[code].tolist(),
                              backlog=back, build_periods=3)  # fmt: skip
        for name in ("production", "on_hand", "shipments", "required"):
            assert getattr(plan, name).loc[code].tolist() == getattr(one, name).tolist(), name


# ---------------------------------------------------------------------------------------------
# the supply step
# ---------------------------------------------------------------------------------------------
def _run(raw):
    found, problems = parse_settings(raw["tblSettings"])
    assert problems == []
    inputs = cycle_inputs(raw, found)
    forecast = forecast_step(inputs, n_jobs=1)
    supply = supply_step(inputs, demand_step(inputs, forecast.table).table, forecast.table)
    grids = {m: grid_of(supply.table, "Item", LABELS, measure=m) for m in schema.SUPPLY_MEASURES}
    return inputs, supply, grids


@pytest.fixture(scope="module")
def lead_one():
    """The small company with item B at its 1-period lead time (test_cycle_steps has 0)."""
    raw = raw_tables()
    raw["tblItems"].loc[raw["tblItems"]["Item"] == "B", "LeadTime"] = 1
    return _run(raw)


def test_step_makes_nothing_inside_the_lead_time(lead_one):
    """Before issue 11 B made 30 in 2026-01 although its lead time is one period (the bug):
    now 300 on hand ships 300 of 330, 30 are owed and shipped in 2026-02."""
    inputs, supply, g = lead_one
    assert list(supply.table["Measure"][: len(schema.SUPPLY_MEASURES)]) == list(
        schema.SUPPLY_MEASURES
    )
    assert g["Demand"].loc["B", "2026-01"] == 330.0
    assert g["Production"].loc["B", "2026-01"] == 0.0
    # R1 cannot make B's 300 of 2026-04 in that month: 200 are pre-built in 2026-03, so the
    # plan makes the whole requirement, only earlier (issue 11, item 3)
    assert g["Required"].loc["B"].tolist() == [0.0, 330.0, 150.0, 300.0]
    assert g["Production"].loc["B"].tolist() == [0.0, 330.0, 350.0, 100.0]
    assert g["Shortfall"].loc["B"].sum() == 0.0
    assert g["Shipments"].loc["B", "2026-01"] == 300.0
    assert g["Backlog"].loc["B"].tolist()[:2] == [30.0, 0.0]
    assert g["OnHand"].loc["B", "2026-01"] == -30.0
    assert g["Production"].loc["B", "2026-02"] == g["Demand"].loc["B", "2026-02"] + 30.0
    assert g["Shipments"].loc["B", "2026-02"] == g["Demand"].loc["B", "2026-02"] + 30.0
    assert any("short in the plan: B" in note for note in supply.notes)
    # finance sells what ships: B's 300 x 2 in 2026-01, the backlog of 30 in 2026-02
    flows = item_flows(inputs, supply.table)
    assert flows.shipments.loc["B"].tolist() == g["Shipments"].loc["B"].tolist()
    money = finance_step(inputs, supply.table).table.set_index(["Family", "Measure"])
    a_sold = g["Shipments"].loc["A", "2026-01"]
    assert money.loc[("F1", "Revenue"), "2026-01"] == pytest.approx(a_sold * 10 + 300 * 2)


def test_step_frozen_periods_backlog_column_and_lost_sales():
    raw = raw_tables(FrozenPeriods=2)
    raw["tblItems"]["Backlog"] = [20.0, None, None, None]
    inputs, supply, g = _run(raw)
    # lead time 1 (A, C, E) + 2 frozen: nothing before 2026-04; B (lead 0) from 2026-03
    assert (g["Production"].loc[["A", "C", "E"], LABELS[:3]] == 0).all().all()
    assert (g["Production"].loc["B", LABELS[:2]] == 0).all()
    assert g["Production"].loc["B", "2026-03"] > 0
    # A: 150 on hand, 20 owed at the start: ships 130 of 110 + 20 in 2026-01
    assert g["Shipments"].loc["A", "2026-01"] == 130.0
    assert g["OnHand"].loc["A", "2026-01"] == 20.0
    opening = (inputs.items["OnHand"] - inputs.items["Backlog"].fillna(0)).to_numpy()[:, None]
    flow = (g["Receipts"] + g["Production"] - g["Demand"]).to_numpy()
    assert np.allclose(g["OnHand"].to_numpy(), opening + np.cumsum(flow, axis=1))
    # the same with lost sales: never owed, never below 0, the Log says how many were lost
    raw = raw_tables(FrozenPeriods=2, Shortage="Lost")
    _, supply, g = _run(raw)
    assert (g["OnHand"] >= 0).all().all() and (g["Backlog"] == 0).all().all()
    assert any("units of demand lost" in note for note in supply.notes)


def test_settings_defaults_of_issue_11():
    found, problems = parse_settings(pd.DataFrame({"Key": [], "Value": []}))
    assert problems == []
    assert (found["FrozenPeriods"], found["SafetyStockBuildPeriods"], found["Shortage"]) == (
        0, 3, "backlog")  # fmt: skip
    assert (found["PrebuildPeriods"], found["OvertimePct"]) == (3, 0)


# ---------------------------------------------------------------------------------------------
# validate: the new settings and column
# ---------------------------------------------------------------------------------------------
def test_validate_refuses_bad_new_values_with_sheet_row_and_value():
    frames = {name: frame.copy() for name, frame in demo_tables().items()}
    settings_frame = frames["tblSettings"]
    settings_frame.loc[settings_frame["Key"] == "FrozenPeriods", "Value"] = "two"
    settings_frame.loc[settings_frame["Key"] == "Shortage", "Value"] = "owed"
    settings_frame.loc[settings_frame["Key"] == "SafetyStockBuildPeriods", "Value"] = 0
    assert {"OvertimePct", "PrebuildPeriods"} <= set(settings_frame["Key"])
    settings_frame.loc[settings_frame["Key"] == "OvertimePct", "Value"] = 1.5
    settings_frame.loc[settings_frame["Key"] == "PrebuildPeriods", "Value"] = -1
    items = frames["tblItems"].astype(object)
    items.at[2, "Backlog"] = -5.0
    items.at[3, "Backlog"] = "lots"
    frames["tblItems"] = items
    book = new_book()
    fill_inputs(book.workbook, frames)
    text = [str(p) for p in validate(book) if p.severity == "error"]
    frozen = 5 + settings_frame.index[settings_frame["Key"] == "FrozenPeriods"][0]

    def has(fragment):
        assert any(fragment in line for line in text), (fragment, text)

    has(f"Settings row {frozen} Value: setting FrozenPeriods must be a number; got 'two'")
    has("setting Shortage must be one of backlog, lost; got 'owed'")
    has("setting SafetyStockBuildPeriods must be between 1 and 104; got 0")
    overtime = 5 + settings_frame.index[settings_frame["Key"] == "OvertimePct"][0]
    has(f"Settings row {overtime} Value: setting OvertimePct must be between 0 and 1; got 1.5")
    has("setting PrebuildPeriods must be between 0 and 104; got -1")
    has("Items row 7 Backlog: Backlog is negative: -5.0")
    has("Items row 8 Backlog: Backlog must be a number; got 'lots'")


def test_a_workbook_without_the_backlog_column_still_validates_and_runs():
    raw = raw_tables()
    assert "Backlog" not in raw["tblItems"].columns
    _, _, g = _run(raw)
    assert (g["Backlog"].loc["A"] == 0).all()
