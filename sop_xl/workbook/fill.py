"""Fill the input tables of a fresh workbook (the demo company, an import).

This is for a workbook being created: the cycle itself never writes input tables (the gateway
refuses to). Settings are set key by key, so the template's formats and lists stay in place.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.workbook import Workbook

from sop_xl.errors import SopError
from sop_xl.workbook import schema, tables


def set_settings(wb: Workbook, values: dict[str, object]) -> None:
    """Set the Value of each key of tblSettings in place (keys not there are added)."""
    ws, tbl = tables.find_table(wb, "tblSettings")
    loc = tables.locate(ws, tbl)
    key_col = loc.first_col + loc.headers.index("Key")
    value_col = loc.first_col + loc.headers.index("Value")
    rows = {
        str(ws.cell(r, key_col).value).strip().lower(): r
        for r in range(loc.first_data_row, loc.last_row + 1)
    }
    extra = {}
    for key, value in values.items():
        row = rows.get(key.lower())
        if row is None:
            extra[key] = value
            continue
        tables.put(ws.cell(row, value_col), tables.cell_value(value))  # text stays text
    if extra:
        tables.append_rows(
            ws, tbl, pd.DataFrame({"Key": list(extra), "Value": list(extra.values())})
        )


def fill_inputs(wb: Workbook, frames: dict[str, pd.DataFrame]) -> None:
    """Write ``frames`` (keyed by table name) into the input tables of ``wb``.

    Raises
    ------
    SopError
        For an output table or a frame that lacks a column of the table.
    """
    for name, frame in frames.items():
        spec = schema.table(name)
        if spec.role != "input":
            raise SopError(f"{name} is an output table; only the cycle writes it")
        if name == "tblSettings":
            set_settings(wb, dict(zip(frame["Key"], frame["Value"], strict=True)))
            continue
        absent = [c.name for c in spec.columns if not c.required and c.name not in frame.columns]
        frame = frame.assign(**dict.fromkeys(absent))  # an optional column left out: blank
        missing = [h for h in spec.headers if h not in frame.columns]
        if missing:
            raise SopError(f"cannot fill {name}: the data has no column {missing[0]!r}")
        ws, tbl = tables.find_table(wb, name)
        tables.write_rows(ws, tbl, frame, spec)
