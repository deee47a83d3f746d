"""What a workbook holds, as plain data, to compare two workbooks by content, not zip bytes.

Used to check that ``workbook_templates/sop_template.xlsx`` is what the builder writes
(openpyxl stamps times into the zip, so the bytes always differ).
"""

from __future__ import annotations

from typing import Any

from openpyxl.workbook import Workbook


def _chart(chart: Any) -> dict[str, Any]:
    refs = []
    parts = getattr(chart, "_charts", None) or [chart]
    for series in (s for part in parts for s in part.series):
        for part in (series.val, series.cat):
            for attr in ("numRef", "strRef"):
                ref = getattr(part, attr, None) if part is not None else None
                if ref is not None:
                    refs.append(ref.f)
    return {"type": type(chart).__name__, "series": refs}


def fingerprint(wb: Workbook) -> dict[str, Any]:
    """Sheets, cells (value, style, format), tables, validations, formats, charts, layout."""
    out: dict[str, Any] = {"sheets": wb.sheetnames, "styles": sorted(wb.named_styles)}
    for ws in wb.worksheets:
        cells = {
            cell.coordinate: (cell.value, cell.style, cell.number_format)
            for row in ws.iter_rows()
            for cell in row
            if cell.value is not None or cell.style != "Normal"
        }
        out[ws.title] = {
            "cells": cells,
            "comments": {
                c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment
            },
            "links": {
                c.coordinate: c.hyperlink.location
                for row in ws.iter_rows()
                for c in row
                if c.hyperlink is not None
            },
            "tables": {
                name: (t.ref, [c.name for c in t.tableColumns], t.tableStyleInfo.name)
                for name, t in dict.items(ws.tables)
            },
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.formula1, dv.formula2)
                for dv in ws.data_validations.dataValidation
            ),
            "conditional": sorted(
                (str(cf.sqref), rule.type, tuple(rule.formula or ()))
                for cf in ws.conditional_formatting
                for rule in cf.rules
            ),
            "charts": [_chart(c) for c in ws._charts],
            "freeze": ws.freeze_panes,
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "print": (
                ws.page_setup.orientation,
                ws.page_setup.fitToWidth,
                ws.page_setup.fitToHeight,
                ws.print_title_rows,
                str(ws.print_area) if ws.print_area else None,
            ),
        }
    return out


def differences(a: dict[str, Any], b: dict[str, Any], path: str = "") -> list[str]:
    """Where two fingerprints differ, as readable paths (at most a few per sheet)."""
    if isinstance(a, dict) and isinstance(b, dict):
        diffs: list[str] = []
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                diffs.append(f"{path}/{key}: only in {'second' if key not in a else 'first'}")
            else:
                diffs.extend(differences(a[key], b[key], f"{path}/{key}"))
        return diffs
    return [] if a == b else [f"{path}: {a!r} != {b!r}"[:300]]
