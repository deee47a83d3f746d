"""A workbook file as xlwings' remote engine sees it, and the actions it queues, replayed.

:func:`remote_book` opens a workbook with openpyxl and builds the JSON that xlwings' Office.js
client sends to Python (xlwings Server / Lite), then loads it with ``xw.Book(json=...)``: the
real remote Book of xlwings, not a mock. Every sheet carries its values from A1 to the last
used cell (blank cells as ``""``, dates as ISO text, as the client sends a date-formatted cell)
and its tables with name, range, header row and data body addresses, row and column counts and
column names.

Formulas: the client sends what Excel calculated. A file written by openpyxl has no calculated
values, so a formula cell is sent as its cached value when the file has one, else as ``""``.

:func:`replay` applies the queued actions (``setValues``, ``rangeClearContents``,
``resizeTable``) to an openpyxl workbook, as the client applies them to Excel, so a test can
compare what a macro did to the live book with what the same step does to a file.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import xlwings as xw  # noqa: E402  (the key must be set before xlwings checks it)

if "remote" not in [engine.name for engine in xw.engines]:
    # xlwings was imported (by another test module) before the key was set: register the
    # remote engine now, as xlwings does on import when the key is there
    from xlwings.pro import _xlremote  # noqa: E402

    xw.engines.add(xw.main.Engine(impl=_xlremote.engine))


def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return value


def payload(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON xlwings' Office.js client would send for the workbook at ``path``."""
    formulas = load_workbook(path)
    cached = load_workbook(path, data_only=True)
    sheets = []
    for ws in formulas.worksheets:
        values_ws = cached[ws.title]
        values = []
        for row in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column):
            out = []
            for cell in row:
                value = cell.value
                if cell.data_type == "f":  # a formula (text starting with = is text)
                    value = values_ws[cell.coordinate].value
                out.append(_json_value(value))
            values.append(out)
        tables = []
        for name, tbl in dict.items(ws.tables):
            c1, r1, c2, r2 = range_boundaries(tbl.ref)
            left, right = get_column_letter(c1), get_column_letter(c2)
            tables.append(
                {
                    "name": name,
                    "range_address": tbl.ref,
                    "header_row_range_address": f"{left}{r1}:{right}{r1}",
                    "data_body_range_address": f"{left}{r1 + 1}:{right}{r2}",
                    "total_row_range_address": None,
                    "show_headers": True,
                    "show_totals": False,
                    "table_style": "TableStyleMedium2",
                    "show_autofilter": True,
                    "row_count": r2 - r1 + 1,
                    "column_count": c2 - c1 + 1,
                    "columns": [str(ws.cell(r1, c).value) for c in range(c1, c2 + 1)],
                    "show_table_style_first_column": False,
                    "show_table_style_last_column": False,
                    "show_table_style_row_stripes": True,
                    "show_table_style_column_stripes": False,
                }
            )
        sheets.append(
            {
                "name": ws.title,
                "values": values or [[]],
                "pictures": [],
                "shapes": [],
                "charts": [],
                "notes": [],
                "tables": tables,
                "print_area": None,
                "visibility": "Visible",
            }
        )
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": Path(path).name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }


def remote_book(path: str | os.PathLike[str]) -> xw.Book:
    """xlwings' remote Book loaded with the workbook at ``path``."""
    return xw.Book(json=payload(path))


def actions(book: xw.Book) -> list[dict[str, Any]]:
    """The actions xlwings queued for the client."""
    return book.json()["actions"]


def _set_from_client(cell: Any, value: Any) -> None:
    """Set ``cell`` as Excel stores a written value: a leading ``'`` makes text (whatever
    follows), other text starting with ``=`` is a formula, ``""`` is blank."""
    if value == "":
        cell.value = None
    elif isinstance(value, str) and value.startswith("'"):
        cell.value = value[1:]
        cell.data_type = "s"
    else:
        cell.value = value


def replay(wb: Workbook, queued: list[dict[str, Any]]) -> None:
    """Apply xlwings' queued write actions to ``wb`` as the client applies them to Excel."""
    for action in queued:
        func = action["func"]
        if func in ("alert", "setScreenUpdating", "activateSheet"):
            continue
        ws = wb.worksheets[action["sheet_position"]]
        if func == "setValues":
            r0, c0 = action["start_row"] + 1, action["start_column"] + 1
            for i, row in enumerate(action["values"]):
                for j, value in enumerate(row):
                    _set_from_client(ws.cell(r0 + i, c0 + j), value)
        elif func == "rangeClearContents":
            r0, c0 = action["start_row"] + 1, action["start_column"] + 1
            for r in range(r0, r0 + action["row_count"]):
                for c in range(c0, c0 + action["column_count"]):
                    ws.cell(r, c).value = None
        elif func == "resizeTable":
            index, address = action["args"]
            tbl = list(dict.values(ws.tables))[index]
            tbl.ref = address.replace("$", "")
        else:
            raise AssertionError(f"replay does not know action {func}")
