"""The cycle's inputs as typed DataFrames, and the wide grids its steps pass to each other.

:func:`cycle_inputs` turns the raw tables (as :meth:`Book.read_table` gives them: header texts
as columns, Excel values, any row order) into one :class:`CycleInputs`: numbers as floats,
periods as timestamps, item codes as stripped text, blanks as NaN. It runs after
:func:`~sop_xl.workbook.validate.validate` found no error, so it converts rather than checks,
but a value that still does not convert raises :class:`SopError` naming the table and row.

Plan grids: one row per item (or family, resource), one column per plan period, the columns
labelled ``YYYY-MM`` (weeks ``YYYY-Www``) as in the workbook, so a step's output table and the
frame the next step reads are the same thing whether it came from this run or from the book.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.longtable import is_blank, item_code, read_long_table, read_periods
from sop_xl.periods import PeriodGrid

ITEM_NUMBERS = (
    "UnitPrice",
    "UnitCost",
    "LeadTime",
    "LeadTimeSD",
    "ServiceLevel",
    "MOQ",
    "LotSize",
    "HoursPerUnit",
    "OnHand",
    "CycleTimeDays",
)
OPTIONAL_ITEM_NUMBERS = ("Backlog",)  # columns a workbook may lack (older templates)
OPTIONAL_ITEM_PERIODS = ("LaunchPeriod", "EndPeriod")  # issue 15: new products and phase-out


@dataclass(frozen=True)
class CycleInputs:
    """Everything the steps read, typed.

    Attributes
    ----------
    settings : dict
        tblSettings as typed values (``CycleStart`` filled in: the period after the last actual
        when blank).
    items : DataFrame
        tblItems indexed by Item (workbook order); numbers as floats (blank = NaN, an absent
        optional column such as Backlog too), Status in lower case (blank = ``active``),
        Resource and LikeItem None when blank, LaunchPeriod and EndPeriod timestamps (NaT when
        blank or absent).
    actuals : DataFrame
        ``item, period, qty`` of the periods before the cycle start.
    adjustments, receipts, budget : DataFrame
        ``item, family, period, qty, percent, type, owner, comment``; ``item, period, qty``;
        ``family, period, revenue``.
    resources : Series
        Available hours per period by resource.
    history : DataFrame
        tblHistory as ``cycle, kind, item, period, qty`` (empty when nothing was snapshot).
    periods : list of Timestamp
        The plan periods, ``Horizon`` of them from ``CycleStart``.
    past_adjustments : DataFrame
        tblAdjustmentHistory (the adjustments roll forward moved out), in the columns of
        ``adjustments``; empty when the workbook has none.
    """

    settings: dict[str, Any]
    items: pd.DataFrame
    actuals: pd.DataFrame
    adjustments: pd.DataFrame
    receipts: pd.DataFrame
    resources: pd.Series
    budget: pd.DataFrame
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    periods: list[pd.Timestamp] = field(default_factory=list)
    past_adjustments: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def grid(self) -> PeriodGrid:
        """The period grid of Settings ``PeriodType`` (labels, parsing, periods per year)."""
        return PeriodGrid(self.settings.get("PeriodType", "Month"))

    @property
    def period_type(self) -> str:
        """``Month`` or ``Week``."""
        return self.grid.period_type

    @property
    def freq(self) -> str:
        """The pandas frequency of the period grid (``MS`` or ``W-MON``)."""
        return self.grid.freq

    @property
    def labels(self) -> list[str]:
        """The plan periods as column headers (``YYYY-MM`` or ``YYYY-Www``)."""
        return self.grid.labels(self.periods)

    def label(self, period: Any) -> str:
        """One period as its column header."""
        return self.grid.label(period)

    def history_periods(self, count: int) -> list[pd.Timestamp]:
        """The ``count`` periods just before the cycle start, oldest first."""
        return self.grid.range(self.grid.shift(self.periods[0], -count), count)


def _text(value: Any) -> str | None:
    return None if is_blank(value) else str(value).strip()


def _number(value: Any, table: str, column: str, row: Any) -> float:
    if is_blank(value):
        return float("nan")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise SopError(f"{table} row {row} {column}: must be a number; got {show(value)}")
    return float(value)


def _numbers(frame: pd.DataFrame, column: str, table: str) -> pd.Series:
    return pd.Series(
        [_number(v, table, column, r) for r, v in frame[column].items()],
        index=frame.index,
        dtype=float,
    )


def _periods(frame: pd.DataFrame, column: str, grid: PeriodGrid, table: str) -> pd.Series:
    return read_periods(frame[column], grid, f"{table} {column}")


def _long(frame: pd.DataFrame, table: str, grid: PeriodGrid) -> pd.DataFrame:
    """``Item, Period, Qty`` rows as ``item, period, qty`` (blank rows dropped, blank Qty NaN:
    validation has reported it), by the one long-table reader; index = Excel rows."""
    columns = frame[["Item", "Period", "Qty"]] if not frame.empty else frame
    if columns.map(is_blank).all(axis=None):
        return pd.DataFrame(
            {
                "item": pd.Series([], dtype=object),
                "period": pd.Series([], dtype="datetime64[ns]"),
                "qty": pd.Series([], dtype=float),
            }
        )
    return read_long_table(frame, table, grid=grid, blank_qty="nan")


def _items(frame: pd.DataFrame, grid: PeriodGrid) -> pd.DataFrame:
    frame = frame.dropna(how="all")
    out = pd.DataFrame(index=pd.Index(frame["Item"].map(item_code), name="Item"))
    for column in ("Description", "Family", "Unit", "Resource", "Owner"):
        out[column] = frame[column].map(_text).to_numpy()
    for column in ITEM_NUMBERS:
        out[column] = _numbers(frame, column, "tblItems").to_numpy()
    for column in OPTIONAL_ITEM_NUMBERS:  # absent column = all blank
        if column in frame.columns:
            out[column] = _numbers(frame, column, "tblItems").to_numpy()
        else:
            out[column] = np.nan
    like = frame["LikeItem"].map(item_code) if "LikeItem" in frame.columns else None
    out["LikeItem"] = like.to_numpy() if like is not None else None
    for column in OPTIONAL_ITEM_PERIODS:
        parsed = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        if column in frame.columns:
            given = frame[column][~frame[column].map(is_blank)]
            parsed[given.index] = read_periods(given, grid, f"tblItems {column}")
        out[column] = parsed.to_numpy()
    status = frame["Status"].map(_text).fillna("active").str.lower()
    out["Status"] = status.to_numpy()
    return out


def cycle_inputs(
    raw: dict[str, pd.DataFrame], settings: dict[str, Any] | None = None
) -> CycleInputs:
    """Typed inputs from raw tables keyed by table name.

    Parameters
    ----------
    raw : dict of str to DataFrame
        ``tblItems, tblActuals, tblAdjustments, tblReceipts, tblResources, tblBudget`` and
        optionally ``tblHistory`` and ``tblAdjustmentHistory`` as :meth:`Book.read_table`
        returns them.
    settings : dict
        Typed settings (:meth:`Book.settings`).

    Returns
    -------
    CycleInputs
    """
    settings = dict(settings or {})
    grid = PeriodGrid(settings.setdefault("PeriodType", "Month"))
    items = _items(raw["tblItems"], grid)
    actuals = _long(raw["tblActuals"], "tblActuals", grid)
    start = settings.get("CycleStart")
    if start is None:
        if actuals.empty:
            raise SopError(
                "Settings CycleStart is blank and tblActuals is empty: give the first plan period"
            )
        last = actuals["period"].max()
        start = grid.shift(last, 1)
    settings["CycleStart"] = start
    periods = grid.range(start, int(settings["Horizon"]))
    actuals = actuals[actuals["period"] < start].reset_index(drop=True)

    adjustments = _adjustments(raw["tblAdjustments"], grid, "tblAdjustments")
    receipts = _long(raw["tblReceipts"], "tblReceipts", grid)
    res = raw["tblResources"].dropna(how="all")
    resources = pd.Series(
        _numbers(res, "HoursPerPeriod", "tblResources").fillna(0.0).to_numpy(),
        index=pd.Index(res["Resource"].map(_text), name="Resource"),
        name="HoursPerPeriod",
    )
    bud = raw["tblBudget"].dropna(how="all")
    budget = pd.DataFrame(
        {
            "family": bud["Family"].map(_text),
            "period": _periods(bud, "Period", grid, "tblBudget"),
            "revenue": _numbers(bud, "Revenue", "tblBudget").fillna(0.0),
        },
        index=bud.index,
    )
    history = _history(raw.get("tblHistory"), grid)
    return CycleInputs(
        settings=settings,
        items=items,
        actuals=actuals,
        adjustments=adjustments,
        receipts=receipts,
        resources=resources,
        budget=budget,
        history=history,
        periods=periods,
        past_adjustments=_past_adjustments(raw.get("tblAdjustmentHistory"), grid),
    )


def _adjustments(frame: pd.DataFrame, grid: PeriodGrid, table: str) -> pd.DataFrame:
    """tblAdjustments (or its history) as ``item, family, period, qty, percent, type, owner,
    comment``."""
    adj = frame.dropna(how="all")
    return pd.DataFrame(
        {
            "item": adj["Item"].map(item_code),
            "family": adj["Family"].map(_text),
            "period": _periods(adj, "Period", grid, table),
            "qty": _numbers(adj, "Qty", table),
            "percent": _numbers(adj, "Percent", table),
            "type": adj["Type"].map(_text),
            "owner": adj["Owner"].map(_text),
            "comment": adj["Comment"].map(_text),
        },
        index=adj.index,
    )


def _past_adjustments(frame: pd.DataFrame | None, grid: PeriodGrid) -> pd.DataFrame:
    """tblAdjustmentHistory rows whose period parses and that name an item or a family (the
    table is written by roll forward; a row typed by hand that does not read is skipped)."""
    columns = ["item", "family", "period", "qty", "percent", "type", "owner", "comment"]
    if frame is None or frame.dropna(how="all").empty:
        return pd.DataFrame(columns=columns)
    frame = frame.dropna(how="all")
    frame = frame.assign(Period=parsed_periods(frame["Period"], grid.period_type))
    frame = frame[frame["Period"].notna()]
    for column in ("Qty", "Percent"):
        frame = frame.assign(**{column: pd.to_numeric(frame[column], errors="coerce")})
    out = _adjustments(frame, grid, "tblAdjustmentHistory")
    return out[out["item"].notna() | out["family"].notna()]


def parsed_periods(values: pd.Series, period_type: Any) -> pd.Series:
    """Each value as the first day of its period, NaT where it names no period.

    Parses each distinct value once: a history of a million rows names a few dozen periods.

    >>> parsed_periods(pd.Series(["2026-01", "note", None, float("nan"), "2026-01"]),
    ...                "Month").tolist()
    [Timestamp('2026-01-01 00:00:00'), NaT, NaT, NaT, Timestamp('2026-01-01 00:00:00')]
    """
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))  # blanks get code -1
    grid = PeriodGrid(period_type)
    parsed = [grid.parse_or_nat(value) for value in distinct] + [pd.NaT]
    return pd.Series(pd.to_datetime([parsed[c] for c in codes]), index=values.index)


def _history(frame: pd.DataFrame | None, grid: PeriodGrid) -> pd.DataFrame:
    """tblHistory rows whose cycle and period parse; others (notes, blanks) are skipped."""
    columns = ["cycle", "kind", "item", "period", "qty"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=columns)
    qty = pd.to_numeric(frame["Qty"], errors="coerce")  # text and blanks: NaN, skipped
    out = pd.DataFrame(
        {
            "cycle": parsed_periods(frame["Cycle"], grid),
            "kind": frame["Kind"].map(lambda v: str(v or "").strip().lower()),
            "item": frame["Item"].map(item_code),
            "period": parsed_periods(frame["Period"], grid),
            "qty": qty.astype(float),
        }
    )
    keep = out["cycle"].notna() & out["period"].notna() & out["qty"].notna()
    return out[keep].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# plan grids
# ----------------------------------------------------------------------------------------------
def grid_of(
    table: pd.DataFrame, key: str, labels: list[str], *, measure: str | None = None
) -> pd.DataFrame:
    """The period columns of a wide output table as floats, indexed by ``key``.

    Parameters
    ----------
    table : DataFrame
        A wide table (tblForecast, tblDemandPlan, tblSupplyPlan, ...), from a step or the book.
    key : str
        The row key column (``Item``, ``Family``, ``Resource``).
    labels : list of str
        The plan period headers wanted, in order.
    measure : str, optional
        Keep only the rows with this ``Measure``.

    Raises
    ------
    SopError
        When the table is empty or lacks a period column: its step has not run for this plan.

    Examples
    --------
    >>> t = pd.DataFrame({"Item": ["A"], "Family": ["F"], "2026-01": [5], "2026-02": [None]})
    >>> grid_of(t, "Item", ["2026-01", "2026-02"]).values.tolist()
    [[5.0, 0.0]]
    """
    name = table.attrs.get("table", "the table")  # set when read from a workbook
    if measure is not None:
        table = table[table["Measure"].map(_text) == measure]
    table = table[table[key].map(_text).notna()]
    if table.empty:
        raise SopError(f"{name} has no {measure or key} rows yet: run its step first")
    missing = [label for label in labels if label not in table.columns]
    if missing:
        raise SopError(
            f"{name} has no column {missing[0]} (plan periods changed?): run its step again"
        )
    values = table[labels]
    try:  # numbers as they are; a cell is looked at one by one only when this fails
        grid = values.astype(float)
    except (TypeError, ValueError):
        grid = None
    if grid is not None and grid.isna().to_numpy().any():  # blanks (None, NaN) are 0
        holes = values.to_numpy(dtype=object)[grid.isna().to_numpy()]
        grid = grid.fillna(0.0) if all(is_blank(v) for v in holes) else None
    if grid is None:  # blank texts are 0 too; anything else names its cell
        values = values.map(lambda v: 0.0 if is_blank(v) else v)
        try:
            grid = values.astype(float)
        except (TypeError, ValueError):
            bad = values.map(lambda v: not isinstance(v, (int, float, np.number))).stack()
            row, col = bad[bad].index[0]
            where = "" if name == "the table" else f"{name} "
            raise SopError(
                f"{where}row {row} {col}: must be a number; got {show(values.at[row, col])}"
            ) from None
    grid.index = pd.Index(table[key].map(_text), name=key)
    return grid


def wide_table(fixed: pd.DataFrame, grid: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """Fixed columns then the period columns, row by row (``grid`` aligned on position)."""
    values = grid.reset_index(drop=True).round(decimals)
    return pd.concat([fixed.reset_index(drop=True), values], axis=1)
