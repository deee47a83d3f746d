"""``sop-xl new FILE [--demo]``: a new S&OP workbook from the template."""

from __future__ import annotations

import argparse
from pathlib import Path

from sop_xl.cli import command
from sop_xl.errors import SopError
from sop_xl.files import check_writable, workbook_lock


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the workbook to create (.xlsx)")
    parser.add_argument("--demo", action="store_true", help="fill the inputs with the demo company")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


@command("new", "Create a new S&OP workbook from the template.", add_arguments)
def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    if path.suffix.lower() == ".xlsm":  # a macro workbook needs its VBA project
        raise SopError(
            f"sop-xl new writes .xlsx workbooks; got {path.name}: for the macro template with "
            "the S&OP ribbon use sop-xl build-addin --out FOLDER (writes sop_template.xlsm)"
        )
    if path.suffix.lower() != ".xlsx":
        raise SopError(f"the workbook name must end in .xlsx; got {path.name}")
    check_writable(path)
    with workbook_lock(path):
        if path.exists() and not args.force:
            raise SopError(f"{path} already exists; use --force to overwrite it")
        if args.demo:
            from sop_xl.demo import write_demo

            write_demo(path)
            print(f"wrote {path} (demo company: inputs filled; run the cycle to fill the plans)")
        else:
            from sop_xl.workbook.book import new_book

            new_book().save(path)
            print(f"wrote {path} (empty S&OP template)")
    return 0
