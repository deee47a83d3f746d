"""The capacity-feasible plan (issue 11, item 3): properties of sop_xl.supply.allocation on
random companies, and the allocation rule worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sop_xl.supply import production_plan_table
from sop_xl.supply.allocation import Allocator


def _company(seed: int, items: int, periods: int, tight: float):
    rng = np.random.default_rng(seed)
    names = pd.Index([f"I{i}" for i in range(items)])
    demand = pd.DataFrame(rng.integers(0, 120, (items, periods)).astype(float), index=names)
    resource = pd.Series(rng.choice(["R0", "R1", "R2", None], items), index=names)
    hours = pd.Series(rng.uniform(0.05, 1.0, items), index=names)
    hours[rng.random(items) < 0.1] = 0.0  # no hours: never limited
    mean_load = demand.mul(hours, axis=0).groupby(resource).sum().mean(axis=1)
    capacity = (mean_load * tight).reindex(["R0", "R1", "R2"]).fillna(10.0)
    return {
        "demand": demand,
        "opening": pd.Series(rng.integers(0, 200, items).astype(float), index=names),
        "safety_stock": pd.Series(rng.integers(0, 60, items).astype(float), index=names),
        "resource": resource,
        "hours_per_unit": hours,
        "capacity": capacity,
        "lead_time": pd.Series(rng.integers(0, 3, items).astype(float), index=names),
        "backlog": pd.Series(np.where(rng.random(items) < 0.2, 30.0, 0.0), index=names),
        "build_periods": 2,
    }


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    tight=st.floats(0.3, 2.0),
    prebuild=st.integers(0, 4),
    overtime=st.sampled_from([0.0, 0.1, 0.5]),
    strategy=st.sampled_from(["chase", "level", "capacity"]),
    shortage=st.sampled_from(["backlog", "lost"]),
)
def test_the_plan_fits_the_hours_and_accounts_for_every_unit(
    seed, tight, prebuild, overtime, strategy, shortage
):
    company = _company(seed, items=12, periods=8, tight=tight)
    plan = production_plan_table(
        **company, strategy=strategy, prebuild_periods=prebuild, overtime=overtime,
        shortage=shortage,
    )  # fmt: skip
    made, need = plan.production.to_numpy(), plan.required.to_numpy()
    hours = company["hours_per_unit"]
    limited = company["resource"].notna() & (hours > 0)
    load = plan.production[limited].mul(hours[limited], axis=0).groupby(company["resource"]).sum()
    cap = company["capacity"].reindex(load.index).to_numpy()[:, None] * (1 + overtime)
    assert (load.to_numpy() <= cap + 1e-6).all()
    assert (made >= -1e-9).all() and (plan.shortfall.to_numpy() >= 0).all()
    # nothing new inside the lead time
    frozen = np.arange(8)[None, :] < company["lead_time"].to_numpy()[:, None]
    assert (made[frozen] == 0).all()
    # the requirement = the plan + what capacity could never make (pre-builds only move units)
    unmet = plan.unmet.to_numpy()
    if shortage == "backlog":
        np.testing.assert_allclose(made.sum(axis=1) + unmet, need.sum(axis=1), atol=1e-6)
    else:
        assert (made.sum(axis=1) <= need.sum(axis=1) + 1e-6).all()
    # items not limited get their requirement exactly
    free = ~limited.to_numpy()
    np.testing.assert_array_equal(made[free], need[free])
    # shipments never exceed what is on hand
    assert (plan.shipments.to_numpy() >= -1e-9).all()


def test_ample_capacity_changes_nothing():
    company = _company(7, items=20, periods=10, tight=50.0)
    plan = production_plan_table(**company, strategy="chase", prebuild_periods=3)
    np.testing.assert_array_equal(plan.production.to_numpy(), plan.required.to_numpy())
    assert plan.shortfall.to_numpy().sum() == 0 and plan.unmet.sum() == 0


def test_allocation_rule_serves_priority_order_on_each_resource():
    """Three items want 6 h each on R0 (5 h/unit... per unit 1 h) with 10 h: the first by
    rank gets all 6, the second the 4 left, the third none; R1's item is not affected."""
    codes = np.array([0, 0, 0, 1])
    hours = np.ones(4)
    priority = np.array([2, 0, 1, 3])  # item 1 first, then item 2, then item 0
    allocator = Allocator(codes, hours, priority)
    left = np.array([10.0, 100.0])
    granted = allocator.grant(np.array([6.0, 6.0, 6.0, 6.0]), left)
    assert granted.tolist() == [0.0, 6.0, 4.0, 6.0]
    assert left.tolist() == [0.0, 94.0]


def test_shortfall_is_caught_up_when_hours_free_up():
    """Demand 100, 100, 10, 10 on 60 units of hours a period, nothing may be pre-built: 40
    short in each of the first two periods, made up in the next two (50 + 50 spare)."""
    demand = pd.DataFrame([[100.0, 100.0, 10.0, 10.0]], index=["A"])
    plan = production_plan_table(
        demand, 0, resource=pd.Series({"A": "R"}), hours_per_unit=1.0,
        capacity=pd.Series({"R": 60.0}), prebuild_periods=0,
    )  # fmt: skip
    assert plan.required.loc["A"].tolist() == [100.0, 100.0, 10.0, 10.0]
    assert plan.production.loc["A"].tolist() == [60.0, 60.0, 60.0, 40.0]
    assert plan.shortfall.loc["A"].tolist() == [40.0, 40.0, 0.0, 0.0]
    assert plan.on_hand.loc["A"].tolist() == [-40.0, -80.0, -30.0, 0.0]
    assert plan.unmet.loc["A"] == 0.0
    with pytest.raises(Exception, match="overtime must be"):
        production_plan_table(demand, 0, resource=pd.Series({"A": "R"}), hours_per_unit=1.0,
                              capacity=pd.Series({"R": 60.0}), overtime=1.5)  # fmt: skip


def test_a_resource_without_hours_gets_no_crumbs():
    """Found by the property test of test_supply: on R2 (0 h) the items' cumulative wanted hours
    1.2 - 1.0 - 0.2 came out below 0, which handed 5.6e-17 units to a resource with no hours
    (and the capacity step then refused a load on 0 hours)."""
    values = np.zeros((5, 5))
    values[1, 3], values[2, 3] = 1.0, 0.2
    plan = production_plan_table(
        pd.DataFrame(values), 0, strategy="capacity",
        resource=pd.Series(["R2", "R2", "R1", "R1", "R1"]),
        hours_per_unit=pd.Series([1.0, 1.0, 1.0, 0.0, 0.0]),
        capacity=pd.Series({"R1": 0.0, "R2": 0.0}),
    )  # fmt: skip
    assert plan.production.to_numpy().max() == 0.0
    assert plan.shortfall.to_numpy().sum() == pytest.approx(1.2)
