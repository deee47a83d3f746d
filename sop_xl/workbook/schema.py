"""What the S&OP template holds: sheets in cycle order, tables, exact column headers, settings.

Everything that reads, writes, builds or validates the workbook takes its names from here, so the
headers in ``DESIGN.md`` ("The template workbook") are written down exactly once. Code finds a
table by its name and a column by its header text; the position of either on the sheet is free.

Roles: an *input* table is filled by people (or pasted from the ERP) and never rewritten by code;
an *output* table is written only by sop-xl (the cycle) and shows its results. A wide output table
(``period_columns=True``) has its fixed columns first, then one column per plan period with text
headers ``YYYY-MM`` (weeks ``YYYY-Www``).

What a cell of an input column may hold (a number within bounds, one of some choices, whether
it may be blank) is that column's :class:`Rule`, declared here once: the validator checks it and
the template offers it as Excel data validation. The lists of the core (forecast methods,
production strategies) are imported from it, so Settings offers exactly what the core accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sop_xl.forecast.methods import METHODS
from sop_xl.supply.production import MAX_LEAD_TIME, SHORTAGES, STRATEGIES
from sop_xl.workbook.cellvalues import Formula

Role = Literal["input", "output"]
# what a column holds; decides its number format and how it is read
Kind = Literal[
    "text", "units", "number", "decimal", "money", "price", "percent", "days", "date", "period"
]
Severity = Literal["error", "warning"]  # an error stops a run; a warning is only reported

TEMPLATE_VERSION = "1.1"  # 1.1: scenarios, FVA tables, adjustment history

FORECAST_METHODS = METHODS  # the core's list: what ``forecast`` accepts is what Settings offers
ITEM_STATUSES = ("active", "new", "eol")
ADJUSTMENT_TYPES = ("sales", "marketing", "promotion", "new product", "event")
PERIOD_TYPES = ("Month", "Week")
STEP_STATUSES = ("not started", "in progress", "done")
DECISION_STATUSES = ("open", "in progress", "done", "cancelled")
KPI_STATUSES = ("on target", "watch", "off target")
SCENARIO_LEVERS = ("demand", "capacity", "price", "lead time")

SUPPLY_MEASURES = (
    "Demand",
    "Backlog",
    "Receipts",
    "Required",
    "Production",
    "Shipments",
    "OnHand",
    "SafetyStock",
    "Shortfall",
    "DaysOfSupply",
)
CAPACITY_MEASURES = ("RequiredLoad", "Load", "Available", "Utilization", "OverloadHours")
FINANCE_MEASURES = (
    "Revenue",
    "COGS",
    "GrossMargin",
    "InventoryValue",
    "WorkingCapital",
    "Budget",
    "GapToBudget",
)

SOP_MEASURES = (
    "Sales plan",
    "Sales actual",
    "Difference",
    "Cumulative difference",
    "Last cycle's plan",
    "Production plan",
    "Inventory",
    "Days of supply",
    "Backlog",
    "Capacity utilization",
    "Revenue",
    "Budget",
    "Gap to budget",
)
"""The rows of each family block of tblSOPPlan, in order (issue 12)."""


@dataclass(frozen=True)
class Rule:
    """What a cell of an input column may hold, declared once for two readers.

    :mod:`~sop_xl.workbook.validate` checks every cell against it before a run, and
    :mod:`~sop_xl.workbook.builder` offers it in the template as Excel data validation (a
    drop-down list, or number bounds). A rule with ``choices`` is for text: one of them, in any
    case. A ``period`` rule is for a period: ``YYYY-MM`` (weeks ``YYYY-Www``) or the date of its
    first day, not before the period in column ``not_before`` of the same row where both are
    given. A ``refers`` rule is for text naming a row of another table (``tblItems.Item``),
    not the row's own ``refers`` value. Any other rule is for numbers: a number (not text),
    within ``low`` and ``high`` where they are given (ends included unless ``strict``). A blank
    cell is fine unless ``filled``.

    Examples
    --------
    >>> Rule(low=0, high=1, strict=True).admits(1.0), Rule(low=0).bounds
    (False, '>= 0')
    """

    low: float | None = None
    high: float | None = None
    strict: bool = False  # low < x < high instead of low <= x <= high
    choices: tuple[str, ...] = ()
    filled: bool = False  # a blank cell is an error
    severity: Severity = "error"  # of a value outside; "warning": Excel asks, a run goes on
    label: str = ""  # how the validator's messages name the column; blank = the header
    message: str = ""  # validator message for a number outside, with {what} and {value}
    period: bool = False  # a period (text or date), on the Settings PeriodType grid
    not_before: str = ""  # a period rule: the column of the row it may not precede
    refers: str = ""  # ``table.Column`` whose values this text must be one of (issue 15)

    def admits(self, value: Any) -> bool:
        """Whether ``value`` (a number, or a text for a rule with choices) keeps the rule."""
        if self.choices:
            return str(value).strip().lower() in {c.lower() for c in self.choices}
        if self.low is not None and (value <= self.low if self.strict else value < self.low):
            return False
        return self.high is None or (value < self.high if self.strict else value <= self.high)

    @property
    def bounds(self) -> str:
        """The bounds as text, e.g. ``>= 0`` or ``> 0 and < 1`` (blank without bounds)."""
        low = f"{'>' if self.strict else '>='} {self.low:g}" if self.low is not None else ""
        high = f"{'<' if self.strict else '<='} {self.high:g}" if self.high is not None else ""
        return " and ".join(part for part in (low, high) if part)


@dataclass(frozen=True)
class Column:
    """One column of a table: its exact header, what it holds and how it looks."""

    name: str
    kind: Kind = "text"
    width: float = 12
    description: str = ""
    rule: Rule | None = None  # what a cell may hold (input tables); None = anything
    required: bool = True  # must be present as a header (users may add others)


@dataclass(frozen=True)
class Table:
    """One Excel Table (ListObject) of the template."""

    name: str
    sheet: str
    role: Role
    columns: tuple[Column, ...]
    description: str = ""
    period_columns: bool = False  # one extra column per plan period after the fixed ones
    period_kind: Kind = "units"  # number format of the period columns
    # a row's own format: the value of ``kind_column`` in that row picks the kind of the
    # ``kind_targets`` columns (empty = the period columns), e.g. Measure "Utilization" -> %
    measure_kinds: dict[str, Kind] = field(default_factory=dict)
    kind_column: str = "Measure"
    kind_targets: tuple[str, ...] = ()
    other_kind: Kind | None = None  # the kind of a ``kind_column`` value not in measure_kinds
    totals: tuple[str, ...] = ()  # columns summed (SUBTOTAL) in the row above the header
    period_totals: bool = False  # the period columns are summed too

    @property
    def headers(self) -> list[str]:
        """The fixed headers, in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column spec called ``name`` (exact header)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    def kind_of(self, header: str) -> Kind:
        """Kind of any header of this table, period columns included."""
        for col in self.columns:
            if col.name == header:
                return col.kind
        return self.period_kind if self.period_columns else "text"


@dataclass(frozen=True)
class Sheet:
    """One sheet of the template, in cycle order."""

    name: str
    who: str
    purpose: str
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setting:
    """One key of tblSettings with its default, type and description."""

    key: str
    default: Any
    kind: Literal["text", "int", "float", "period", "choice"]
    description: str
    choices: tuple[str, ...] = ()
    low: float | None = None  # inclusive bounds for numbers
    high: float | None = None

    @property
    def rule(self) -> Rule | None:
        """The setting's choices or bounds as a :class:`Rule` (None: any value)."""
        if not self.choices and self.low is None and self.high is None:
            return None
        return Rule(low=self.low, high=self.high, choices=self.choices)


def _input(name: str, sheet: str, description: str, *columns: Column, **options: Any) -> Table:
    return Table(name, sheet, "input", columns, description, **options)


def _output(name: str, sheet: str, description: str, *columns: Column, **options: Any) -> Table:
    return Table(name, sheet, "output", columns, description, **options)


def _wide(name: str, sheet: str, description: str, *columns: Column, **options: Any) -> Table:
    """An output table with its fixed ``columns``, then one column per plan period."""
    return Table(name, sheet, "output", columns, description, period_columns=True, **options)


def _accuracy_columns(lag: int) -> tuple[Column, ...]:
    """The lag-``lag`` columns of tblForecastAccuracy."""
    at = f"Lag{lag}"
    note = " (< 0: the overrides hurt)" if lag == 1 else f", lag {lag}"
    return (
        Column(f"{at}Actual", "units", 11, f"Actual units of the lag-{lag} pairs"),
        Column(f"{at}Naive", "percent", 10, f"Lag-{lag} WAPE of the naive forecast"),
        Column(f"{at}Statistical", "percent", 10, f"Lag-{lag} WAPE of the statistical forecast"),
        Column(f"{at}Consensus", "percent", 10, f"Lag-{lag} WAPE of the consensus plan"),
        Column(f"{at}Bias", "percent", 9, f"Lag-{lag} bias of the consensus plan"),
        Column(f"{at}StatFVA", "percent", 10, f"Naive WAPE - statistical WAPE, lag {lag}"),
        Column(f"{at}OverrideFVA", "percent", 11, f"Statistical WAPE - consensus WAPE{note}"),
    )


C = Column  # short aliases for the declarations below
AT_LEAST_0 = Rule(low=0)  # a number >= 0, or blank
GIVEN_AT_LEAST_0 = Rule(low=0, filled=True)
PRICE = Rule(low=0, filled=True, label="UnitPrice (price)")
COST = Rule(low=0, filled=True, label="UnitCost (cost)")
SERVICE_LEVEL = Rule(low=0, high=1, strict=True)  # a probability; not 0 or 1
SOLD = Rule(low=0, filled=True, severity="warning")  # a negative actual is a return, used as given
ITEM_STATUS = Rule(choices=ITEM_STATUSES)
ADJUSTMENT_TYPE = Rule(choices=ADJUSTMENT_TYPES, severity="warning")
PERCENT_CHANGE = Rule(low=-1, message="{what} below -100% would make demand negative; got {value}")
# Bounds no real plan reaches, so a value beyond them is a typo, refused with its cell named:
MAX_HOURS_PER_PERIOD = 1e6  # available hours of one resource in one period [h] (a week has 168)
HOURS = Rule(
    low=0,
    high=MAX_HOURS_PER_PERIOD,
    filled=True,
    message="{what} must be between 0 and 1,000,000 hours per period; got {value}",
)
LEAD_TIME = Rule(
    low=0,
    high=MAX_LEAD_TIME,
    message="{what} must be between 0 and 1,000 periods; got {value}",
)
GIVEN_LEAD_TIME = Rule(
    low=0,
    high=MAX_LEAD_TIME,
    filled=True,
    message="{what} must be between 0 and 1,000 periods; got {value}",
)
PERIOD_YEARS = (1900, 2199)  # a period outside these years is a date typo (pandas stops at 2262)
MAX_GAP_YEARS = 10  # actuals further apart than this (no sales in between) are a date typo
# issue 15: new products and phase-out
LIKE_ITEM = Rule(refers="tblItems.Item")
LAUNCH_PERIOD = Rule(period=True)
END_PERIOD = Rule(period=True, not_before="LaunchPeriod")
ITEM = C("Item", "text", 12, "Item code")
FAMILY = C("Family", "text", 12, "Product family")
PLAN_PERIOD = C("Period", "text", 9, "Plan period")
WHY = C("Comment", "text", 30, "Why")

SUMMARY_TABLES = (
    _output(
        "tblYearView",
        "Summary",
        "The fiscal year: actual to date + plan for the rest vs budget, per family",
        C("Family", "text", 11, "Product family, or Total"),
        C("VolumeToDate", "units", 11, "Units sold this fiscal year before the cycle start"),
        C("VolumeRest", "units", 11, "Units the plan ships in the rest of the fiscal year"),
        C("Volume", "units", 11, "VolumeToDate + VolumeRest"),
        C("RevenueToDate", "money", 12, "Actual revenue this fiscal year (qty x UnitPrice)"),
        C("RevenueRest", "money", 12, "Plan revenue for the rest of the fiscal year"),
        C("Revenue", "money", 12, "RevenueToDate + RevenueRest"),
        C("Budget", "money", 12, "tblBudget rows of the fiscal year (months without one: Note)"),
        C("GapToBudget", "money", 12, "Revenue - Budget, over the months with a budget"),
        C("GapPct", "percent", 8, "GapToBudget / Budget"),
        C("Note", "text", 30, "Months without a budget row (not counted as 0)"),
    ),
    _output(
        "tblHeadlineKPIs",
        "Summary",
        "The headline indicators of tblKPIs, with their status",
        C("KPI", "text", 34, "Indicator (tblKPIs)"),
        C("Value", "number", 12, "This cycle's value"),
        C("Target", "number", 12, "Target"),
        C("Status", "text", 11, "on target, watch or off target (from tblKPIs)"),
        C("Unit", "text", 7, "Unit of the value"),
        measure_kinds={"%": "percent", "days": "days", "units": "units", "h": "number"}
        | {"EUR": "money", "USD": "money", "GBP": "money", "x": "decimal"},
        kind_column="Unit",
        kind_targets=("Value", "Target"),
    ),
    _output(
        "tblTopDecisions",
        "Summary",
        "The decisions and risks of the Reconciliation, the most revenue at stake first",
        C("Decision", "text", 50, "What the executive meeting must decide (tblReconciliation)"),
        C(
            "AtStake",
            "money",
            11,
            "Revenue at stake: the shortage at the family's price, or the revenue below budget, "
            "whichever is larger",
        ),
        C("Family", "text", 11, "Product family"),
        C("Period", "text", 11, "Plan period"),
    ),
    _output(
        "tblRevenueByMonth",
        "Summary",
        "Revenue per period of the fiscal year (the chart's data)",
        C("Period", "text", 9, "Period of the fiscal year"),
        C("Actual", "money", 12, "Actual revenue (periods before the cycle start)"),
        C("Plan", "money", 12, "Plan revenue (tblFinancePlan)"),
        C("Budget", "money", 12, "Budget revenue (blank: no budget row)"),
    ),
    _output(
        "tblPlanChange",
        "Summary",
        "What changed since last cycle: this consensus plan against the last one, per family",
        C("Family", "text", 11, "Product family"),
        PLAN_PERIOD,
        C("LastPlan", "units", 10, "Last cycle's consensus (tblHistory)"),
        C("ThisPlan", "units", 10, "This cycle's consensus (tblDemandPlan)"),
        C("Change", "units", 9, "ThisPlan - LastPlan"),
        C("ChangePct", "percent", 9, "Change / LastPlan"),
        C("RevenueChange", "money", 12, "Change x UnitPrice, item by item"),
        totals=("RevenueChange",),
    ),
)

_TABLES = (
    _input(
        "tblSettings",
        "Settings",
        "Cycle settings read by every step",
        C("Key", "text", 18, "Setting name (do not rename)"),
        C("Value", "text", 28, "Your value"),
        C("Description", "text", 70, "What the setting does"),
    ),
    _input(
        "tblItems",
        "Items",
        "Item master: prices, costs, lead times, resources",
        C("Item", "text", 12, "Item code, unique"),
        C("Description", "text", 28, "Item name"),
        C("Family", "text", 14, "Product family (plans and budget roll up to it)"),
        C("Unit", "text", 7, "Unit of measure"),
        C("UnitPrice", "price", 11, "Selling price per unit", PRICE),
        C("UnitCost", "price", 11, "Standard cost per unit", COST),
        C("LeadTime", "number", 10, "Replenishment lead time [periods]", GIVEN_LEAD_TIME),
        C("LeadTimeSD", "number", 11, "Standard deviation of the lead time [periods]", LEAD_TIME),
        C("ServiceLevel", "percent", 12, "Cycle service level; blank = Settings", SERVICE_LEVEL),
        C("MOQ", "units", 8, "Minimum order/production quantity [units]", AT_LEAST_0),
        C("LotSize", "units", 9, "Production is rounded up to a multiple [units]", AT_LEAST_0),
        C("Resource", "text", 12, "Resource that makes it (tblResources)"),
        C("HoursPerUnit", "decimal", 12, "Resource hours per unit [h]", AT_LEAST_0),
        C("OnHand", "units", 10, "Opening on-hand before the first plan period", AT_LEAST_0),
        C("CycleTimeDays", "number", 13, "Production cycle time [days]", AT_LEAST_0),
        C("Owner", "text", 12, "Planner responsible"),
        C("Status", "text", 9, "active, new (no history yet) or eol (phase-out)", ITEM_STATUS),
        C(
            "Backlog",
            "units",
            9,
            "Units owed to customers at the start (blank = 0)",
            AT_LEAST_0,
            required=False,
        ),
        C(
            "LikeItem",
            "text",
            11,
            "A new item: the existing item whose launch and season it follows (blank = its "
            "family's)",
            LIKE_ITEM,
            required=False,
        ),
        C(
            "LaunchPeriod",
            "period",
            12,
            "First period the item sells (YYYY-MM); its history starts there",
            LAUNCH_PERIOD,
            required=False,
        ),
        C(
            "EndPeriod",
            "period",
            11,
            "Phase-out: first period without demand (YYYY-MM); the forecast is 0 from it on",
            END_PERIOD,
            required=False,
        ),
    ),
    _input(
        "tblActuals",
        "Actuals",
        "Sales history, long format (paste from the ERP)",
        C("Item", "text", 12, "Item code (tblItems)"),
        C("Period", "period", 11, "Month (first day) or week start; text YYYY-MM ok"),
        C("Qty", "units", 10, "Units sold/shipped in the period", SOLD),
        totals=("Qty",),
    ),
    _wide(
        "tblForecast",
        "Forecast",
        "Statistical forecast per item",
        ITEM,
        C("Family", "text", 14, "Product family"),
        C("Method", "text", 15, "Forecast method used"),
        C("Pattern", "text", 14, "Demand pattern (smooth/erratic/intermittent/lumpy)"),
        C("ABC", "text", 6, "Value class"),
        C("XYZ", "text", 6, "Variability class"),
        C("HoldoutWAPE", "percent", 13, "Forecast error on the holdout periods (WAPE)"),
        # issue 15, after DESIGN's fixed columns; optional: an older workbook's table lacks it
        C(
            "EventsRemoved",
            "units",
            13,
            "Units of past events (new product, promotion, event adjustments) taken out of "
            "the history before forecasting; blank = none",
            required=False,
        ),
        period_totals=True,
    ),
    _input(
        "tblAdjustments",
        "Adjustments",
        "Sales and marketing adjustments to the statistical forecast",
        C("Item", "text", 12, "Item code, or blank for a family adjustment"),
        C("Family", "text", 12, "Family, when the adjustment is for a whole family"),
        C("Period", "period", 10, "Plan period"),
        C("Qty", "units", 9, "Absolute change [units] (or use Percent)", Rule()),
        C(
            "Percent",
            "percent",
            9,
            "Relative change, e.g. 10% (or use Qty)",
            PERCENT_CHANGE,
        ),
        C("Type", "text", 12, ", ".join(ADJUSTMENT_TYPES), ADJUSTMENT_TYPE),
        C("Owner", "text", 11, "Who asked for it"),
        WHY,
    ),
    _wide(
        "tblDemandPlan",
        "Demand Plan",
        "Consensus demand = statistical forecast + adjustments",
        ITEM,
        C("Family", "text", 14, "Product family (filter it for family totals)"),
        period_totals=True,
    ),
    _input(
        "tblReceipts",
        "Supply",
        "Open orders and scheduled receipts",
        ITEM,
        C("Period", "period", 10, "Period the receipt arrives"),
        C("Qty", "units", 9, "Units due in", GIVEN_AT_LEAST_0),
        totals=("Qty",),
    ),
    _wide(
        "tblSupplyPlan",
        "Supply",
        "Supply plan per item: production, projected on-hand, safety stock",
        ITEM,
        C("Measure", "text", 13, "Demand, Backlog, Receipts, Required, Production, ..."),
        measure_kinds={m: "units" for m in SUPPLY_MEASURES} | {"DaysOfSupply": "days"},
    ),
    _input(
        "tblResources",
        "Capacity",
        "Resources and available hours",
        C("Resource", "text", 12, "Resource name (used in tblItems)"),
        C("HoursPerPeriod", "number", 14, "Available hours per period [h]", HOURS),
        C("Description", "text", 44, "What it is"),
    ),
    _wide(
        "tblCapacity",
        "Capacity",
        "Load and utilization per resource (over 100% = overloaded)",
        C("Resource", "text", 12, "Resource"),
        C(
            "Measure",
            "text",
            15,
            "RequiredLoad, Load, Available, OverloadHours (hours) or Utilization",
        ),
        period_kind="number",
        measure_kinds={m: "number" for m in CAPACITY_MEASURES} | {"Utilization": "percent"},
    ),
    _input(
        "tblBudget",
        "Finance",
        "Revenue budget per family and period",
        FAMILY,
        C("Period", "period", 10, "Period"),
        C("Revenue", "money", 13, "Budgeted revenue", Rule(0, filled=True, label="budget Revenue")),
        totals=("Revenue",),
    ),
    _wide(
        "tblFinancePlan",
        "Finance",
        "Financial view of the plan per family",
        FAMILY,
        C("Measure", "text", 15, "Revenue, COGS, GrossMargin, ..."),
        period_kind="money",
    ),
    _wide(
        "tblSOPPlan",
        "S&OP Plan",
        "The family S&OP plan: past periods show actuals, future periods the plan",
        FAMILY,
        C("Measure", "text", 23, "Sales plan, Sales actual, Difference, ... (one block a family)"),
        C("Unit", "text", 9, "The family's unit, the currency, % (of the resource) or days"),
        measure_kinds={m: "units" for m in SOP_MEASURES}
        | {"Capacity utilization": "percent", "Days of supply": "days"}
        | {m: "money" for m in ("Revenue", "Budget", "Gap to budget")},
    ),
    _output(
        "tblReconciliation",
        "Reconciliation",
        "Pre-S&OP: demand vs supply, revenue vs budget, per family and period",
        FAMILY,
        PLAN_PERIOD,
        C("Demand", "units", 10, "Consensus demand [units]"),
        C("Supply", "units", 10, "Planned supply [units]"),
        C("Gap", "units", 9, "Supply - demand (negative = shortage)"),
        C("Revenue", "money", 12, "Plan revenue"),
        C("Budget", "money", 12, "Budget revenue"),
        C("GapToBudget", "money", 12, "Revenue - budget"),
        C("GrossMargin", "money", 12, "Revenue - COGS"),
        C("Flag", "text", 24, "What is off"),
        C("DecisionNeeded", "text", 44, "What the executive meeting must decide"),
        totals=("Demand", "Supply", "Gap", "Revenue", "Budget", "GapToBudget", "GrossMargin"),
    ),
    _input(
        "tblScenarios",
        "Reconciliation",
        "What-if scenarios computed beside the base plan (the base plan is not changed)",
        C("Scenario", "text", 16, "Scenario name (rows with one name form one what-if)"),
        C(
            "Lever",
            "text",
            11,
            "demand, capacity, price or lead time",
            Rule(choices=SCENARIO_LEVERS),
        ),
        C("AppliesTo", "text", 11, "Item, family or resource; blank = all"),
        C("Change", "decimal", 9, "Fraction (0.1 = +10%); lead time: periods (+1)"),
        C("Comment", "text", 28, "Why"),
    ),
    _output(
        "tblScenarioCompare",
        "Reconciliation",
        "Scenario vs base plan, per family, over the plan horizon",
        C("Scenario", "text", 16, "Scenario name"),
        C("Family", "text", 12, "Product family, or Total"),
        C("Measure", "text", 15, "Demand, Supply, Revenue, GrossMargin, WorkingCapital"),
        C("Base", "number", 12, "Base plan over the horizon (working capital: average)"),
        C("WhatIf", "number", 12, "The scenario's value"),
        C("Difference", "number", 12, "WhatIf - Base"),
        C("DiffPct", "percent", 9, "Difference / Base"),
        measure_kinds={"Demand": "units", "Supply": "units"}
        | {m: "money" for m in ("Revenue", "GrossMargin", "WorkingCapital")},
        kind_targets=("Base", "WhatIf", "Difference"),
    ),
    *SUMMARY_TABLES,
    _output(
        "tblKPIs",
        "KPIs",
        "S&OP key performance indicators",
        C("KPI", "text", 30, "Indicator"),
        C("Value", "number", 13, "This cycle's value"),
        C("Target", "number", 12, "Target"),
        C("Status", "text", 11, "on target, watch or off target"),
        C("Unit", "text", 7, "Unit of the value"),
        C("Definition", "text", 37, "How it is computed"),
        measure_kinds={"%": "percent", "days": "days", "units": "units", "h": "number"}
        | {"x": "number", "items": "units", "count": "units"},
        kind_column="Unit",
        kind_targets=("Value", "Target"),
        other_kind="money",  # any other unit is the Settings currency
    ),
    _output(
        "tblKPITrend",
        "KPIs",
        "Totals per period behind the KPI charts",
        C("Period", "text", 9, "Period (history and plan)"),
        C("Actual", "units", 10, "Actual sales [units]"),
        C("Forecast", "units", 10, "Forecast / consensus demand [units]"),
        C("OnHand", "units", 10, "Projected on-hand, all items [units]"),
        C("SafetyStock", "units", 11, "Safety stock, all items [units]"),
        C("Utilization", "percent", 11, "Planned utilization of the busiest resource"),
        C("Revenue", "money", 12, "Revenue (actual, then plan)"),
        C("Budget", "money", 12, "Budget revenue"),
    ),
    _output(
        "tblFVA",
        "KPIs",
        "Forecast value added of each step, from History and Actuals",
        C("Step", "text", 12, "naive, statistical (tblForecast), consensus (tblDemandPlan)"),
        C("Lag1WAPE", "percent", 10, "sum|F - A| / sum A, plans made 1 period ahead"),
        C("Lag1Bias", "percent", 9, "sum(F - A) / sum A at lag 1 (+ = over-forecast)"),
        C("Lag1FVA", "percent", 9, "WAPE of the step before minus this WAPE (+ = helps)"),
        C("Lag3WAPE", "percent", 10, "WAPE of plans made 3 periods ahead"),
        C("Lag3Bias", "percent", 9, "Bias at lag 3"),
        C("Lag3FVA", "percent", 9, "Forecast value added at lag 3"),
        C("Pairs", "units", 8, "Item-periods compared at lag 1"),
    ),
    _output(
        "tblForecastAccuracy",
        "KPIs",
        "Lag-1 and lag-3 accuracy per item, family and total: sort to find harmful overrides",
        C("Level", "text", 8, "total, family or item (filter it)"),
        C("Name", "text", 12, "Item code, family or Total"),
        C("Family", "text", 11, "Family of the item"),
        *_accuracy_columns(1),
        *_accuracy_columns(3),
    ),
    _input(
        "tblDecisions",
        "Decisions",
        "Executive S&OP meeting decisions and follow-up",
        C("Date", "date", 11, "Meeting date"),
        C("Topic", "text", 22, "What it is about"),
        C("Decision", "text", 50, "What was decided"),
        C("Owner", "text", 12, "Who carries it out"),
        C("Due", "date", 11, "By when"),
        C(
            "Status",
            "text",
            11,
            "open, in progress, done, cancelled",
            Rule(choices=DECISION_STATUSES),
        ),
    ),
    _output(
        "tblHistory",
        "History",
        "Snapshots of each cycle's plans (for lag accuracy and FVA)",
        C("Cycle", "text", 9, "Cycle (first plan period)"),
        C("SnapshotTime", "text", 19, "When the snapshot was taken"),
        C("Kind", "text", 12, "forecast, demand plan, supply plan, ..."),
        ITEM,
        PLAN_PERIOD,
        C("Qty", "units", 10, "Planned quantity"),
    ),
    _output(
        "tblAdjustmentHistory",
        "History",
        "Adjustments of past periods, moved out of tblAdjustments by roll forward",
        C("Cycle", "text", 9, "Cycle the adjustment belonged to"),
        C("MovedTime", "text", 19, "When roll forward moved it here"),
        ITEM,
        FAMILY,
        C("Period", "text", 9, "Period adjusted"),
        C("Qty", "units", 9, "Absolute change [units]"),
        C("Percent", "percent", 9, "Relative change"),
        C("Type", "text", 12, ", ".join(ADJUSTMENT_TYPES)),
        C("Owner", "text", 16, "Who asked for it"),
        WHY,
    ),
    _output(
        "tblLog",
        "Log",
        "Every run, appended",
        C("Time", "text", 19, "When"),
        C("User", "text", 12, "Who"),
        C("Action", "text", 18, "What ran"),
        C("Rows", "units", 8, "Rows written"),
        C("Seconds", "number", 9, "How long"),
        C("Messages", "text", 80, "Warnings and notes"),
    ),
)
TABLES: dict[str, Table] = {t.name: t for t in _TABLES}
del C

SHEETS: tuple[Sheet, ...] = (
    Sheet("Start", "-", "Cycle month, owner, the six steps with status and dates, how to use"),
    Sheet(
        "Summary",
        "sop-xl",
        "The fiscal year against budget, what changed since last cycle, the decisions with the "
        "most revenue at stake and the headline KPIs",
        tuple(t.name for t in SUMMARY_TABLES),
    ),
    Sheet(
        "Settings",
        "planner",
        "Cycle settings: start period, horizon, methods, finance days",
        ("tblSettings",),
    ),
    Sheet("Items", "planner / finance", "Item master: one row per item", ("tblItems",)),
    Sheet(
        "Actuals",
        "planner (ERP paste)",
        "Sales history, one row per item and period (prints only this title: clear the print "
        "area to print the rows)",
        ("tblActuals",),
    ),
    Sheet(
        "Forecast", "sop-xl", "Statistical forecast, method and accuracy per item", ("tblForecast",)
    ),
    Sheet(
        "Adjustments",
        "sales / marketing",
        "Type adjustments to the statistical forecast (promotions, events, new products, "
        "phase-outs); the consensus plan is on Demand Plan",
        ("tblAdjustments",),
    ),
    Sheet(
        "Demand Plan",
        "sop-xl",
        "Consensus demand plan = statistical forecast + the adjustments of sheet Adjustments; "
        "filter by Family for family totals",
        ("tblDemandPlan",),
    ),
    Sheet(
        "Item Plan",
        "planner",
        "One item's actuals, statistical forecast, adjustments, consensus and last cycle's plan, "
        "by formulas: pick the item in the yellow cell",
    ),
    Sheet(
        "Supply",
        "supply planner",
        "Type open receipts on the left; the supply plan appears on the right",
        ("tblReceipts", "tblSupplyPlan"),
    ),
    Sheet(
        "Capacity",
        "operations",
        "Type resources and hours on the left; load and utilization appear on the right",
        ("tblResources", "tblCapacity"),
    ),
    Sheet(
        "Finance",
        "finance",
        "Type the budget on the left; revenue, margin and working capital appear on the right",
        ("tblBudget", "tblFinancePlan"),
    ),
    Sheet(
        "S&OP Plan",
        "sop-xl",
        "Per family and in total: sales plan against actuals, last cycle's plan, production, "
        "inventory, capacity, revenue and budget; quarters and fiscal years at the right",
        ("tblSOPPlan",),
    ),
    Sheet(
        "Reconciliation",
        "pre-S&OP meeting",
        "Demand vs supply and revenue vs budget per family and period, with the decision needed; "
        "type what-if scenarios; they are compared with the base plan on the right",
        ("tblReconciliation", "tblScenarios", "tblScenarioCompare"),
    ),
    Sheet(
        "KPIs",
        "managers",
        "Key indicators against target, and the charts for the meeting",
        ("tblKPIs", "tblKPITrend", "tblFVA", "tblForecastAccuracy"),
    ),
    Sheet(
        "Decisions", "executive meeting", "Decisions taken, owners and due dates", ("tblDecisions",)
    ),
    Sheet(
        "History",
        "sop-xl",
        "Snapshots of each cycle's plans; adjustments of past periods (prints only this title: "
        "clear the print area to print the rows)",
        ("tblHistory", "tblAdjustmentHistory"),
    ),
    Sheet("Log", "sop-xl", "Every run of sop-xl", ("tblLog",)),
    Sheet("xlwings.conf", "-", "xlwings settings for the Excel functions"),
)

SETTINGS: tuple[Setting, ...] = (
    Setting("Company", "My Company", "text", "Company name shown on the Start sheet"),
    Setting("Owner", "", "text", "The one person who owns the S&OP process"),
    Setting(
        "CycleStart",
        None,
        "period",
        "First plan period (YYYY-MM or a date); blank = the period after the last actual",
    ),
    Setting("Horizon", 18, "int", "Number of plan periods", low=1, high=104),
    Setting("PeriodType", "Month", "choice", "Month or Week", choices=PERIOD_TYPES),
    Setting(
        "SeasonLength", 12, "int", "Periods per season (12 months; 0 or 1 = none)", low=0, high=53
    ),
    Setting(
        "ForecastMethod",
        "auto",
        "choice",
        "Forecast method for every item; auto picks one per item",
        choices=FORECAST_METHODS,
    ),
    Setting(
        "HoldoutPeriods", 6, "int", "Last periods kept aside to measure accuracy", low=0, high=36
    ),
    Setting(
        "ServiceLevel", 0.95, "float", "Default cycle service level (0-1)", low=0.5, high=0.9999
    ),
    Setting(
        "Strategy",
        "chase",
        "choice",
        "Production requirement: chase or level (capacity = chase); the plan always fits it into "
        "the resources' hours",
        choices=STRATEGIES,
    ),
    Setting("Currency", "EUR", "text", "Currency of prices, costs and budget"),
    Setting(
        "DaysPerPeriod", 30, "float", "Days in one period (days of supply, DSO/DPO)", low=1, high=31
    ),
    Setting("DSO", 45, "float", "Days sales outstanding (receivables)", low=0, high=365),
    Setting("DPO", 30, "float", "Days payables outstanding (payables)", low=0, high=365),
    Setting("ABC_A", 0.8, "float", "ABC: cumulative value share of class A", low=0, high=1),
    Setting("ABC_B", 0.95, "float", "ABC: cumulative value share of A+B", low=0, high=1),
    Setting("XYZ_X", 0.5, "float", "XYZ: coefficient of variation limit of X", low=0, high=10),
    Setting("XYZ_Y", 1.0, "float", "XYZ: coefficient of variation limit of Y", low=0, high=10),
    # beyond DESIGN.md's keys
    Setting(
        "HistoryPeriods",
        None,
        "int",
        "Plan periods per item each snapshot keeps in History; blank = the whole horizon, "
        "3 is enough for lag-1 and lag-3 accuracy (a smaller, faster workbook)",
        low=1,
        high=104,
    ),
    # issue 11: a lead-time-feasible supply plan
    Setting(
        "FrozenPeriods",
        0,
        "int",
        "Periods after every item's lead time that still get no new production (only open "
        "receipts)",
        low=0,
        high=104,
    ),
    Setting(
        "SafetyStockBuildPeriods",
        3,
        "int",
        "Periods after the lead time over which the safety stock is built up (1 = at once)",
        low=1,
        high=104,
    ),
    Setting(
        "Shortage",
        "backlog",
        "choice",
        "Unshipped demand: backlog (owed, shipped first when supply allows) or lost",
        choices=SHORTAGES,
    ),
    Setting(
        "PrebuildPeriods",
        3,
        "int",
        "Periods production may move earlier into free capacity when a resource is short",
        low=0,
        high=104,
    ),
    Setting(
        "OvertimePct",
        0,
        "float",
        "Share of extra hours every resource may work above HoursPerPeriod (0.1 = 10%)",
        low=0,
        high=1,
    ),
    # issue 14: plans at scale
    Setting(
        "Scheduler",
        "",
        "text",
        "Dask scheduler that forecasts on a cluster (e.g. tcp://10.0.0.5:8786); blank = this "
        "computer's cores",
    ),
    Setting(
        "Archive",
        "",
        "text",
        "Plan archive: blank = History stays in this workbook; a file name (e.g. plans.duckdb, "
        "beside the workbook) = a DuckDB file; postgresql://user@host/db = a shared PostgreSQL",
    ),
    Setting(
        "HistoryCycles",
        None,
        "int",
        "With an Archive: the last cycles History keeps in the workbook (blank = 3); the "
        "archive holds all",
        low=0,
        high=1000,
    ),
    # issue 12: the meeting pack
    Setting(
        "FiscalYearStart",
        1,
        "int",
        "First month of the fiscal year (1 = January); FYyyyy is named by the year it ends in",
        low=1,
        high=12,
    ),
)

SETTING_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}

# The six steps of the monthly cycle (Start sheet): step, owner, sheets, what to do
CYCLE_STEPS: tuple[tuple[str, str, str, str], ...] = (
    (
        "1. Gather data and forecast",
        "Demand planner",
        "Settings, Items, Actuals, Forecast",
        "Paste last month's sales into Actuals, update Items; run the forecast and check "
        "methods and forecast errors on Forecast",
    ),
    (
        "2. Demand planning",
        "Sales & marketing",
        "Adjustments, Demand Plan",
        "Add adjustments (promotions, events, new products) in tblAdjustments; review the "
        "consensus demand plan",
    ),
    (
        "3. Supply planning",
        "Supply planner, operations",
        "Supply, Capacity",
        "Enter open receipts and resource hours; review production, projected stock, "
        "shortages and overloaded resources",
    ),
    (
        "4. Pre-S&OP reconciliation",
        "Finance, demand and supply planners",
        "Finance, Reconciliation",
        "Enter the budget; review revenue, margin and gaps to budget; agree the decisions "
        "to take to the executive meeting",
    ),
    (
        "5. Executive S&OP meeting",
        "Executive management",
        "KPIs, Decisions",
        "Review the KPIs and charts; record each decision with its owner and due date",
    ),
    (
        "6. Implementation",
        "Department leaders",
        "Decisions, History, Log",
        "Carry out the decisions; snapshot the cycle to History and roll forward next month",
    ),
)

INPUT_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES.values() if t.role == "input")
OUTPUT_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES.values() if t.role == "output")
SHEET_NAMES: tuple[str, ...] = tuple(s.name for s in SHEETS)

# keys as xlwings' docs spell them; its VBA reads them upper-cased: GetConfig("UDF MODULES")
XLWINGS_CONF: tuple[tuple[str, str], ...] = (("UDF Modules", "sop_udfs"),)


def table(name: str) -> Table:
    """The spec of table ``name``.

    >>> table("tblActuals").headers
    ['Item', 'Period', 'Qty']
    """
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise KeyError(f"unknown table {name!r}; known tables: {known}") from None


def kpi_status_formula(
    higher_is_better: bool = True, tolerance: float = 0.1, absolute: bool = False
) -> Formula:
    """Excel formula for a tblKPIs Status cell: the value against the target.

    ``on target`` when the value meets the target, ``watch`` within ``tolerance`` (a fraction of
    the target) of it, ``off target`` beyond; blank when either is blank. With ``absolute`` the
    size of the value is compared (bias: target 0.05 means within plus or minus 5%). The formula
    uses structured references, so it works wherever the table sits.

    >>> kpi_status_formula(False, 0.1)[:40]
    '=IF(OR(tblKPIs[[#This Row],[Value]]="",t'
    """
    cell = "tblKPIs[[#This Row],[Value]]"
    value = f"ABS({cell})" if absolute else cell
    target = "tblKPIs[[#This Row],[Target]]"
    slack = f"{tolerance:g}*ABS({target})"
    if higher_is_better:
        meets, near = f"{value}>={target}", f"{value}>={target}-{slack}"
    else:
        meets, near = f"{value}<={target}", f"{value}<={target}+{slack}"
    return Formula(
        f'=IF(OR({cell}="",{target}=""),"",IF({meets},"on target",IF({near},"watch","off target")))'
    )
