"""``sop-xl forecast INPUT --horizon N --out OUTPUT``: forecast every item of a long table.

INPUT is a CSV file or an .xlsx workbook (the table ``tblActuals`` if it has one, else its first
sheet) with the columns Item, Period, Qty (any case, any order, other columns ignored). OUTPUT
(.csv or .xlsx) gets a grid: Item, Method, then one column per future period; with ``--level``
the lower and upper bounds follow as a second table (xlsx: sheets Lower and Upper).
"""

from __future__ import annotations

import argparse
import time
from importlib import resources
from pathlib import Path

import pandas as pd

from sop_xl.cli import MAX_HORIZON, add_jobs_argument, add_scheduler_argument, command
from sop_xl.errors import SopError
from sop_xl.files import atomic_path, check_writable
from sop_xl.forecast.batch import forecast_frame, to_wide
from sop_xl.forecast.cluster import cluster_executor
from sop_xl.forecast.methods import METHODS
from sop_xl.longtable import read_long_table as read_long_table_core
from sop_xl.periods import PeriodGrid

PERIODS = ("month", "week")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a CSV field as a formula (OWASP)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input", nargs="?", type=Path, help="long table Item, Period, Qty (.csv or .xlsx)"
    )
    parser.add_argument(
        "--example",
        action="store_true",
        help="use the example table shipped with sop-xl instead of INPUT",
    )
    parser.add_argument(
        "--horizon",
        type=int,
        default=18,
        help=f"future periods, 1 to {MAX_HORIZON} (default 18)",
    )
    parser.add_argument(
        "--method",
        default="auto",
        type=str.lower,
        choices=METHODS,
        metavar="METHOD",
        help=f"one of {', '.join(METHODS)} (default auto)",
    )
    parser.add_argument(
        "--season-length",
        type=int,
        default=12,
        help="periods per season; 0 or 1 = none (default 12)",
    )
    parser.add_argument(
        "--level",
        type=float,
        default=None,
        help="also give a prediction interval at this level, e.g. 0.9",
    )
    parser.add_argument(
        "--period",
        choices=PERIODS,
        default="month",
        help="period type of the table (default month)",
    )
    add_jobs_argument(parser)
    add_scheduler_argument(parser)
    parser.add_argument("--out", type=Path, required=True, help="output file (.csv or .xlsx)")


def read_long_table(path: Path, period: str = "month") -> pd.DataFrame:
    """Read Item, Period, Qty from a CSV or xlsx file into ``item, period, qty``.

    The rules are :func:`sop_xl.longtable.read_long_table`'s on the ``period`` grid; every
    field of a CSV file is read as text (item codes keep their leading zeros), rows are
    counted from the header (row 1).
    """
    suffix = path.suffix.lower()
    if not path.exists():
        raise SopError(f"input file not found: {path}")
    if suffix == ".csv":
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        except pd.errors.EmptyDataError:
            raise SopError(
                f"{path.name} is empty; it needs the columns Item, Period, Qty"
            ) from None
    elif suffix in (".xlsx", ".xlsm"):
        raw = _read_excel_table(path)
    else:
        raise SopError(f"input must be a .csv or .xlsx file; got {path.name}")
    rows = [int(i) + 2 for i in range(len(raw))]  # header is row 1 in both CSV and a sheet
    return read_long_table_core(
        raw, path.name, grid=PeriodGrid(period), rows=rows, text_numbers=suffix == ".csv"
    ).reset_index(drop=True)


def _read_excel_table(path: Path) -> pd.DataFrame:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=False, data_only=True)
    for sheet in book.worksheets:
        if "tblActuals" in sheet.tables:
            rows = list(sheet[sheet.tables["tblActuals"].ref].__iter__())
            values = [[c.value for c in r] for r in rows]
            return pd.DataFrame(values[1:], columns=values[0])
    return pd.read_excel(path, sheet_name=0, engine="openpyxl")


def write_output(path: Path, grids: dict[str, pd.DataFrame]) -> None:
    """Write the grids atomically: CSV (one grid, bounds stacked below with a Bound column)
    or xlsx (one formatted sheet per grid)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise SopError(f"--out must end in .csv or .xlsx; got {path.name}")
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            parts = [
                g.assign(Bound=name).set_index("Bound").reset_index() if len(grids) > 1 else g
                for name, g in grids.items()
            ]
            csv_safe(pd.concat(parts)).to_csv(tmp, index=False, float_format="%.4f")
        else:
            _write_xlsx(tmp, grids)


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text field a spreadsheet would run as a formula made inert.

    A field starting with ``= + - @``, a tab or a carriage return gets a leading single quote,
    as OWASP's CSV-injection advice and spreadsheet tools expect: Excel shows ``'=1+1`` as the
    text ``=1+1``. Headers are escaped the same way; numbers are left alone.

    >>> csv_safe(pd.DataFrame({"Item": ["=1+1", "@x", "A-1"], "Qty": [-1.0, 2, 3]})).values.tolist()
    [["'=1+1", -1.0], ["'@x", 2.0], ['A-1', 3.0]]
    """

    def safe(value: object) -> object:
        if isinstance(value, str) and value.startswith(FORMULA_START):
            return "'" + value
        return value

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(safe)
    out.columns = [safe(c) for c in out.columns]
    return out


def _write_xlsx(tmp: Path, grids: dict[str, pd.DataFrame]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for name, grid in grids.items():
        sheet = book.create_sheet(name)
        sheet.append(list(grid.columns))
        for row in grid.itertuples(index=False):
            sheet.append(list(row))
        for cells in sheet.iter_rows(min_row=2, max_col=2):
            for cell in cells:  # an item code such as '=1+1' stays text, never a formula
                if cell.data_type == "f":
                    cell.data_type = "s"
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="1F4E78")
        for col in range(3, grid.shape[1] + 1):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                cell.number_format = "#,##0.0"
            sheet.column_dimensions[get_column_letter(col)].width = 10
        sheet.column_dimensions["A"].width = max(12, int(grid["Item"].str.len().max()) + 2)
        sheet.column_dimensions["B"].width = max(10, int(grid["Method"].str.len().max()) + 2)
        sheet.freeze_panes = "C2"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "1:1"
    book.save(tmp)


def check_arguments(source: Path, out: Path) -> None:
    """Refuse, before any work, an input that is a folder, empty or an oversized workbook,
    and an output that is a folder, has another suffix or cannot be written."""
    if source.is_dir():
        raise SopError(f"input {source} is a folder; give a .csv or .xlsx file")
    if source.exists() and source.stat().st_size == 0:
        raise SopError(f"{source.name} is empty; it needs the columns Item, Period, Qty")
    if source.exists() and source.suffix.lower() in (".xlsx", ".xlsm"):
        from sop_xl.workbook.limits import check_workbook_bytes

        check_workbook_bytes(source.read_bytes(), str(source))
    if out.suffix.lower() not in (".csv", ".xlsx") and not out.is_dir():
        raise SopError(f"--out must end in .csv or .xlsx; got {out.name}")
    check_writable(out)


@command("forecast", "Forecast every item of a long table (Item, Period, Qty).", add_arguments)
def run(args: argparse.Namespace) -> int:
    if args.example == (args.input is not None):
        raise SopError("give either INPUT or --example")
    source = args.input or Path(str(resources.files("sop_xl") / "data" / "example_actuals.csv"))
    if args.horizon > MAX_HORIZON:
        raise SopError(f"--horizon must be at most {MAX_HORIZON:,} periods; got {args.horizon:,}")
    check_arguments(source, args.out)
    frame = read_long_table(source, args.period)
    n_items = frame["item"].nunique()
    print(
        f"forecasting {n_items} items from {source.name} ({len(frame)} rows), "
        f"horizon {args.horizon}, method {args.method}"
    )
    started = time.perf_counter()
    from tqdm import tqdm

    with (
        cluster_executor(args.scheduler) as executor,
        tqdm(total=n_items, unit="item", desc="forecast", disable=None) as bar,
    ):

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        long = forecast_frame(
            frame,
            args.horizon,
            method=args.method,
            season_length=args.season_length,
            level=args.level,
            freq=PeriodGrid(args.period).freq,
            n_jobs=args.jobs,
            executor=executor,
            progress=progress,
        )
    freq = PeriodGrid(args.period).freq
    grids = {"Forecast": to_wide(long, freq=freq)}
    if args.level is not None:
        grids["Lower"] = to_wide(long, value="lower", freq=freq)
        grids["Upper"] = to_wide(long, value="upper", freq=freq)
    write_output(args.out, grids)
    seconds = time.perf_counter() - started
    methods = grids["Forecast"]["Method"].value_counts()
    print(
        f"wrote {args.out}: {n_items} items x {args.horizon} periods in {seconds:.1f} s; "
        f"methods: {', '.join(f'{m} {c}' for m, c in methods.items())}"
    )
    return 0
