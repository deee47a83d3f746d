"""One declaration per column rule: the validator and the template's data validation read it."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sop_xl.demo import demo_tables
from sop_xl.forecast.methods import METHODS
from sop_xl.supply.production import STRATEGIES
from sop_xl.workbook import schema
from sop_xl.workbook.book import new_book
from sop_xl.workbook.builder import ROW_SPAN, VALIDATION_ROWS, build_template
from sop_xl.workbook.fill import fill_inputs
from sop_xl.workbook.validate import validate

# the input tables the validator reads; the others' rules (Lever, decision Status) are only
# offered in Excel (scenarios are checked when a what-if runs)
CHECKED = ("tblItems", "tblActuals", "tblAdjustments", "tblReceipts", "tblResources", "tblBudget")
RULED = [
    (spec.name, column)
    for spec in schema.TABLES.values()
    for column in spec.columns
    if column.rule is not None
]


def _bad(rule: schema.Rule):
    """A value that breaks ``rule``: not a choice, outside a bound, or text."""
    if rule.choices:
        return "nonsense"
    if rule.low is not None:
        return rule.low - 0.5 if not rule.strict else rule.low
    if rule.high is not None:
        return rule.high + 0.5
    return "text"


@pytest.fixture(scope="module")
def template():
    buffer = io.BytesIO()
    build_template().save(buffer)
    buffer.seek(0)
    return load_workbook(buffer)


@pytest.fixture(scope="module")
def broken():
    """The demo inputs with one added row per ruled column that breaks its rule, validated."""
    frames = {name: frame.copy().astype(object) for name, frame in demo_tables().items()}
    where = {}
    for name, column in RULED:
        if name not in CHECKED:
            continue
        frame = frames[name]
        row = frame.iloc[[0]].copy()
        row[column.name] = _bad(column.rule)
        if name == "tblAdjustments":  # Qty or Percent, not both
            other = "Percent" if column.name == "Qty" else "Qty"
            row[other] = None
        frames[name] = pd.concat([frame, row], ignore_index=True)
        where[(name, column.name)] = 4 + len(frames[name])  # header on row 4
    book = new_book()
    fill_inputs(book.workbook, frames)
    return validate(book), where


def test_core_lists_are_imported_not_copied():
    assert schema.FORECAST_METHODS is METHODS
    assert schema.SETTING_BY_KEY["ForecastMethod"].choices is METHODS
    assert schema.SETTING_BY_KEY["Strategy"].choices is STRATEGIES


def test_every_ruled_table_is_checked_or_only_offered():
    assert {name for name, _ in RULED} == set(CHECKED) | {"tblScenarios", "tblDecisions"}
    assert all(schema.table(name).role == "input" for name, _ in RULED)


@pytest.mark.parametrize(
    ("table", "column"), [(n, c) for n, c in RULED if n in CHECKED], ids=lambda x: str(x)[:40]
)
def test_validator_applies_the_declared_rule(broken, table, column):
    problems, where = broken
    hits = [
        p
        for p in problems
        if p.table == table and p.column == column.name and p.row == where[(table, column.name)]
    ]
    assert hits, f"{table}[{column.name}] = {_bad(column.rule)!r} not reported"
    expected = "error" if _bad(column.rule) == "text" else column.rule.severity
    assert hits[0].severity == expected
    assert (column.rule.label or column.name) in hits[0].message


@pytest.mark.parametrize(
    ("table", "column", "bad", "message"),
    [
        ("tblItems", "ServiceLevel", 0.0, "ServiceLevel must be between 0 and 1; got 0.0"),
        ("tblItems", "ServiceLevel", -0.2, "ServiceLevel must be between 0 and 1; got -0.2"),
        ("tblItems", "OnHand", -1, "OnHand is negative: -1"),
        ("tblBudget", "Revenue", -5.0, "budget Revenue is negative: -5.0"),
        ("tblItems", "LeadTime", None, "LeadTime is blank"),
        ("tblItems", "Status", "Retired", "Status must be one of active, new, eol; got 'Retired'"),
    ],
)
def test_rule_messages(table, column, bad, message):
    frames = {name: frame.copy().astype(object) for name, frame in demo_tables().items()}
    frames[table].at[0, column] = bad
    book = new_book()
    fill_inputs(book.workbook, frames)
    found = [str(p) for p in validate(book) if p.column == column and p.row == 5]
    assert any(message in text for text in found), found


def _validation_at(ws, cell: str):
    hits = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(hits) == 1, (ws.title, cell, hits)
    return hits[0]


@pytest.mark.parametrize(("table", "column"), RULED, ids=lambda x: str(x)[:40])
def test_template_offers_the_declared_rule(template, table, column):
    spec, rule = schema.table(table), column.rule
    ws = template[spec.sheet]
    ref = ws.tables[table].ref.split(":")[0]
    col = ws[ref].column + spec.headers.index(column.name)
    letter, first = get_column_letter(col), ws[ref].row + 1
    if rule.refers:  # a drop-down of the other table's column; it warns, never blocks
        dv = _validation_at(ws, f"{letter}{first}")
        table_name, name = rule.refers.split(".")
        assert dv.type == "list" and dv.formula1 == f'INDIRECT("{table_name}[{name}]")'
        assert dv.errorStyle == "warning"
        return
    if rule.choices:
        dv = _validation_at(ws, f"{letter}{first}")
        assert dv.type == "list" and dv.formula1 == '"' + ",".join(rule.choices) + '"'
    elif rule.low is None and rule.high is None:
        assert not [
            dv for dv in ws.data_validations.dataValidation if f"{letter}{first}" in dv.sqref
        ]
        return
    else:
        dv = _validation_at(ws, f"{letter}{first}")
        assert f"{rule.low:g}" in dv.formula1
        assert dv.error == f"{column.name} must be a number {rule.bounds}"
    rows = VALIDATION_ROWS.get(table, ROW_SPAN)
    assert str(dv.sqref) == f"{letter}{first}:{letter}{first + rows}"
    assert dv.errorStyle == ("stop" if rule.severity == "error" else "warning")


def test_template_service_level_excludes_0_and_1(template):
    ws = template["Items"]
    dv = _validation_at(ws, "I5")
    assert (dv.type, dv.formula1) == ("custom", "AND(ISNUMBER(I5),I5>0,I5<1)")
    assert _validation_at(ws, "E5").operator == "greaterThanOrEqual"  # UnitPrice >= 0
    assert _validation_at(template["Actuals"], "C5").errorStyle == "warning"  # returns


def test_rule_bounds_text_and_admits():
    assert schema.Rule(low=0).bounds == ">= 0"
    assert schema.Rule(low=-1, high=10).bounds == ">= -1 and <= 10"
    assert schema.Rule(low=0, high=1, strict=True).bounds == "> 0 and < 1"
    assert schema.Rule(high=5).bounds == "<= 5"
    rule = schema.Rule(low=0, high=1, strict=True)
    assert [rule.admits(v) for v in (0, 0.5, 1)] == [False, True, False]
    assert schema.Rule(low=0).admits(0) and not schema.Rule(low=0).admits(-1e-9)
    assert schema.Rule(choices=("active", "eol")).admits(" EOL ")
    assert schema.SETTING_BY_KEY["Horizon"].rule == schema.Rule(low=1, high=104)
    assert schema.SETTING_BY_KEY["Company"].rule is None
