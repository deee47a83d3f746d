"""Render a workbook's printed pages to PNG through LibreOffice, and count pages per sheet.

    python benchmarks/render_pages.py [WORKBOOK] [--out DIR] [--sheets "Summary,S&OP Plan"]

Without WORKBOOK it builds the demo (``sop-xl demo --jobs 1``) in a temporary folder. The
workbook is converted to PDF by ``soffice --headless`` (a fresh profile), each page is told
apart by the sheet name in its footer (the template prints ``&A`` at the bottom left), the
pages of the chosen sheets become ``<sheet>-<n>.png`` by ``pdftoppm``, and the page count of
every sheet is printed: the figures issue 12 asks for (the Summary is one page). Look at the
pictures; they are not committed.
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

DEFAULT_SHEETS = "Summary,S&OP Plan,KPIs,Reconciliation,Demand Plan"


def to_pdf(workbook: Path, outdir: Path) -> Path:
    """The workbook as PDF, converted by LibreOffice with a fresh profile."""
    profile = outdir / f"profile-{uuid.uuid4().hex}"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", str(outdir), str(workbook)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    shutil.rmtree(profile, ignore_errors=True)
    return outdir / (workbook.stem + ".pdf")


def page_sheets(pdf: Path, sheets: list[str]) -> list[str]:
    """The sheet each page belongs to, from the footer text (``?`` when none is found)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    longest_first = sorted(sheets, key=len, reverse=True)  # "S&OP Plan" before "Plan"
    found = []
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        footer = next((line for line in reversed(lines) if re.search(r"Page \d+ of", line)), "")
        name = next((s for s in longest_first if footer.startswith(s)), "?")
        found.append(name)
    return found


def render(pdf: Path, pages: list[int], stem: str, outdir: Path, dpi: int) -> list[Path]:
    """PNG files of the given 1-based pages."""
    out = []
    for n, page in enumerate(pages, start=1):
        target = outdir / f"{stem}-{n}"
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png",
             "-singlefile", str(pdf), str(target)],
            check=True, timeout=120,
        )  # fmt: skip
        out.append(target.with_suffix(".png"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", nargs="?", type=Path)
    parser.add_argument("--out", type=Path, default=Path("render"))
    parser.add_argument("--sheets", default=DEFAULT_SHEETS)
    parser.add_argument("--dpi", type=int, default=70)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    workbook = args.workbook
    if workbook is None:
        workbook = Path(tempfile.mkdtemp()) / "sop_demo.xlsx"
        subprocess.run([sys.executable, "-m", "sop_xl", "demo", str(workbook), "--jobs", "1"],
                       check=True, capture_output=True)  # fmt: skip
    from openpyxl import load_workbook

    names = load_workbook(workbook, read_only=True).sheetnames
    pdf = to_pdf(workbook, args.out)
    owners = page_sheets(pdf, names)
    counts = Counter(owners)
    print(f"{pdf.name}: {len(owners)} pages")
    for name in [*names, "?"]:
        if counts[name]:
            print(f"  {name:16s} {counts[name]:4d}")
    for sheet in [s.strip() for s in args.sheets.split(",") if s.strip()]:
        pages = [i + 1 for i, owner in enumerate(owners) if owner == sheet]
        stem = re.sub(r"[^A-Za-z0-9]+", "_", sheet).strip("_")
        files = render(pdf, pages, stem, args.out, args.dpi)
        print(f"{sheet}: pages {pages} -> {', '.join(f.name for f in files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
