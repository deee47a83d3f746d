"""The forecast rules of a plan (sop_xl.forecast.plan), on small grids worked by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sop_xl.forecast import plan
from sop_xl.forecast.plan import ForecastJob, family_indices, plan_forecasts, profile_forecast

PERIODS = pd.date_range("2022-01-01", periods=36, freq="MS")
SEASON = np.array([0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.4, 1.2, 1.0, 0.8, 0.6, 0.4])


def _grid(rows: dict[str, list[float]]) -> pd.DataFrame:
    """Histories aligned to end with PERIODS (NaN before each one's first period)."""
    out = pd.DataFrame(np.nan, index=list(rows), columns=PERIODS)
    for item, values in rows.items():
        if values:
            out.loc[item, PERIODS[-len(values) :]] = values
    return out


def _job(grid: pd.DataFrame, **options) -> ForecastJob:
    families = pd.Series("F", index=grid.index)
    return ForecastJob(grid=grid, families=families, **{"horizon": 4, "season": 12} | options)


def test_holdout_pairs_and_wape_of_the_naive_method():
    history = [float(v) for v in range(1, 21)]  # 1..20
    result = plan_forecasts(_job(_grid({"A": history}), method="naive", holdout=4), n_jobs=1)
    held = result.holdout
    assert held["actual"].tolist() == [17.0, 18.0, 19.0, 20.0]
    assert held["forecast"].tolist() == [16.0] * 4  # the last actual before the holdout
    assert held["naive"].tolist() == [16.0] * 4
    assert result.wape["A"] == pytest.approx((1 + 2 + 3 + 4) / (17 + 18 + 19 + 20))
    assert result.forecasts.loc["A"].tolist() == [20.0] * 4
    assert result.methods["A"] == "naive"


def test_offset_skips_the_periods_before_the_plan():
    history = [10.0, 20.0, 30.0, 40.0] * 5  # season 4
    job = _job(_grid({"A": history}), method="snaive", season=4, holdout=0, offset=1)
    result = plan_forecasts(job, n_jobs=1)
    # the first forecast period (10) is the gap before the plan; the plan starts at 20
    assert result.forecasts.loc["A"].tolist() == [20.0, 30.0, 40.0, 10.0]
    assert result.holdout.empty and np.isnan(result.wape["A"])


def test_short_history_gets_the_family_profile_and_none_gets_zero():
    seasonal = list(100 * np.tile(SEASON, 3))
    grid = _grid({"OLD": seasonal, "NEW": [50.0, 60.0, 70.0], "NONE": []})
    result = plan_forecasts(_job(grid, method="naive", holdout=0), n_jobs=1)
    index = family_indices(grid, pd.Series("F", index=grid.index), 12).loc["F"].to_numpy()
    assert index == pytest.approx(SEASON)
    expected = profile_forecast(np.array([50.0, 60.0, 70.0]), 35 % 12, index, 4)
    assert result.forecasts.loc["NEW"].tolist() == pytest.approx(expected.tolist())
    assert result.methods.to_dict() == {
        "OLD": "naive",
        "NEW": "family profile",
        "NONE": "no history",
    }
    assert result.forecasts.loc["NONE"].tolist() == [0.0] * 4


@pytest.mark.parametrize(("margin", "method"), [(1e9, "hw_add"), (0.0, "combo")])
def test_auto_is_checked_against_holt_winters_on_the_holdout(monkeypatch, margin, method):
    rng = np.random.default_rng(7)
    history = list(200 * np.tile(SEASON, 3) + rng.normal(0, 5, 36))
    monkeypatch.setattr(plan, "CHALLENGER_MARGIN", margin)
    result = plan_forecasts(_job(_grid({"A": history}), method="auto", holdout=6), n_jobs=1)
    assert result.methods["A"] == method
    # the holdout forecast is the kept method's on the history without its holdout
    alone = _job(_grid({"A": history[:-6]}), method=method.replace("combo", "auto"), holdout=0)
    expected = plan_forecasts(replace(alone, horizon=6), n_jobs=1).forecasts.loc["A"]
    assert result.holdout["forecast"].tolist() == pytest.approx(expected.tolist(), rel=1e-9)


def test_holdout_only_measures_the_same_holdout_without_a_plan():
    rows = {"A": [float(v % 7 + 5) for v in range(30)], "NEW": [5.0, 6.0]}
    job = _job(_grid(rows), method="ses", holdout=6, horizon=3)
    full = plan_forecasts(job, n_jobs=1)
    calls = []
    only = plan_forecasts(
        job, n_jobs=1, holdout_only=True, progress=lambda d, t: calls.append((d, t))
    )
    pd.testing.assert_frame_equal(only.holdout, full.holdout)
    assert only.forecasts.loc["A"].tolist() == [0.0] * 3
    assert only.forecasts.loc["NEW"].tolist() == full.forecasts.loc["NEW"].tolist()  # profile
    assert calls[-1] == (1, 1)  # one series: A's holdout
