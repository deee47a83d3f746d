"""Size limits checked on a workbook's zip container before openpyxl parses it.

An .xlsx file is a zip of XML parts. A small file can still take hours or gigabytes to load:
a part that inflates to gigabytes, a table or a stray cell at the last row (1,048,576) or last
column (XFD) that makes every table read walk a million rows, or an XML comment in a sheet
(quadratic parse time with expat before 2.6.0, CVE-2023-52425). :func:`check_workbook_bytes`
reads only the zip directory, the ``<dimension>`` at the start of each sheet and the table
definitions, and refuses such a file with one line. The limits:

- each part at most :data:`MAX_PART_BYTES` once inflated, all parts together at most
  :data:`MAX_TOTAL_BYTES`;
- no sheet dimension or table reaching row :data:`EXCEL_ROWS` or column :data:`EXCEL_COLUMNS`
  (Excel's last ones), and none covering more than :data:`MAX_CELLS` cells;
- no XML comment in a sheet when the expat library is older than 2.6.0.

Examples
--------
>>> import io, zipfile
>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w") as z:
...     z.writestr("xl/worksheets/sheet1.xml", '<worksheet><dimension ref="A1:XFD1048576"/>')
>>> try:
...     check_workbook_bytes(buffer.getvalue(), "big.xlsx")
... except SopError as exc:
...     print(str(exc)[:69])
big.xlsx: sheet part xl/worksheets/sheet1.xml spans A1:XFD1048576, to
"""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl.utils.cell import range_boundaries

from sop_xl.errors import SopError

MAX_PART_BYTES = 512 * 2**20
"""Largest inflated zip part [bytes] (a sheet of about 5 million filled cells)."""
MAX_TOTAL_BYTES = 1024 * 2**20
"""Largest sum of the inflated parts [bytes]."""
MAX_CELLS = 30_000_000
"""Most cells a sheet's used range or a table may cover."""
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"([^\"]+)\"")
_TABLE_REF = re.compile(rb"<(?:\w+:)?table\b[^>]*?\sref=\"([^\"]+)\"")
_HEAD_BYTES = 4096  # a sheet's <dimension> comes before its data


def _expat_is_quadratic() -> bool:
    import pyexpat

    found = re.search(r"(\d+)\.(\d+)", pyexpat.EXPAT_VERSION)
    return found is None or (int(found[1]), int(found[2])) < (2, 6)


def _check_range(name: str, what: str, ref: str) -> None:
    try:
        left, top, right, bottom = range_boundaries(ref.split()[0])
    except (ValueError, TypeError):
        return  # openpyxl reports malformed references itself
    if None in (left, top, right, bottom):
        return
    if bottom >= EXCEL_ROWS or right >= EXCEL_COLUMNS:
        raise SopError(
            f"{name}: {what} spans {ref}, to Excel's last row or column; delete the rows and "
            "columns after the data and save it again"
        )
    cells = (bottom - top + 1) * (right - left + 1)
    if cells > MAX_CELLS:
        raise SopError(
            f"{name}: {what} spans {ref} ({cells:,} cells; at most {MAX_CELLS:,}); delete the "
            "rows and columns after the data and save it again"
        )


def check_workbook_bytes(data: bytes, name: str) -> None:
    """Refuse a workbook file too large or too sparse to load safely (see the module limits).

    Parameters
    ----------
    data : bytes
        The file's contents.
    name : str
        The file name, for messages.

    Raises
    ------
    SopError
        One line naming the part and the limit; nothing is parsed by openpyxl.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SopError(
            f"cannot open {name} as an Excel workbook: it is not a zip file (an .xlsx "
            "workbook is one; was it saved as another format and renamed?)"
        ) from None
    with archive:
        infos = archive.infolist()
        total = 0
        for info in infos:
            if info.file_size > MAX_PART_BYTES:
                raise SopError(
                    f"{name}: part {info.filename} inflates to {info.file_size:,} bytes "
                    f"(at most {MAX_PART_BYTES:,}); this is not a workbook sop-xl can load"
                )
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise SopError(
                f"{name}: its parts inflate to {total:,} bytes (at most {MAX_TOTAL_BYTES:,}); "
                "this is not a workbook sop-xl can load"
            )
        quadratic = _expat_is_quadratic()
        for info in infos:
            part = info.filename
            if part.startswith("xl/worksheets/") and part.endswith(".xml"):
                try:
                    with archive.open(info) as handle:
                        head = handle.read(_HEAD_BYTES)
                        found = _DIMENSION.search(head)
                        if found:
                            _check_range(name, f"sheet part {part}", found[1].decode("ascii"))
                        if quadratic and _has_comment(head, handle):
                            raise SopError(
                                f"{name}: sheet part {part} contains an XML comment, which "
                                "Excel never writes and which takes very long to read; save "
                                "the workbook again from Excel"
                            )
                except (zipfile.BadZipFile, OSError, UnicodeDecodeError, EOFError):
                    continue  # openpyxl reports a damaged part itself
            elif part.startswith("xl/tables/") and part.endswith(".xml"):
                try:
                    head = archive.read(info)[:_HEAD_BYTES]
                except (zipfile.BadZipFile, OSError, EOFError):
                    continue
                found = _TABLE_REF.search(head)
                if found:
                    _check_range(name, f"table part {part}", found[1].decode("ascii", "replace"))


def _has_comment(head: bytes, handle) -> bool:
    """Whether the rest of a part (streamed in 1 MiB chunks) holds ``<!--``."""
    tail = head
    if b"<!--" in tail:
        return True
    while chunk := handle.read(2**20):
        if b"<!--" in tail[-3:] + chunk:
            return True
        tail = chunk
    return False
