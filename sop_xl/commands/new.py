"""``sop-xl new FILE [--demo]``: a new S&OP workbook from the template.

``FILE.xlsx`` is the plain template; ``FILE.xlsm`` the same workbook with the template's VBA
project and its ribbon tab "S&OP Workbook" (:func:`sop_xl.addin.macro_workbook`), so that the
xlwings functions can be imported into it and the buttons run on it.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from sop_xl.cli import command
from sop_xl.errors import SopError
from sop_xl.files import atomic_path, check_writable, workbook_lock


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="the workbook to create (.xlsx, or .xlsm with the S&OP macros)"
    )
    parser.add_argument("--demo", action="store_true", help="fill the inputs with the demo company")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


@command("new", "Create a new S&OP workbook from the template.", add_arguments)
def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        raise SopError(f"the workbook name must end in .xlsx or .xlsm; got {path.name}")
    check_writable(path)
    with workbook_lock(path):
        if path.exists() and not args.force:
            raise SopError(f"{path} already exists; use --force to overwrite it")
        from sop_xl.workbook.book import new_book

        book = new_book()
        if args.demo:
            from sop_xl.demo import demo_tables
            from sop_xl.workbook.fill import fill_inputs

            fill_inputs(book.workbook, demo_tables())
        if suffix == ".xlsx":
            book.save(path)
        else:
            from sop_xl.addin import macro_workbook

            buffer = io.BytesIO()
            book.workbook.save(buffer)
            package = macro_workbook(buffer.getvalue())  # built and read back before writing
            with atomic_path(path) as tmp:
                tmp.write_bytes(package)
        kind = "demo company: inputs filled; run the cycle to fill the plans"
        kind = kind if args.demo else "empty S&OP template"
        macros = "; with the S&OP macros and ribbon tab" if suffix == ".xlsm" else ""
        print(f"wrote {path} ({kind}{macros})")
    return 0
