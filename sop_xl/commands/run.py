"""``sop-xl run FILE [--step STEP ...] [--scheduler ADDRESS]``: run the S&OP cycle (or some
steps) on a workbook; the forecast runs on a Dask cluster with ``--scheduler`` (or the Settings
key ``Scheduler``).

Refuses a read-only workbook or folder first; then holds the workbook's lock (another sop-xl
command on the same file waits up to ``sop_xl.files.LOCK_TIMEOUT`` seconds, then refuses),
validates the inputs (errors: exit 1, the file untouched), computes every step in memory,
writes the output tables, appends a Log row and saves the file atomically, unless it was
changed on disk meanwhile (then: exit 1, nothing written).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sop_xl.cli import add_jobs_argument, add_scheduler_argument, command
from sop_xl.cycle.runner import STEPS, CycleReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the S&OP workbook (.xlsx)")
    parser.add_argument(
        "--step",
        action="append",
        metavar="STEP",
        help=f"run only this step (repeatable): {', '.join(STEPS)}; default: the whole cycle",
    )
    add_jobs_argument(parser)
    add_scheduler_argument(parser)


class ProgressPrinter:
    """Prints each stage on stdout, and a tqdm bar for the forecast's items on a terminal.

    stderr is kept for the one line ``sop-xl: error: ...`` of a failure, so that a script or a
    scheduler sees exactly that line there.
    """

    def __init__(self) -> None:
        self.stage = ""
        self.bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "forecast" and total > 1:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="series", desc="forecast", disable=None)
            self.bar.update(done - self.bar.n)
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            print(f"  {stage} ...", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def describe(report: CycleReport) -> list[str]:
    """Short summary lines of a run."""
    lines = [
        f"steps: {', '.join(report.steps)}; {report.total_rows:,} rows written in "
        f"{report.seconds.get('total', 0):.1f} s"
    ]
    lines += [f"  {name}: {rows:,} rows" for name, rows in report.rows.items()]
    lines += [f"  note: {note}" for note in report.notes]
    if report.warnings:
        lines.append(f"  {len(report.warnings)} validation warning(s): see sop-xl validate")
    return lines


@command("run", "Run the S&OP cycle (or --step ...) on a workbook.", add_arguments)
def run(args: argparse.Namespace) -> int:
    from sop_xl.cycle import run_cycle
    from sop_xl.workbook.book import edit_book

    printer = ProgressPrinter()
    try:
        with edit_book(args.file) as book:
            report = run_cycle(
                book, args.step, progress=printer, n_jobs=args.jobs, scheduler=args.scheduler
            )
    finally:
        printer.close()
    print(f"updated {args.file}")
    for line in describe(report):
        print(line)
    return 0
