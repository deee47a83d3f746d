"""``sop-xl roll-forward FILE``: start the next cycle.

CycleStart moves one period on, adjustments of past periods move to tblAdjustmentHistory, the
Start sheet's steps reset. Refuses (exit 1, one line, the file untouched) past the end of the
    from sop_xl.cycle import roll_forward
    from sop_xl.workbook.book import edit_book
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sop_xl.cli import command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the S&OP workbook (.xlsx)")
    parser.add_argument(
        "--without-snapshot",
        action="store_true",
        help="roll forward even though this cycle was not snapshot to History",
    )


@command("roll-forward", "Start the next cycle (CycleStart one period on).", add_arguments)
def run(args: argparse.Namespace) -> int:
    from sop_xl.cycle import roll_forward
    from sop_xl.workbook.book import edit_book

    with edit_book(args.file) as book:
        result = roll_forward(book, require_snapshot=not args.without_snapshot)
    print(f"updated {args.file}: {result.message}")
    return 0
