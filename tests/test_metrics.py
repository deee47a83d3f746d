"""Forecast accuracy metrics and FVA (sop_xl.forecast.metrics), per DESIGN.md "Definitions"."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from utilsforecast import losses as nixtla

from sop_xl.errors import SopError
from sop_xl.forecast.metrics import (
    METRICS,
    accuracy,
    accuracy_by_item,
    bias,
    fva,
    mae,
    mape,
    mase,
    rmse,
    smape,
    tracking_signal,
    wape,
)

A = [100, 0, 200, 50]
F = [90, 10, 230, 50]
# errors e = F - A: -10, 10, 30, 0; |e| 10, 10, 30, 0; sum|A| = 350


# ----------------------------------------------------------------------------------------------
# hand-computed values, formula by formula (DESIGN.md "Definitions")
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "metric, expected",
    [
        ("mae", 50 / 4),  # (10 + 10 + 30 + 0) / 4
        ("rmse", math.sqrt(1100 / 4)),  # (100 + 100 + 900 + 0) / 4
        ("mape", (0.1 + 0.15 + 0.0) / 3),  # the zero actual is left out: 10/100, 30/200, 0/50
        ("wape", 50 / 350),
        ("smape", (20 / 190 + 2 + 60 / 430 + 0) / 4),  # 2|e|/(|A|+|F|); A=0, F=10 gives 2
        ("bias", 30 / 350),  # sum e = -10 + 10 + 30 + 0
        ("tracking_signal", 30 / 12.5),  # sum e / mae
        ("mase", 12.5 / ((100 + 200 + 150) / 3)),  # scale: |0-100|, |200-0|, |50-200|
    ],
)
def test_metric_hand_computed(metric, expected):
    assert accuracy(A, F, metric=metric) == pytest.approx(expected, rel=1e-12)


def test_each_function_matches_the_dispatcher():
    for func in (mae, rmse, mape, wape, smape, bias, tracking_signal):
        assert func(A, F) == accuracy(A, F, metric=func.__name__)
    assert mase(A, F, season_length=2) == accuracy(A, F, metric="mase", season_length=2)


def test_metric_names_any_case():
    assert accuracy(A, F, metric=" Tracking_Signal ") == tracking_signal(A, F)


def test_mase_seasonal_scale_hyndman_koehler():
    # Hyndman & Koehler (2006) MASE with the seasonal naive scale, m = 4 (scale over the actuals
    # given, DESIGN.md): changes |A_t - A_(t-4)| = |12-10|, |22-20|, |32-30|, |42-40| = 2 each.
    actuals = [10, 20, 30, 40, 12, 22, 32, 42]
    forecast = [11, 21, 31, 41, 13, 23, 33, 43]  # every error 1
    assert mase(actuals, forecast, season_length=4) == pytest.approx(0.5)
    # m = 0 and m = 1 both mean no seasonality: the one-step naive scale
    assert mase(actuals, forecast, season_length=0) == mase(actuals, forecast, season_length=1)


def test_mase_scale_uses_actuals_with_gaps_but_skips_unpaired_errors():
    actuals = [10, 12, np.nan, 14, 16]
    forecast = [11, np.nan, 13, 15, 16]
    # pairs (10,11), (14,15), (16,16): mae 2/3; changes |12-10|, |16-14| (the NaN ones skipped)
    assert mase(actuals, forecast) == pytest.approx((2 / 3) / 2)


def test_nan_pairs_are_skipped():
    actuals = [100, np.nan, 200, 50, np.nan]
    forecast = [90, 5, np.nan, 60, np.nan]
    assert mae(actuals, forecast) == 10.0
    assert wape(actuals, forecast) == pytest.approx(20 / 150)


def test_negative_actuals_returns_use_absolute_values():
    # a net return (negative actual) still weighs by |A| in wape, mape and bias
    assert wape([-10, 30], [0, 30]) == pytest.approx(10 / 40)
    assert mape([-10, 30], [0, 30]) == pytest.approx(0.5)
    assert bias([-10, 30], [0, 30]) == pytest.approx(10 / 40)


# ----------------------------------------------------------------------------------------------
# zero denominators: 0/0 is 0 (no error to see), x/0 is refused with a clear message
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "metric, actuals, forecast, expected",
    [
        ("wape", [0, 0, 0], [0, 0, 0], 0.0),
        ("bias", [0, 0], [0, 0], 0.0),
        ("bias", [0, 0], [3, -3], 0.0),  # errors cancel: no net bias
        ("mape", [0, 0], [0, 0], 0.0),
        ("mase", [5, 5, 5], [5, 5, 5], 0.0),
        ("tracking_signal", [4, 5], [4, 5], 0.0),
        ("smape", [0, 0], [0, 0], 0.0),
    ],
)
def test_zero_over_zero_is_zero(metric, actuals, forecast, expected):
    assert accuracy(actuals, forecast, metric=metric) == expected


@pytest.mark.parametrize(
    "metric, actuals, forecast, message",
    [
        ("wape", [0, 0, 0], [0, 1, 0], "wape is undefined when every actual is 0; use mae instead"),
        ("bias", [0, 0], [1, 1], "bias is undefined when every actual is 0; use mae instead"),
        (
            "mape",
            [0, 0, np.nan],
            [1, 0, 5],
            "mape is undefined when every actual is 0; use mae instead",
        ),
        (
            "mase",
            [5, 5, 5],
            [4, 5, 6],
            r"mase is undefined when the actuals never change at lag 1 \(mean \|A_t - A_\(t-1\)\| is 0\); use mae instead",
        ),
        ("mase", [5], [4], r"mase needs more than season_length \(1\) actuals to scale by; got 1"),
        (
            "mase",
            [5, np.nan, 7],
            [5, 6, 7],
            "mase needs two filled actuals 1 periods apart to scale by; got none",
        ),
    ],
)
def test_undefined_metric_is_refused(metric, actuals, forecast, message):
    with pytest.raises(SopError, match=f"^{message}$"):
        accuracy(actuals, forecast, metric=metric)


def test_overflow_is_refused_not_inf():
    with pytest.raises(
        SopError, match=r"^wape is too large to show \(denominator 1e-310\); use mae instead$"
    ):
        wape([1e-310], [1e300])
    frame = pd.DataFrame({"item": ["a"], "period": [1], "actual": [1e-310], "forecast": [1e300]})
    assert np.isnan(accuracy_by_item(frame, metrics=["wape"]).loc["a", "wape"])


def test_mase_too_short_for_the_season():
    with pytest.raises(
        SopError, match=r"^mase needs more than season_length \(12\) actuals to scale by; got 8$"
    ):
        mase(range(1, 9), range(1, 9), season_length=12)


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"actuals": [1, 2, 3], "forecast": [1, 2]},
            "actuals and forecast must have the same length; got 3 and 2",
        ),
        (
            {"actuals": [np.nan, 2], "forecast": [1, np.nan]},
            "no period has both actuals and forecast filled; got 2 periods",
        ),
        (
            {"actuals": [1, 2], "forecast": [1, 2], "metric": "mad"},
            "metric must be one of mae, rmse, mape, wape, smape, mase, bias, tracking_signal; got 'mad'",
        ),
        ({"actuals": [1, 2], "forecast": [1, 2], "metric": 3}, "metric must be one of .*; got 3"),
        (
            {"actuals": [1, 2], "forecast": [1, 2], "season_length": -1},
            "season_length must be a whole number >= 0; got -1",
        ),
        (
            {"actuals": [1, 2], "forecast": [1, 2], "season_length": 2.5},
            r"season_length must be a whole number >= 0; got 2.5",
        ),
        (
            {"actuals": [1, 2], "forecast": [1, 2], "season_length": float("nan")},
            "season_length must be a whole number >= 0; got nan",
        ),
        (
            {"actuals": [1, np.inf], "forecast": [1, 2]},
            r"actuals must be finite numbers or NaN \(blank\); got an infinite value",
        ),
        (
            {"actuals": [[1, 2]], "forecast": [1, 2]},
            r"actuals must be one series \(1-D\); got an array of shape \(1, 2\)",
        ),
        ({"actuals": ["a", 2], "forecast": [1, 2]}, "actuals must be numbers; got \\['a', 2\\]"),
    ],
)
def test_bad_input_is_refused(kwargs, message):
    with pytest.raises(SopError, match=f"^{message}$"):
        accuracy(**kwargs)


# ----------------------------------------------------------------------------------------------
# forecast value added
# ----------------------------------------------------------------------------------------------
def test_fva_hand_computed():
    actuals = [100, 100, 100, 100]
    naive = [80, 130, 100, 90]  # wape 60/400
    consensus = [95, 110, 100, 100]  # wape 15/400
    assert fva(actuals, naive, consensus) == pytest.approx(45 / 400)
    assert fva(actuals, consensus, naive) == pytest.approx(-45 / 400)
    assert fva(actuals, naive, consensus, metric="mae") == pytest.approx(15 - 3.75)


def test_fva_signed_metrics_compare_sizes():
    actuals = [100, 100]
    over = [130, 130]  # bias +0.3
    under = [90, 90]  # bias -0.1: smaller in size, so the candidate adds value
    assert fva(actuals, over, under, metric="bias") == pytest.approx(0.2)
    assert fva(actuals, under, over, metric="bias") == pytest.approx(-0.2)


def test_fva_compares_both_forecasts_over_the_same_periods():
    actuals = [100, 100, 100]
    baseline = [100, 100, np.nan]
    candidate = [110, 110, 0]  # the third period is not compared: baseline has no value there
    assert fva(actuals, baseline, candidate) == pytest.approx(0 - 20 / 200)


def test_fva_mase_and_refusals():
    actuals = [10, 20, 10, 20]  # one-step scale 10
    assert fva(actuals, [15, 15, 15, 15], [10, 20, 10, 20], metric="mase") == pytest.approx(0.5)
    with pytest.raises(
        SopError, match="^actuals and candidate must have the same length; got 4 and 3$"
    ):
        fva(actuals, [1, 2, 3, 4], [1, 2, 3])
    with pytest.raises(
        SopError,
        match="^no period has actuals, baseline and candidate all filled; got 2 periods$",
    ):
        fva([1, 2], [1, np.nan], [np.nan, 2])


# ----------------------------------------------------------------------------------------------
# agreement with an independent implementation: Nixtla's utilsforecast.losses
# ----------------------------------------------------------------------------------------------
def _long_frame(seed: int, items: int = 30, periods: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "item": np.repeat([f"i{k:02d}" for k in range(items)], periods),
            "period": np.tile(np.arange(periods), items),
            "actual": rng.gamma(2.0, 50.0, items * periods).round(),
            "forecast": rng.gamma(2.0, 50.0, items * periods).round(1),
        }
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


def test_by_item_agrees_with_utilsforecast():
    frame = _long_frame(1)
    ours = accuracy_by_item(frame, season_length=3)
    df = frame.rename(
        columns={"item": "unique_id", "period": "ds", "actual": "y", "forecast": "model"}
    )
    df = df.sort_values(["unique_id", "ds"])
    theirs = {
        "mae": nixtla.mae(df, ["model"]),
        "rmse": nixtla.rmse(df, ["model"]),
        "mape": nixtla.mape(df, ["model"]),
        "smape": nixtla.smape(df, ["model"]),  # theirs is |e| / (|A| + |F|): half of ours
        "mase": nixtla.mase(df, ["model"], seasonality=3, train_df=df[["unique_id", "ds", "y"]]),
    }
    for metric, table in theirs.items():
        expected = table.set_index("unique_id")["model"]
        if metric == "smape":
            expected = 2 * expected
        np.testing.assert_allclose(
            ours[metric].to_numpy(), expected.loc[ours.index].to_numpy(), rtol=1e-10
        )
    assert (ours["n"] == 15).all()


def test_by_item_equals_the_scalar_functions_item_by_item():
    frame = _long_frame(2, items=12, periods=9)
    frame.loc[frame.sample(20, random_state=3).index, "forecast"] = np.nan
    frame.loc[frame.sample(15, random_state=4).index, "actual"] = np.nan
    frame.loc[frame["item"] == "i00", "actual"] = 0.0  # wape, mape, bias undefined
    frame.loc[frame["item"] == "i01", ["actual", "forecast"]] = 0.0  # all 0/0 = 0
    frame.loc[frame["item"] == "i02", "actual"] = 7.0  # mase scale 0
    ours = accuracy_by_item(frame, season_length=2)
    for key, rows in frame.sort_values("period").groupby("item"):
        for metric in METRICS:
            try:
                expected = accuracy(
                    rows["actual"], rows["forecast"], metric=metric, season_length=2
                )
            except SopError:
                expected = np.nan
            got = ours.loc[key, metric]
            assert got == pytest.approx(expected, rel=1e-12, nan_ok=True), (key, metric)
    assert ours.loc["i01", ["wape", "mape", "bias", "tracking_signal", "smape"]].eq(0).all()
    assert ours.loc["i00", ["wape", "mape", "bias"]].isna().all()


def test_by_item_item_without_pairs_and_metric_choice():
    frame = pd.DataFrame(
        {
            "item": ["a", "a", "b"],
            "period": [1, 2, 1],
            "actual": [1.0, 2.0, np.nan],
            "forecast": [1.0, 3.0, 4.0],
        }
    )
    out = accuracy_by_item(frame, metrics=["WAPE", "bias"])
    assert list(out.columns) == ["n", "wape", "bias"]
    assert out.loc["a"].tolist() == [2, pytest.approx(1 / 3), pytest.approx(1 / 3)]
    assert out.loc["b", "n"] == 0 and out.loc["b", ["wape", "bias"]].isna().all()


def test_by_item_custom_columns_and_refusals():
    frame = pd.DataFrame({"sku": ["a", "a"], "month": [1, 2], "qty": [1, 2], "stat": [1, 1]})
    out = accuracy_by_item(
        frame, item="sku", period="month", actual="qty", forecast="stat", metrics=["mae"]
    )
    assert out.index.name == "sku" and out.loc["a", "mae"] == 0.5
    with pytest.raises(
        SopError,
        match="^frame must have columns item, period, actual, forecast; missing actual, forecast$",
    ):
        accuracy_by_item(pd.DataFrame(columns=["item", "period"]))
    with pytest.raises(SopError, match="^metric must be one of .*; got 'mad'$"):
        accuracy_by_item(
            frame, metrics=["mad"], item="sku", period="month", actual="qty", forecast="stat"
        )
    bad = frame.assign(qty=["x", 1])
    with pytest.raises(SopError, match="^qty and stat must be numbers; "):
        accuracy_by_item(bad, item="sku", period="month", actual="qty", forecast="stat")


def test_by_item_is_vectorised_for_thousands_of_items():
    frame = _long_frame(5, items=5000, periods=12)
    out = accuracy_by_item(frame, season_length=1)
    assert len(out) == 5000 and out["n"].eq(12).all() and out.notna().all().all()


# ----------------------------------------------------------------------------------------------
# properties
# ----------------------------------------------------------------------------------------------
# quantities as planners have them: zero or at least a thousandth of a unit (a sum of tiny
# subnormal actuals such as 2e-306 makes a ratio overflow, which the metrics refuse by design)
quantity = st.one_of(st.just(0.0), st.floats(1e-3, 1e6))
demand = st.lists(quantity, min_size=2, max_size=30)


@settings(max_examples=200, deadline=None)
@given(demand)
def test_perfect_forecast_has_no_error(actuals):
    for metric in METRICS:
        assert accuracy(actuals, actuals, metric=metric) == 0.0  # 0/0 rule included


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_metric_bounds(data):
    actuals = data.draw(demand)
    forecast = data.draw(st.lists(quantity, min_size=len(actuals), max_size=len(actuals)))
    assert 0 <= smape(actuals, forecast) <= 2 + 1e-12
    assert mae(actuals, forecast) <= rmse(actuals, forecast) * (1 + 1e-9) + 1e-9
    n = len(actuals)
    assert abs(tracking_signal(actuals, forecast)) <= n * (1 + 1e-9)
    if sum(actuals) > 0:
        assert abs(bias(actuals, forecast)) <= wape(actuals, forecast) * (1 + 1e-9) + 1e-12


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_fva_of_a_forecast_against_itself_is_zero_and_antisymmetric(data):
    actuals = data.draw(st.lists(st.floats(1, 1e4), min_size=2, max_size=20))
    n = len(actuals)
    base = data.draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n))
    cand = data.draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n))
    assert fva(actuals, base, base) == 0.0
    assert fva(actuals, base, cand) == pytest.approx(-fva(actuals, cand, base), abs=1e-12)
