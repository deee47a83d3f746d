"""Print a workbook as LibreOffice does, count its pages per sheet, render chosen sheets to PNG.

``python benchmarks/render_pdf_pages.py [WORKBOOK] [--sheets KPIs "Demand Plan" ...] [--out DIR]``
converts WORKBOOK (default: a fresh ``sop-xl demo``) to PDF with ``soffice --headless``, prints
the page count of every sheet (read from each page's footer, which names the sheet) and the
total, and writes the pages of the chosen sheets as PNG files (``pdftoppm``) and the PDF into
DIR, to be looked at. Needs LibreOffice and poppler.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FOOTER = "sop-xl S"  # the centre of every sheet's footer (sop-xl S&OP); the sheet name on its left
PAGE = r"Page \d+ of \d+\s*$"  # the right of a footer (the Start sheet has no centre)
SHEETS = ("KPIs", "Reconciliation", "Demand Plan", "Forecast")


def to_pdf(workbook: Path, outdir: Path) -> Path:
    """``workbook`` printed to PDF by LibreOffice (a fresh profile, so runs do not collide)."""
    profile = outdir / f"profile-{uuid.uuid4().hex}"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(outdir), str(workbook)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    shutil.rmtree(profile, ignore_errors=True)
    return outdir / (workbook.stem + ".pdf")


def page_sheets(pdf: Path) -> list[str]:
    """The sheet of every page, from its footer (``?`` for a page without one)."""
    pages = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(pdf))).group(1))
    names = []
    for page in range(1, pages + 1):
        text = _run("pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-")
        footer = [line for line in text.splitlines() if FOOTER in line or re.search(PAGE, line)]
        names.append(re.split(r"\s{2,}", footer[-1].strip())[0] if footer else "?")
    return names


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", nargs="?", type=Path)
    parser.add_argument("--sheets", nargs="*", default=list(SHEETS))
    parser.add_argument("--out", type=Path, default=Path("pages"))
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sop-pages-"))
    workbook = args.workbook
    if workbook is None:
        from sop_xl.cli import main as cli

        workbook = work / "sop_demo.xlsx"
        cli(["demo", str(workbook)])
    pdf = to_pdf(workbook.resolve(), work)
    sheets = page_sheets(pdf)
    counts = Counter(sheets)
    print(f"{workbook.name}: {len(sheets)} pages")
    for name in dict.fromkeys(sheets):
        print(f"  {name:<16} {counts[name]:>3}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.sheets:
        pages = [i for i, s in enumerate(sheets, start=1) if s == name]
        if not pages:
            print(f"  (no pages for {name})")
            continue
        prefix = args.out / name.replace(" ", "_")
        subprocess.run(["pdftoppm", "-r", str(args.dpi), "-f", str(pages[0]), "-l",
                        str(pages[-1]), "-png", str(pdf), str(prefix)], check=True)  # fmt: skip
        print(f"  {name}: pages {pages[0]}-{pages[-1]} -> {prefix}-*.png")
    kept = args.out / pdf.name
    shutil.copy(pdf, kept)
    print(f"  the PDF: {kept}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
