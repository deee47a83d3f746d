"""``sop-xl demo [FILE]``: the demo company's workbook, filled and run through the whole cycle.

Writes FILE (default ``sop_demo.xlsx`` in the current folder, replaced if it exists) from the
template with Brightwater Home & Garden's inputs, runs every step of the cycle, saves it once
(atomically) and prints where to look. A read-only FILE or folder is refused before the cycle
runs; FILE is locked meanwhile, as for ``sop-xl run``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sop_xl.cli import add_jobs_argument, command
from sop_xl.errors import SopError
from sop_xl.files import check_writable, workbook_lock

DEFAULT = Path("sop_demo.xlsx")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", nargs="?", type=Path, default=DEFAULT, help=f"the workbook (default {DEFAULT})"
    )
    add_jobs_argument(parser)


def _kpi_line(kpi) -> str:
    value, unit = kpi.value, kpi.unit
    if value != value:
        return f"  {kpi.name}: n/a"
    if unit == "%":
        text = f"{value:.1%}"
    elif unit in ("units", "h", "days", "items"):
        text = f"{value:,.0f} {unit}"
    elif unit == "x":
        text = f"{value:.1f}x"
    else:
        text = f"{unit} {value:,.0f}"
    return f"  {kpi.name}: {text}"


@command("demo", "Write the demo company's workbook and run the whole cycle.", add_arguments)
def run(args: argparse.Namespace) -> int:
    from sop_xl.commands.run import ProgressPrinter
    from sop_xl.cycle import run_cycle
    from sop_xl.demo import COMPANY, demo_tables
    from sop_xl.workbook.book import new_book
    from sop_xl.workbook.fill import fill_inputs

    path: Path = args.file
    if path.suffix.lower() != ".xlsx":
        raise SopError(f"the workbook name must end in .xlsx; got {path.name}")
    check_writable(path)
    print(f"{COMPANY}: 44 items, 36 months of actuals; running the S&OP cycle ...")
    book = new_book()
    fill_inputs(book.workbook, demo_tables())
    printer = ProgressPrinter()
    with workbook_lock(path):
        try:
            report = run_cycle(book, progress=printer, save=False, n_jobs=args.jobs)
        finally:
            printer.close()
        book.save(path)
    rec = report.tables["tblReconciliation"]
    decisions = rec[rec["DecisionNeeded"] != ""]
    # the examples: the worst overload, then the largest budget gaps, one per family
    overload = decisions["Flag"].str.extract(r"at (\d+)%")[0].astype(float).fillna(0)
    ranked = decisions.assign(_o=overload).sort_values(
        ["_o", "GapToBudget"], ascending=[False, True]
    )
    examples = ranked.drop_duplicates("Family")["DecisionNeeded"].head(3)
    print(f"wrote {path} in {report.seconds['total']:.1f} s")
    for kpi in report.kpis[:1] + report.kpis[2:4] + report.kpis[5:6] + report.kpis[11:14]:
        print(_kpi_line(kpi))
    print(f"  decisions for the executive meeting: {len(decisions)}, e.g.")
    for text in examples:
        print(f"    - {text}")
    print(
        "open it in Excel: Summary (the one page for the meeting), Start (the cycle), "
        "Forecast, Item Plan, Demand Plan, Supply, Capacity, Finance, S&OP Plan (per family), "
        "Reconciliation (decisions), KPIs (charts)"
    )
    return 0
