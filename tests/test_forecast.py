"""The forecasting core: every method, auto's choices, messy demand, intervals, batches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.errors import SopError
from sop_xl.forecast import METHODS, forecast, method_for
from sop_xl.forecast.auto import COMBINATION
from sop_xl.forecast.batch import forecast_frame, series_from_frame, to_wide


def seasonal_series(n=36, seed=0, level=100.0, trend=0.5, amplitude=20.0, noise=3.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return level + trend * t + amplitude * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n)


# ---------------------------------------------------------------------------------------------
# every method
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_every_method_forecasts_a_seasonal_history(method):
    y = seasonal_series()
    f = forecast(y, 18, method=method, level=0.9)
    assert f.mean.shape == f.lower.shape == f.upper.shape == (18,)
    assert np.isfinite(f.mean).all() and (f.mean >= 0).all()
    assert (f.lower <= f.mean + 1e-9).all() and (f.mean <= f.upper + 1e-9).all()
    assert (f.lower >= 0).all()
    # a seasonal 36-month history: every method forecasts in the right range
    assert 40 < f.mean.mean() < 200


@pytest.mark.parametrize("method", ["snaive", "hw_add", "hw_mul", "ets", "theta", "arima", "auto"])
def test_seasonal_methods_follow_the_season(method):
    y = seasonal_series(n=48, noise=1.0, trend=0.0)
    f = forecast(y, 12, method=method)
    season = y[-12:] - y[-12:].mean()
    assert np.corrcoef(f.mean, season)[0, 1] > 0.9


def test_simple_methods_give_exact_values():
    y = np.array([4.0, 8.0, 6.0, 10.0, 12.0, 2.0])
    assert forecast(y, 2, method="naive").mean.tolist() == [2.0, 2.0]
    # snaive with season 3 repeats the last three periods
    assert forecast(y, 4, method="snaive", season_length=3).mean.tolist() == [10.0, 12.0, 2.0, 10.0]
    # ma: mean of the last season_length periods
    assert forecast(y, 2, method="ma", season_length=4).mean.tolist() == [7.5, 7.5]


def test_holt_extrapolates_a_straight_line():
    y = np.arange(10.0, 40.0, 2.0)
    assert np.allclose(forecast(y, 3, method="holt").mean, [40.0, 42.0, 44.0], atol=0.01)


@pytest.mark.parametrize(
    "method, n, expected",
    [
        ("hw_add", 20, "holt"),  # fewer than two seasons: no season
        ("hw_mul", 20, "holt"),
        ("snaive", 11, "naive"),
        ("holt", 6, "ses"),  # too short for a trend model
        ("ets", 3, "ses"),
        ("theta", 2, "ses"),
    ],
)
def test_seasonal_and_trend_methods_fall_back_on_short_histories(method, n, expected):
    f = forecast(seasonal_series(n=n), 6, method=method)
    assert f.method == expected
    assert np.isfinite(f.mean).all()


def test_hw_mul_needs_positive_history():
    y = seasonal_series(n=36)
    y[5] = 0.0
    assert forecast(y, 3, method="hw_mul").method == "hw_add"


# ---------------------------------------------------------------------------------------------
# auto
# ---------------------------------------------------------------------------------------------
def test_auto_combines_its_members_on_regular_demand():
    f = forecast(seasonal_series(), 18)
    assert f.method == "combo(" + ",".join(COMBINATION) + ")"
    members = [forecast(seasonal_series(), 18, method=m).mean for m in ("theta",)]
    assert not np.allclose(f.mean, members[0])  # a combination, not one member


@pytest.mark.parametrize(
    "history, expected",
    [
        ([0, 0, 0, 0], "zero"),
        ([-3, -1, 0, -2], "zero"),  # only returns: nothing to sell
        ([7], "naive"),
        ([7, 9], "naive"),
        ([0, 0, 4, 0, 0, 0, 3, 0, 0, 5, 0, 0], "sba"),  # too short to score: SBA
    ],
)
def test_auto_decisions(history, expected):
    assert method_for(history) == expected


def test_auto_scores_the_intermittent_family_on_a_holdout():
    rng = np.random.default_rng(3)
    y = np.where(rng.random(48) < 0.3, rng.poisson(6, 48) + 1, 0).astype(float)
    assert method_for(y) in {"croston", "sba", "tsb"}


def test_auto_sees_obsolescence_with_tsb():
    # steady intermittent demand that stopped a year ago: TSB decays, Croston/SBA do not
    y = np.r_[np.tile([5.0, 0.0, 0.0, 4.0, 0.0, 6.0], 6), np.zeros(12)]
    assert method_for(y) == "tsb"
    assert forecast(y, 1).mean[0] < forecast(y, 1, method="sba").mean[0]


# ---------------------------------------------------------------------------------------------
# messy demand: documented behaviour, never a crash, never a negative forecast
# ---------------------------------------------------------------------------------------------
def test_gaps_are_filled_by_linear_interpolation():
    with_gap = forecast(
        [10.0, np.nan, np.nan, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0], 2, method="holt"
    )
    filled = forecast(
        [10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0], 2, method="holt"
    )
    np.testing.assert_allclose(with_gap.mean, filled.mean)


def test_blank_ends_are_trimmed():
    f = forecast([np.nan, np.nan, 3.0, 5.0, np.nan], 1, method="naive")
    assert f.mean.tolist() == [5.0]


def test_all_zero_history_forecasts_zero():
    f = forecast(np.zeros(24), 6, level=0.95)
    assert f.method == "zero"
    assert f.mean.tolist() == f.lower.tolist() == f.upper.tolist() == [0.0] * 6


def test_single_spike_is_intermittent_and_small():
    y = np.r_[np.zeros(20), 100.0, np.zeros(15)]
    f = forecast(y, 6)
    assert f.method in {"croston", "sba", "tsb"}
    assert (f.mean >= 0).all() and f.mean.max() < 10  # the spike is spread, not repeated


def test_history_shorter_than_a_season():
    f = forecast([12.0, 15.0, 11.0, 14.0, 13.0], 18, season_length=12, level=0.8)
    assert f.mean.shape == (18,) and np.isfinite(f.mean).all()
    assert "theta" in f.method or f.method == "ses"  # non-seasonal models only


def test_negative_values_are_used_but_forecasts_are_clipped():
    y = np.array([10, -2, 12, 11, 13, -1, 12, 14, 13, 12, 11, 13.0])
    f = forecast(y, 6, level=0.9)
    assert (f.mean >= 0).all() and (f.lower >= 0).all()
    # a falling series that goes below zero: the forecast stops at zero
    falling = np.linspace(50.0, -10.0, 24)
    assert (forecast(falling, 12, method="holt").mean == 0).any()
    assert (forecast(falling, 12, method="holt").mean >= 0).all()


def test_an_outlier_does_not_crash_and_stays_finite():
    y = np.full(36, 100.0) + np.random.default_rng(1).normal(0, 5, 36)
    y[20] = 5000.0
    for method in ("auto", "ets", "theta", "arima", "croston"):
        f = forecast(y, 12, method=method)
        assert np.isfinite(f.mean).all() and (f.mean >= 0).all()


def test_constant_history():
    f = forecast([7.0] * 30, 4, level=0.9)
    np.testing.assert_allclose(f.mean, 7.0, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# intervals
# ---------------------------------------------------------------------------------------------
def test_intervals_widen_with_the_level():
    y = seasonal_series(noise=6.0)
    narrow = forecast(y, 6, level=0.5)
    wide = forecast(y, 6, level=0.95)
    assert ((wide.upper - wide.lower) > (narrow.upper - narrow.lower)).all()


@pytest.mark.parametrize("method", ["auto", "ses", "croston", "ma"])
def test_interval_coverage_on_simulated_demand(method):
    """One-step 80% intervals cover about 80% of what happens next (300 simulated items)."""
    rng = np.random.default_rng(11)
    hits = 0
    trials = 300 if method != "auto" else 120
    for _ in range(trials):
        if method == "croston":
            y = np.where(rng.random(37) < 0.6, rng.poisson(20, 37), 0).astype(float)
        else:
            y = 50 + np.cumsum(rng.normal(0, 1, 37)) * 0.5 + rng.normal(0, 4, 37)
        f = forecast(y[:-1], 1, method=method, level=0.8, season_length=1)
        hits += f.lower[0] <= y[-1] <= f.upper[0]
    assert 0.65 <= hits / trials <= 0.95


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"horizon": 0}, "horizon must be a whole number of at least 1; got 0"),
        ({"horizon": 2.5}, "horizon must be a whole number of at least 1; got 2.5"),
        ({"method": "magic"}, "method must be one of auto, naive, .*; got 'magic'"),
        ({"season_length": -1}, "season_length must be a whole number of at least 0; got -1"),
        ({"level": 1.5}, "level must be between 0 and 1; got 1.5"),
    ],
)
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(SopError, match=message):
        forecast([1.0, 2.0, 3.0], **{"horizon": 3, **kwargs})


@pytest.mark.parametrize(
    "history, message",
    [
        ([np.nan, np.nan], "history has no numbers; got 2 blank periods"),
        ([], "history has no numbers; got 0 blank periods"),
        ([1.0, np.inf], "history must be finite numbers; got inf"),
    ],
)
def test_bad_histories_are_refused(history, message):
    with pytest.raises(SopError, match=message):
        forecast(history, 3)


# ---------------------------------------------------------------------------------------------
# batches
# ---------------------------------------------------------------------------------------------
def long_frame(n_items=12, months=30, seed=5):
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2023-01-01", periods=months, freq="MS")
    rows = []
    for i in range(n_items):
        y = seasonal_series(months, seed=i) if i % 3 else np.where(rng.random(months) < 0.3, 5, 0)
        rows += [(f"I{i:02d}", p, float(q)) for p, q in zip(periods, y, strict=True)]
    return pd.DataFrame(rows, columns=["item", "period", "qty"])


def test_batch_matches_single_forecasts_and_is_the_same_on_more_cores():
    frame = long_frame()
    one = forecast_frame(frame, 6, n_jobs=1, level=0.9)
    two = forecast_frame(frame, 6, n_jobs=2, group_size=5)
    pd.testing.assert_frame_equal(one[two.columns], two)
    y = frame.loc[frame["item"] == "I04", "qty"].to_numpy()
    single = forecast(y, 6, level=0.9)
    got = one[one["item"] == "I04"]
    np.testing.assert_allclose(got["forecast"], single.mean)
    np.testing.assert_allclose(got["upper"], single.upper)
    assert got["method"].iloc[0] == single.method
    assert got["period"].dt.strftime("%Y-%m").tolist()[0] == "2025-07"


def test_batch_reports_progress():
    seen = []
    forecast_frame(
        long_frame(n_items=6),
        2,
        n_jobs=1,
        group_size=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(2, 6), (4, 6), (6, 6)]


def test_missing_periods_are_zero_and_items_run_to_the_last_period():
    frame = pd.DataFrame(
        {
            "item": ["A", "A", "A", "B"],
            "period": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-05-01", "2024-02-01"]),
            "qty": [5.0, 6.0, 7.0, 3.0],
        }
    )
    items, histories, grid = series_from_frame(frame)
    assert items == ["A", "B"]
    assert histories[0].tolist() == [5.0, 6.0, 0.0, 0.0, 7.0]
    assert histories[1].tolist() == [3.0, 0.0, 0.0, 0.0]
    assert grid[-1] == pd.Timestamp("2024-05-01")


@pytest.mark.parametrize(
    "rows, message",
    [
        (
            [("A", "2024-01-01", 1.0), ("A", "2024-01-01", 2.0)],
            "each item may have one row per period; got item 'A' twice in 2024-01-01",
        ),
        ([("A", "2024-01-15", 1.0)], "period must be the first day of a month; got 2024-01-15"),
        ([("A", "2024-01-01", "ten")], "qty must be a number; got 'ten' for item 'A'"),
    ],
)
def test_batch_refuses_bad_tables(rows, message):
    frame = pd.DataFrame(rows, columns=["item", "period", "qty"])
    frame["period"] = pd.to_datetime(frame["period"])
    with pytest.raises(SopError, match=message):
        forecast_frame(frame, 3, n_jobs=1)


def test_weekly_tables():
    periods = pd.date_range("2024-01-01", periods=60, freq="W-MON")
    frame = pd.DataFrame({"item": "W", "period": periods, "qty": seasonal_series(60)})
    out = forecast_frame(frame, 4, freq="W-MON", season_length=52, n_jobs=1)
    assert out["period"].iloc[0] == periods[-1] + pd.Timedelta(days=7)


def test_to_wide_grid():
    wide = to_wide(forecast_frame(long_frame(n_items=3), 3, method="naive", n_jobs=1))
    assert wide.columns.tolist() == ["Item", "Method", "2025-07", "2025-08", "2025-09"]
    assert wide["Item"].tolist() == ["I00", "I01", "I02"]


def test_batch_runs_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    frame = long_frame(n_items=4)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            out = forecast_frame(frame, 3, executor=client.get_executor(), group_size=2)
    local = forecast_frame(frame, 3, n_jobs=1)
    pd.testing.assert_frame_equal(out, local)


def test_auto_keeps_a_strong_season_on_three_years_of_history():
    """36 months of a strong summer peak: the Theta members' own test misses the season, the
    strength check does not, so the forecast peak is not halved."""
    t = np.arange(36)
    y = 200 + 150 * np.sin(2 * np.pi * (t - 3) / 12) + np.random.default_rng(0).normal(0, 15, 36)
    f = forecast(y, 12)
    assert np.ptp(f.mean) > 0.8 * np.ptp(y[-12:])
    assert np.corrcoef(f.mean, y[-12:])[0, 1] > 0.95


def test_seasonal_adjustment_only_where_a_short_history_has_a_season():
    from sop_xl.forecast.seasonality import adjust_short_season, season_pvalue

    t = np.arange(36)
    rng = np.random.default_rng(2)
    # pure noise and random walks: no season found (the F-test at 0.1%)
    assert all(adjust_short_season(100 + rng.normal(0, 20, 36), 12) is None for _ in range(30))
    assert season_pvalue(100 + np.cumsum(rng.normal(0, 5, 36)), 12) > 0.001
    assert adjust_short_season(100 + 40 * np.sin(2 * np.pi * t / 12), 12) is not None
    assert adjust_short_season(np.arange(20.0), 12) is None  # under two seasons
    long = 100 + 40 * np.sin(2 * np.pi * np.arange(60) / 12)
    assert adjust_short_season(long, 12) is None  # five seasons: the members' own test
    # zeros in the history: additive adjustment, forecasts still clipped at 0
    y = np.maximum(50 * np.sin(2 * np.pi * t / 12), 0) + 0.01 * t
    a = adjust_short_season(y, 12)
    assert a is not None and not a.multiplicative
    assert (forecast(y, 12).mean >= 0).all()
