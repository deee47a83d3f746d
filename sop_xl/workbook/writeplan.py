"""The write plan both workbook gateways carry out: what a table looks like after a write.

Writing an output table is decided here, once, from the table's current :class:`Location`, its
schema spec and the new frame; :class:`~sop_xl.workbook.book.FileBook` (openpyxl) and
:class:`~sop_xl.workbook.live.XlwingsBook` (Excel through xlwings) only carry the plan out.

:func:`plan_table` (rewrite a table) decides

- the headers: the frame's columns (the schema's fixed headers must be there, an optional one
  only when the frame has it; then for a wide table one text header per period), then the
  user's own columns (headers that are neither in the frame, nor fixed, nor periods), kept at
  the right;
- the body: one row per frame row (an empty frame keeps one blank row, as Excel does), every
  cell a :func:`~sop_xl.workbook.cellvalues.cell_value`: a blank, a number, a date, text (a
  plain ``str``, which stays text) or a :class:`Formula`. Every cell the table owns is in the
  body, blanks included, so nothing of an earlier run is left behind (issue 10). A user column
  whose first row holds a formula gets that formula on every row (rows translated); its other
  values are blank;
- the kind of every body cell (its number format: the column's kind, or the row's for
  tables with a Measure column; user columns keep theirs);
- the totals row above the header (``Total`` and a ``SUBTOTAL`` per summed column) and the
  cells the old table covered and the new one does not, to clear;
- the new range, refused when it would grow into another table.

:func:`plan_append` (add rows at the end, Log and History) decides the first row, the columns
written (matched by header) and the new range.

Examples
--------
>>> from sop_xl.workbook import schema
>>> from sop_xl.workbook.tables import Location
>>> old = Location("tblKPIs", "KPIs", "A4:F5", 4, 1, 6, 5, tuple(schema.table("tblKPIs").headers))
>>> frame = pd.DataFrame([["=1+1", 0.2, 0.25, Formula("=1"), "%", "text"]], columns=old.headers)
>>> plan = plan_table(old, schema.table("tblKPIs"), frame)
>>> plan.ref, type(plan.body[0][0]).__name__, type(plan.body[0][3]).__name__
('A4:F5', 'str', 'Formula')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter

from sop_xl.errors import SopError, show
from sop_xl.workbook import schema
from sop_xl.workbook.cellvalues import Formula, cell_value, needs_quote
from sop_xl.workbook.periods import is_bucket_label, is_period_label

if TYPE_CHECKING:  # tables carries plans out on openpyxl sheets and imports this module
    from sop_xl.workbook.tables import Location

__all__ = [
    "AppendPlan",
    "Box",
    "Formula",
    "TablePlan",
    "cell_value",
    "needs_quote",
    "plan_append",
    "plan_table",
]

Box = tuple[int, int, int, int]  # top, left, bottom, right (Excel rows and columns, 1-based)


def address(box: Box) -> str:
    """``'A4:I7'`` for the box (4, 1, 7, 9)."""
    top, left, bottom, right = box
    return f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"


@dataclass(frozen=True)
class TablePlan:
    """How a table is rewritten (see the module docstring).

    Attributes
    ----------
    old : Location
        The table before the write.
    role : str
        ``output`` or ``input`` (decides the cell styles).
    headers : tuple of str
        Header texts, the frame's columns then the user's columns.
    n_fixed : int
        How many of ``headers`` come from the frame.
    body : tuple of tuples
        Cell values, one tuple of ``len(headers)`` per row.
    kinds : tuple of tuples
        The kind (number format) of each body cell of the frame's columns.
    totals : tuple or None
        The row above the header from the first column to the last the old or new table
        covers (None: the table has no totals row).
    clears : tuple of Box
        Cells the old table covered and the new one does not.
    """

    old: Location
    role: str
    headers: tuple[str, ...]
    n_fixed: int
    body: tuple[tuple[object, ...], ...]
    kinds: tuple[tuple[str, ...], ...]
    totals: tuple[object, ...] | None
    clears: tuple[Box, ...]

    @property
    def top(self) -> int:
        """The header row."""
        return self.old.header_row

    @property
    def left(self) -> int:
        return self.old.first_col

    @property
    def bottom(self) -> int:
        return self.top + len(self.body)

    @property
    def right(self) -> int:
        return self.left + len(self.headers) - 1

    @property
    def ref(self) -> str:
        """The new table range, header row included."""
        return address((self.top, self.left, self.bottom, self.right))

    @property
    def user_columns(self) -> tuple[str, ...]:
        return self.headers[self.n_fixed :]


@dataclass(frozen=True)
class AppendPlan:
    """Rows added at the end of a table.

    Attributes
    ----------
    old : Location
    role : str
    start : int
        The Excel row of the first new row.
    positions : tuple of int
        The table column (0-based) of each written column.
    body : tuple of tuples
        Cell values, one tuple per new row, in the order of ``positions``.
    kinds : tuple of str
        The kind of every column of the table.
    """

    old: Location
    role: str
    start: int
    positions: tuple[int, ...]
    body: tuple[tuple[object, ...], ...]
    kinds: tuple[str, ...]

    @property
    def last_row(self) -> int:
        """The table's last row after the append."""
        return max(self.old.last_row, self.start + len(self.body) - 1)

    @property
    def ref(self) -> str:
        old = self.old
        return address((old.header_row, old.first_col, self.last_row, old.last_col))


def _check_room(table: str, sheet: str, box: Box, neighbours: Sequence[tuple[str, Box]]) -> None:
    """Refuse a table range that meets another table (or the totals row above one)."""
    top, left, bottom, right = box
    for name, (o_top, o_left, o_bottom, o_right) in neighbours:
        if name.lower() == table.lower():
            continue
        spec = schema.TABLES.get(name)
        o_top -= 1 if spec is not None and spec.totals else 0
        if left <= o_right and o_left <= right and top <= o_bottom and o_top <= bottom:
            raise SopError(
                f"{table} on sheet {sheet} would grow into table {name}; "
                "move one of them so they have room"
            )


def plan_table(
    old: Location,
    spec: schema.Table | None,
    frame: pd.DataFrame,
    *,
    first_row: Callable[[], Sequence[object]] | None = None,
    neighbours: Sequence[tuple[str, Box]] = (),
) -> TablePlan:
    """The plan that replaces the rows and columns of the table at ``old`` with ``frame``.

    Parameters
    ----------
    old : Location
        Where the table is now, with its headers.
    spec : schema.Table or None
        Its schema (None: a table sop-xl does not know, written as text).
    frame : DataFrame
        The new rows; columns by header text.
    first_row : callable, optional
        Gives the table's first data row as stored (formulas as :class:`Formula`); called only
        when the table has user columns.
    neighbours : sequence of (name, box)
        The other tables on the sheet.

    Raises
    ------
    SopError
        When ``frame`` lacks a fixed column of the schema, repeats a column, or the new range
        meets another table.
    """
    name, columns = old.table, [str(c) for c in frame.columns]
    if spec is not None:
        missing = [c.name for c in spec.columns if c.required and c.name not in columns]
        if missing:
            raise SopError(f"cannot write {name}: the data has no column {missing[0]!r}")
    if len(set(columns)) != len(columns):
        raise SopError(f"{name}: duplicated column names in {columns}")
    fixed = set(spec.headers) if spec else set()
    user = [
        (i, h)
        for i, h in enumerate(old.headers)
        if h
        and h not in columns
        and h not in fixed
        and not is_period_label(h)
        and not is_bucket_label(h)  # quarter and fiscal-year sums (tblSOPPlan)
    ]
    headers = (*columns, *(h for _, h in user))
    n_rows = max(len(frame), 1)
    top, left = old.header_row, old.first_col
    bottom, right = top + n_rows, left + len(headers) - 1
    _check_room(name, old.sheet, (top, left, bottom, right), neighbours)

    formulas: list[Formula | None] = [None] * len(user)
    if user and first_row is not None:
        stored = list(first_row())
        for k, (i, _) in enumerate(user):
            value = stored[i] if i < len(stored) else None
            formulas[k] = value if isinstance(value, Formula) else None

    values = frame.to_numpy(dtype=object) if len(frame) else [[None] * len(columns)]
    kinds = [spec.kind_of(h) if spec else "text" for h in columns]
    kind_at, targets = None, set()
    if spec and spec.measure_kinds and spec.kind_column in columns:
        kind_at = columns.index(spec.kind_column)
        targets = {
            j
            for j, h in enumerate(columns)
            if (h in spec.kind_targets if spec.kind_targets else h not in spec.headers)
        }
    body, body_kinds = [], []
    for i in range(n_rows):
        row = [cell_value(v) for v in values[i]]
        measure = row[kind_at] if kind_at is not None else None
        row_kind = (
            spec.measure_kinds.get(measure, spec.other_kind)
            if spec and isinstance(measure, str) and measure.strip()
            else None
        )
        body_kinds.append(
            tuple(row_kind if row_kind and j in targets else kind for j, kind in enumerate(kinds))
        )
        for k, formula in enumerate(formulas):
            if formula is not None and i > 0:
                letter = get_column_letter(left + len(columns) + k)
                origin, target = f"{letter}{top + 1}", f"{letter}{top + 1 + i}"
                formula = Formula(Translator(formula, origin=origin).translate_formula(target))
            row.append(formula)
        body.append(tuple(row))

    clears = []
    if old.last_row > bottom:
        clears.append((bottom + 1, left, old.last_row, max(old.last_col, right)))
    if old.last_col > right:
        clears.append((top, right + 1, min(old.last_row, bottom), old.last_col))

    totals = None
    if spec and (spec.totals or spec.period_totals) and top > 1:
        cells: list[object] = []
        for j, head in enumerate(headers):
            letter = get_column_letter(left + j)
            if j == 0:
                cells.append("Total")
            elif head in spec.totals or (spec.period_totals and is_period_label(head)):
                cells.append(Formula(f"=SUBTOTAL(109,{letter}{top + 1}:{letter}{bottom})"))
            else:
                cells.append(None)
        cells += [None] * max(0, old.last_col - right)
        totals = tuple(cells)

    return TablePlan(
        old=old,
        role=spec.role if spec else "output",
        headers=headers,
        n_fixed=len(columns),
        body=tuple(body),
        kinds=tuple(body_kinds),
        totals=totals,
        clears=tuple(clears),
    )


def plan_append(
    old: Location,
    spec: schema.Table | None,
    frame: pd.DataFrame,
    *,
    last_filled: int | None,
    neighbours: Sequence[tuple[str, Box]] = (),
) -> AppendPlan:
    """The plan that adds ``frame``'s rows after the last filled row of the table at ``old``.

    Parameters
    ----------
    old : Location
    spec : schema.Table or None
    frame : DataFrame
        Columns by header; the table's other columns are left as they are.
    last_filled : int or None
        The Excel row of the table's last non-blank row (None: the table is empty).
    neighbours : sequence of (name, box)
        The other tables on the sheet.

    Raises
    ------
    SopError
        When ``frame`` has a column the table lacks, or the longer table meets another one.
    """
    missing = [c for c in frame.columns if str(c) not in old.headers]
    if missing:
        raise SopError(f"{old.table} on sheet {old.sheet} has no column {show(missing[0])}")
    start = last_filled + 1 if last_filled is not None else old.first_data_row
    last = start + len(frame) - 1
    if last > old.last_row:
        box = (old.header_row, old.first_col, last, old.last_col)
        _check_room(old.table, old.sheet, box, neighbours)
    positions = tuple(old.headers.index(str(c)) for c in frame.columns)
    body = tuple(tuple(cell_value(v) for v in row) for row in frame.to_numpy(dtype=object).tolist())
    kinds = tuple(spec.kind_of(h) if spec else "text" for h in old.headers)
    return AppendPlan(
        old=old,
        role=spec.role if spec else "output",
        start=start,
        positions=positions,
        body=body,
        kinds=kinds,
    )
