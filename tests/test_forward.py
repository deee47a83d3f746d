"""Fit once, forward many (sop_xl.forecast.forward) and the cycle's errors from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.forecast.auto import auto_forecast
from sop_xl.forecast.forward import fit, fit_auto, fit_method, forward, forward_errors
from sop_xl.forecast.intervals import origins, rolling_errors
from sop_xl.forecast.methods import run_method
from sop_xl.forecast.plan import (
    CHALLENGER_MARGIN,
    ForecastJob,
    ItemGroup,
    error_matrices,
    forecast_items,
    plan_forecasts,
)
from sop_xl.inventory.forecast_items import with_forecast_errors, with_item_errors

RNG = np.random.default_rng(7)
T = np.arange(48.0)
SEASONAL = 200 + 60 * np.sin(2 * np.pi * T / 12) + 2 * T + RNG.normal(0, 8, T.size)
INTERMITTENT = np.where(RNG.random(48) < 0.3, RNG.integers(1, 9, 48), 0).astype(float)


@pytest.mark.parametrize("method", ["ets", "theta", "hw_add", "naive", "snaive", "ma", "sba"])
def test_a_fit_gives_run_methods_forecast_and_forwards_to_it(method):
    y = SEASONAL[:40]
    fitted, mean = fit_method(method, y, 6)
    assert np.array_equal(mean, run_method(method, y, 6).mean)
    assert fitted.label == run_method(method, y, 6).method
    assert np.allclose(forward(fitted, y, 6)[1], mean)  # forwarded to its own history


@pytest.mark.parametrize("y", [SEASONAL[:36], SEASONAL, INTERMITTENT], ids=["36", "48", "int"])
def test_auto_fit_gives_auto_forecast_to_the_bit(y):
    fitted, mean = fit_auto(y, 18)
    point = auto_forecast(y, 18)
    assert np.array_equal(mean, point.mean)
    assert fitted.label == point.method


@pytest.mark.parametrize(
    ("method", "y"),
    [("naive", SEASONAL), ("snaive", SEASONAL), ("ma", SEASONAL), ("croston", INTERMITTENT),
     ("tsb", INTERMITTENT), ("auto", INTERMITTENT)],
)  # fmt: skip
def test_forward_errors_equal_refits_where_nothing_is_estimated(method, y):
    refit = rolling_errors(y, 4, lambda h, k: fit(h, k, method=method)[1])
    assert np.array_equal(forward_errors(y, 4, method=method), refit, equal_nan=True)


def test_forwarded_errors_are_close_to_refitted_ones():
    once = forward_errors(SEASONAL, 3)
    refit = rolling_errors(SEASONAL, 3, lambda h, k: auto_forecast(h, k).mean)
    assert np.array_equal(once[0], refit[0])  # the earliest origin is the fit itself
    assert np.nanstd(once - refit) < 0.5 * np.nanstd(refit)


def _forecasts_from_origins(y: np.ndarray, steps: int, group_of) -> np.ndarray:
    """Forecasts (actual - error) of each origin, as forecast_items returns its errors."""
    result = forecast_items(group_of(y))[0]
    out = np.full(result.errors.shape, np.nan)
    for row, j in enumerate(result.cuts):
        k = min(j, steps)
        out[row, :k] = y[y.size - j : y.size - j + k] - result.errors[row, :k]
    return out


@pytest.mark.parametrize("forward_plan", [False, True])
def test_cycle_errors_at_an_origin_use_no_data_after_it(forward_plan):
    steps = 3

    def group_of(y):
        return ItemGroup(rows=(0,), histories=(y,), measure=(True,), challenge=(True,),
                         plan=(True,), method="auto", season=12, holdout=6, steps=18,
                         margin=CHALLENGER_MARGIN, error_steps=(steps,),
                         forward_plan=forward_plan)  # fmt: skip

    y = SEASONAL[:40]
    base = _forecasts_from_origins(y, steps, group_of)
    cuts = origins(y.size, steps)
    for k, j in enumerate(cuts):  # change everything after origin k: rows up to k stay
        changed = y.copy()
        changed[y.size - j :] *= 3.0
        again = _forecasts_from_origins(changed, steps, group_of)
        # actual - error gives the forecast back to rounding
        assert np.allclose(again[: k + 1], base[: k + 1], rtol=1e-12, equal_nan=True), j
        if k + 1 < cuts.size:
            assert not np.allclose(again[k + 1], base[k + 1], equal_nan=True)


def test_plan_forecasts_measure_errors_without_changing_the_forecasts():
    grid = pd.DataFrame(
        [SEASONAL[:36], SEASONAL[12:], INTERMITTENT[:36], np.r_[[np.nan] * 30, SEASONAL[:6]]],
        index=["S1", "S2", "I", "NEW"],
        columns=pd.date_range("2023-01-01", periods=36, freq="MS"),
    )
    families = pd.Series("F", index=grid.index)
    plain = plan_forecasts(ForecastJob(grid, families, 12), n_jobs=1)
    steps = pd.Series([1, 2, 3, 2], index=grid.index)
    measured = plan_forecasts(ForecastJob(grid, families, 12, error_steps=steps), n_jobs=1)
    pd.testing.assert_frame_equal(plain.forecasts, measured.forecasts)
    pd.testing.assert_series_equal(plain.wape, measured.wape)
    matrices = error_matrices(measured.errors)
    assert sorted(matrices) == ["I", "S1", "S2"]  # NEW gets the family profile: no errors
    assert [matrices[i].shape for i in ("S1", "S2", "I")] == [(6, 1), (6, 2), (6, 3)]


def test_cycle_safety_stock_from_errors_equals_the_refitted_one_for_a_deterministic_method():
    # ``ma`` estimates nothing, so the forward path's errors are the refits' to the bit
    grid = pd.DataFrame(
        [SEASONAL[:36], 50 + SEASONAL[12:] / 10],
        index=pd.Index(["A", "B"], name="Item"),
        columns=pd.date_range("2023-01-01", periods=36, freq="MS"),
    )
    steps = pd.Series([1, 3], index=grid.index)
    job = ForecastJob(grid, pd.Series("F", index=grid.index), 12, method="ma", season=3,
                      error_steps=steps)  # fmt: skip
    errors = error_matrices(plan_forecasts(job, n_jobs=1).errors)
    policy = pd.DataFrame(
        {"DemandMean": [200.0, 70.0], "Sigma": 1.0, "SigmaSource": "demand_sd",
         "LeadTime": [1.0, 2.5], "LeadTimeSD": [0.0, 0.5], "ServiceLevel": [0.95, 0.9],
         "SafetyStock": 1.0, "ReorderPoint": 1.0},
        index=grid.index,
    )  # fmt: skip
    cycle = with_item_errors(policy, errors)
    refit = with_forecast_errors(policy, grid, method="ma", season_length=3)
    pd.testing.assert_frame_equal(cycle, refit)
    assert (cycle["SigmaSource"] == "forecast_errors").all()
