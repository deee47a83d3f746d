"""``sop-xl snapshot FILE``: archive the cycle's plans into the History sheet.

Refuses (exit 1, one line, the file untouched) when the inputs have errors or the plan is
missing, invalid or stale (run the cycle first). A second snapshot of the same cycle replaces
its rows. With Settings ``Archive`` the plans also go to the plan archive (issue 14).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sop_xl.cli import command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the S&OP workbook (.xlsx), after sop-xl run")


@command("snapshot", "Archive this cycle's plans to History (for lag accuracy).", add_arguments)
def run(args: argparse.Namespace) -> int:
    from sop_xl.cycle import snapshot
    from sop_xl.workbook.book import edit_book

    with edit_book(args.file) as book:
        result = snapshot(book)
    print(f"updated {args.file}: {result.message}")
    return 0
