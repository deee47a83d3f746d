"""Issue 11, item 6: the demo tells one coherent story.

Every headline number of the finished demo is recomputed here from the tables it comes from,
independently of the step code: the supply plan (per item), the capacity table, finance, the
reconciliation, the KPIs and the decisions must agree with one another.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from sop_xl.workbook.book import open_book

TOLERANCE_HOURS = 0.01  # issue 11: differences under 0.01 h are floating-point residue


@pytest.fixture(scope="module")
def demo(demo_finished_file):
    book = open_book(demo_finished_file)
    names = ("tblItems", "tblSettings", "tblSupplyPlan", "tblCapacity", "tblResources",
             "tblFinancePlan", "tblReconciliation", "tblKPIs")  # fmt: skip
    tables = {name: book.read_table(name) for name in names}
    settings = dict(zip(tables["tblSettings"]["Key"], tables["tblSettings"]["Value"], strict=True))
    supply = tables["tblSupplyPlan"]
    labels = [c for c in supply.columns if re.fullmatch(r"\d{4}-\d{2}", str(c))]
    items = tables["tblItems"].set_index("Item")

    def grid(table, key, measure):
        rows = table[table["Measure"] == measure].set_index(key)[labels]
        return rows.astype(float)

    g = {m: grid(supply, "Item", m).reindex(items.index) for m in set(supply["Measure"])}
    cap = {
        m: grid(tables["tblCapacity"], "Resource", m) for m in set(tables["tblCapacity"]["Measure"])
    }
    kpis = tables["tblKPIs"].set_index("KPI")
    return tables, settings, labels, items, g, cap, kpis


def test_a_resource_is_short_and_the_plan_shows_it(demo):
    """The demo company has a resource the requirement overloads; the plan then shows a
    pre-build or a shortfall, never a load above the hours."""
    tables, settings, labels, items, g, cap, kpis = demo
    overtime = float(settings.get("OvertimePct") or 0)
    assert cap["OverloadHours"].to_numpy().sum() > 0
    assert (cap["Load"] <= cap["Available"] * (1 + overtime) + TOLERANCE_HOURS).all().all()
    prebuilt = (g["Production"] - g["Required"]).clip(lower=0).to_numpy().sum()
    assert prebuilt > 0 or g["Shortfall"].to_numpy().sum() > 0
    # the load is the plan's production in hours, the required load the requirement's
    hours = items["HoursPerUnit"].astype(float).fillna(0.0)
    for measure, source in (("Load", "Production"), ("RequiredLoad", "Required")):
        load = g[source].mul(hours, axis=0).groupby(items["Resource"]).sum()
        np.testing.assert_allclose(cap[measure].loc[load.index], load, atol=1e-3)
    over = (cap["RequiredLoad"] - cap["Available"]).clip(lower=0)
    np.testing.assert_allclose(cap["OverloadHours"], over.where(over >= 0.01, 0.0), atol=1e-3)


def test_no_new_supply_inside_the_lead_time(demo):
    tables, settings, labels, items, g, cap, kpis = demo
    frozen = np.ceil(items["LeadTime"].astype(float).fillna(0) - 1e-9) + float(
        settings.get("FrozenPeriods") or 0
    )
    period = np.arange(len(labels))[None, :]
    inside = period < frozen.to_numpy()[:, None]
    assert inside.any()
    assert (g["Production"].to_numpy()[inside] == 0).all()


def test_reconciliation_finance_and_kpis_agree_with_the_supply_plan(demo):
    tables, settings, labels, items, g, cap, kpis = demo
    family = items["Family"]
    rec = tables["tblReconciliation"].set_index(["Family", "Period"])
    shipped = g["Shipments"].groupby(family).sum()
    demand = g["Demand"].groupby(family).sum()
    for (fam, label), row in rec.iterrows():
        assert row["Supply"] == pytest.approx(shipped.at[fam, label], abs=0.06)
        assert row["Demand"] == pytest.approx(demand.at[fam, label], abs=0.06)
        assert row["Gap"] == pytest.approx(row["Supply"] - row["Demand"], abs=0.06)
    # revenue = shipments x price, per family and period
    finance = tables["tblFinancePlan"]
    revenue = finance[finance["Measure"] == "Revenue"].set_index("Family")[labels].astype(float)
    expected = g["Shipments"].mul(items["UnitPrice"].astype(float), axis=0).groupby(family).sum()
    np.testing.assert_allclose(revenue.loc[expected.index], expected, rtol=1e-6, atol=1.0)
    # fill rate = demand shipped in its own period / demand (shipments pay the backlog first)
    owed = pd.concat(
        [items["Backlog"].astype(float).fillna(0.0).rename(labels[0]) if "Backlog" in items
         else pd.Series(0.0, index=items.index, name=labels[0]),
         g["Backlog"].iloc[:, :-1].set_axis(labels[1:], axis=1)], axis=1
    )  # fmt: skip
    served = np.minimum(g["Demand"], (g["Shipments"] - owed).clip(lower=0))
    fill = served.to_numpy().sum() / g["Demand"].to_numpy().sum()
    assert kpis.at["Projected fill rate", "Value"] == pytest.approx(fill, abs=5e-4)
    assert fill < 1.0  # a short resource shows in the fill rate
    short = int((g["OnHand"] < -0.5).any(axis=1).sum())
    assert kpis.at["Items short in the plan", "Value"] == short > 0
    assert kpis.at["Overload hours, requirement", "Value"] == pytest.approx(
        cap["OverloadHours"].to_numpy().sum(), abs=0.05
    )
    for resource in cap["Load"].index:
        util = (cap["Load"].loc[resource] / cap["Available"].loc[resource]).max()
        assert kpis.at[f"Peak utilization, {resource}", "Value"] == pytest.approx(util, abs=1e-3)


def test_decisions_only_for_real_constraints(demo):
    """An overtime decision appears exactly where the plan has a shortfall on the family's
    items, and names the hours that would make it (shortfall x hours per unit)."""
    tables, settings, labels, items, g, cap, kpis = demo
    rec = tables["tblReconciliation"].set_index(["Family", "Period"])
    hours = items["HoursPerUnit"].astype(float).fillna(0.0)
    short_hours = (
        g["Shortfall"].mul(hours, axis=0).groupby([items["Family"], items["Resource"]]).sum()
    )
    found = 0
    for (fam, label), row in rec.iterrows():
        text = str(row["DecisionNeeded"] or "")
        expected = {res: short_hours.at[(f, res), label] for f, res in short_hours.index
                    if f == fam and g["Shortfall"].loc[items.index[(items["Family"] == fam)
                    & (items["Resource"] == res)], label].sum() > 0.5}  # fmt: skip
        named = dict(
            (m.group(2), float(m.group(1).replace(",", "")))
            for m in re.finditer(r"Approve ([\d,]+) h overtime on (\S+) by", text)
        )
        assert set(named) == set(expected), (fam, label, text)
        for res, h in named.items():
            assert h == pytest.approx(expected[res], abs=0.5)
            found += 1
        if "overtime" not in text:
            assert not re.search(r"\bat \d+%", str(row["Flag"] or ""))
    assert found > 0
    assert not math.isnan(float(kpis.at["Items below safety stock", "Value"]))


def test_the_utilization_chart_has_one_line_per_resource(demo_finished_file):
    """Issue 11: the KPI chart plots each resource's Utilization row of tblCapacity, never a
    sum or an average over resources."""
    from openpyxl import load_workbook

    from sop_xl.workbook.charts import UTILIZATION_TITLE, _title_text

    wb = load_workbook(demo_finished_file)
    chart = next(c for c in wb["KPIs"]._charts if _title_text(c) == UTILIZATION_TITLE)
    ws = wb["Capacity"]
    table = open_book(demo_finished_file).read_table("tblCapacity")
    rows = []
    for series in chart.series:
        sheet, _, cells = series.val.numRef.f.rpartition("!")
        assert sheet == "'Capacity'"
        first = cells.split(":")[0].replace("$", "")
        row = int("".join(ch for ch in first if ch.isdigit()))
        label = series.tx.strRef.f.rpartition("!")[2].replace("$", "")
        rows.append((ws[label].value, row))
    resources = list(dict.fromkeys(table["Resource"]))
    assert [name for name, _ in rows] == resources
    for name, row in rows:  # each series is that resource's Utilization row
        measure = [c.value for c in ws[row] if c.value == "Utilization"]
        resource = [c.value for c in ws[row] if c.value == name]
        assert measure and resource, (name, row)


def test_peak_utilization_kpis_stay_three_rows_with_many_resources():
    from sop_xl.cycle.kpis import peak_utilization

    labels = ["2026-01", "2026-02"]
    rows = []
    for r, (load, hours, need) in enumerate(
        [(90, 100, 90), (100, 100, 300), (50, 100, 50), (99, 100, 99), (10, 100, 10)]
    ):
        for measure, value in (("RequiredLoad", need), ("Load", load), ("Available", hours)):
            rows.append({"Resource": f"R{r}", "Measure": measure, labels[0]: value,
                         labels[1]: value / 2})  # fmt: skip
    kpis = peak_utilization(pd.DataFrame(rows), labels)
    assert [k.name for k in kpis] == [
        "Peak utilization, R1",
        "Peak utilization, R3",
        "Peak utilization, 3 other resources",
    ]
    assert [k.value for k in kpis] == [1.0, 0.99, 0.9]
    assert "the requirement needs 300% of its hours (2026-01)" in kpis[0].definition
    assert "peak of R0 in 2026-01" in kpis[2].definition


def test_a_shortage_flag_names_the_units_and_the_revenue_not_shipped(demo):
    tables, settings, labels, items, g, cap, kpis = demo
    rec = tables["tblReconciliation"].set_index(["Family", "Period"])
    unserved = (g["Demand"] - g["Shipments"]).clip(lower=0)
    value = unserved.mul(items["UnitPrice"].astype(float), axis=0).groupby(items["Family"]).sum()
    checked = 0
    for (fam, label), row in rec.iterrows():
        found = re.search(r"short ([\d,]+) units(?: \(EUR ([\d,]+)\))?", str(row["Flag"] or ""))
        if not found:
            assert row["Gap"] >= -0.5, (fam, label)
            continue
        assert float(found.group(1).replace(",", "")) == pytest.approx(-row["Gap"], abs=0.5)
        if found.group(2):
            money = float(found.group(2).replace(",", ""))
            assert money == pytest.approx(value.at[fam, label], abs=0.5)
            checked += 1
    assert checked > 0
