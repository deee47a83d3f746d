"""Check the input tables before the cycle computes anything.

:func:`validate` returns every :class:`Problem` found, each with its severity, sheet, Excel row,
column and the value seen. Errors stop a run (the file is left untouched); warnings do not.

Rules: missing sheets, tables or columns; bad settings; every cell against the rule its column
declares in :mod:`~sop_xl.workbook.schema` (a number, its bounds, its choices, whether it may be
blank: the template offers the same rules as Excel data validation); unknown items in actuals,
adjustments or receipts; duplicated (item, period); periods not on the period grid; unknown
resources and families.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sop_xl.cells import is_blank
from sop_xl.errors import SopError, show
from sop_xl.workbook import schema
from sop_xl.workbook.book import Book
from sop_xl.workbook.periods import parse_period, period_label
from sop_xl.workbook.settings import parse_settings

Severity = schema.Severity  # an error stops a run; a warning is only reported


@dataclass(frozen=True)
class Problem:
    """One problem in the workbook, located as the user sees it."""

    severity: Severity
    sheet: str
    row: int | None
    column: str
    value: Any
    message: str
    table: str = ""

    def __str__(self) -> str:
        where = self.sheet + (f" row {self.row}" if self.row is not None else "")
        where += f" {self.column}" if self.column else ""
        return f"{self.severity}: {where}: {self.message}"


class _Collector:
    """Problems of one table, with its sheet name filled in."""

    def __init__(self, table: str, sheet: str, out: list[Problem]) -> None:
        self.table, self.sheet, self.out = table, sheet, out

    def add(self, severity: Severity, row: Any, column: str, value: Any, message: str) -> None:
        row = None if row is None else int(row)
        self.out.append(Problem(severity, self.sheet, row, column, value, message, self.table))


def _numbers(frame: pd.DataFrame, column: schema.Column, report: _Collector) -> pd.Series:
    """The column as floats (NaN where blank or bad), reporting what breaks its declared rule.

    Text and (where the rule wants a value) blanks are errors; a number outside the bounds is
    reported with the rule's severity and, as an error, left out (NaN).
    """
    rule = column.rule or schema.Rule()
    what = rule.label or column.name
    out = pd.Series(float("nan"), index=frame.index, dtype=float)
    for row, value in frame[column.name].items():
        if is_blank(value):
            if rule.filled:
                report.add("error", row, column.name, value, f"{what} is blank")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            message = f"{what} must be a number; got {show(value)}"
            report.add("error", row, column.name, value, message)
            continue
        if not rule.admits(value):
            report.add(rule.severity, row, column.name, value, _outside(rule, what, value))
            if rule.severity == "error":
                continue
        out[row] = float(value)
    return out


def _outside(rule: schema.Rule, what: str, value: Any) -> str:
    """The message for a number outside the rule's bounds."""
    if rule.message:
        return rule.message.format(what=what, value=show(value))
    if rule.low == 0 and rule.high is None and not rule.strict:
        return f"{what} is negative: {show(value)}"
    if rule.low is not None and rule.high is not None:
        return f"{what} must be between {rule.low:g} and {rule.high:g}; got {show(value)}"
    return f"{what} must be {rule.bounds}; got {show(value)}"


def _choices(frame: pd.DataFrame, column: schema.Column, report: _Collector) -> pd.Series:
    """The column as stripped texts (None where blank), reporting those not among the choices."""
    rule = column.rule or schema.Rule()
    what = rule.label or column.name
    allowed = ", ".join(rule.choices)
    verb = "must" if rule.severity == "error" else "should"
    texts = _texts(frame, column.name)
    for row, value in texts.items():
        if value is not None and not rule.admits(value):
            message = f"{what} {verb} be one of {allowed}; got {show(value)}"
            report.add(rule.severity, row, column.name, value, message)
    return texts


def _ruled(frame: pd.DataFrame, table: str, report: _Collector) -> dict[str, pd.Series]:
    """Every column of ``table`` with a declared rule, checked: numbers, or texts with choices."""
    out = {}
    for column in schema.table(table).columns:
        if column.rule is not None and column.name in frame.columns:  # optional may be absent
            check = _choices if column.rule.choices else _numbers
            out[column.name] = check(frame, column, report)
    return out


def _periods(frame: pd.DataFrame, column: str, period_type: str, report: _Collector) -> pd.Series:
    """The column as period timestamps (NaT where bad), reporting what is off the grid."""
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    seen: dict[Any, pd.Timestamp | str] = {}  # the same few periods repeat on every item
    for row, value in frame[column].items():
        if is_blank(value):
            report.add("error", row, column, value, "Period is blank")
            continue
        key = (type(value), value)
        if key not in seen:
            try:
                seen[key] = parse_period(value, period_type)
            except SopError as exc:
                seen[key] = str(exc)
        parsed = seen[key]
        if isinstance(parsed, str):
            report.add("error", row, column, value, parsed)
        else:
            out[row] = parsed
    return out


def _texts(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].map(lambda v: None if is_blank(v) else str(v).strip())


def row_ranges(rows: Iterable[int], limit: int = 4) -> str:
    """Excel rows as short ranges: ``12-41`` or ``3, 7-9, 12`` (``...`` past ``limit``).

    >>> row_ranges([12, 13, 14, 20, 30, 31])
    '12-14, 20, 30-31'
    >>> row_ranges(range(1, 20, 2), limit=3)
    '1, 3, 5, ...'
    """
    spans: list[list[int]] = []
    for row in sorted(set(rows)):
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    shown = [f"{a}-{b}" if b > a else f"{a}" for a, b in spans[:limit]]
    return ", ".join(shown) + (", ..." if len(spans) > limit else "")


def _known(
    values: pd.Series, known: set[str], column: str, source: str, report: _Collector, what: str
) -> None:
    """One problem per unknown value, at its first row, naming how many rows hold it."""
    unknown: dict[str, list[int]] = {}
    for row, value in values.items():
        if value is not None and value not in known:
            unknown.setdefault(value, []).append(int(row))
    for value, rows in unknown.items():
        message = f"unknown {what} {show(value)} (not in {source})"
        if len(rows) > 1:
            message += f": {len(rows)} rows of {report.sheet}, rows {row_ranges(rows)}"
        report.add("error", rows[0], column, value, message)


def _duplicates(
    keys: pd.DataFrame,
    columns: list[str],
    report: _Collector,
    severity: Severity = "error",
    period_type: str = "Month",
) -> None:
    valid = keys.dropna()
    dup = valid[valid.duplicated(keep="first")]
    for row, record in dup.iterrows():
        first = valid[(valid == record).all(axis=1)].index[0]
        label = ", ".join(
            period_label(v, period_type) if isinstance(v, pd.Timestamp) else str(v) for v in record
        )
        report.add(
            severity,
            row,
            columns[-1],
            label,
            f"({', '.join(columns).lower()}) {label} repeats row {first}",
        )


def _structure(book: Book, out: list[Problem]) -> dict[str, pd.DataFrame]:
    """Sheets, tables and columns; returns the tables that can be read."""
    sheets = set(book.sheet_names())
    for sheet in schema.SHEETS:
        if sheet.name not in sheets:
            out.append(
                Problem(
                    "warning" if not sheet.tables else "error",
                    sheet.name,
                    None,
                    "",
                    sheet.name,
                    f"sheet {sheet.name} is missing",
                )
            )
    found = {name.lower(): sheet for name, sheet in book.table_names().items()}
    frames: dict[str, pd.DataFrame] = {}
    for spec in schema.TABLES.values():
        if spec.name.lower() not in found:
            severity: Severity = "error" if spec.role == "input" else "warning"
            out.append(
                Problem(
                    severity,
                    spec.sheet,
                    None,
                    "",
                    spec.name,
                    f"table {spec.name} is missing",
                    spec.name,
                )
            )
            continue
        loc = book.locate(spec.name)
        missing = [c.name for c in spec.columns if c.required and c.name not in loc.headers]
        for name in missing:
            severity = "error" if spec.role == "input" else "warning"
            out.append(
                Problem(
                    severity,
                    loc.sheet,
                    loc.header_row,
                    name,
                    name,
                    f"table {spec.name} has no column {name!r}",
                    spec.name,
                )
            )
        if spec.role == "input" and not missing:
            frames[spec.name] = book.read_table(spec.name)
    return frames


def validate(book: Book) -> list[Problem]:
    """Every problem of the workbook's inputs, errors and warnings, in sheet order.

    Parameters
    ----------
    book : Book
        The workbook gateway (a file or a live Excel book).

    Returns
    -------
    list of Problem
        Empty when the inputs are fit for the cycle.
    """
    out: list[Problem] = []
    frames = _structure(book, out)

    def report(table: str) -> _Collector:
        return _Collector(table, book.locate(table).sheet, out)

    period_type = "Month"
    if "tblSettings" in frames:
        settings, problems = parse_settings(frames["tblSettings"])
        period_type = settings["PeriodType"]
        rep = report("tblSettings")
        for row, _key, value, message in problems:
            rep.add("error", row, "Value", value, message)

    items: set[str] = set()
    families: set[str] = set()
    resources: set[str] = set()
    if "tblResources" in frames:
        resources = _check_resources(frames["tblResources"], report("tblResources"))
    if "tblItems" in frames:
        items, families = _check_items(
            frames["tblItems"], resources, report("tblItems"), "tblResources" in frames
        )
    for name in ("tblActuals", "tblReceipts"):
        if name in frames:
            _check_series(
                name, frames[name], items, period_type, report(name), "tblItems" in frames
            )
    if "tblAdjustments" in frames:
        _check_adjustments(
            frames["tblAdjustments"], items, families, period_type, report("tblAdjustments")
        )
    if "tblBudget" in frames:
        _check_budget(frames["tblBudget"], families, period_type, report("tblBudget"))
    order = {name: i for i, name in enumerate(schema.SHEET_NAMES)}
    out.sort(key=lambda p: (order.get(p.sheet, 99), p.row or 0))
    return out


def _check_resources(frame: pd.DataFrame, rep: _Collector) -> set[str]:
    names = _texts(frame, "Resource")
    for row in names[names.isna()].index:
        rep.add("error", row, "Resource", None, "Resource is blank")
    _duplicates(names.to_frame(), ["Resource"], rep)
    hours = _ruled(frame, "tblResources", rep)["HoursPerPeriod"]
    for row in hours[hours == 0].index:
        rep.add("warning", row, "HoursPerPeriod", 0, f"resource {names[row]} has no hours")
    return set(names.dropna())


def _check_items(
    frame: pd.DataFrame, resources: set[str], rep: _Collector, check_resources: bool
) -> tuple[set[str], set[str]]:
    codes = _texts(frame, "Item")
    for row in codes[codes.isna()].index:
        rep.add("error", row, "Item", None, "Item code is blank")
    _duplicates(codes.to_frame(), ["Item"], rep)
    family = _texts(frame, "Family")
    for row in family[family.isna()].index:
        rep.add("error", row, "Family", None, f"item {codes[row]} has no Family")
    ruled = _ruled(frame, "tblItems", rep)
    price, cost = ruled["UnitPrice"], ruled["UnitCost"]
    for row in price.index[(cost > price) & price.notna()]:
        rep.add(
            "warning",
            row,
            "UnitCost",
            cost[row],
            f"item {codes[row]} costs {cost[row]:g}, more than its price {price[row]:g}",
        )
    for row in ruled["Status"][ruled["Status"].isna()].index:
        rep.add("warning", row, "Status", None, f"item {codes[row]} has no Status; active assumed")
    if check_resources:
        resource = _texts(frame, "Resource")
        _known(resource, resources, "Resource", "tblResources", rep, "resource")
        for row in resource[resource.isna()].index:
            rep.add(
                "warning",
                row,
                "Resource",
                None,
                f"item {codes[row]} has no Resource; it loads no capacity",
            )
    return set(codes.dropna()), set(family.dropna())


def _check_series(
    name: str,
    frame: pd.DataFrame,
    items: set[str],
    period_type: str,
    rep: _Collector,
    check_items: bool,
) -> None:
    codes = _texts(frame, "Item")
    for row in codes[codes.isna()].index:
        rep.add("error", row, "Item", None, "Item is blank")
    if check_items:
        _known(codes, items, "Item", "tblItems", rep, "item")
    periods = _periods(frame, "Period", period_type, rep)
    _ruled(frame, name, rep)  # Qty: a negative actual is a return, a negative receipt a mistake
    keys = pd.DataFrame({"Item": codes, "Period": periods})
    severity: Severity = "error" if name == "tblActuals" else "warning"
    _duplicates(keys, ["Item", "Period"], rep, severity, period_type)


def _check_adjustments(
    frame: pd.DataFrame, items: set[str], families: set[str], period_type: str, rep: _Collector
) -> None:
    codes, family = _texts(frame, "Item"), _texts(frame, "Family")
    for row in frame.index:
        if codes[row] is None and family[row] is None:
            rep.add("error", row, "Item", None, "give an Item or a Family")
    if items:
        _known(codes, items, "Item", "tblItems", rep, "item")
    if families:
        _known(family, families, "Family", "tblItems", rep, "family")
    _periods(frame, "Period", period_type, rep)
    _ruled(frame, "tblAdjustments", rep)  # Qty, Percent, Type
    raw_qty, raw_pct = frame["Qty"].map(is_blank), frame["Percent"].map(is_blank)
    for row in frame.index:
        if raw_qty[row] and raw_pct[row]:
            rep.add("error", row, "Qty", None, "give a Qty or a Percent")
        elif not raw_qty[row] and not raw_pct[row]:
            rep.add(
                "error",
                row,
                "Percent",
                frame.at[row, "Percent"],
                "give a Qty or a Percent, not both",
            )


def _check_budget(
    frame: pd.DataFrame, families: set[str], period_type: str, rep: _Collector
) -> None:
    family = _texts(frame, "Family")
    for row in family[family.isna()].index:
        rep.add("error", row, "Family", None, "Family is blank")
    if families:
        _known(family, families, "Family", "tblItems", rep, "family")
    periods = _periods(frame, "Period", period_type, rep)
    _ruled(frame, "tblBudget", rep)  # Revenue
    keys = pd.DataFrame({"Family": family, "Period": periods})
    _duplicates(keys, ["Family", "Period"], rep, "error", period_type)


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Only the errors (what stops a run)."""
    return [p for p in problems if p.severity == "error"]
