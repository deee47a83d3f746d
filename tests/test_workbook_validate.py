"""Every validation rule, with its message, sheet, Excel row and value."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sop_xl.demo import demo_tables
from sop_xl.workbook.book import new_book
from sop_xl.workbook.fill import fill_inputs
from sop_xl.workbook.validate import Problem, errors, validate

DEMO = demo_tables()


def _book(**changes: pd.DataFrame):
    book = new_book()
    frames = {name: frame.copy() for name, frame in DEMO.items()}
    frames.update(changes)
    fill_inputs(book.workbook, frames)
    return book


def _find(problems: list[Problem], pattern: str) -> Problem:
    import re

    hits = [p for p in problems if re.search(pattern, str(p))]
    assert hits, f"no problem matches {pattern!r}; got:\n" + "\n".join(map(str, problems))
    return hits[0]


def test_demo_and_empty_template_are_clean():
    assert validate(_book()) == []
    assert validate(new_book()) == []


def test_problem_str():
    problem = Problem("error", "Actuals", 12, "Item", "X", "unknown item 'X' (not in tblItems)")
    assert str(problem) == "error: Actuals row 12 Item: unknown item 'X' (not in tblItems)"


def _actuals(**row) -> pd.DataFrame:
    frame = DEMO["tblActuals"].copy()
    base = {"Item": "GA-101", "Period": pd.Timestamp("2022-12-01"), "Qty": 5.0}
    extra = pd.DataFrame([base | row], dtype=object)
    return pd.concat([frame.astype(object), extra], ignore_index=True)


def _last_row(frame: pd.DataFrame) -> int:
    return 4 + len(frame)  # header on row 4


@pytest.mark.parametrize(
    ("row", "pattern", "severity"),
    [
        (
            {"Item": "ZZ-999"},
            r"Actuals row \d+ Item: unknown item 'ZZ-999' \(not in tblItems\)",
            "error",
        ),
        ({"Item": None}, r"Actuals row \d+ Item: Item is blank", "error"),
        ({"Qty": "twelve"}, r"Actuals row \d+ Qty: Qty must be a number; got 'twelve'", "error"),
        ({"Qty": None}, r"Actuals row \d+ Qty: Qty is blank", "error"),
        ({"Qty": -3.0}, r"warning: Actuals row \d+ Qty: Qty is negative: -3.0", "warning"),
        (
            {"Period": pd.Timestamp("2022-12-15")},
            r"Period: period must be the first day of a month; got 2022-12-15",
            "error",
        ),
        (
            {"Period": "Dec 2022"},
            r"Period: period must be a date or a period like 2024-03; got 'Dec 2022'",
            "error",
        ),
        (
            {"Period": "2022-13"},
            r"Period: period must name a month 1 to 12; got '2022-13'",
            "error",
        ),
        (
            {"Period": pd.Timestamp("2023-01-01")},
            r"Actuals row \d+ Period: \(item, period\) GA-101, 2023-01 repeats row 5",
            "error",
        ),
    ],
)
def test_actuals_rules(row, pattern, severity):
    frame = _actuals(**row)
    problems = validate(_book(tblActuals=frame))
    problem = _find(problems, pattern)
    assert problem.severity == severity
    assert problem.sheet == "Actuals" and problem.table == "tblActuals"
    assert problem.row == _last_row(frame)


def test_text_period_is_accepted():
    frame = _actuals(Period="2022-12")
    assert validate(_book(tblActuals=frame)) == []


def _items(index: int, **changes) -> pd.DataFrame:
    frame = DEMO["tblItems"].copy()
    for key, value in changes.items():
        frame[key] = frame[key].astype(object)
        frame.at[index, key] = value
    return frame


@pytest.mark.parametrize(
    ("changes", "pattern", "severity"),
    [
        ({"UnitPrice": None}, r"Items row 7 UnitPrice: UnitPrice \(price\) is blank", "error"),
        ({"UnitCost": None}, r"Items row 7 UnitCost: UnitCost \(cost\) is blank", "error"),
        (
            {"UnitPrice": -5.0},
            r"Items row 7 UnitPrice: UnitPrice \(price\) is negative: -5.0",
            "error",
        ),
        ({"UnitCost": "n/a"}, r"UnitCost: UnitCost \(cost\) must be a number; got 'n/a'", "error"),
        (
            {"UnitCost": 999.0},
            r"warning: Items row 7 UnitCost: item GA-103 costs 999, more than its price",
            "warning",
        ),
        (
            {"Resource": "LASER"},
            r"Items row 7 Resource: unknown resource 'LASER' \(not in tblResources\)",
            "error",
        ),
        (
            {"Resource": None},
            r"warning: Items row 7 Resource: item GA-103 has no Resource",
            "warning",
        ),
        (
            {"Status": "retired"},
            r"Items row 7 Status: Status must be one of active, new, eol; got 'retired'",
            "error",
        ),
        ({"Item": "GA-101"}, r"Items row 7 Item: \(item\) GA-101 repeats row 5", "error"),
        ({"Family": None}, r"Items row 7 Family: item GA-103 has no Family", "error"),
        (
            {"ServiceLevel": 1.2},
            r"ServiceLevel: ServiceLevel must be between 0 and 1; got 1.2",
            "error",
        ),
        ({"LeadTime": None}, r"Items row 7 LeadTime: LeadTime is blank", "error"),
        # issue 15: new products and phase-out (row 7 is GA-103)
        (
            {"LikeItem": "ZZ-999"},
            r"error: Items row 7 LikeItem: unknown LikeItem 'ZZ-999' \(not in tblItems\)",
            "error",
        ),
        (
            {"LikeItem": "GA-103"},
            r"error: Items row 7 LikeItem: LikeItem of GA-103 is the item itself",
            "error",
        ),
        (
            {"LaunchPeriod": "next spring"},
            r"error: Items row 7 LaunchPeriod: LaunchPeriod must be a date or a period like "
            r"2024-03; got 'next spring'",
            "error",
        ),
        (
            {"LaunchPeriod": "2025-13"},
            r"Items row 7 LaunchPeriod: LaunchPeriod must name a month 1 to 12; got '2025-13'",
            "error",
        ),
        (
            {"EndPeriod": pd.Timestamp("2026-03-15")},
            r"Items row 7 EndPeriod: EndPeriod must be the first day of a month; got 2026-03-15",
            "error",
        ),
        (
            {"LaunchPeriod": "2025-06", "EndPeriod": "2025-03", "Status": "eol"},
            r"error: Items row 7 EndPeriod: EndPeriod 2025-03 is before LaunchPeriod 2025-06",
            "error",
        ),
        (
            {"EndPeriod": "2026-06"},
            r"warning: Items row 7 EndPeriod: item GA-103 has an EndPeriod but Status active: "
            r"its forecast ends, its production does not",
            "warning",
        ),
    ],
)
def test_item_rules(changes, pattern, severity):
    problems = validate(_book(tblItems=_items(2, **changes)))
    assert _find(problems, pattern).severity == severity


def test_adjustment_rules():
    frame = DEMO["tblAdjustments"].copy().astype(object)
    extra = pd.DataFrame(
        [
            ("ZZ-1", None, pd.Timestamp("2026-02-01"), 5.0, None, "sales", "x", ""),
            (None, "Toys", pd.Timestamp("2026-02-01"), 5.0, None, "sales", "x", ""),
            (None, None, pd.Timestamp("2026-02-01"), 5.0, None, "sales", "x", ""),
            ("KI-101", None, pd.Timestamp("2026-02-01"), None, None, "sales", "x", ""),
            ("KI-101", None, pd.Timestamp("2026-02-01"), 5.0, 0.1, "sales", "x", ""),
            ("KI-101", None, pd.Timestamp("2026-02-01"), None, -1.5, "sales", "x", ""),
            ("KI-101", None, pd.Timestamp("2026-02-01"), "lots", None, "gossip", "x", ""),
        ],
        columns=frame.columns,
    )
    problems = validate(_book(tblAdjustments=pd.concat([frame, extra], ignore_index=True)))
    first = 5 + len(frame)
    _find(problems, rf"Adjustments row {first} Item: unknown item 'ZZ-1' \(not in tblItems\)")
    _find(
        problems, rf"Adjustments row {first + 1} Family: unknown family 'Toys' \(not in tblItems\)"
    )
    _find(problems, rf"Adjustments row {first + 2} Item: give an Item or a Family")
    _find(problems, rf"Adjustments row {first + 3} Qty: give a Qty or a Percent")
    _find(problems, rf"Adjustments row {first + 4} Percent: give a Qty or a Percent, not both")
    _find(
        problems,
        rf"Adjustments row {first + 5} Percent: Percent below -100% would make demand negative; got -1.5",
    )
    _find(problems, rf"Adjustments row {first + 6} Qty: Qty must be a number; got 'lots'")
    warn = _find(
        problems,
        rf"Adjustments row {first + 6} Type: Type should be one of sales, marketing, promotion, new product, event; got 'gossip'",
    )
    assert warn.severity == "warning"


def test_receipt_rules():
    frame = DEMO["tblReceipts"].copy()
    extra = pd.DataFrame(
        [
            ("ZZ-9", pd.Timestamp("2026-01-01"), 10.0),
            ("GA-101", pd.Timestamp("2026-01-01"), -10.0),
            ("GA-101", "2026-1-7", 10.0),
        ],
        columns=frame.columns,
    )
    problems = validate(_book(tblReceipts=pd.concat([frame, extra], ignore_index=True)))
    first = 5 + len(frame)
    _find(problems, rf"error: Supply row {first} Item: unknown item 'ZZ-9' \(not in tblItems\)")
    _find(problems, rf"error: Supply row {first + 1} Qty: Qty is negative: -10.0")
    _find(
        problems,
        rf"error: Supply row {first + 2} Period: period must be the first day of a month; "
        r"got 2026-01-07",
    )


def test_resource_and_budget_rules():
    resources = pd.concat(
        [
            DEMO["tblResources"],
            pd.DataFrame(
                [("MOULD", 10.0, "again"), ("PAINT", 0.0, "idle")],
                columns=DEMO["tblResources"].columns,
            ),
        ],
        ignore_index=True,
    )
    budget = pd.concat(
        [
            DEMO["tblBudget"],
            pd.DataFrame(
                [
                    ("Toys", pd.Timestamp("2026-01-01"), 5.0),
                    ("Garden", pd.Timestamp("2026-01-01"), "big"),
                ],
                columns=DEMO["tblBudget"].columns,
            ),
        ],
        ignore_index=True,
    )
    problems = validate(_book(tblResources=resources, tblBudget=budget))
    _find(problems, r"Capacity row 8 Resource: \(resource\) MOULD repeats row 5")
    assert (
        _find(problems, r"Capacity row 9 HoursPerPeriod: resource PAINT has no hours").severity
        == "warning"
    )
    _find(problems, rf"Finance row {5 + len(DEMO['tblBudget'])} Family: unknown family 'Toys'")
    _find(problems, r"Finance row \d+ Revenue: budget Revenue must be a number; got 'big'")
    _find(problems, r"Finance row \d+ Period: \(family, period\) Garden, 2026-01 repeats row")


def test_settings_rules():
    settings = DEMO["tblSettings"].copy()
    settings.loc[settings["Key"] == "Horizon", "Value"] = "eighteen"
    settings.loc[settings["Key"] == "Strategy", "Value"] = "hope"
    book = _book(tblSettings=settings)
    problems = validate(book)
    _find(
        problems, r"error: Settings row 8 Value: setting Horizon must be a number; got 'eighteen'"
    )
    _find(
        problems,
        r"error: Settings row 14 Value: setting Strategy must be one of chase, level, capacity; got 'hope'",
    )


def test_weekly_periods():
    settings = DEMO["tblSettings"].copy()
    settings.loc[settings["Key"] == "PeriodType", "Value"] = "Week"
    settings.loc[settings["Key"] == "CycleStart", "Value"] = "2026-W02"
    actuals = pd.DataFrame(
        {
            "Item": ["GA-101"] * 3,
            "Period": ["2025-W51", dt.datetime(2025, 12, 15), dt.datetime(2025, 12, 24)],
            "Qty": [1.0, 2.0, 3.0],
        }
    )
    frames = {
        "tblSettings": settings,
        "tblActuals": actuals,
        "tblReceipts": DEMO["tblReceipts"].iloc[:0],
        "tblBudget": DEMO["tblBudget"].iloc[:0],
        "tblAdjustments": DEMO["tblAdjustments"].iloc[:0],
        # the demo's launch and end months are no week starts (test_weekly_cycle moves them)
        "tblItems": DEMO["tblItems"].assign(LaunchPeriod=None, EndPeriod=None),
    }
    problems = validate(_book(**frames))
    assert [str(p) for p in problems] == [
        "error: Actuals row 6 Period: (item, period) GA-101, 2025-W51 repeats row 5",
        "error: Actuals row 7 Period: period must be a Monday (week start); got 2025-12-24",
    ]


def test_missing_sheet_table_and_column():
    book = _book()
    wb = book.workbook
    del wb["Decisions"]
    ws = wb["Supply"]
    del ws.tables["tblReceipts"]
    wb["Actuals"]["C4"] = "Quantity"
    problems = validate(book)
    _find(problems, r"error: Decisions: sheet Decisions is missing")
    _find(problems, r"error: Decisions: table tblDecisions is missing")
    _find(problems, r"error: Supply: table tblReceipts is missing")
    _find(problems, r"error: Actuals row 4 Qty: table tblActuals has no column 'Qty'")
    assert len(errors(problems)) == 4


def test_user_columns_and_sorting_do_not_matter():
    book = _book()
    ws = book.workbook["Actuals"]
    ws["D4"] = "My note"
    tbl = ws.tables["tblActuals"]
    tbl.ref = tbl.ref.replace("C", "D")
    rows = [[ws.cell(r, c).value for c in (1, 2, 3)] for r in range(5, 5 + len(DEMO["tblActuals"]))]
    rows.sort(key=lambda r: (-r[2], r[0]))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            ws.cell(5 + i, 1 + j).value = value
    assert validate(book) == []
