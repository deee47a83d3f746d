"""The records' KPIs: lag accuracy, forecast value added, S&OP cycle time, overdue decisions.

Computed by the kpis step (:func:`record_kpis`) from the typed inputs (History, Actuals), the
Start sheet's step dates and tblDecisions; the rows join tblKPIs, ``fva`` is tblFVA and
``table`` tblForecastAccuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sop_xl.kpi import KPI
from sop_xl.records.accuracy import LAGS, accuracy_table, fva_table, lag_pairs, tables_from_sums
from sop_xl.records.cycletime import cycle_time, decisions_overdue

CYCLE_TIME_TARGET = 20.0  # days from gathering data to the executive meeting


@dataclass(frozen=True)
class RecordKPIs:
    """KPI rows, tblFVA and tblForecastAccuracy."""

    kpis: list[KPI]
    fva: pd.DataFrame
    table: pd.DataFrame
    pairs: dict[int, pd.DataFrame]


def typed_decisions(frame: pd.DataFrame | None) -> pd.DataFrame:
    """tblDecisions rows as ``date, due, status`` (dates parsed, others NaT)."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["date", "due", "status"])
    frame = frame.dropna(how="all")

    def dates(column: str) -> pd.Series:
        values = frame[column].map(lambda v: v if hasattr(v, "year") else None)
        return pd.to_datetime(values, errors="coerce")

    return pd.DataFrame(
        {"date": dates("Date"), "due": dates("Due"), "status": frame["Status"].to_numpy()}
    )


def record_kpis(
    history: pd.DataFrame,
    actuals: pd.DataFrame,
    items: pd.DataFrame,
    *,
    freq: str,
    cycle_start: pd.Timestamp,
    steps: pd.DataFrame,
    decisions: pd.DataFrame,
    lag_sums: dict[int, pd.DataFrame] | None = None,
) -> RecordKPIs:
    """The records' KPIs, tblFVA and tblForecastAccuracy.

    Parameters
    ----------
    history, actuals : DataFrame
        Typed tblHistory and tblActuals (``CycleInputs.history``, ``.actuals``).
    items : DataFrame
        tblItems indexed by item (its ``Family``).
    freq : str, keyword-only
        ``MS`` or ``W-MON``.
    cycle_start : Timestamp, keyword-only
        The first plan period (overdue decisions are counted at it).
    steps : DataFrame, keyword-only
        The Start sheet's steps (``step, status, start, due``).
    decisions : DataFrame, keyword-only
        :func:`typed_decisions`.
    lag_sums : dict of int to DataFrame, optional, keyword-only
        Per-item sums by lag from a plan archive (:meth:`sop_xl.records.archive.Archive.
        lag_sums`); then ``history`` is not used for accuracy and ``pairs`` is empty.
    """
    if lag_sums is None:
        pairs = {lag: lag_pairs(history, actuals, lag=lag, freq=freq) for lag in LAGS}
        fva = fva_table(pairs)
        table = accuracy_table(pairs, items["Family"])
        counts = {lag: len(pairs[lag]) for lag in LAGS}
    else:
        pairs = {}
        fva, table = tables_from_sums(lag_sums, items["Family"])
        counts = {lag: int(lag_sums[lag]["pairs"].sum()) for lag in LAGS}
    total = table.iloc[0]
    nan = float("nan")

    def value(column: str) -> float:
        v = total.get(column)
        return nan if v is None else float(v)

    kpis = []
    for lag in LAGS:
        n = counts[lag]
        seen = f"{n} item-periods" if n else "no history yet"
        kpis += [
            KPI(f"Plan error, lag {lag} (WAPE)", value(f"Lag{lag}Consensus"), 0.3, "%",
                f"Consensus, {lag} period(s) ahead; {seen}", False, 0.2),
            KPI(f"Plan bias, lag {lag}", value(f"Lag{lag}Bias"), 0.05, "%",
                f"sum(F - A) / sum A, consensus, lag {lag}", False, 0.5, absolute=True),
        ]  # fmt: skip
    kpis += [
        KPI("FVA statistical vs naive, lag 1", value("Lag1StatFVA"), 0.0, "%",
            "WAPE naive - WAPE statistical", True, 0.0),
        KPI("FVA overrides (consensus vs statistical), lag 1", value("Lag1OverrideFVA"), 0.0,
            "%", "WAPE statistical - WAPE consensus", True, 0.0),
        KPI("FVA overrides, lag 3", value("Lag3OverrideFVA"), 0.0, "%",
            "WAPE statistical - WAPE consensus, lag 3", True, 0.0),
        KPI("S&OP cycle time", cycle_time(steps, decisions), CYCLE_TIME_TARGET, "days",
            "Step 1 start to the executive meeting", False, 0.25),
        KPI("Decisions overdue", float(decisions_overdue(decisions, as_of=cycle_start)), 0.0,
            "count", "Open, due before the cycle start", False, 0.0),
    ]  # fmt: skip
    return RecordKPIs(kpis, fva, table, pairs)
