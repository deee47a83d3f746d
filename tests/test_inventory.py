"""Inventory policy: textbook values (Snyder & Shen via stockpyl, Chopra & Meindl), scipy
recomputations, properties, and every refusal with its message."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from stockpyl import eoq as sp_eoq
from stockpyl import loss_functions as sp_loss
from stockpyl import newsvendor as sp_newsvendor

from sop_xl.errors import SopError
from sop_xl.inventory import (
    eoq,
    fill_rate,
    inverse_normal_loss,
    lead_time_demand_sd,
    normal_loss,
    reorder_point,
    safety_stock,
)
from sop_xl.inventory.items import demand_variability, forecast_rmse, item_safety_stock


# ---------------------------------------------------------------------------------------------
# textbook values
# ---------------------------------------------------------------------------------------------
def test_eoq_snyder_shen_example_3_1():
    # Snyder & Shen example 3.1: K = 8, h = 0.225, lambda = 1300 -> Q* = 304.0468 (stockpyl)
    assert eoq(1300, 8, 1.0, 0.225) == pytest.approx(304.0468, abs=1e-4)
    assert eoq(1300, 8, 0.9, 0.25) == pytest.approx(
        sp_eoq.economic_order_quantity(8, 0.225, 1300)[0]
    )


@pytest.mark.parametrize(
    "k, expected", [(-1.4, 1.436668), (1.3, 0.04552796208651397), (0.0, 0.3989423)]
)
def test_normal_loss_snyder_shen_table_c3(k, expected):
    # Snyder & Shen appendix C (standard normal loss table), as stockpyl.standard_normal_loss
    assert normal_loss(k) == pytest.approx(expected, abs=1e-6)
    assert normal_loss(k) == pytest.approx(sp_loss.standard_normal_loss(k)[0], rel=1e-12)


def test_normal_loss_matches_stockpyl_on_a_grid():
    grid = np.linspace(-6, 8, 141)
    ours = normal_loss(grid)
    theirs = np.array([sp_loss.standard_normal_loss(k)[0] for k in grid])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("loss", [0.39, 0.3, 0.0355, 1e-3, 1e-8, 1e-14])
def test_inverse_normal_loss_matches_brentq(loss):
    root = optimize.brentq(
        lambda k: stats.norm.pdf(k) - k * stats.norm.sf(k) - loss, 0, 40, xtol=1e-14
    )
    assert inverse_normal_loss(loss) == pytest.approx(root, rel=1e-9)


def test_inverse_normal_loss_is_zero_above_g0():
    assert inverse_normal_loss(0.5) == 0.0


@pytest.mark.parametrize("lead_time", [0, 1, 3])
def test_base_stock_level_matches_stockpyl_newsvendor(lead_time):
    # Snyder & Shen example 4.3 (h = 0.18, p = 0.70, mu = 50, sigma = 8) with stockpyl's lead
    # time: periodic review every period (R = 1), service level p / (h + p)
    expected = sp_newsvendor.newsvendor_normal(0.18, 0.70, 50, 8, lead_time=lead_time)[0]
    ss = safety_stock(50, 8, lead_time, service_level=0.70 / 0.88, review_period=1)
    assert reorder_point(50, lead_time, ss, review_period=1) == pytest.approx(expected, rel=1e-12)


def test_cycle_safety_stock_with_lead_time_variability_chopra_meindl():
    # Chopra & Meindl ch. 12 (impact of supply uncertainty): D = 2,500/day, sd_D = 500,
    # L = 7 days, s_L = 7 days, CSL = 0.90 -> sigma_L = 17,550, ss = 22,491
    assert lead_time_demand_sd(2500, 500, 7, lead_time_sd=7) == pytest.approx(17550, abs=1)
    assert safety_stock(2500, 500, 7, lead_time_sd=7, service_level=0.9) == pytest.approx(
        22491, abs=1
    )


def test_fill_rate_chopra_meindl():
    # Chopra & Meindl ch. 12 (evaluating fill rate): D = 2,500/week, sd = 500, L = 2 weeks,
    # Q = 10,000, ss = 1,000 -> ESC = 25.13, fill rate = 0.9975
    assert fill_rate(1000, 2500, 500, 2, 10000) == pytest.approx(1 - 25.13 / 10000, abs=1e-6)


def test_fill_rate_safety_stock_chopra_meindl():
    # Chopra & Meindl ch. 12 (safety inventory for a fill rate): fill rate 0.975, Q = 10,000,
    # sigma_L = 707 -> ss = 67 (recomputed with scipy: 66.70)
    ss = safety_stock(2500, 500, 2, service_level=0.975, method="fill_rate", order_qty=10000)
    sigma = 500 * math.sqrt(2)
    k = optimize.brentq(
        lambda k: stats.norm.pdf(k) - k * stats.norm.sf(k) - 10000 * 0.025 / sigma, 0, 10
    )
    assert ss == pytest.approx(k * sigma, rel=1e-9)
    assert round(ss) == 67


def test_fill_rate_inverts_safety_stock():
    ss = safety_stock(
        120,
        30,
        3,
        lead_time_sd=0.5,
        service_level=0.98,
        method="fill_rate",
        order_qty=400,
        review_period=1,
    )
    assert fill_rate(ss, 120, 30, 3, 400, lead_time_sd=0.5, review_period=1) == pytest.approx(
        0.98, abs=1e-10
    )


def test_fill_rate_matches_stockpyl_normal_loss():
    # Snyder & Shen (r, Q) type-2 service: beta = 1 - n(r) / Q, n = normal loss of lead-time demand
    mu, sigma, r, q = 1300 / 12, 150 / math.sqrt(12), 120.0, 300.0
    n_r = sp_loss.normal_loss(r, mu, sigma)[0]
    ours = fill_rate(r - mu, 1300, 150, 1 / 12, q)
    assert ours == pytest.approx(1 - n_r / q, rel=1e-12)


@pytest.mark.parametrize(
    "d, sd, lt, lt_sd, r, level",
    [
        (100, 20, 2, 0, 0, 0.95),
        (100, 20, 2, 0.5, 1, 0.99),
        (40, 0, 3, 1, 0, 0.9),
        (5, 3, 0, 0, 1, 0.5),
    ],
)
def test_cycle_safety_stock_recomputed_with_scipy(d, sd, lt, lt_sd, r, level):
    sigma = math.sqrt((lt + r) * sd**2 + d**2 * lt_sd**2)
    expected = stats.norm.ppf(level) * sigma
    assert safety_stock(
        d, sd, lt, lead_time_sd=lt_sd, service_level=level, review_period=r
    ) == pytest.approx(expected, abs=1e-9)


def test_vectorised_keeps_series_index():
    items = pd.Index(["A", "B"], name="item")
    result = safety_stock(
        pd.Series([100.0, 50.0], index=items), 20, pd.Series([1.0, 4.0], index=items)
    )
    assert list(result.index) == ["A", "B"]
    assert result["B"] == pytest.approx(stats.norm.ppf(0.95) * 40)


def test_fill_rate_with_zero_sigma():
    assert safety_stock(100, 0, 2, method="fill_rate", order_qty=50) == 0.0
    assert fill_rate(0, 100, 0, 2, 50) == 1.0
    assert fill_rate(-10, 100, 0, 2, 50) == pytest.approx(0.8)


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------
means = st.floats(0, 1e4)
sds = st.floats(0.01, 1e3)
leads = st.floats(0, 52)


@settings(max_examples=200, deadline=None)
@given(means, sds, leads, st.floats(0.01, 0.98), st.floats(0.001, 0.01))
def test_cycle_safety_stock_rises_with_service_level(d, sd, lt, level, step):
    low = safety_stock(d, sd, lt, service_level=level)
    high = safety_stock(d, sd, lt, service_level=level + step)
    assert high >= low


@settings(max_examples=200, deadline=None)
@given(means, sds, leads, st.floats(0.01, 5), st.floats(0.5, 0.999))
def test_safety_stock_rises_with_lead_time(d, sd, lt, extra, level):
    assert safety_stock(d, sd, lt + extra, service_level=level) >= safety_stock(
        d, sd, lt, service_level=level
    )


@settings(max_examples=200, deadline=None)
@given(means, sds, leads, st.floats(0.5, 0.98), st.floats(0.001, 0.01), st.floats(1, 1e4))
def test_fill_rate_safety_stock_rises_with_service_level(d, sd, lt, level, step, q):
    low = safety_stock(d, sd, lt, service_level=level, method="fill_rate", order_qty=q)
    high = safety_stock(d, sd, lt, service_level=level + step, method="fill_rate", order_qty=q)
    assert high >= low - 1e-9 * max(1.0, low)


@settings(max_examples=100, deadline=None)
@given(means, sds, leads, st.floats(0.5, 0.999), st.floats(1, 1e4), st.floats(0, 20))
def test_fill_rate_safety_stock_rises_with_lead_time(d, sd, lt, level, q, extra):
    low = safety_stock(d, sd, lt, service_level=level, method="fill_rate", order_qty=q)
    high = safety_stock(d, sd, lt + extra, service_level=level, method="fill_rate", order_qty=q)
    assert high >= low - 1e-9 * max(1.0, low)


# ---------------------------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"service_level": 1.2}, "service_level must be between 0 and 1; got 1.2"),
        ({"service_level": 0}, "service_level must be between 0 and 1; got 0"),
        ({"demand_sd": -5}, "demand_sd must be >= 0; got -5"),
        ({"lead_time": -1}, "lead_time must be >= 0; got -1"),
        ({"lead_time_sd": -0.5}, "lead_time_sd must be >= 0; got -0.5"),
        ({"review_period": -1}, "review_period must be >= 0; got -1"),
        ({"demand_mean": -1}, "demand_mean must be >= 0; got -1"),
        ({"lead_time": "abc"}, "lead_time must be numbers; got 'abc'"),
        (
            {"demand_sd": [1.0, float("nan")], "demand_mean": [1.0, 2.0]},
            "demand_sd must be a number; got a blank at position 2",
        ),
        (
            {"demand_sd": [1, 2, 3], "demand_mean": [1, 2]},
            "lengths must match: demand_mean has 2 values, demand_sd has 3 values",
        ),
        ({"method": "fill_rate"}, "order_qty is required for method 'fill_rate'; got a blank"),
        ({"method": "fill_rate", "order_qty": 0}, "order_qty must be > 0; got 0"),
        ({"method": "newsvendor"}, "method must be one of cycle, fill_rate; got 'newsvendor'"),
        (
            {"service_level": [0.9, 1.0], "demand_mean": [1, 2]},
            "service_level must be between 0 and 1; got 1 at position 2",
        ),
    ],
)
def test_safety_stock_refuses(kwargs, message):
    args = {"demand_mean": 100, "demand_sd": 20, "lead_time": 2} | kwargs
    with pytest.raises(SopError, match=f"^{message}$"):
        safety_stock(args.pop("demand_mean"), args.pop("demand_sd"), args.pop("lead_time"), **args)


def test_series_refusal_names_the_item():
    lead = pd.Series([1.0, -2.0], index=pd.Index(["A", "B"], name="Item"))
    with pytest.raises(SopError, match="^lead_time must be >= 0; got -2 at Item 'B'$"):
        safety_stock(100, 20, lead)


@pytest.mark.parametrize(
    "args, message",
    [
        ((1300, 8, 0, 0.2), "unit_cost must be > 0; got 0"),
        ((1300, 8, 1, -0.2), "holding_rate must be > 0; got -0.2"),
        ((-1, 8, 1, 0.2), "annual_demand must be >= 0; got -1"),
        ((1300, -8, 1, 0.2), "order_cost must be >= 0; got -8"),
    ],
)
def test_eoq_refuses(args, message):
    with pytest.raises(SopError, match=f"^{message}$"):
        eoq(*args)


def test_fill_rate_and_reorder_point_refuse():
    with pytest.raises(SopError, match="^order_qty must be > 0; got -1$"):
        fill_rate(10, 100, 20, 2, -1)
    with pytest.raises(SopError, match="^lead_time must be >= 0; got -3$"):
        reorder_point(100, -3, 10)
    with pytest.raises(SopError, match="^safety_stock must be numbers; got 'x'$"):
        reorder_point(100, 3, "x")


# ---------------------------------------------------------------------------------------------
# per-item functions for the cycle runner
# ---------------------------------------------------------------------------------------------
def _history():
    periods = pd.date_range("2024-01-01", periods=12, freq="MS")
    seasonal = 100 + 50 * np.sin(np.arange(12) / 12 * 2 * np.pi)
    actuals = pd.DataFrame({"item": "A", "period": periods, "qty": seasonal.round()})
    forecasts = actuals.assign(qty=actuals["qty"] + np.tile([5, -5], 6))
    return actuals, forecasts


def test_forecast_rmse():
    actuals, forecasts = _history()
    result = forecast_rmse(actuals, forecasts)
    assert result.loc["A", "rmse"] == pytest.approx(5.0)
    assert result.loc["A", "pairs"] == 12


def test_demand_variability_prefers_forecast_error_when_enough_pairs():
    actuals, forecasts = _history()
    with_error = demand_variability(actuals, forecasts=forecasts)
    assert with_error.loc["A", "sigma_source"] == "forecast_error"
    assert with_error.loc["A", "sigma"] == pytest.approx(5.0)
    # the seasonal swing is not uncertainty: its sd is far larger than the forecast error
    assert with_error.loc["A", "sd"] > 30
    few = demand_variability(actuals, forecasts=forecasts.head(3))
    assert few.loc["A", "sigma_source"] == "demand_sd"
    assert few.loc["A", "sigma"] == pytest.approx(actuals["qty"].std())


def test_demand_variability_fills_missing_months_with_zero():
    actuals = pd.DataFrame(
        {
            "item": ["B", "B"],
            "period": pd.to_datetime(["2024-01-01", "2024-03-01"]),
            "qty": [30.0, 60.0],
        }
    )
    row = demand_variability(actuals).loc["B"]
    assert row["mean"] == pytest.approx(30.0)
    assert row["sd"] == pytest.approx(30.0)


def test_item_safety_stock_over_items_table():
    items = pd.DataFrame(
        {
            "Item": ["A", "B", "C"],
            "LeadTime": [1, 4, 2],
            "LeadTimeSD": [None, 1, 0],
            "ServiceLevel": [None, 0.99, None],
            "LotSize": [None, 500, None],
        }
    )
    variability = pd.DataFrame(
        {
            "mean": [100.0, 100.0],
            "sigma": [20.0, 20.0],
            "sigma_source": ["demand_sd", "forecast_error"],
        },
        index=["A", "B"],
    )
    out = item_safety_stock(items, variability, service_level=0.95)
    assert out.loc["A", "SafetyStock"] == pytest.approx(stats.norm.ppf(0.95) * 20)
    assert out.loc["B", "SafetyStock"] == pytest.approx(
        stats.norm.ppf(0.99) * math.sqrt(4 * 400 + 100**2)
    )
    assert out.loc["C", "SafetyStock"] == 0.0 and out.loc["C", "SigmaSource"] == "no demand"
    assert out.loc["B", "ReorderPoint"] == pytest.approx(400 + out.loc["B", "SafetyStock"])
    fill = item_safety_stock(items, variability, method="fill_rate", service_level=0.98)
    assert fill_rate(
        fill.loc["B", "SafetyStock"], 100, 20, 4, 500, lead_time_sd=1
    ) == pytest.approx(0.99, abs=1e-9)


def test_item_safety_stock_refuses_bad_rows():
    items = pd.DataFrame({"Item": ["A", "B"], "LeadTime": [1, -4]})
    with pytest.raises(SopError, match="^LeadTime must be >= 0; got -4 at Item 'B'$"):
        item_safety_stock(items, pd.DataFrame({"mean": [1.0], "sigma": [1.0]}, index=["A"]))
    items = pd.DataFrame({"Item": ["A"], "LeadTime": [1], "ServiceLevel": [1.5]})
    with pytest.raises(
        SopError, match="^ServiceLevel must be between 0 and 1; got 1.5 at Item 'A'$"
    ):
        item_safety_stock(items, pd.DataFrame({"mean": [1.0], "sigma": [1.0]}, index=["A"]))
    with pytest.raises(SopError, match="^items must have columns Item and LeadTime$"):
        item_safety_stock(pd.DataFrame({"Item": ["A"]}), pd.DataFrame())
