"""Each cycle step's numbers on a small hand-made company, checked against hand-computed values.

The company: family F1 with items A and B (resource R1), family F2 with item C (resource R2)
and item E, an end-of-life item of F2. Histories are flat (A 100, B 300, C 50, E 100 a month
for 24 months) and the method is ``naive``, so every statistical forecast is the last actual
and the holdout error is 0; safety stocks are then 0 (no forecast error, no lead-time spread),
which keeps the supply arithmetic checkable by hand.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sop_xl.cycle.capacity import capacity_step
from sop_xl.cycle.demand import demand_step
from sop_xl.cycle.finance import finance_step, item_flows
from sop_xl.cycle.forecasting import forecast_step
from sop_xl.cycle.inputs import cycle_inputs, grid_of
from sop_xl.cycle.kpis import kpi_step
from sop_xl.cycle.reconciliation import reconcile_step
from sop_xl.cycle.supply_plan import supply_step
from sop_xl.forecast.plan import profile_forecast
from sop_xl.workbook import schema
from sop_xl.workbook.settings import parse_settings

START = pd.Timestamp("2026-01-01")
LABELS = ["2026-01", "2026-02", "2026-03", "2026-04"]
HISTORY = pd.date_range("2024-01-01", periods=24, freq="MS")


def item(code, family, price, cost, resource, hours, on_hand, status="active", lot=0, lead=1):
    return {"Item": code, "Description": code, "Family": family, "Unit": "pcs",
            "UnitPrice": price, "UnitCost": cost, "LeadTime": lead, "LeadTimeSD": 0,
            "ServiceLevel": None, "MOQ": 0, "LotSize": lot, "Resource": resource,
            "HoursPerUnit": hours, "OnHand": on_hand, "CycleTimeDays": 5, "Owner": "me",
            "Status": status}  # fmt: skip


def raw_tables(**changes) -> dict[str, pd.DataFrame]:
    items = pd.DataFrame(
        [
            item("A", "F1", 10.0, 6.0, "R1", 0.5, 150),
            # lead time 0: B makes 30 in the first period (test_lead_time_* has it at 1)
            item("B", "F1", 2.0, 1.0, "R1", 0.1, 300, lead=0),
            item("C", "F2", 20.0, 5.0, "R2", 1.0, 0),
            item("E", "F2", 8.0, 4.0, "R2", 1.0, 120, status="eol"),
        ]
    )
    level = {"A": 100.0, "B": 300.0, "C": 50.0, "E": 100.0}
    actuals = pd.DataFrame(
        [{"Item": i, "Period": p, "Qty": q} for i, q in level.items() for p in HISTORY]
    )
    adjustments = pd.DataFrame(
        [
            (None, "F1", "2026-01", 40.0, None, "sales", "x", "family qty"),
            ("A", None, "2026-02", None, 0.10, "promotion", "x", "item percent"),
            (None, "F1", "2026-03", None, -0.5, "event", "x", "family percent"),
            ("C", None, "2026-01", -80.0, None, "sales", "x", "too much"),
            ("E", None, "2026-03", None, -1.0, "sales", "x", "phase-out"),
            ("A", None, "2027-06", 5.0, None, "sales", "x", "outside"),
        ],
        columns=schema.table("tblAdjustments").headers,
    )
    receipts = pd.DataFrame([{"Item": "A", "Period": "2026-02", "Qty": 50.0}])
    resources = pd.DataFrame(
        [("R1", 60.0, "line"), ("R2", 1000.0, "cell")], columns=["Resource", "HoursPerPeriod",
                                                                  "Description"]
    )  # fmt: skip
    budget = pd.DataFrame(
        [(f, lab, rev) for lab in LABELS for f, rev in (("F1", 1500.0), ("F2", 1000.0))],
        columns=["Family", "Period", "Revenue"],
    )
    settings = {"CycleStart": "2026-01", "Horizon": 4, "ForecastMethod": "naive",
                "HoldoutPeriods": 3, "DSO": 30, "DPO": 15, "DaysPerPeriod": 30}  # fmt: skip
    settings.update(changes)
    frame = pd.DataFrame({"Key": list(settings), "Value": list(settings.values())})
    return {
        "tblSettings": frame,
        "tblItems": items,
        "tblActuals": actuals,
        "tblAdjustments": adjustments,
        "tblReceipts": receipts,
        "tblResources": resources,
        "tblBudget": budget,
    }


def make_inputs(**changes):
    raw = raw_tables(**changes)
    settings, problems = parse_settings(raw["tblSettings"])
    assert problems == []
    return cycle_inputs(raw, settings)


@pytest.fixture(scope="module")
def inputs():
    return make_inputs()


@pytest.fixture(scope="module")
def forecast(inputs):
    return forecast_step(inputs, n_jobs=1)


@pytest.fixture(scope="module")
def demand(inputs, forecast):
    return demand_step(inputs, forecast.table)


@pytest.fixture(scope="module")
def supply(inputs, demand, forecast):
    return supply_step(inputs, demand.table, forecast.table)


@pytest.fixture(scope="module")
def capacity(inputs, supply):
    return capacity_step(inputs, supply.table)


def test_inputs_plan_periods_and_types(inputs):
    assert inputs.labels == LABELS
    assert inputs.items.loc["A", "UnitPrice"] == 10.0
    assert inputs.items.loc["E", "Status"] == "eol"
    assert inputs.actuals["period"].max() == pd.Timestamp("2025-12-01")


def test_blank_cycle_start_is_the_period_after_the_last_actual():
    assert make_inputs(CycleStart=None).labels == LABELS


def test_forecast_table(forecast):
    table = forecast.table.set_index("Item")
    assert list(forecast.table.columns) == schema.table("tblForecast").headers + LABELS
    assert table.loc[["A", "B", "C"], LABELS].to_numpy().tolist() == [
        [100.0] * 4, [300.0] * 4, [50.0] * 4]  # fmt: skip
    assert (table["Method"] == "naive").all()
    assert (table["HoldoutWAPE"] == 0).all()
    assert (table["Pattern"] == "smooth").all()
    # value: A 12 x 100 x 10 = 12,000; C 12,000; E 9,600; B 7,200 of 40,800: the shares
    # before each are 0, 0.29, 0.59 (all A, below 0.8) and 0.82 (B, below 0.95)
    assert table["ABC"].to_dict() == {"A": "A", "B": "B", "C": "A", "E": "A"}
    assert (table["XYZ"] == "X").all()
    assert set(forecast.holdout["period"].dt.strftime("%Y-%m")) == {"2025-10", "2025-11",
                                                                       "2025-12"}  # fmt: skip


def test_family_adjustments_prorated_by_forecast(demand):
    plan = demand.table.set_index("Item")[LABELS]
    # 2026-01: F1 +40 units split 100:300 -> A +10, B +30; C 50 - 80 cut to 0
    assert plan["2026-01"].tolist() == [110.0, 330.0, 0.0, 100.0]
    # 2026-02: A +10%; 2026-03: F1 -50% on both
    assert plan.loc["A", "2026-02"] == pytest.approx(110.0)
    assert plan.loc[["A", "B"], "2026-03"].tolist() == [50.0, 150.0]
    assert plan.loc["B", "2026-04"] == 300.0
    assert any("outside the plan" in n for n in demand.notes)
    assert any("below 0" in n and "C 2026-01" in n for n in demand.notes)


def test_eol_item_sells_its_stock_and_stops_at_phase_out(demand):
    plan = demand.table.set_index("Item")
    # OnHand 120, forecast 100 a month: 100, then the 20 left; the -100% in 2026-03 ends it
    assert plan.loc["E", LABELS].tolist() == [100.0, 20.0, 0.0, 0.0]


def test_new_item_gets_its_family_profile():
    raw = raw_tables()
    raw["tblItems"] = pd.concat(
        [raw["tblItems"], pd.DataFrame([item("N", "F1", 10.0, 6.0, "R1", 0.5, 0, "new")])]
    )
    raw["tblActuals"] = pd.concat(
        [raw["tblActuals"],
         pd.DataFrame({"Item": "N", "Period": HISTORY[-3:], "Qty": [20.0, 40.0, 60.0]})]
    )  # fmt: skip
    settings, _ = parse_settings(raw["tblSettings"])
    result = forecast_step(cycle_inputs(raw, settings), n_jobs=1).table.set_index("Item")
    assert result.loc["N", "Method"] == "family profile"
    assert pd.isna(result.loc["N", "HoldoutWAPE"])
    # flat family: no season, the level of the last three periods
    assert result.loc["N", LABELS].tolist() == [40.0] * 4


def test_profile_forecast_follows_the_season():
    index = np.array([0.5, 1.0, 1.5, 1.0])
    # last actuals at positions 1, 2, 3: 50/1, 75/1.5, 50/1 -> level 50
    assert profile_forecast(np.array([50.0, 75.0, 50.0]), 3, index, 4).tolist() == [
        25.0, 50.0, 75.0, 50.0]  # fmt: skip


def grids(table, labels=LABELS):
    return {m: grid_of(table, "Item", labels, measure=m) for m in schema.SUPPLY_MEASURES}


def test_supply_plan_by_hand(supply):
    g = grids(supply.table)
    measures = len(schema.SUPPLY_MEASURES)
    assert list(supply.table["Measure"][:measures]) == list(schema.SUPPLY_MEASURES)
    assert (g["SafetyStock"] == 0).all().all()
    # A: on hand 150; demand 110, 110, 50, 100; receipt 50 in 2026-02; chase to SS 0
    assert g["Production"].loc["A"].tolist() == [0.0, 20.0, 50.0, 100.0]
    assert g["OnHand"].loc["A"].tolist() == [40.0, 0.0, 0.0, 0.0]
    # 40 left after 2026-01 covers 40/110 of the next period: 10.9 days
    assert g["DaysOfSupply"].loc["A", "2026-01"] == pytest.approx(40 / 110 * 30, abs=0.05)
    # eol: no production, the stock runs out exactly
    assert g["Production"].loc["E"].tolist() == [0.0] * 4
    assert g["OnHand"].loc["E"].tolist() == [20.0, 0.0, 0.0, 0.0]


def test_supply_plan_keeps_the_moq():
    """Item A with MOQ 60: each period that produces makes at least 60 (chase continues)."""
    raw = raw_tables()
    raw["tblItems"].loc[raw["tblItems"]["Item"] == "A", "MOQ"] = 60
    settings, _ = parse_settings(raw["tblSettings"])
    inp = cycle_inputs(raw, settings)
    fc = forecast_step(inp, n_jobs=1)
    g = grids(supply_step(inp, demand_step(inp, fc.table).table, fc.table).table)
    # demand net of the receipt 110, 60, 50, 100 from 150 on hand: needs 0, 20, then
    # 50 - 40 = 10 -> 60 leaves 50, then 100 - 50 = 50 -> 60 leaves 10
    assert g["Production"].loc["A"].tolist() == [0.0, 60.0, 60.0, 60.0]
    assert g["OnHand"].loc["A"].tolist() == [40.0, 40.0, 50.0, 10.0]


def test_projected_inventory_balances(inputs, supply):
    g = grids(supply.table)
    opening = inputs.items["OnHand"].to_numpy()[:, None]
    flow = (g["Receipts"] + g["Production"] - g["Demand"]).to_numpy()
    assert np.allclose(g["OnHand"].to_numpy(), opening + np.cumsum(flow, axis=1))


def test_safety_stock_uses_the_forecast_error():
    raw = raw_tables(ForecastMethod="ma", SeasonLength=3)
    raw["tblItems"].loc[raw["tblItems"]["Item"] == "B", "LeadTime"] = 1
    noisy = raw["tblActuals"]["Qty"].to_numpy().copy()
    noisy[raw["tblActuals"]["Item"].to_numpy() == "B"] += np.tile([30.0, -30.0], 12)
    raw["tblActuals"]["Qty"] = noisy
    settings, _ = parse_settings(raw["tblSettings"])
    inp = cycle_inputs(raw, settings)
    fc = forecast_step(inp, n_jobs=1)
    result = supply_step(inp, demand_step(inp, fc.table).table, fc.table)
    policy = result.policy
    assert policy.loc["B", "SigmaSource"] == "holdout_mad"
    # ma(3) before the holdout: (330 + 270 + 330) / 3 = 310 against 270, 330, 270: errors
    # 40, 20, 40, a mean absolute error of 100/3, so sigma = 1.25 x 100/3 (WAPE kept to 4 dp)
    assert policy.loc["B", "Sigma"] == pytest.approx(1.25 * 100 / 3, rel=1e-3)
    z = 1.6448536269514722  # 95%, lead time 1, no lead-time spread
    assert policy.loc["B", "SafetyStock"] == pytest.approx(z * policy.loc["B", "Sigma"])
    assert policy.loc["E", "SafetyStock"] == 0.0


def test_capacity_by_hand(capacity, supply):
    table = capacity.table.set_index(["Resource", "Measure"])
    assert list(table.loc["R1"].index) == list(schema.CAPACITY_MEASURES)
    g = grids(supply.table)
    made, required = g["Production"], g["Required"]
    load = 0.5 * made.loc["A"] + 0.1 * made.loc["B"]
    need = 0.5 * required.loc["A"] + 0.1 * required.loc["B"]
    assert table.loc[("R1", "Load"), LABELS].tolist() == pytest.approx(load.tolist())
    assert table.loc[("R1", "RequiredLoad"), LABELS].tolist() == pytest.approx(need.tolist())
    assert table.loc[("R1", "Available"), LABELS].tolist() == [60.0] * 4
    assert table.loc[("R1", "Utilization"), LABELS].tolist() == pytest.approx(
        (load / 60).round(4).tolist()
    )
    # the requirement needs 80 h in 2026-04 (A 100 x 0.5 + B 300 x 0.1) on 60 h: 20 h over;
    # the plan pre-builds 200 of B in 2026-03, where 20 h are free, and stays within 60 h
    assert need["2026-04"] == pytest.approx(80.0)
    assert table.loc[("R1", "OverloadHours"), LABELS].tolist() == [0.0, 0.0, 0.0, 20.0]
    assert (table.loc[("R1", "Load"), LABELS] <= 60.0 + 0.01).all()
    assert made.loc["B", "2026-03"] - required.loc["B", "2026-03"] == 200.0
    assert g["Shortfall"].to_numpy().sum() == 0.0
    assert any("needs 20 h more than available" in n for n in capacity.notes)


def _short_company(**settings):
    inputs = make_inputs(**settings)
    fc = forecast_step(inputs, n_jobs=1)
    plan = supply_step(inputs, demand_step(inputs, fc.table).table, fc.table)
    load = capacity_step(inputs, plan.table)
    return inputs, plan, load, reconcile_step(inputs, plan.table, load.table).table


def test_shortfall_without_prebuild_is_a_decision_and_overtime_closes_it():
    """PrebuildPeriods 0: R1 cannot pre-build the 20 h of 2026-04. A is served first (class
    and margin per hour), so B is 200 units short (20 h / 0.1 h per unit): a shortfall,
    a backlog, a gap in the Reconciliation and a decision naming the hours. With 34% overtime
    the plan makes it all and no decision is left."""
    inputs, plan, load, rec = _short_company(PrebuildPeriods=0)
    g = grids(plan.table)
    assert g["Shortfall"].loc["B"].tolist() == [0.0, 0.0, 0.0, 200.0]
    assert g["Backlog"].loc["B", "2026-04"] == 200.0
    assert load.table.set_index(["Resource", "Measure"]).loc[("R1", "Load"), "2026-04"] == 60.0
    row = rec.set_index(["Family", "Period"]).loc[("F1", "2026-04")]
    assert row["Gap"] == -200.0 and row["Supply"] == row["Demand"] - 200.0
    assert "R1 needs 133% of its hours" in row["Flag"]
    assert "short 200 units (EUR 400)" in row["Flag"]
    assert (
        "Approve 20 h overtime on R1 by 2026-04 to make 200 units of F1 (EUR 400), or accept "
        "the backlog" in row["DecisionNeeded"]
    )
    assert any("capacity cannot make 200 units" in n for n in plan.notes)
    # only 2026-04 needs a capacity decision
    others = rec[(rec["Period"] != "2026-04")]["DecisionNeeded"]
    assert not others.str.contains("overtime").any()

    inputs, plan, load, rec = _short_company(PrebuildPeriods=0, OvertimePct=0.34)
    g = grids(plan.table)
    assert g["Shortfall"].to_numpy().sum() == 0.0
    assert g["Production"].loc["B", "2026-04"] == 300.0
    table = load.table.set_index(["Resource", "Measure"])
    assert table.loc[("R1", "Load"), "2026-04"] == pytest.approx(80.0)  # within 60 x 1.34
    assert table.loc[("R1", "OverloadHours"), "2026-04"] == pytest.approx(20.0)
    assert not rec["DecisionNeeded"].str.contains("overtime").any()
    assert (rec["Gap"] == 0).all()


def test_finance_definitions(inputs, supply):
    table = finance_step(inputs, supply.table).table.set_index(["Family", "Measure"])
    assert list(table.index.get_level_values("Measure")[:7]) == list(schema.FINANCE_MEASURES)
    flows = item_flows(inputs, supply.table)
    # F1 in 2026-01: A ships 110 (of 150 on hand), B ships 330 (300 on hand + 30 made)
    assert flows.shipments.loc[["A", "B"], "2026-01"].tolist() == [110.0, 330.0]
    revenue = 110 * 10 + 330 * 2
    cogs = 110 * 6 + 330 * 1
    inventory = 40 * 6 + 0 * 1  # A keeps 40, B none
    f1 = table.loc["F1", "2026-01"]
    assert f1["Revenue"] == pytest.approx(revenue)
    assert f1["COGS"] == pytest.approx(cogs)
    assert f1["GrossMargin"] == pytest.approx(revenue - cogs)
    assert f1["InventoryValue"] == pytest.approx(inventory)
    assert f1["WorkingCapital"] == pytest.approx(inventory + revenue * 30 / 30 - cogs * 15 / 30)
    assert f1["Budget"] == 1500.0
    assert f1["GapToBudget"] == pytest.approx(revenue - 1500)


def test_shortage_lowers_sales():
    inp = make_inputs()
    values = {"Demand": [200, 100, 0, 0], "Receipts": [0] * 4, "Production": [0, 150, 0, 0],
              "OnHand": [-50, 0, 0, 0], "SafetyStock": [0] * 4, "DaysOfSupply": [0] * 4}  # fmt: skip
    # a table of the six measures before issue 11 (no Shipments row): item_flows derives them
    demand = pd.DataFrame({"Item": ["A"] * 6, "Measure": list(values)})
    table = pd.concat(
        [demand, pd.DataFrame(list(values.values()), columns=LABELS)],
        axis=1,
    )
    flows = item_flows(inp, table)
    # 150 on hand ships 150 of 200; then 150 made ships the 100 due (backlog not recounted)
    assert flows.shipments.loc["A"].tolist() == [150.0, 100.0, 0.0, 0.0]


def test_reconciliation_rows_flags_and_decisions(inputs, supply, capacity):
    table = reconcile_step(inputs, supply.table, capacity.table).table
    assert list(table.columns) == schema.table("tblReconciliation").headers
    assert len(table) == 2 * 4
    rows = table.set_index(["Family", "Period"])
    f1 = rows.loc[("F1", "2026-01")]
    assert f1["Demand"] == 440.0 and f1["Supply"] == 440.0 and f1["Gap"] == 0.0
    assert f1["Revenue"] == 1760.0 and f1["GapToBudget"] == 260.0
    assert f1["GrossMargin"] == 1760.0 - 990.0
    assert "17% above budget" in f1["Flag"]
    # 2026-04: the requirement needs 80 h on R1's 60 h, but 20 h pre-built in 2026-03 make it
    # fit: no shortfall, so no overtime decision (issue 11: decisions only for real limits)
    f1_apr = rows.loc[("F1", "2026-04")]
    assert f1_apr["Gap"] == 0.0
    assert "overtime" not in f1_apr["DecisionNeeded"] and "R1" not in f1_apr["Flag"]
    # F2 in 2026-01: C forecast 50 cut to 0 by -80, E sells 100 x 8 = 800 of a 1,000 budget
    f2 = rows.loc[("F2", "2026-01")]
    assert f2["Revenue"] == 800.0
    assert "20% below budget" in f2["Flag"]
    assert "Close the EUR 200 budget gap of F2" in f2["DecisionNeeded"]


def test_kpis_and_trend(inputs, forecast, supply, capacity):
    flows = item_flows(inputs, supply.table)
    # a target typed under the KPI's earlier name (before issue 12) carries over
    previous = pd.DataFrame({"KPI": ["Forecast accuracy (WAPE)"], "Target": [0.12]})
    result = kpi_step(inputs, flows, capacity.table, forecast.holdout, previous)
    kpis = result.table.set_index("KPI")
    assert list(result.table.columns) == schema.table("tblKPIs").headers
    assert len(kpis) <= 22
    assert kpis.loc["Forecast error (WAPE)", "Value"] == 0.0
    assert kpis.loc["Forecast error (WAPE)", "Target"] == 0.12  # kept from the table
    # last 12 months: (100 x 10 + 300 x 2 + 50 x 20 + 100 x 8) x 12
    assert kpis.loc["Total sales, last 12 months", "Value"] == 3400 * 12
    assert kpis.loc["Projected fill rate", "Value"] == 1.0
    assert kpis.loc["Items short in the plan", "Value"] == 0
    assert kpis["Status"].str.startswith("=IF(").all()
    assert set(kpis["Unit"]) <= {"%", "EUR", "days", "units", "h", "x", "items"}
    trend = result.trend
    assert list(trend.columns) == schema.table("tblKPITrend").headers
    assert trend["Period"].tolist() == [p.strftime("%Y-%m") for p in HISTORY[-12:]] + LABELS
    assert trend["Actual"].tolist()[:12] == [550.0] * 12
    # consensus totals: A + B + C + E
    assert trend["Forecast"].tolist()[-4:] == [540.0, 480.0, 250.0, 450.0]


def test_history_rows_that_name_no_cycle_period_or_quantity_are_skipped():
    raw = raw_tables()
    raw["tblHistory"] = pd.DataFrame(
        [("2025-12", "t", "Forecast ", "A", "2026-01", 110.0),
         ("2025-12", "t", "forecast", "A", "2026-02", None),  # blank: skipped
         ("2025-12", "t", "forecast", "A", "2026-03", "n/a"),  # text: skipped
         ("note", "t", "forecast", "A", "2026-01", 5.0),  # no cycle: skipped
         (dt.datetime(2025, 11, 1), "t", "demand plan", "B", "2026-01", "300")],
        columns=["Cycle", "SnapshotTime", "Kind", "Item", "Period", "Qty"],
    )  # fmt: skip
    settings, _ = parse_settings(raw["tblSettings"])
    history = cycle_inputs(raw, settings).history
    assert history["kind"].tolist() == ["forecast", "demand plan"]
    assert history["cycle"].tolist() == [pd.Timestamp("2025-12-01"), pd.Timestamp("2025-11-01")]
    assert history["period"].tolist() == [pd.Timestamp("2026-01-01")] * 2
    assert history["qty"].tolist() == [110.0, 300.0]


def test_a_resource_without_hours_shows_the_requirement_and_plans_nothing():
    """R1 set to 0 hours (a line shut for the horizon): the plan makes nothing on it and the
    capacity step reports the requirement's hours instead of refusing a load on 0 hours (it
    did, computing a utilization for RequiredLoad)."""
    inputs = make_inputs()
    inputs.resources.loc["R1"] = 0.0
    fc = forecast_step(inputs, n_jobs=1)
    plan = supply_step(inputs, demand_step(inputs, fc.table).table, fc.table)
    g = grids(plan.table)
    assert g["Production"].loc[["A", "B"]].to_numpy().sum() == 0.0
    table = capacity_step(inputs, plan.table).table.set_index(["Resource", "Measure"])
    need = 0.5 * g["Required"].loc["A"] + 0.1 * g["Required"].loc["B"]
    assert table.loc[("R1", "RequiredLoad"), LABELS].tolist() == pytest.approx(need.tolist())
    assert table.loc[("R1", "OverloadHours"), LABELS].tolist() == pytest.approx(need.tolist())
    assert table.loc[("R1", "Utilization"), LABELS].tolist() == [0.0] * 4
