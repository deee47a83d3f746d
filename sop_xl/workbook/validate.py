"""Check the input tables before the cycle computes anything.

:func:`validate` returns every :class:`Problem` found, each with its severity, sheet, Excel row,
column and the value seen. Errors stop a run (the file is left untouched); warnings do not.

Rules: missing sheets, tables or columns; bad settings; every cell against the rule its column
declares in :mod:`~sop_xl.workbook.schema` (a number, its bounds, its choices, whether it may be
blank: the template offers the same rules as Excel data validation; a period and the period it
may not precede; an item another column refers to); unknown items in actuals, adjustments or
receipts; duplicated (item, period); periods not on the period grid; unknown resources and
families; an EndPeriod on an item whose Status is not eol (a warning).

Dates that cannot be meant (:func:`_check_dates`), each an error naming its cell:

- a period outside the years of :data:`schema.PERIOD_YEARS` (``3024-01``);
- actuals more than :data:`schema.MAX_GAP_YEARS` years apart with no sales in between
  (``1900-01`` before a history from 2023): the smaller block is named, as a date typo;
- actuals after CycleStart (actuals are past sales, the plan starts after them): if most of the
  actuals are after it, CycleStart is named (``1990-01``), else the rows after it; a CycleStart
  more than 10 years after the last actual is named too;
- a HoldoutPeriods that leaves no item a holdout although the history is long enough for one
  (every item needs ``MIN_HOLDOUT_FIT`` = 6 periods before its holdout to fit on): with at least
  12 periods of actuals, HoldoutPeriods must leave those 6.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sop_xl.cells import is_blank
from sop_xl.errors import SopError, show
from sop_xl.forecast.plan import MIN_HOLDOUT_FIT
from sop_xl.periods import grid_of
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
    out = [float("nan")] * len(frame)  # filled by position, a Series at the end
    for i, (row, value) in enumerate(frame[column.name].items()):
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
        out[i] = float(value)
    return pd.Series(out, index=frame.index, dtype=float)


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


def _ruled(
    frame: pd.DataFrame, table: str, report: _Collector, period_type: str = "Month"
) -> dict[str, pd.Series]:
    """Every column of ``table`` with a declared rule, checked: numbers, texts with choices,
    periods (and the period each may not precede), or texts referring to another table."""
    out: dict[str, pd.Series] = {}
    spec = schema.table(table)
    for column in spec.columns:
        if column.rule is None or column.name not in frame.columns:  # optional may be absent
            continue
        if column.rule.period:
            out[column.name] = _rule_periods(frame, column, period_type, report)
        elif column.rule.refers:
            out[column.name] = _texts(frame, column.name)
        else:
            check = _choices if column.rule.choices else _numbers
            out[column.name] = check(frame, column, report)
    for column in spec.columns:
        rule = column.rule
        if rule is not None and rule.not_before and column.name in out and rule.not_before in out:
            before = out[rule.not_before]
            _in_order(before, out[column.name], rule.not_before, column.name, report, period_type)
    return out


def _rule_periods(
    frame: pd.DataFrame, column: schema.Column, period_type: str, report: _Collector
) -> pd.Series:
    """A period column of a rule (blanks allowed unless ``filled``) as timestamps, NaT where
    blank or bad; what does not name a period is reported with the parser's message."""
    rule = column.rule or schema.Rule()
    out: list[Any] = [pd.NaT] * len(frame)  # filled by position, a Series at the end
    first, last = schema.PERIOD_YEARS
    for i, (row, value) in enumerate(frame[column.name].items()):
        if is_blank(value):
            if rule.filled:
                report.add("error", row, column.name, value, f"{column.name} is blank")
            continue
        try:
            parsed = parse_period(value, period_type, field=column.name)
        except SopError as exc:
            report.add("error", row, column.name, value, str(exc))
            continue
        if not first <= parsed.year <= last:
            message = f"{column.name} must be in the years {first} to {last}; got {show(value)}"
            report.add("error", row, column.name, value, message)
            continue
        out[i] = parsed
    return pd.Series(out, index=frame.index, dtype="datetime64[ns]")


def _in_order(
    earlier: pd.Series,
    later: pd.Series,
    first: str,
    second: str,
    report: _Collector,
    period_type: str = "Month",
) -> None:
    """Report each row whose ``second`` period is before its ``first`` period."""
    for row in later.index[(later < earlier).to_numpy(dtype=bool)]:
        late, early = period_label(later[row], period_type), period_label(earlier[row], period_type)
        report.add("error", row, second, late, f"{second} {late} is before {first} {early}")


def _referred(
    frame: pd.DataFrame, table: str, texts: dict[str, pd.Series], known: dict[str, set[str]],
    report: _Collector,
) -> None:  # fmt: skip
    """Texts of ``refers`` rules that name no row of the table referred to, or their own row."""
    for column in schema.table(table).columns:
        rule = column.rule
        if rule is None or not rule.refers or column.name not in texts:
            continue
        other, key = rule.refers.split(".")
        if other == table and key in frame.columns:
            own = _texts(frame, key)
            for row in texts[column.name].index[texts[column.name] == own]:
                message = f"{column.name} of {own[row]} is the item itself; name another item"
                report.add("error", row, column.name, own[row], message)
        if rule.refers in known:
            _known(texts[column.name], known[rule.refers], column.name, other, report, column.name)


def _periods(frame: pd.DataFrame, column: str, period_type: str, report: _Collector) -> pd.Series:
    """The column as period timestamps (NaT where bad), reporting what is off the grid."""
    out: list[Any] = [pd.NaT] * len(frame)  # filled by position, a Series at the end
    seen: dict[Any, pd.Timestamp | str] = {}  # the same few periods repeat on every item
    for i, (row, value) in enumerate(frame[column].items()):
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
        first, last = schema.PERIOD_YEARS
        if isinstance(parsed, str):
            report.add("error", row, column, value, parsed)
        elif not first <= parsed.year <= last:
            message = f"period must be in the years {first} to {last}; got {show(value)}"
            report.add("error", row, column, value, message)
        else:
            out[i] = parsed
    return pd.Series(out, index=frame.index, dtype="datetime64[ns]")


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
                    # a sheet of output tables only (Summary, S&OP Plan) is no input lost
                    "error"
                    if any(schema.TABLES[t].role == "input" for t in sheet.tables)
                    else "warning",
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
    settings: dict[str, Any] = {}
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
            frames["tblItems"], resources, report("tblItems"), "tblResources" in frames,
            period_type,
        )  # fmt: skip
    for name in ("tblActuals", "tblReceipts"):
        if name in frames:
            periods = _check_series(
                name, frames[name], items, period_type, report(name), "tblItems" in frames
            )
            if name == "tblActuals" and settings:
                rows = _setting_rows(frames["tblSettings"])
                _check_dates(periods, settings, rows, report(name), report("tblSettings"))
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
    frame: pd.DataFrame,
    resources: set[str],
    rep: _Collector,
    check_resources: bool,
    period_type: str = "Month",
) -> tuple[set[str], set[str]]:
    codes = _texts(frame, "Item")
    for row in codes[codes.isna()].index:
        rep.add("error", row, "Item", None, "Item code is blank")
    _duplicates(codes.to_frame(), ["Item"], rep)
    family = _texts(frame, "Family")
    for row in family[family.isna()].index:
        rep.add("error", row, "Family", None, f"item {codes[row]} has no Family")
    ruled = _ruled(frame, "tblItems", rep, period_type)
    _referred(frame, "tblItems", ruled, {"tblItems.Item": set(codes.dropna())}, rep)
    if "EndPeriod" in ruled:
        status = ruled["Status"].map(lambda v: (v or "active").lower())
        for row in ruled["EndPeriod"].index[ruled["EndPeriod"].notna() & (status != "eol")]:
            rep.add(
                "warning",
                row,
                "EndPeriod",
                period_label(ruled["EndPeriod"][row], period_type),
                f"item {codes[row]} has an EndPeriod but Status {status[row]}: its forecast "
                "ends, its production does not; set Status eol to phase it out",
            )
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
) -> pd.Series:
    """Items, periods, quantities and repeats of tblActuals or tblReceipts; returns the periods
    (NaT where bad)."""
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
    return periods


def _setting_rows(frame: pd.DataFrame) -> dict[str, int]:
    """Excel row of each known setting key in tblSettings."""
    known = {key.lower(): key for key in schema.SETTING_BY_KEY}
    rows: dict[str, int] = {}
    for row, key in frame["Key"].items():
        if isinstance(key, str) and key.strip().lower() in known:
            rows.setdefault(known[key.strip().lower()], int(row))
    return rows


def _span(labels: list[str]) -> str:
    return labels[0] if labels[0] == labels[-1] else f"{labels[0]} to {labels[-1]}"


def _check_dates(
    periods: pd.Series,
    settings: dict[str, Any],
    setting_rows: dict[str, int],
    rep: _Collector,
    rep_settings: _Collector,
) -> None:
    """Actuals dates that cannot be meant, CycleStart against them, HoldoutPeriods against
    their span (the rules are in the module docstring)."""
    grid = grid_of(settings.get("PeriodType", "Month"))
    valid = periods.dropna()
    if valid.empty:
        return
    distinct = pd.DatetimeIndex(sorted(valid.unique()))
    gap = pd.DateOffset(years=schema.MAX_GAP_YEARS)
    block = [0]
    for before, after in zip(distinct[:-1], distinct[1:], strict=True):
        block.append(block[-1] + (after > before + gap))
    block_of = pd.Series(block, index=distinct)
    rows_in = valid.map(block_of)
    main = rows_in.value_counts().sort_index(ascending=False).idxmax()  # ties: the later block
    kept = distinct[block_of.to_numpy() == main]
    first, last = kept.min(), kept.max()
    for other in sorted(set(block) - {main}):
        rows = [int(r) for r in rows_in.index[rows_in == other]]
        span = _span(grid.labels(distinct[block_of.to_numpy() == other]))
        side = "before" if distinct[block_of.to_numpy() == other].max() < first else "after"
        years = abs((first if side == "before" else last).year - valid[rows[0]].year)
        message = (
            f"period {span} is {years} years {side} the other actuals "
            f"({_span(grid.labels([first, last]))}): a date typo? Actuals more than "
            f"{schema.MAX_GAP_YEARS} years apart are refused"
        )
        if len(rows) > 1:
            message += f" ({len(rows)} rows, rows {row_ranges(rows)})"
        rep.add("error", rows[0], "Period", grid.label(valid[rows[0]]), message)
    main_rows = valid[rows_in == main]
    start = settings.get("CycleStart")
    if start is not None:
        after = main_rows[main_rows > start]
        row = setting_rows.get("CycleStart")
        if len(after) * 2 > len(main_rows):
            rep_settings.add(
                "error",
                row,
                "Value",
                grid.label(start),
                f"CycleStart {grid.label(start)} is before the last actual period "
                f"{grid.label(last)}: the plan starts after the actuals (blank = the period "
                "after the last actual)",
            )
        elif len(after):
            rows = [int(r) for r in after.index]
            rep.add(
                "error",
                rows[0],
                "Period",
                grid.label(after.iloc[0]),
                f"{len(after)} row(s) of Actuals after CycleStart {grid.label(start)} "
                f"({_span(grid.labels(sorted(after.unique())))}, rows {row_ranges(rows)}): "
                "actuals are past sales; fix the dates, or roll forward to a later cycle",
            )
        elif start > last + gap:
            rep_settings.add(
                "error",
                row,
                "Value",
                grid.label(start),
                f"CycleStart {grid.label(start)} is {start.year - last.year} years after the "
                f"last actual period {grid.label(last)}: a date typo?",
            )
    holdout = int(settings.get("HoldoutPeriods") or 0)
    span = len(grid.between(first, min(last, start - grid.offset) if start else last))
    if span >= 2 * MIN_HOLDOUT_FIT and holdout > span - MIN_HOLDOUT_FIT:
        rep_settings.add(
            "error",
            setting_rows.get("HoldoutPeriods"),
            "Value",
            holdout,
            f"HoldoutPeriods {holdout} leaves no item a holdout: the actuals span {span} "
            f"periods and an item needs {MIN_HOLDOUT_FIT} before its holdout to fit on; set "
            f"at most {span - MIN_HOLDOUT_FIT} (0 = no holdout)",
        )


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
