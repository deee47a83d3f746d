"""Safety stock from the forecast's per-horizon errors, checked by simulation.

The large runs (all four demand processes, auto) are in benchmarks/safety_stock_simulation.py;
here the normal and gamma cases run small enough to be fast.
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from sop_xl.errors import SopError
from sop_xl.forecast import forecast_errors
from sop_xl.inventory.simulation import (
    PlannedLevels,
    order_up_to_levels,
    plan_reviews,
    simulate_order_up_to,
)
from sop_xl.inventory.uncertainty import (
    equivalent_demand_sd,
    forecast_safety_stock,
    gamma_loss,
    lead_time_sigma,
)

LEAD_TIME, REVIEW, HISTORY = 2, 1, 60
TARGETS = (0.90, 0.95, 0.98)


class Summed:
    """Errors whose sum over any number of periods has a given sd (test double)."""

    def __init__(self, sd, dof=10**6):
        self.sd, self.degrees = sd, dof

    def over(self, periods):
        return self.sd

    def dof(self, periods):
        return self.degrees


# ---------------------------------------------------------------------------------------------
# the formulas
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, scale, stock", [(2.0, 50.0, 150.0), (9.0, 3.0, 20.0)])
def test_gamma_loss_is_the_expected_shortage(shape, scale, stock):
    expected = integrate.quad(
        lambda x: (x - stock) * stats.gamma.pdf(x, shape, scale=scale), stock, np.inf
    )[0]
    assert gamma_loss(stock, shape, scale) == pytest.approx(expected, rel=1e-7)


def test_low_variability_gives_the_normal_safety_stock():
    """A gamma with mean 1,000 and sd 30 is nearly the normal: SS = z * sigma = 1.645 * 30,
    plus its slight skew (2 * cv = 0.06; Cornish-Fisher: z + (z^2 - 1) * 0.06 / 6 = 1.662)."""
    stock = forecast_safety_stock(Summed(30.0), 500, 1, review_period=1, service_level=0.95)
    assert stock == pytest.approx(1.662 * 30, rel=1e-3)


def test_safety_stock_rises_with_the_service_level_and_the_error():
    levels = [forecast_safety_stock(Summed(40.0, 5), 100, 2, service_level=s)
              for s in (0.8, 0.9, 0.95, 0.99)]  # fmt: skip
    assert np.all(np.diff(levels) > 0)
    assert forecast_safety_stock(Summed(60.0, 5), 100, 2) > forecast_safety_stock(
        Summed(40.0, 5), 100, 2
    )


def test_a_few_errors_widen_the_stock_like_students_t():
    many = forecast_safety_stock(Summed(30.0), 1000, 2, service_level=0.95)
    few = forecast_safety_stock(Summed(30.0, 5), 1000, 2, service_level=0.95)
    # t_5.ppf(0.95) / z(0.95) = 2.015 / 1.645 (mean 2,000: close to normal)
    assert few / many == pytest.approx(2.015 / 1.645, rel=0.01)


def test_the_spread_has_the_degrees_of_freedom_of_its_fit():
    """spread_dof against a direct check: refit the forecast module's own estimator
    (HorizonErrors.over) to independent normal errors on the same origins, 800 times (another
    seed), and take 2 E[V]^2 / Var[V] of the fitted variance over L + R = 3."""
    import dataclasses

    from sop_xl.inventory.uncertainty import spread_dof

    errors = forecast_errors(np.random.default_rng(3).normal(100, 20, 80), 3, method="ses")
    seen = np.isfinite(errors.errors)
    rng = np.random.default_rng(99)
    fitted = []
    for _ in range(800):
        draw = np.where(seen, rng.standard_normal(seen.shape), np.nan)
        fitted.append(dataclasses.replace(errors, errors=draw).over(3) ** 2)
    direct = 2 * np.mean(fitted) ** 2 / np.var(fitted)
    assert errors.dof(3) == 5  # origins that saw all 3 steps
    assert spread_dof(errors, 3) == pytest.approx(direct, rel=0.12)
    assert spread_dof(errors, 3) == pytest.approx(6.0, abs=0.3)
    assert spread_dof(Summed(30.0, 5), 3) == 5  # a double without a table keeps its dof


def test_lead_time_variability_adds_as_before():
    # sqrt(30^2 + (100 * 0.4)^2) = 50 (the formula of policy.lead_time_demand_sd)
    assert lead_time_sigma(Summed(30.0), 100, 2, lead_time_sd=0.4, review_period=1) == 50.0


def test_exact_forecasts_need_no_safety_stock():
    errors = forecast_errors(np.arange(1.0, 40.0), 6, method="holt", season_length=1)
    assert forecast_safety_stock(errors, 40, 2, review_period=1) == pytest.approx(0, abs=1e-6)


def test_equivalent_sd_reproduces_the_normal_formula():
    """Put it where the cycle runner puts a demand sd: z * sqrt(L + R) * sd = t * sd_e."""
    sd = equivalent_demand_sd(Summed(30.0, 5), 2, 1, service_level=0.95)
    assert 1.6449 * math.sqrt(3) * sd == pytest.approx(2.015 * 30, rel=1e-3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lead_time": -1}, "lead_time must be >= 0; got -1"),
        ({"service_level": 1.2}, "service_level must be between 0 and 1; got 1.2"),
        ({"method": "fill_rate"}, "order_qty must be > 0 for method 'fill_rate'; got None"),
        ({"method": "magic"}, "method must be one of cycle, fill_rate; got 'magic'"),
        ({"lead_time_sd": -0.5}, "lead_time_sd must be >= 0; got -0.5"),
    ],
)
def test_bad_input_is_refused_by_name(kwargs, message):
    args = {"lead_time": 2, **kwargs}
    with pytest.raises(SopError, match=message):
        forecast_safety_stock(Summed(10.0), 100, **args)


# ---------------------------------------------------------------------------------------------
# the policy
# ---------------------------------------------------------------------------------------------
def test_a_higher_order_up_to_level_never_serves_worse():
    demand = np.random.default_rng(2).gamma(2.0, 50.0, 300)
    outcomes = [simulate_order_up_to(demand, np.full(300, s), lead_time=2)
                for s in (250, 300, 350, 450)]  # fmt: skip
    assert np.all(np.diff([o.cycle_service for o in outcomes]) >= 0)
    assert np.all(np.diff([o.fill_rate for o in outcomes]) >= 0)
    assert outcomes[-1].cycles == 297  # 300 periods less the L + R before an order can arrive


def test_order_up_to_level_is_forecast_plus_safety_stock():
    plan = PlannedLevels(*np.array([[300.0], [100.0], [30.0], [10**6], [30.0]]))
    level = order_up_to_levels(plan, lead_time=2, service_level=0.95)
    stock = forecast_safety_stock(Summed(30.0), 100, 2, review_period=1)
    assert level[0] == pytest.approx(300 + stock)
    fill = order_up_to_levels(plan, lead_time=2, service_level=0.95, method="fill_rate")
    stock = forecast_safety_stock(Summed(30.0), 100, 2, review_period=1, method="fill_rate",
                                  service_level=0.95, order_qty=100)  # fmt: skip
    assert fill[0] == pytest.approx(300 + stock)


# ---------------------------------------------------------------------------------------------
# the simulation: forecast -> safety stock -> order-up-to policy, normal and gamma demand
# ---------------------------------------------------------------------------------------------
def _demand(kind, rng, n):
    return rng.normal(100, 20, n) if kind == "normal" else rng.gamma(2.0, 50.0, n)


ITEMS, PERIODS = 6, 400


@pytest.fixture(scope="module", params=["normal", "gamma"])
def simulated(request):
    """6 items x 400 reviews with simple exponential smoothing (the method for level demand),
    the errors refitted every 12 reviews."""
    rng = np.random.default_rng(11)
    runs = []
    for _ in range(ITEMS):
        path = _demand(request.param, rng, HISTORY + PERIODS)
        plan = plan_reviews(path, HISTORY, lead_time=LEAD_TIME, method="ses", season_length=1,
                            refresh=12)  # fmt: skip
        runs.append((path[HISTORY:], plan))
    return request.param, runs


def _realised(runs, target, method):
    """Per item: (cycle service, fill rate) of the policy set for ``target``."""
    rows = []
    for future, plan in runs:
        levels = order_up_to_levels(plan, lead_time=LEAD_TIME, service_level=target, method=method)
        out = simulate_order_up_to(future, levels, lead_time=LEAD_TIME)
        rows.append((out.cycle_service, out.fill_rate))
    return np.array(rows)


def _within(rates, target):
    """The issue's 1.5 points, plus twice the standard error of the mean over the items.

    Items differ (each has its own demand and its own fitted smoothing), so the simulation's
    own uncertainty is the spread between items (about 1 point here, so a standard error of
    about 0.4 over 6 items), not the binomial error of the cycles. Measured with 12 items x
    600 periods in benchmarks/safety_stock_simulation.py.
    """
    error = rates.std(ddof=1) / math.sqrt(rates.size)
    return abs(rates.mean() - target) <= 0.015 + 2 * error


@pytest.mark.parametrize("target", TARGETS)
def test_realised_cycle_service_meets_the_target(simulated, target):
    kind, runs = simulated
    service = _realised(runs, target, "cycle")[:, 0]
    assert _within(service, target), (kind, service.mean())


@pytest.mark.parametrize("target", TARGETS)
def test_realised_fill_rate_meets_the_target(simulated, target):
    kind, runs = simulated
    fill = _realised(runs, target, "fill_rate")[:, 1]
    assert _within(fill, target), (kind, fill.mean())
