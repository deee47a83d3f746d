"""Lag-n accuracy and forecast value added, from the plans kept in History and the actuals.

Pure pandas: the frames come in as :class:`~sop_xl.cycle.inputs.CycleInputs` holds them
(``history``: ``cycle, kind, item, period, qty``; ``actuals``: ``item, period, qty``).

Lag. Cycle c is the plan whose first period is c, made with the actuals up to the period before
it. The lag-k plan for period P is what the cycle ``c = P - (k - 1)`` said for P: its k-th plan
period, made k periods before P with actuals through ``P - k``. Lag 1 is the plan for the next
period, lag 3 the plan three periods ahead (the usual lead time of a supply decision).

The three steps compared (FVA, Gilliland's stairstep):

- naive: the last actual the cycle had, ``A[P - k]`` (a random walk; 0 when the item had no
  sale in that period);
- statistical: ``kind == "forecast"`` rows (tblForecast snapshots);
- consensus: ``kind == "demand plan"`` rows (tblDemandPlan snapshots).

A pair (item, P) counts when P has actuals (a period up to the last actual; a missing actual row
is zero demand) and both the statistical and the consensus plan exist, so the three steps are
measured on the same pairs. With A actuals and F a step's plan over the pairs:

- WAPE = sum|F - A| / sum|A|; bias = sum(F - A) / sum|A| (positive = over-forecast);
- FVA(step) = WAPE(step before) - WAPE(step); positive = the step adds value. The override FVA
  of an item (statistical WAPE - consensus WAPE) is negative where the overrides hurt.

References: M. Gilliland, *The Business Forecasting Deal* (Wiley, 2010), ch. 7 (FVA);
DESIGN.md "Definitions" (wape, bias, fva).

Examples
--------
One item, cycles 2026-01 and 2026-02, actuals through 2026-02:

>>> ts = pd.Timestamp
>>> history = pd.DataFrame({
...     "cycle": [ts("2026-01-01")] * 2 + [ts("2026-02-01")] * 2,
...     "kind": ["forecast", "demand plan"] * 2,
...     "item": ["A"] * 4,
...     "period": [ts("2026-01-01")] * 2 + [ts("2026-02-01")] * 2,
...     "qty": [90.0, 100.0, 120.0, 100.0]})
>>> actuals = pd.DataFrame({"item": ["A"] * 3, "qty": [80.0, 100.0, 110.0],
...     "period": [ts("2025-12-01"), ts("2026-01-01"), ts("2026-02-01")]})
>>> pairs = lag_pairs(history, actuals, lag=1)
>>> pairs[["actual", "naive", "statistical", "consensus"]].values.tolist()
[[100.0, 80.0, 90.0, 100.0], [110.0, 100.0, 120.0, 100.0]]
>>> steps = step_accuracy(pairs)
>>> steps.round(4).values.tolist()  # wape, bias, fva
[[0.1429, -0.1429, nan], [0.0952, 0.0, 0.0476], [0.0476, -0.0476, 0.0476]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sop_xl.errors import SopError
from sop_xl.kpi import bias, wape

STEPS = ("naive", "statistical", "consensus")
KINDS = {"statistical": "forecast", "consensus": "demand plan"}
LAGS = (1, 3)


def _offset(freq: str) -> pd.DateOffset:
    return pd.tseries.frequencies.to_offset(freq)


def lag_pairs(
    history: pd.DataFrame, actuals: pd.DataFrame, *, lag: int, freq: str = "MS"
) -> pd.DataFrame:
    """The (item, period) pairs of lag ``lag`` with the actual and each step's plan.

    Parameters
    ----------
    history : DataFrame
        ``cycle, kind, item, period, qty`` (tblHistory, typed).
    actuals : DataFrame
        ``item, period, qty``.
    lag : int, keyword-only
        Periods ahead the plan was made (>= 1).
    freq : str, keyword-only
        ``MS`` (months) or ``W-MON`` (weeks).

    Returns
    -------
    DataFrame
        ``item, period, actual, naive, statistical, consensus``, sorted by item and period;
        empty when no plan of that lag has actuals yet.
    """
    if int(lag) != lag or lag < 1:
        raise SopError(f"lag must be a whole number >= 1; got {lag!r}")
    columns = ["item", "period", "actual", "naive", *STEPS[1:]]
    if history.empty or actuals.empty:
        return pd.DataFrame(columns=columns)
    step = _offset(freq)
    last = actuals["period"].max()
    ahead = history[history["period"] == history["cycle"] + (lag - 1) * step]
    ahead = ahead[ahead["period"] <= last]
    plans = {}
    for name, kind in KINDS.items():
        rows = ahead[ahead["kind"] == kind]
        plans[name] = rows.groupby(["item", "period"])["qty"].sum()
    joined = pd.concat(plans, axis=1).dropna()
    if joined.empty:
        return pd.DataFrame(columns=columns)
    sales = actuals.groupby(["item", "period"])["qty"].sum()
    keys = joined.index
    actual = sales.reindex(keys).fillna(0.0).to_numpy()
    before = pd.MultiIndex.from_arrays(
        [keys.get_level_values(0), keys.get_level_values(1) - lag * step]
    )
    naive = sales.reindex(before).fillna(0.0).to_numpy()
    out = pd.DataFrame(
        {
            "item": keys.get_level_values(0),
            "period": keys.get_level_values(1),
            "actual": actual,
            "naive": naive,
            "statistical": joined["statistical"].to_numpy(),
            "consensus": joined["consensus"].to_numpy(),
        }
    )
    return out.sort_values(["item", "period"]).reset_index(drop=True)[columns]


def step_accuracy(pairs: pd.DataFrame) -> pd.DataFrame:
    """WAPE, bias and FVA of naive, statistical and consensus over ``pairs``.

    Returns
    -------
    DataFrame
        Index the steps; columns ``wape, bias, fva`` (fva of naive is NaN: it is the base).
    """
    a = pairs["actual"].to_numpy(float)
    rows = {}
    previous = float("nan")
    for step in STEPS:
        f = pairs[step].to_numpy(float)
        error = wape(a, f) if len(a) else float("nan")
        rows[step] = (error, bias(a, f) if len(a) else float("nan"), previous - error)
        previous = error
    return pd.DataFrame.from_dict(rows, orient="index", columns=["wape", "bias", "fva"])


def fva_table(pairs: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """tblFVA: one row per step, lag-1 and lag-3 WAPE, bias and FVA, and the lag-1 pairs."""
    out = pd.DataFrame({"Step": list(STEPS)})
    for lag in LAGS:
        acc = step_accuracy(pairs.get(lag, _empty()))
        out[f"Lag{lag}WAPE"] = acc["wape"].to_numpy()
        out[f"Lag{lag}Bias"] = acc["bias"].to_numpy()
        out[f"Lag{lag}FVA"] = acc["fva"].to_numpy()
    out["Pairs"] = float(len(pairs.get(1, _empty())))
    return _rounded(out)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["item", "period", "actual", "naive", *STEPS[1:]])


def _group_row(frame: pd.DataFrame, lag: int) -> dict[str, float]:
    a = frame["actual"].to_numpy(float)
    if not len(a):
        return {}
    errors = {s: wape(a, frame[s].to_numpy(float)) for s in STEPS}
    return {
        f"Lag{lag}Actual": float(a.sum()),
        f"Lag{lag}Naive": errors["naive"],
        f"Lag{lag}Statistical": errors["statistical"],
        f"Lag{lag}Consensus": errors["consensus"],
        f"Lag{lag}Bias": bias(a, frame["consensus"].to_numpy(float)),
        f"Lag{lag}StatFVA": errors["naive"] - errors["statistical"],
        f"Lag{lag}OverrideFVA": errors["statistical"] - errors["consensus"],
    }


def accuracy_table(
    pairs: dict[int, pd.DataFrame], families: pd.Series, *, lags: Sequence[int] = LAGS
) -> pd.DataFrame:
    """tblForecastAccuracy: the total, each family, then each item.

    Parameters
    ----------
    pairs : dict of int to DataFrame
        :func:`lag_pairs` by lag.
    families : Series
        Family by item code (tblItems order); every item gets a row, blank until it has pairs.

    Returns
    -------
    DataFrame
        ``Level, Name, Family`` then per lag ``Actual, Naive, Statistical, Consensus`` (WAPE),
        ``Bias`` (consensus), ``StatFVA``, ``OverrideFVA``. Items are ordered by lag-1
        override FVA, the most harmful overrides first; items without pairs last.
    """
    metric_columns = [
        f"Lag{lag}{m}"
        for lag in lags
        for m in (
            "Actual",
            "Naive",
            "Statistical",
            "Consensus",
            "Bias",
            "StatFVA",
            "OverrideFVA",
        )
    ]
    family_of = families.astype(object).where(families.notna(), None)
    frames = {lag: pairs[lag] if lag in pairs else _empty() for lag in lags}
    # each item's rows, in their order, found once (not one scan of the pairs per item)
    by_item = {lag: dict(list(frame.groupby("item", sort=False))) for lag, frame in frames.items()}
    rows: list[dict[str, object]] = []

    def add(level: str, name: str, family: object, part) -> None:
        row: dict[str, object] = {"Level": level, "Name": name, "Family": family}
        for lag in lags:
            row.update(_group_row(part(lag), lag))
        rows.append(row)

    add("total", "Total", None, lambda lag: frames[lag])
    for family in pd.unique(family_of.dropna()):
        members = set(family_of.index[family_of == family])
        add(
            "family",
            str(family),
            family,
            lambda lag, m=members: frames[lag][frames[lag]["item"].isin(m).to_numpy()],
        )
    items_first = len(rows)
    for item, family in family_of.items():
        add("item", str(item), family, lambda lag, i=item: by_item[lag].get(i, frames[lag][:0]))
    out = pd.DataFrame(rows).reindex(columns=["Level", "Name", "Family", *metric_columns])
    head, items = out.iloc[:items_first], out.iloc[items_first:]
    key = f"Lag{lags[0]}OverrideFVA"
    items = items.sort_values(key, kind="stable", na_position="last")
    return _rounded(pd.concat([head, items], ignore_index=True))


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].astype(float).round(4)
    return frame.astype(object).where(frame.notna(), None)


# ----------------------------------------------------------------------------------------------
# the same tables from per-item sums (a plan archive aggregates in its database)
# ----------------------------------------------------------------------------------------------
def item_sums(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per item, the sums of :class:`~sop_xl.records.archive.LagSums` over ``pairs``.

    >>> pairs = pd.DataFrame({"item": ["A", "A"], "actual": [100.0, 110.0],
    ...     "naive": [80.0, 100.0], "statistical": [90.0, 120.0], "consensus": [100.0, 100.0]})
    >>> item_sums(pairs).loc["A", ["pairs", "err_naive", "dev_statistical"]].tolist()
    [2.0, 30.0, 0.0]
    """
    a = pairs["actual"].astype(float)
    frame = pd.DataFrame({"item": pairs["item"], "pairs": 1.0, "actual": a, "abs_actual": a.abs()})
    for step in STEPS:
        f = pairs[step].astype(float)
        frame[f"err_{step}"] = (f - a).abs()
        frame[f"dev_{step}"] = f - a
    return frame.groupby("item").sum()


def _ratio(numerator: float, denominator: float) -> float:
    """:func:`sop_xl.kpi.wape`'s rule on sums: 0/0 = 0, x/0 undefined (NaN)."""
    if denominator > 0:
        return float(numerator / denominator)
    return 0.0 if numerator == 0 else float("nan")


def tables_from_sums(
    sums: dict[int, pd.DataFrame], families: pd.Series, *, lags: Sequence[int] = LAGS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """tblFVA and tblForecastAccuracy from per-item sums by lag (:func:`item_sums`, or an
    archive's :meth:`~sop_xl.records.archive.Archive.lag_sums`): the same tables as
    :func:`fva_table` and :func:`accuracy_table` give from the pairs."""
    zero = pd.Series(0.0, index=["pairs"])
    total = {lag: sums[lag].sum() if len(sums[lag]) else zero for lag in lags}
    fva = pd.DataFrame({"Step": list(STEPS)})
    for lag in lags:
        t = total[lag]
        wapes = [_ratio(t[f"err_{s}"], t["abs_actual"]) if t["pairs"] else np.nan for s in STEPS]
        biases = [_ratio(t[f"dev_{s}"], t["abs_actual"]) if t["pairs"] else np.nan for s in STEPS]
        fva[f"Lag{lag}WAPE"] = wapes
        fva[f"Lag{lag}Bias"] = biases
        fva[f"Lag{lag}FVA"] = [np.nan] + [wapes[i - 1] - wapes[i] for i in (1, 2)]
    fva["Pairs"] = float(total[lags[0]]["pairs"]) if 1 in lags else 0.0
    metric_columns = [
        f"Lag{lag}{m}"
        for lag in lags
        for m in ("Actual", "Naive", "Statistical", "Consensus", "Bias", "StatFVA", "OverrideFVA")
    ]
    family_of = families.astype(object).where(families.notna(), None)
    named = family_of.dropna()
    head = pd.DataFrame(
        {"Level": ["total"] + ["family"] * len(pd.unique(named)),
         "Name": ["Total"] + [str(f) for f in pd.unique(named)],
         "Family": [None, *pd.unique(named)]}
    )  # fmt: skip
    items = pd.DataFrame(
        {"Level": "item", "Name": [str(i) for i in family_of.index], "Family": family_of.values}
    )
    for lag in lags:
        frame = sums[lag]
        kept = frame.reindex(named.index).dropna(how="all")
        by_family = kept.groupby(named.reindex(kept.index).to_numpy(), sort=False).sum()
        groups = pd.concat(
            [total[lag].to_frame().T, by_family.reindex(pd.unique(named))], ignore_index=True
        )
        for table, part in ((head, groups), (items, frame.reindex(family_of.index))):
            for column, values in _sums_columns(part.reset_index(drop=True), lag).items():
                table[column] = values
    head = head.reindex(columns=["Level", "Name", "Family", *metric_columns])
    items = items.reindex(columns=["Level", "Name", "Family", *metric_columns])
    items = items.sort_values(f"Lag{lags[0]}OverrideFVA", kind="stable", na_position="last")
    return _rounded(fva), _rounded(pd.concat([head, items], ignore_index=True))


def _ratios(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    """:func:`_ratio` on columns."""
    n, d = numerator.to_numpy(dtype=float), denominator.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1.0), np.where(n == 0, 0.0, np.nan))


def _sums_columns(sums: pd.DataFrame, lag: int) -> dict[str, np.ndarray]:
    """The accuracy columns of rows of sums (a row without pairs: all NaN)."""
    sums = sums.reindex(columns=["pairs", "actual", "abs_actual", *[
        f"{p}_{s}" for p in ("err", "dev") for s in STEPS]])  # fmt: skip
    has = sums["pairs"].fillna(0).to_numpy() > 0
    errors = {s: _ratios(sums[f"err_{s}"], sums["abs_actual"]) for s in STEPS}
    columns = {
        f"Lag{lag}Actual": sums["actual"].to_numpy(dtype=float),
        f"Lag{lag}Naive": errors["naive"],
        f"Lag{lag}Statistical": errors["statistical"],
        f"Lag{lag}Consensus": errors["consensus"],
        f"Lag{lag}Bias": _ratios(sums["dev_consensus"], sums["abs_actual"]),
        f"Lag{lag}StatFVA": errors["naive"] - errors["statistical"],
        f"Lag{lag}OverrideFVA": errors["statistical"] - errors["consensus"],
    }
    return {name: np.where(has, values, np.nan) for name, values in columns.items()}
