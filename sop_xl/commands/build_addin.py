"""``sop-xl build-addin [--out DIR]``: build the S&OP ribbon add-in and the macro template.

Writes ``sop_xl.xlam`` (the add-in: the "S&OP" ribbon tab for every workbook) and
``sop_template.xlsm`` (the S&OP template with the same buttons on its own tab, "S&OP Workbook")
into DIR, on any platform; see :mod:`sop_xl.addin`. Run it again after upgrading xlwings: the
files carry the xlwings VBA module of the build's xlwings version.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sop_xl.cli import command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("dist"), help="output folder (default: dist)"
    )


@command(
    "build-addin",
    "Build the S&OP ribbon add-in (sop_xl.xlam) and the macro template (sop_template.xlsm).",
    add_arguments,
)
def run(args: argparse.Namespace) -> int:
    from sop_xl.addin import build_addin

    paths = build_addin(args.out)
    for path in paths:
        print(f"wrote {path}")
    print(f"install the add-in for Excel with: xlwings addin install --file {paths[0]}")
    return 0
