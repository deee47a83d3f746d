"""The demo company looks like a real business to a planner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.demo import CYCLE_START, EOL_ITEM, NEW_ITEM, demo_tables
from sop_xl.workbook import schema
from sop_xl.workbook.book import open_book
from sop_xl.workbook.validate import validate


@pytest.fixture(scope="module")
def demo():
    return demo_tables()


def _series(demo, item: str) -> pd.Series:
    actuals = demo["tblActuals"]
    return actuals[actuals["Item"] == item].set_index("Period")["Qty"]


def test_fixed_seed_reproduces(demo):
    again = demo_tables()
    for name, frame in demo.items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = demo_tables(seed=1)
    assert not other["tblActuals"]["Qty"].equals(demo["tblActuals"]["Qty"])


def test_headers_are_the_templates(demo):
    for name, frame in demo.items():
        assert list(frame.columns) == schema.table(name).headers
        assert schema.table(name).role == "input"


def test_size_families_and_36_months(demo):
    items, actuals = demo["tblItems"], demo["tblActuals"]
    assert items["Family"].nunique() >= 3 and len(items) >= 40
    assert items["Item"].is_unique
    periods = sorted(actuals["Period"].unique())
    assert len(periods) == 36
    assert periods[0] == pd.Timestamp("2023-01-01") and periods[-1] == pd.Timestamp("2025-12-01")
    assert all(p.day == 1 for p in periods)
    assert not actuals.duplicated(["Item", "Period"]).any()
    assert (actuals["Qty"] >= 0).all() and (actuals["Qty"] == actuals["Qty"].round()).all()


def test_prices_costs_margins(demo):
    items = demo["tblItems"]
    assert (items["UnitPrice"] > 0).all() and (items["UnitCost"] > 0).all()
    margin = (items["UnitPrice"] - items["UnitCost"]) / items["UnitPrice"]
    assert margin.between(0.2, 0.7).all(), margin.describe()
    assert 0.3 < margin.mean() < 0.55
    assert (items["LeadTime"] > 0).all() and (items["LeadTimeSD"] < items["LeadTime"]).all()
    assert set(items["Status"]) == {"active", "new", "eol"}


def test_patterns_present(demo):
    items = demo["tblItems"]
    garden = items.loc[items["Family"] == "Garden", "Item"]
    summer = winter = 0.0
    for item in garden:
        series = _series(demo, item)
        summer += series[series.index.month.isin([5, 6, 7])].mean()
        winter += series[series.index.month.isin([11, 12, 1])].mean()
    assert summer > 2 * winter  # seasonal
    spares = items.loc[items["Family"] == "Spares", "Item"]
    zero_share = np.mean([(_series(demo, i) == 0).mean() for i in spares])
    assert zero_share > 0.4  # intermittent
    up = _series(demo, "KI-103")
    assert up.iloc[-12:].mean() > 1.4 * up.iloc[:12].mean()  # trending
    new = _series(demo, NEW_ITEM)
    assert len(new) == 4 and new.index.min() == pd.Timestamp("2025-09-01")
    assert items.set_index("Item").loc[NEW_ITEM, "Status"] == "new"
    eol = _series(demo, EOL_ITEM)
    assert eol.iloc[-3:].mean() < 0.3 * eol.iloc[:12].mean()
    assert items.set_index("Item").loc[EOL_ITEM, "Status"] == "eol"
    flat = _series(demo, "KI-101")
    assert flat.std() / flat.mean() < 0.35  # a flat item


def test_capacity_sized_to_plausible_utilization(demo):
    items, actuals = demo["tblItems"], demo["tblActuals"]
    resources = demo["tblResources"].set_index("Resource")["HoursPerPeriod"]
    assert len(resources) >= 2
    last_year = actuals[actuals["Period"] >= "2025-01-01"].merge(items, on="Item")
    hours = (
        (last_year["Qty"] * last_year["HoursPerUnit"])
        .groupby([last_year["Resource"], last_year["Period"]])
        .sum()
    )
    utilization = hours.unstack().div(resources, axis=0)
    average = utilization.mean(axis=1)
    assert average.between(0.7, 0.9).all(), average
    assert utilization.max(axis=1).max() < 1.6
    assert set(items["Resource"]) <= set(resources.index)


def test_budget_receipts_adjustments_decisions(demo):
    budget = demo["tblBudget"]
    families = set(demo["tblItems"]["Family"])
    assert set(budget["Family"]) == families
    plan = budget[budget["Period"] >= CYCLE_START]
    assert plan["Period"].nunique() == 18 and (plan["Revenue"] > 0).all()
    receipts = demo["tblReceipts"]
    assert len(receipts) >= 5 and (receipts["Qty"] > 0).all()
    assert (receipts["Period"] >= CYCLE_START).all()
    adjustments = demo["tblAdjustments"]
    assert {"sales", "marketing"} <= set(adjustments["Type"])
    assert adjustments["Family"].notna().any() and adjustments["Item"].notna().any()
    assert len(demo["tblDecisions"]) >= 3


def test_budget_is_close_to_the_business(demo):
    items, actuals, budget = demo["tblItems"], demo["tblActuals"], demo["tblBudget"]
    revenue = actuals.merge(items, on="Item")
    last_year = revenue[revenue["Period"] >= "2025-01-01"]
    actual = (last_year["Qty"] * last_year["UnitPrice"]).sum()
    budgeted = budget[budget["Period"].dt.year == 2025]["Revenue"].sum()
    assert 0.9 < budgeted / actual < 1.15


def test_write_demo_is_valid(demo, demo_unrun_file):
    book = open_book(demo_unrun_file)  # the session's write_demo (conftest.demo_unrun_file)
    assert validate(book) == []
    settings = book.settings()
    assert settings["Company"] == "Brightwater Home & Garden"
    assert settings["CycleStart"] == CYCLE_START
    assert len(book.read_table("tblActuals")) == len(demo["tblActuals"])
    assert book.read_table("tblForecast").empty  # outputs wait for the cycle
