"""Plan records, the pure calculations: lag pairs, WAPE/bias/FVA, scenarios, cycle time.

Every expected number below is worked by hand in the comment next to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.errors import SopError
from sop_xl.records.accuracy import accuracy_table, fva_table, lag_pairs, step_accuracy
from sop_xl.records.cycletime import cycle_time, decisions_overdue
from sop_xl.records.scenarios import compare, factor_by_item, factor_by_resource, parse_scenarios

ts = pd.Timestamp


def _history(rows):
    return pd.DataFrame(rows, columns=["cycle", "kind", "item", "period", "qty"]).assign(
        cycle=lambda f: pd.to_datetime(f["cycle"]), period=lambda f: pd.to_datetime(f["period"])
    )


def _actuals(rows):
    frame = pd.DataFrame(rows, columns=["item", "period", "qty"])
    return frame.assign(period=pd.to_datetime(frame["period"]))


# Two items, three cycles (2026-01..03), actuals through 2026-03.
HISTORY = _history(
    [
        # cycle 2026-01: A and B, periods 01..03
        ("2026-01", "forecast", "A", "2026-01", 100.0),
        ("2026-01", "demand plan", "A", "2026-01", 110.0),
        ("2026-01", "forecast", "A", "2026-03", 90.0),
        ("2026-01", "demand plan", "A", "2026-03", 130.0),
        ("2026-01", "forecast", "B", "2026-01", 50.0),
        ("2026-01", "demand plan", "B", "2026-01", 50.0),
        # cycle 2026-02
        ("2026-02", "forecast", "A", "2026-02", 105.0),
        ("2026-02", "demand plan", "A", "2026-02", 100.0),
        ("2026-02", "forecast", "B", "2026-02", 40.0),
        ("2026-02", "demand plan", "B", "2026-02", 60.0),
        # cycle 2026-04: no actuals yet, never a pair
        ("2026-04", "forecast", "A", "2026-04", 1.0),
        ("2026-04", "demand plan", "A", "2026-04", 1.0),
        # a finance row: not a demand kind
        ("2026-01", "revenue", "Garden", "2026-01", 9999.0),
    ]
)
ACTUALS = _actuals(
    [
        ("A", "2025-12", 95.0),
        ("A", "2026-01", 120.0),
        ("A", "2026-02", 100.0),
        ("A", "2026-03", 100.0),
        ("B", "2025-12", 45.0),
        ("B", "2026-01", 50.0),  # B has no row for 2026-02: zero demand
    ]
)


def test_lag1_pairs_by_hand():
    pairs = lag_pairs(HISTORY, ACTUALS, lag=1)
    got = pairs.assign(period=pairs["period"].dt.strftime("%Y-%m")).values.tolist()
    assert got == [
        # item, period, actual, naive = actual of the period before, statistical, consensus
        ["A", "2026-01", 120.0, 95.0, 100.0, 110.0],
        ["A", "2026-02", 100.0, 120.0, 105.0, 100.0],
        ["B", "2026-01", 50.0, 45.0, 50.0, 50.0],
        ["B", "2026-02", 0.0, 50.0, 40.0, 60.0],
    ]


def test_lag3_pairs_by_hand():
    pairs = lag_pairs(HISTORY, ACTUALS, lag=3)
    # only cycle 2026-01's third period (2026-03) for A; naive = actual of 2025-12
    assert pairs[["item", "actual", "naive", "statistical", "consensus"]].values.tolist() == [
        ["A", 100.0, 95.0, 90.0, 130.0]
    ]


def test_step_accuracy_by_hand():
    steps = step_accuracy(lag_pairs(HISTORY, ACTUALS, lag=1))
    # sum A = 120 + 100 + 50 + 0 = 270
    # naive |e| = 25 + 20 + 5 + 50 = 100; e = -25 + 20 - 5 + 50 = 40
    # statistical |e| = 20 + 5 + 0 + 40 = 65; e = -20 + 5 + 0 + 40 = 25
    # consensus |e| = 10 + 0 + 0 + 60 = 70; e = -10 + 0 + 0 + 60 = 50
    assert steps.loc["naive", "wape"] == pytest.approx(100 / 270)
    assert steps.loc["statistical", "wape"] == pytest.approx(65 / 270)
    assert steps.loc["consensus", "wape"] == pytest.approx(70 / 270)
    assert steps.loc["consensus", "bias"] == pytest.approx(50 / 270)
    assert np.isnan(steps.loc["naive", "fva"])
    assert steps.loc["statistical", "fva"] == pytest.approx(35 / 270)  # the model helps
    assert steps.loc["consensus", "fva"] == pytest.approx(-5 / 270)  # the overrides hurt


def test_fva_table_and_item_table():
    pairs = {lag: lag_pairs(HISTORY, ACTUALS, lag=lag) for lag in (1, 3)}
    fva = fva_table(pairs)
    assert fva["Step"].tolist() == ["naive", "statistical", "consensus"]
    assert fva["Lag1WAPE"].tolist() == [round(100 / 270, 4), round(65 / 270, 4), round(70 / 270, 4)]
    # lag 3: A only, A = 100: naive 5/100, statistical 10/100, consensus 30/100
    assert fva["Lag3WAPE"].tolist() == [0.05, 0.1, 0.3]
    assert fva["Lag3FVA"].tolist() == [None, -0.05, -0.2]
    assert fva["Pairs"].tolist() == [4.0] * 3

    families = pd.Series({"A": "Garden", "B": "Garden", "C": "Spares"})
    table = accuracy_table(pairs, families)
    assert table["Level"].tolist() == ["total", "family", "family", "item", "item", "item"]
    # items sorted by lag-1 override FVA, worst first:
    # A: stat |e| 20 + 5 = 25, consensus 10 + 0 = 10 over A 220 -> +15/220
    # B: stat 0 + 40 = 40, consensus 0 + 60 = 60 over 50 -> -20/50 (overrides hurt); C: none
    assert table["Name"].tolist() == ["Total", "Garden", "Spares", "B", "A", "C"]
    b = table.set_index("Name").loc["B"]
    assert b["Lag1OverrideFVA"] == round(-20 / 50, 4)
    assert b["Lag1Consensus"] == round(60 / 50, 4)
    assert b["Lag1Actual"] == 50.0
    assert b["Lag3Actual"] is None  # no lag-3 pair for B
    a = table.set_index("Name").loc["A"]
    assert a["Lag1OverrideFVA"] == round(15 / 220, 4)
    assert table.set_index("Name").loc["Spares", "Lag1Naive"] is None


def test_no_history_gives_empty_pairs_and_blank_rows():
    empty = HISTORY.iloc[0:0]
    pairs = {lag: lag_pairs(empty, ACTUALS, lag=lag) for lag in (1, 3)}
    assert all(p.empty for p in pairs.values())
    fva = fva_table(pairs)
    assert fva["Lag1WAPE"].tolist() == [None, None, None]
    table = accuracy_table(pairs, pd.Series({"A": "Garden"}))
    assert table["Name"].tolist() == ["Total", "Garden", "A"]


def test_lag_must_be_positive():
    with pytest.raises(SopError, match="lag must be a whole number >= 1; got 0"):
        lag_pairs(HISTORY, ACTUALS, lag=0)


def test_weekly_lags_shift_by_weeks():
    history = _history(
        [
            ("2026-01-05", "forecast", "A", "2026-01-12", 12.0),  # made 2 weeks ahead
            ("2026-01-05", "demand plan", "A", "2026-01-12", 10.0),
        ]
    )
    actuals = _actuals([("A", "2025-12-29", 7.0), ("A", "2026-01-12", 11.0)])
    pairs = lag_pairs(history, actuals, lag=2, freq="W-MON")
    assert pairs[["actual", "naive", "statistical", "consensus"]].values.tolist() == [
        [11.0, 7.0, 12.0, 10.0]
    ]
    assert lag_pairs(history, actuals, lag=1, freq="W-MON").empty


# -- scenarios ----------------------------------------------------------------------------
def _scenarios(rows):
    return pd.DataFrame(rows, columns=["Scenario", "Lever", "AppliesTo", "Change", "Comment"],
                        index=range(5, 5 + len(rows)))  # fmt: skip


ITEMS = pd.DataFrame({"Family": ["Garden", "Garden", "Spares"]}, index=["GA-1", "GA-2", "SP-1"])


def test_levers_compound_per_item_family_and_all():
    parsed = parse_scenarios(
        _scenarios(
            [
                ("Up", "Demand", "garden", 0.1, None),
                ("Up", "demand", "GA-1", 0.1, None),
                ("Up", "lead time", None, 1, None),
                ("Up", "capacity", "MOULD", -0.2, None),
                ("Other", "price", None, 0.05, None),
            ]
        )
    )
    assert list(parsed) == ["Up", "Other"]
    factor = factor_by_item(parsed["Up"], "demand", ITEMS)
    assert factor.round(4).tolist() == [1.21, 1.1, 1.0]  # 1.1 x 1.1 on GA-1
    assert factor_by_item(parsed["Up"], "lead time", ITEMS).tolist() == [1.0, 1.0, 1.0]
    assert factor_by_item(parsed["Up"], "price", ITEMS).tolist() == [1.0, 1.0, 1.0]
    cap = factor_by_resource(parsed["Up"], pd.Index(["MOULD", "CNC"]))
    assert cap.tolist() == [0.8, 1.0]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("S", "volume", None, 0.1, None),
         "tblScenarios row 5 Lever: must be one of demand, capacity, price, lead time; "
         "got 'volume'"),
        (("S", "demand", None, "ten", None),
         "tblScenarios row 5 Change: must be a number; got 'ten'"),
        (("S", "demand", None, None, None), "tblScenarios row 5 Change: must be a number"),
        (("S", "price", None, -1.0, None),
         r"tblScenarios row 5 Change: a price change must be above -1 \(-100%\); got -1.0"),
        ((None, "price", None, 0.1, None), "tblScenarios row 5 Scenario: give the scenario a name"),
    ],
)  # fmt: skip
def test_bad_scenario_rows_are_named(row, message):
    with pytest.raises(SopError, match=message):
        parse_scenarios(_scenarios([row]))


def test_unknown_targets_are_named():
    parsed = parse_scenarios(_scenarios([("S", "demand", "Tools", 0.1, None),
                                         ("T", "capacity", "LATHE", 0.1, None)]))  # fmt: skip
    with pytest.raises(SopError, match="demand AppliesTo 'Tools' is no item or family"):
        factor_by_item(parsed["S"], "demand", ITEMS)
    with pytest.raises(SopError, match="capacity AppliesTo 'LATHE' is no resource"):
        factor_by_resource(parsed["T"], pd.Index(["MOULD"]))


def test_compare_difference_and_percent():
    base = pd.DataFrame({"Demand": [100.0, 0.0], "Revenue": [1000.0, 50.0]},
                        index=["Garden", "Spares"])  # fmt: skip
    what_if = pd.DataFrame({"Demand": [120.0, 5.0], "Revenue": [900.0, 50.0]},
                           index=["Garden", "Spares"])  # fmt: skip
    rows = compare("S", base, what_if)
    got = rows.set_index(["Family", "Measure"])
    assert got.loc[("Garden", "Demand"), ["Difference", "DiffPct"]].tolist() == [20.0, 0.2]
    assert got.loc[("Garden", "Revenue"), "DiffPct"] == -0.1
    assert got.loc[("Spares", "Demand"), "DiffPct"] is None  # base 0: no percentage
    # Total: demand 100 -> 125 (+25%), revenue 1050 -> 950
    assert got.loc[("Total", "Demand"), ["Base", "WhatIf", "DiffPct"]].tolist() == [
        100.0,
        125.0,
        0.25,
    ]
    assert got.loc[("Total", "Revenue"), "Difference"] == -100.0


# -- cycle time ---------------------------------------------------------------------------
def _steps(starts):
    return pd.DataFrame(
        {
            "step": [f"{i}." for i in range(1, 7)],
            "status": ["done"] * 6,
            "start": pd.to_datetime(starts),
            "due": pd.NaT,
        }
    )


def test_cycle_time_to_the_meeting():
    steps = _steps(["2026-01-02", "2026-01-06", "2026-01-09", "2026-01-14", "2026-01-20", None])
    decisions = pd.DataFrame({"date": pd.to_datetime(["2025-12-17", "2026-01-21"]),
                              "due": pd.NaT, "status": "open"})  # fmt: skip
    assert cycle_time(steps, decisions) == 19.0  # 2 Jan to the meeting of 21 Jan
    # last month's decisions only: the step 5 start is the meeting (2 Jan -> 20 Jan)
    assert cycle_time(steps, decisions.iloc[:1]) == 18.0
    assert np.isnan(cycle_time(_steps([None] * 6), decisions))


def test_decisions_overdue_at_the_cycle_start():
    decisions = pd.DataFrame(
        {
            "date": pd.NaT,
            "due": pd.to_datetime(["2026-01-15", "2026-01-15", "2026-03-01", "2026-01-10", None]),
            "status": ["open", "done", "open", "Cancelled", None],
        }
    )
    assert decisions_overdue(decisions, as_of=ts("2026-02-01")) == 1
