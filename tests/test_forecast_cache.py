"""The forecast results cache (sop_xl.forecast.cache): a rerun reuses exactly what a cold run
computed, recomputes what changed, and never fails a run when the cache is unusable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from sop_xl.forecast import cache, plan
from sop_xl.forecast.plan import ForecastJob, plan_forecasts

PERIODS = pd.date_range("2022-01-01", periods=36, freq="MS")
RNG = np.random.default_rng(5)
SEASONAL = 100 + 30 * np.sin(np.arange(36) * 2 * np.pi / 12) + RNG.normal(0, 5, 36)
ROWS = {
    "seasonal": SEASONAL,
    "trend": np.arange(36) * 2.0 + 50 + RNG.normal(0, 3, 36),
    "intermittent": np.where(RNG.random(36) < 0.3, RNG.integers(1, 9, 36), 0).astype(float),
    "short": np.r_[np.full(32, np.nan), [5.0, 7.0, 6.0, 8.0]],
    "none": np.full(36, np.nan),
}


def _job(rows=ROWS) -> ForecastJob:
    grid = pd.DataFrame(np.vstack(list(rows.values())), index=list(rows), columns=PERIODS)
    return ForecastJob(grid=grid, families=pd.Series("F", index=grid.index), horizon=6)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("SOP_XL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SOP_XL_CACHE", raising=False)
    opened = cache.default_cache()
    yield opened
    opened.close()


@pytest.fixture
def counted(monkeypatch):
    """The items each run really forecast (n_jobs=1 runs the tasks in this process)."""
    seen: list[list[int]] = []
    real = plan.forecast_items

    def forecast_items(group):
        seen.append(list(group.rows))
        return real(group)

    monkeypatch.setattr(plan, "forecast_items", forecast_items)
    return seen


def _same(a: plan.ForecastPlan, b: plan.ForecastPlan) -> None:
    pdt.assert_frame_equal(a.forecasts, b.forecasts, check_exact=True)
    pdt.assert_series_equal(a.methods, b.methods)
    pdt.assert_frame_equal(a.holdout, b.holdout, check_exact=True)
    pdt.assert_series_equal(a.wape, b.wape, check_exact=True)


def test_a_rerun_forecasts_nothing_and_equals_the_cold_run(store, counted):
    uncached = plan_forecasts(_job(), n_jobs=1)
    cold = plan_forecasts(_job(), n_jobs=1, store=store)
    assert sorted(r for g in counted[1:] for r in g) == [0, 1, 2]  # the three with history
    counted.clear()
    warm = plan_forecasts(_job(), n_jobs=1, store=store)
    assert counted == []
    _same(cold, uncached)
    _same(warm, uncached)


def test_only_the_item_whose_history_changed_is_forecast_again(store, counted):
    plan_forecasts(_job(), n_jobs=1, store=store)
    changed = dict(ROWS, trend=ROWS["trend"] + np.r_[np.zeros(35), 40.0])  # a new last month
    counted.clear()
    warm = plan_forecasts(_job(changed), n_jobs=1, store=store)
    assert [r for g in counted for r in g] == [1]
    _same(warm, plan_forecasts(_job(changed), n_jobs=1))


def test_a_change_of_the_forecasting_code_misses_the_cache(store, counted, monkeypatch):
    plan_forecasts(_job(), n_jobs=1, store=store)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: b"an edited module")
    counted.clear()
    plan_forecasts(_job(), n_jobs=1, store=store)
    assert sorted(r for g in counted for r in g) == [0, 1, 2]


def test_a_change_of_settings_misses_the_cache(store, counted):
    plan_forecasts(_job(), n_jobs=1, store=store)
    counted.clear()
    job = _job()
    plan_forecasts(ForecastJob(**{**job.__dict__, "holdout": 4}), n_jobs=1, store=store)
    assert sorted(r for g in counted for r in g) == [0, 1, 2]


def test_an_unreadable_entry_forecasts_everything(store):
    cold = plan_forecasts(_job(), n_jobs=1, store=store)
    for key in list(store.iterkeys()):
        store.set(key, b"not a pickle")
    _same(plan_forecasts(_job(), n_jobs=1, store=store), cold)


def test_the_cache_is_off_or_unusable_without_failing(tmp_path, monkeypatch):
    monkeypatch.setenv("SOP_XL_CACHE", "0")
    assert cache.default_cache() is None
    monkeypatch.setenv("SOP_XL_CACHE", "1")
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SOP_XL_CACHE_DIR", str(blocker / "cache"))
    assert cache.default_cache() is None


def test_the_code_fingerprint_covers_every_forecast_module():
    """The key must change with any module an item's forecast runs through."""
    modules = {p.name for p in cache.Path(cache.__file__).parent.glob("*.py")}
    assert {"auto.py", "methods.py", "plan.py", "seasonality.py", "intervals.py"} <= modules
    assert len(cache.code_fingerprint()) == 32
