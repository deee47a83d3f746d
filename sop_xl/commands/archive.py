"""``sop-xl archive FILE --export OUT.parquet`` / ``--import IN.parquet``: move History records.

Export writes every History row of the workbook's plan (from its plan archive when Settings
``Archive`` names one, else from the History sheet) to a Parquet file in tblHistory's layout
(Cycle, SnapshotTime, Kind, Item, Period, Qty). Import puts such rows where the workbook keeps
History now: the cycles in the file replace those cycles' rows. To move a workbook's History
into a new archive: export with ``Archive`` blank, set ``Archive``, import.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sop_xl.cli import command
from sop_xl.errors import SopError
from sop_xl.files import atomic_path, check_writable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the S&OP workbook (.xlsx)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--export", type=Path, metavar="OUT.parquet", help="write History here")
    what.add_argument("--import", dest="source", type=Path, metavar="IN.parquet",
                      help="add the History rows of this file")  # fmt: skip


@command("archive", "Export or import History records (Parquet).", add_arguments)
def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from sop_xl.cycle.records import export_history, import_history
    from sop_xl.workbook.book import edit_book, open_book

    if args.export is not None:
        if args.export.suffix.lower() != ".parquet":
            raise SopError(f"--export must end in .parquet; got {args.export.name}")
        check_writable(args.export)
        frame, source = export_history(open_book(args.file))
        with atomic_path(args.export) as tmp:
            frame.to_parquet(tmp, index=False)
        print(f"wrote {args.export}: {len(frame):,} History rows from {source}")
        return 0
    try:
        frame = pd.read_parquet(args.source)
    except FileNotFoundError:
        raise
    except Exception as exc:  # pyarrow's errors: not a Parquet file, a damaged one
        reason = " ".join(str(exc).split())[:160]
        raise SopError(f"cannot read {args.source.name} as Parquet: {reason}") from None
    with edit_book(args.file) as book:
        message = import_history(book, frame)
    print(f"updated {args.file}: {message}")
    return 0
