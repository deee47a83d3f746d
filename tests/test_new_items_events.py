"""New products, phase-out and events out of the history (issue 15, items 3 and 4), by hand.

A small company without a season (SeasonLength 1, so every seasonal index is 1) and the
``naive`` method (a forecast is the last value of the history it learns from): the numbers
below are the rules of :mod:`sop_xl.forecast.newitems` and :mod:`sop_xl.forecast.events`
worked on paper. The cycle starts 2026-01; the history runs 2024-01 to 2025-12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.cycle.demand import demand_step
from sop_xl.cycle.forecasting import forecast_step
from sop_xl.cycle.inputs import cycle_inputs
from sop_xl.forecast.events import clean_history
from sop_xl.forecast.newitems import launch_curve, launch_forecast
from sop_xl.workbook import schema
from sop_xl.workbook.settings import parse_settings

LABELS = ["2026-01", "2026-02", "2026-03", "2026-04"]
HISTORY = pd.date_range("2024-01-01", periods=24, freq="MS")
# the like item L, launched 2025-01: 20 more a month until 200 (ages 0..9), then 200
L_SALES = [20.0, 40, 60, 80, 100, 120, 140, 160, 180, 200, 200, 200]
# a new item selling 80, 113, 149, 173 (the BV-04), launched 2025-09
N_SALES = [80.0, 113, 149, 173]


def _item(code, family, status="active", **launch):
    return {"Item": code, "Description": code, "Family": family, "Unit": "pcs",
            "UnitPrice": 10.0, "UnitCost": 5.0, "LeadTime": 1, "LeadTimeSD": 0,
            "ServiceLevel": None, "MOQ": 0, "LotSize": 0, "Resource": "R1",
            "HoursPerUnit": 0.1, "OnHand": 0, "CycleTimeDays": 5, "Owner": "me",
            "Status": status, "LikeItem": None, "LaunchPeriod": None, "EndPeriod": None,
            } | launch  # fmt: skip


def _actuals(item, values, periods):
    return [
        {"Item": item, "Period": p, "Qty": float(q)} for p, q in zip(periods, values, strict=True)
    ]


def _inputs(items, actuals, adjustments=(), history=(), **settings):
    setting = {"CycleStart": "2026-01", "Horizon": 4, "ForecastMethod": "naive",
               "SeasonLength": 1, "HoldoutPeriods": 3} | settings  # fmt: skip
    raw = {
        "tblSettings": pd.DataFrame({"Key": list(setting), "Value": list(setting.values())}),
        "tblItems": pd.DataFrame(items),
        "tblActuals": pd.DataFrame(actuals),
        "tblAdjustments": pd.DataFrame(
            list(adjustments), columns=schema.table("tblAdjustments").headers
        ),
        "tblReceipts": pd.DataFrame(columns=["Item", "Period", "Qty"]),
        "tblResources": pd.DataFrame(
            [("R1", 1e5, "line")], columns=["Resource", "HoursPerPeriod", "Description"]
        ),
        "tblBudget": pd.DataFrame(columns=["Family", "Period", "Revenue"]),
        "tblAdjustmentHistory": pd.DataFrame(
            list(history), columns=schema.table("tblAdjustmentHistory").headers
        ),
    }
    parsed, problems = parse_settings(raw["tblSettings"])
    assert problems == []
    return cycle_inputs(raw, parsed)


# ----------------------------------------------------------------------------------------------
# 3. new products and phase-out
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def launches():
    items = [
        _item("A", "F1"),
        _item("L", "F1"),
        _item("N", "F1", "new", LikeItem="L", LaunchPeriod="2025-09"),
        _item("P", "F1", "new", LikeItem="L", LaunchPeriod="2026-03"),
        _item("C", "F2"),
        _item("R", "F2"),
        _item("M", "F2", "new"),
        _item("E", "F2", "eol", OnHand=120, EndPeriod="2026-03"),
    ]
    actuals = (
        _actuals("A", [100] * 24, HISTORY)
        + _actuals("L", L_SALES, HISTORY[12:])
        + _actuals("N", N_SALES, HISTORY[-4:])
        + _actuals("C", [50] * 24, HISTORY)
        + _actuals("R", [10, 20, 30, 40, 50, 50, 50, 50, 50, 50], HISTORY[-10:])
        + _actuals("M", [12, 24], HISTORY[-2:])
        + _actuals("E", [100] * 24, HISTORY)
    )
    inputs = _inputs(items, actuals)
    result = forecast_step(inputs, n_jobs=1)
    return inputs, result, result.table.set_index("Item")


def test_new_item_continues_the_ramp_of_its_like_item(launches):
    """The issue's BV-04: 80, 113, 149, 173 in its first four months, forecast flat by the
    family profile at the mean of its last three, (113 + 149 + 173) / 3 = 145.

    Its like item L rose 20 a month from its launch (2025-01) to 200, so its launch curve is
    c(k) = (20, 40, ..., 200, 200, 200) / 200 = 0.1 (k + 1) up to 1 at age 9 (already
    non-decreasing: the isotonic fit leaves it). N's last three ages are 1, 2, 3:
    a = (113 + 149 + 173) / (0.2 + 0.3 + 0.4) = 435 / 0.9 = 483.33; its plan periods are ages
    4 to 7, so F = 483.33 x (0.5, 0.6, 0.7, 0.8) = 241.67, 290, 338.33, 386.67: the ramp goes
    on from 173.
    """
    _, _, table = launches
    assert table.loc["N", "Method"] == "like item"
    a = 435 / 0.9
    assert table.loc["N", LABELS].astype(float).tolist() == pytest.approx(
        [round(a * c, 2) for c in (0.5, 0.6, 0.7, 0.8)], abs=0.006
    )


def test_without_a_like_item_the_family_launch_curve(launches):
    """M (no LikeItem, no LaunchPeriod) first sold in 2025-11: 12, 24. In its family F2, C has
    sold since the history began (no launch to learn from); R launched 2025-03 and sold 10, 20,
    30, 40, then 50: c = 0.2, 0.4, 0.6, 0.8, 1, ... The family curve is R's.
    a = (12 + 24) / (0.2 + 0.4) = 60; ages 2 to 5: F = 60 x (0.6, 0.8, 1, 1) = 36, 48, 60, 60.
    """
    _, _, table = launches
    assert table.loc["M", "Method"] == "family launch"
    assert table.loc["M", LABELS].astype(float).tolist() == pytest.approx([36, 48, 60, 60])


def test_launch_in_a_plan_period_gets_the_like_items_launch(launches):
    """P launches 2026-03 (no history) like L: L's level now is the mean of its last three
    periods, 200; F = 0 before the launch, then 200 x c(age) = 200 x 0.1, 200 x 0.2 = 20, 40.
    """
    _, _, table = launches
    assert table.loc["P", "Method"] == "like item"
    assert table.loc["P", LABELS].astype(float).tolist() == pytest.approx([0, 0, 20, 40])


def test_established_items_keep_their_method(launches):
    """A, C and L (12 periods since its launch, more than the 6 a statistical method needs)
    stay naive: their last actual."""
    _, _, table = launches
    assert (table.loc[["A", "C", "L", "R"], "Method"] == "naive").all()
    assert table.loc["L", LABELS].astype(float).tolist() == [200.0] * 4


def test_end_period_runs_the_forecast_out(launches):
    """E (eol, flat at 100) ends 2026-03: forecast 100, 100, 0, 0. The demand plan is what its
    120 on hand serve: 100, then 20, then nothing (no -100% adjustment needed)."""
    inputs, result, table = launches
    assert table.loc["E", LABELS].astype(float).tolist() == [100.0, 100.0, 0.0, 0.0]
    demand = demand_step(inputs, result.table).table.set_index("Item")
    assert demand.loc["E", LABELS].astype(float).tolist() == [100.0, 20.0, 0.0, 0.0]


def test_launch_forecast_follows_the_season():
    """Season 2, indices 0.5 and 1.5; the item sold 10 (position 0) and 60 (position 1):
    z = 10 / 0.5, 60 / 1.5 = 20, 40; with c = 0.2, 0.4, 0.6, 0.8 (then 1),
    a = (20 + 40) / (0.2 + 0.4) = 100; ages 2, 3, 4 at positions 0, 1, 0:
    100 x 0.6 x 0.5 = 30, 100 x 0.8 x 1.5 = 120, 100 x 1 x 0.5 = 50."""
    curve = np.array([0.2, 0.4, 0.6, 0.8])
    out = launch_forecast(np.array([10.0, 60.0]), 0, np.array([0.5, 1.5]), curve, 3)
    assert out.tolist() == pytest.approx([30.0, 120.0, 50.0])


def test_launch_curve_of_a_noisy_reference_is_a_ramp():
    """Sales 30, 90, 60, 120, 100, 110 (no season): the non-decreasing least-squares fit pools
    90, 60 to 75 and 120, 100, 110 to 110: m = 30, 75, 75, 110, 110, 110; c = m / 110."""
    curve = launch_curve(np.array([30.0, 90, 60, 120, 100, 110]), 0, np.ones(1))
    assert curve.tolist() == pytest.approx([30 / 110, 75 / 110, 75 / 110, 1, 1, 1])


# ----------------------------------------------------------------------------------------------
# 4. events out of the history
# ----------------------------------------------------------------------------------------------
def _history_row(item, family, period, qty, percent, kind):
    return ("2025-12", "2025-12-20 10:00:00", item, family, period, qty, percent, kind, "x", "")


@pytest.fixture(scope="module")
def events():
    items = [_item("A", "F1"), _item("B", "F1"), _item("C", "F2"), _item("E", "F2")]
    # flat levels, and 2025-12 with the events; A's 2025-11 sales cut (no event) to 50
    actuals = (
        _actuals("A", [100.0] * 22 + [50.0, 400.0], HISTORY)
        + _actuals("B", [300.0] * 23 + [360.0], HISTORY)
        + _actuals("C", [50.0] * 23 + [60.0], HISTORY)
        + _actuals("E", [100.0] * 23 + [120.0], HISTORY)
    )
    history = [
        _history_row("A", None, "2025-12", 300.0, None, "new product"),
        _history_row(None, "F2", "2025-12", 30.0, None, "event"),
        _history_row("A", None, "2025-11", -50.0, None, "sales"),
    ]
    adjustments = [
        # not rolled forward yet, but before the cycle: a past event all the same
        ("B", None, "2025-12", None, 0.2, "Promotion", "x", "spring promotion"),
        # a future promotion, on top of the baseline
        ("A", None, "2026-02", 300.0, None, "promotion", "x", "listing"),
    ]
    inputs = _inputs(items, actuals, adjustments, history)
    result = forecast_step(inputs, n_jobs=1)
    return inputs, result, result.table.set_index("Item")


def test_events_are_taken_out_of_the_history(events):
    """2025-12 with its events: A 400 with a +300 new product listing: B = 400 - 300 = 100;
    B 360 with a +20% promotion: B = 360 / 1.2 = 300; family F2's +30 event shared by what C
    and E sold (60 and 120 of 180): C 60 - 10 = 50, E 120 - 20 = 100. The naive forecast is
    then each item's level (A 100, not 400), and EventsRemoved says by how much each history
    was cleaned: 300, 60, 10, 20. A's 2025-11 sales cut (Type sales) is no event: its 50 stays.
    """
    _, result, table = events
    assert table.loc[["A", "B", "C", "E"], "2026-01"].astype(float).tolist() == [
        100.0, 300.0, 50.0, 100.0]  # fmt: skip
    assert table.loc[["A", "B", "C", "E"], "EventsRemoved"].tolist() == [300.0, 60.0, 10.0, 20.0]
    assert list(result.table.columns[:8]) == schema.table("tblForecast").headers
    assert any("taken out of the history of 4 item(s)" in note for note in result.notes)


def test_holdout_is_scored_on_the_baseline(events):
    """The holdout (2025-10 to 2025-12) of B, C and E is flat once cleaned: naive WAPE 0.
    A's baseline is 100, 50, 100 over it (the sales cut stays): forecasts 100 from 2025-09,
    errors 0, 50, 0 over actuals 100 + 50 + 100 = 250: WAPE 0.2."""
    _, _, table = events
    assert table.loc[["B", "C", "E"], "HoldoutWAPE"].tolist() == [0.0, 0.0, 0.0]
    assert table.loc["A", "HoldoutWAPE"] == pytest.approx(0.2)


def test_future_events_come_on_top_of_the_baseline(events):
    """A's +300 promotion of 2026-02 on a baseline of 100: 400 (700 had the past listing
    stayed in the history)."""
    inputs, result, _ = events
    demand = demand_step(inputs, result.table).table.set_index("Item")
    assert demand.loc["A", LABELS].astype(float).tolist() == [100.0, 400.0, 100.0, 100.0]


def test_clean_history_inverts_the_demand_rule():
    """D = F (1 + p) + q inverted: 2 items of family F; period 1 has an item Qty +20 and a
    family +25% on x (A 170): B = (170 - 20) / 1.25 = 120; y (A 50) gets the +25% only:
    50 / 1.25 = 40. A period without a positive actual is left as it is."""
    grid = pd.DataFrame([[100.0, 170.0, 0.0], [45.0, 50.0, 0.0]], index=["x", "y"],
                        columns=[0, 1, 2])  # fmt: skip
    events = pd.DataFrame(
        {
            "item": ["x", None, "y"],
            "family": [None, "F", None],
            "period": [1, 1, 2],
            "qty": [20.0, np.nan, 30.0],
            "percent": [np.nan, 0.25, np.nan],
            "type": ["promotion", "event", "promotion"],
        }
    )
    out = clean_history(grid, events, pd.Series({"x": "F", "y": "F"}))
    assert out.grid.to_numpy().tolist() == [[100.0, 120.0, 0.0], [45.0, 40.0, 0.0]]
    assert out.removed.to_numpy().tolist() == [[0.0, 50.0, 0.0], [0.0, 10.0, 0.0]]


def test_sales_before_the_launch_period_are_named_in_the_log():
    """Pilot sales of 5 and 7 in 2025-06/07 before a 2025-09 launch leave the history (the
    forecast learns from the launch on), and the Log says so: 12 units in 2 periods."""
    items = [_item("A", "F1"), _item("S", "F1", "new", LaunchPeriod="2025-09")]
    actuals = _actuals("A", [100] * 24, HISTORY) + _actuals(
        "S", [5, 7, 0, 80, 113, 149, 173], HISTORY[-7:]
    )
    result = forecast_step(_inputs(items, actuals), n_jobs=1)
    assert any(
        "before the LaunchPeriod" in note and "1 item(s): S 12 units in 2 period(s)" in note
        for note in result.notes
    ), result.notes
