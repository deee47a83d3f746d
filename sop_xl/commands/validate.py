"""``sop-xl validate FILE``: list the problems of a workbook's inputs.

Prints one line per problem (``error: Actuals row 12 Item: unknown item 'X' (not in
tblItems)``); exits 1 when there is at least one error, 0 when only warnings or none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sop_xl.cli import command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the S&OP workbook (.xlsx)")


@command("validate", "Check a workbook's inputs: sheets, tables, items, periods.", add_arguments)
def run(args: argparse.Namespace) -> int:
    from sop_xl.cycle.transaction import check_inputs
    from sop_xl.workbook.book import open_book
    from sop_xl.workbook.validate import errors

    problems = check_inputs(open_book(args.file))  # the checks a run makes before computing
    for problem in problems:
        print(
            " ".join(str(problem).split()),
            file=sys.stderr if problem.severity == "error" else sys.stdout,
        )
    n_errors = len(errors(problems))
    n_warnings = len(problems) - n_errors
    if n_errors:
        print(
            f"sop-xl: error: {args.file}: {n_errors} error(s), {n_warnings} warning(s)",
            file=sys.stderr,
        )
        return 1
    print(f"{args.file}: inputs OK ({n_warnings} warning(s))")
    return 0
