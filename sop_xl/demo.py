"""A demo company for sop-xl: Brightwater Home & Garden, generated with a fixed seed.

Four families with the patterns a real portfolio has: Garden (summer season), Heating (winter
season), Kitchen (flat and trending items), Spares (intermittent demand); a new product launched
four months before the cycle, still ramping up like the item it is modelled on (launched 21
months before the cycle: tblItems LikeItem and LaunchPeriod), an end-of-life item fading out to
its EndPeriod; 36 months of actuals; prices and
costs with plausible margins; lead times; three resources sized to about 80% average use (so the
summer peak overloads moulding, the S&OP question of the year); a revenue budget per family and
month; open receipts; sales and marketing adjustments; last month's decisions.

:func:`demo_tables` returns the input tables as DataFrames keyed by table name, with the
template's headers; :func:`write_demo` writes them into a new workbook built from the template.

Examples
--------
>>> tables = demo_tables()
>>> sorted(tables)[:3]
['tblActuals', 'tblAdjustments', 'tblBudget']
>>> tables["tblItems"]["Family"].nunique(), len(tables["tblItems"])
(4, 44)
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from sop_xl.workbook import schema

SEED = 20260101
COMPANY = "Brightwater Home & Garden"
FIRST_ACTUAL = pd.Timestamp("2023-01-01")
MONTHS = 36
CYCLE_START = FIRST_ACTUAL + pd.DateOffset(months=MONTHS)  # 2026-01
MEETING = dt.datetime(2025, 12, 17)

# family -> (resource, price range, margin range, base level range, season peak month, amplitude)
FAMILIES = {
    "Garden": ("MOULD", (12.0, 90.0), (0.32, 0.48), (300, 2500), 6, 0.65),
    "Heating": ("ASSY", (45.0, 260.0), (0.28, 0.42), (150, 1200), 12, 0.7),
    "Kitchen": ("ASSY", (18.0, 140.0), (0.30, 0.50), (250, 1800), 11, 0.12),
    "Spares": ("CNC", (6.0, 45.0), (0.50, 0.65), (8, 60), 0, 0.0),
}
PRODUCTS = {
    "Garden": ["Hose 25 m", "Hose reel", "Sprinkler", "Spray gun", "Planter 40 cm", "Planter 60 cm",
               "Watering can", "Rain barrel", "Garden pump", "Compost bin", "Seed tray", "Trug"],
    "Heating": ["Fan heater", "Oil radiator", "Convector", "Panel heater", "Heated throw",
                "Infrared heater", "Towel warmer", "Patio heater", "Heater timer", "Thermostat"],
    "Kitchen": ["Kettle", "Toaster", "Blender", "Hand mixer", "Coffee grinder", "Juicer",
                "Rice cooker", "Food scale", "Milk frother", "Sandwich maker", "Egg cooker",
                "Air fryer"],
    "Spares": ["Hose connector", "Sprinkler head", "Pump seal", "Heater element", "Fan blade",
               "Thermostat knob", "Blender jar", "Kettle lid", "Mixer whisk", "Grinder burr"],
}  # fmt: skip
CODES = {"Garden": "GA", "Heating": "HE", "Kitchen": "KI", "Spares": "SP"}
RESOURCES = {
    "MOULD": "Injection moulding, 2 machines, 2 shifts",
    "ASSY": "Assembly: 2 lines, 2 shifts, 20 operators (labour hours)",
    "CNC": "CNC machining cell, one shift (spare parts)",
}
PLANNERS = ("Anna Berg", "Ben Osei", "Chen Li")
NEW_ITEM = "KI-112"  # Air fryer, launched 4 months before the cycle
LIKE_ITEM = "KI-107"  # Rice cooker, launched 2024-04: the air fryer's like item
LAUNCHES = {LIKE_ITEM: pd.Timestamp("2024-04-01"), NEW_ITEM: pd.Timestamp("2025-09-01")}
EOL_ITEM = "HE-109"  # Heater timer, phased out
END_PERIOD = CYCLE_START + pd.DateOffset(months=3)  # its EndPeriod: no sales from 2026-04
TRENDING_UP = ("KI-103", "KI-106", "GA-109")
TRENDING_DOWN = ("KI-110", "HE-107")


def _months(start: pd.Timestamp, count: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=count, freq="MS")


def _items(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for family, (resource, prices, margins, _, _, _) in FAMILIES.items():
        for k, name in enumerate(PRODUCTS[family], start=1):
            item = f"{CODES[family]}-{100 + k}"
            price = round(float(np.exp(rng.uniform(*np.log(prices)))), 2)
            margin = rng.uniform(*margins)
            cost = round(price * (1 - margin), 2)
            lead = {"MOULD": 1, "ASSY": 2, "CNC": 3}[resource]
            hours = {"MOULD": (0.02, 0.06), "ASSY": (0.08, 0.35), "CNC": (0.4, 1.2)}[resource]
            lot = {"MOULD": 100, "ASSY": 50, "CNC": 10}[resource]
            status = "new" if item == NEW_ITEM else "eol" if item == EOL_ITEM else "active"
            rows.append(
                {
                    "Item": item,
                    "Description": name,
                    "Family": family,
                    "Unit": "pcs",
                    "UnitPrice": price,
                    "UnitCost": cost,
                    "LeadTime": lead,
                    "LeadTimeSD": round(float(rng.uniform(0.1, 0.5)) * lead, 2),
                    "ServiceLevel": 0.98 if k <= 2 and family != "Spares" else None,
                    "MOQ": lot * 2,
                    "LotSize": lot,
                    "Resource": resource,
                    "HoursPerUnit": round(float(rng.uniform(*hours)), 3),
                    "OnHand": 0,  # set from demand below
                    "CycleTimeDays": round(float(rng.uniform(2, 12)), 1),
                    "Owner": PLANNERS[(k - 1) % len(PLANNERS)],
                    "Status": status,
                    "LikeItem": LIKE_ITEM if item == NEW_ITEM else None,
                    "LaunchPeriod": LAUNCHES.get(item),
                    "EndPeriod": END_PERIOD if item == EOL_ITEM else None,
                }
            )
    return pd.DataFrame(rows)


def launch_ramp(age: np.ndarray) -> np.ndarray:
    """Share of its mature level a launched item sells ``age`` months after its launch: 30% in
    the launch month, 10 points more each month, all of it from the eighth month on.

    >>> launch_ramp(np.arange(9)).round(1).tolist()
    [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0]
    """
    return np.minimum(0.3 + 0.1 * age, 1.0)


def _demand(rng: np.random.Generator, item: pd.Series, periods: pd.DatetimeIndex) -> np.ndarray:
    """Monthly demand of one item over ``periods``, by its family's pattern."""
    _, _, _, levels, peak, amplitude = FAMILIES[item["Family"]]
    n = len(periods)
    t = np.arange(n)
    level = float(np.exp(rng.uniform(*np.log(levels))))
    if item["Family"] == "Spares":  # intermittent: a demand in about a third of the months
        occurs = rng.random(n) < rng.uniform(0.25, 0.45)
        sizes = rng.gamma(4.0, level / 4.0, n)
        return np.round(occurs * sizes)
    month = periods.month.to_numpy()
    season = 1 + amplitude * np.cos(2 * np.pi * (month - peak) / 12)
    if item["Family"] in ("Garden", "Heating"):
        season = np.maximum(season, 0.15)
    trend = np.ones(n)
    if item["Item"] in TRENDING_UP:
        trend = 1 + 0.025 * t
    elif item["Item"] in TRENDING_DOWN:
        trend = np.maximum(1 - 0.018 * t, 0.2)
    if item["Item"] == EOL_ITEM:
        trend = np.where(t < 24, 1.0, np.maximum(1 - 0.075 * (t - 23), 0.05))
    noise = rng.normal(1.0, rng.uniform(0.08, 0.2), n).clip(0.5, 1.6)
    qty = np.round(level * season * trend * noise)
    if item["Item"] in LAUNCHES:  # launched in the history: nothing before, then ramping up
        launch = int(np.searchsorted(periods, LAUNCHES[item["Item"]]))
        qty = np.where(t >= launch, np.round(qty * launch_ramp(t - launch)), np.nan)
    return qty


def demo_tables(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The demo company's input tables, keyed by table name.

    Parameters
    ----------
    seed : int
        Random seed; the default gives the documented company.

    Returns
    -------
    dict of str to pandas.DataFrame
        tblSettings, tblItems, tblActuals, tblAdjustments, tblReceipts, tblResources,
        tblBudget, tblDecisions and tblScenarios, each with the template's headers in order.
        Periods are timestamps of the first day of the month.
    """
    rng = np.random.default_rng(seed)
    items = _items(rng)
    periods = _months(FIRST_ACTUAL, MONTHS)
    actual_rows = []
    recent: dict[str, float] = {}
    for _, item in items.iterrows():
        qty = _demand(rng, item, periods)
        for period, value in zip(periods, qty, strict=True):
            if not np.isnan(value):
                actual_rows.append({"Item": item["Item"], "Period": period, "Qty": float(value)})
        recent[item["Item"]] = float(np.nanmean(qty[-6:]))
    actuals = pd.DataFrame(actual_rows)
    # opening stock: about six weeks of recent demand, in lots
    items["OnHand"] = [
        float(np.ceil(1.5 * recent[i] / lot) * lot) if recent[i] > 0 else 0.0
        for i, lot in zip(items["Item"], items["LotSize"], strict=True)
    ]

    items["Backlog"] = None  # nothing owed to customers at the start (blank = 0)

    # resources sized so that the last year's average load uses about 80% of the hours
    last_year = actuals[actuals["Period"] >= periods[-12]]
    load = last_year.merge(items[["Item", "Resource", "HoursPerUnit"]], on="Item")
    load["Hours"] = load["Qty"] * load["HoursPerUnit"]
    monthly = load.groupby("Resource")["Hours"].sum() / 12
    resources = pd.DataFrame(
        {
            "Resource": list(RESOURCES),
            "HoursPerPeriod": [float(np.ceil(monthly[r] / 0.8 / 10) * 10) for r in RESOURCES],
            "Description": list(RESOURCES.values()),
        }
    )

    # budget: average revenue per family and calendar month, plus growth, rounded to 100
    revenue = actuals.merge(items[["Item", "Family", "UnitPrice"]], on="Item")
    revenue["Revenue"] = revenue["Qty"] * revenue["UnitPrice"]
    totals = revenue.groupby(["Family", "Period"])["Revenue"].sum().reset_index()
    by_month = totals.groupby(["Family", totals["Period"].dt.month])["Revenue"].mean()
    budget_rows = []
    for period in _months(periods[-12], 12 + 18):
        for family in FAMILIES:
            growth = 1.02 + 0.03 * (period.year - 2025)  # +2% on 2025, +3% a year after
            base = by_month.get((family, period.month), 0.0) * growth
            value = round(base * rng.uniform(0.97, 1.06) / 100) * 100
            budget_rows.append({"Family": family, "Period": period, "Revenue": float(value)})
    budget = pd.DataFrame(budget_rows)

    receipts = []
    chosen = items[items["Status"] != "eol"].sample(12, random_state=seed % 2**32)
    for _, item in chosen.sort_values("Item").iterrows():
        lot = item["LotSize"]
        for lag in range(int(rng.integers(1, 3))):
            qty = max(lot, np.ceil(recent[item["Item"]] * rng.uniform(0.6, 1.2) / lot) * lot)
            period = CYCLE_START + pd.DateOffset(months=lag)
            receipts.append({"Item": item["Item"], "Period": period, "Qty": float(qty)})

    def plan(months: int) -> pd.Timestamp:
        return CYCLE_START + pd.DateOffset(months=months)

    adjustments = pd.DataFrame(
        [
            ("KI-101", None, plan(2), None, 0.30, "promotion", "Sara (marketing)",
             "Spring kettle promotion with a retail chain"),
            (None, "Garden", plan(4), None, 0.10, "marketing", "Sara (marketing)",
             "TV campaign for the garden season (May)"),
            (None, "Garden", plan(5), None, 0.10, "marketing", "Sara (marketing)",
             "TV campaign for the garden season (June)"),
            ("HE-101", None, plan(1), 400.0, None, "sales", "Tom (key accounts)",
             "Tender won: hotel chain, one-off delivery"),
            (NEW_ITEM, None, plan(0), 150.0, None, "new product", "Sara (marketing)",
             "Launch listing at two more retailers"),
            (NEW_ITEM, None, plan(1), 150.0, None, "new product", "Sara (marketing)",
             "Launch listing at two more retailers"),
            ("GA-103", None, plan(3), 600.0, None, "event", "Tom (key accounts)",
             "Garden trade fair orders"),
        ],
        columns=schema.table("tblAdjustments").headers,
    )  # fmt: skip

    decisions = pd.DataFrame(
        [
            (MEETING, "Garden season", "Pre-build garden items from February to cover the "
             "summer peak above moulding capacity", "Ops director", dt.datetime(2026, 2, 1),
             "open"),
            (MEETING, "Heater timer", "Phase out HE-109; sell remaining stock, no new "
             "production", "Product manager", dt.datetime(2026, 3, 31), "in progress"),
            (MEETING, "Air fryer launch", "Approve launch volumes for KI-112 and list it at "
             "two more retailers", "Sales director", dt.datetime(2026, 1, 31), "done"),
            (MEETING, "Budget gap", "Review Kitchen pricing if revenue stays below budget "
             "after Q1", "CFO", dt.datetime(2026, 4, 15), "open"),
        ],
        columns=schema.table("tblDecisions").headers,
    )  # fmt: skip

    scenarios = pd.DataFrame(
        [
            ("Hot summer", "demand", "Garden", 0.2, "Garden demand 20% above plan"),
            ("Hot summer", "capacity", "MOULD", 0.1, "Saturday shifts on moulding"),
            ("Price +3%", "price", None, 0.03, "List price increase on all items"),
            ("Supplier delay", "lead time", None, 1.0, "Lead times one month longer"),
        ],
        columns=schema.table("tblScenarios").headers,
    )

    settings = {s.key: s.default for s in schema.SETTINGS}
    settings.update(
        Company=COMPANY,
        Owner="Maria Lopez (S&OP lead)",
        CycleStart=CYCLE_START.to_pydatetime(),
        Currency="EUR",
    )
    settings_frame = pd.DataFrame(
        [(s.key, settings[s.key], s.description) for s in schema.SETTINGS],
        columns=schema.table("tblSettings").headers,
    )
    frames = {
        "tblSettings": settings_frame,
        "tblItems": items,
        "tblActuals": actuals,
        "tblAdjustments": adjustments,
        "tblReceipts": pd.DataFrame(receipts),
        "tblResources": resources,
        "tblBudget": budget,
        "tblDecisions": decisions,
        "tblScenarios": scenarios,
    }
    return {name: frames[name][schema.table(name).headers] for name in sorted(frames)}


def write_demo(path: str | os.PathLike[str], seed: int = SEED) -> Path:
    """Write a new workbook from the template, its input tables filled with the demo company.

    The output tables stay empty until the cycle runs. The file is written atomically.
    """
    from sop_xl.workbook.book import new_book
    from sop_xl.workbook.fill import fill_inputs

    book = new_book()
    fill_inputs(book.workbook, demo_tables(seed))
    return book.save(path)
