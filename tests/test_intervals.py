"""Prediction intervals from rolling-origin errors (sop_xl.forecast.intervals)."""

import numpy as np
import pytest

from sop_xl.forecast import forecast, forecast_errors, forecast_levels
from sop_xl.forecast.intervals import (
    horizon_errors,
    intermittent_interval,
    multiplier,
    origins,
    rolling_errors,
)


def test_the_point_forecast_is_the_same_with_an_interval():
    y = 100 + 10 * np.sin(np.arange(40) / 2) + np.random.default_rng(0).normal(0, 3, 40)
    assert forecast(y, 6).mean.tolist() == forecast(y, 6, level=0.9).mean.tolist()


def test_an_exact_line_gets_a_narrow_interval_around_the_next_value():
    """Issue 15: the 90% interval one period ahead of 1..39 was 21-59; the next value is 40."""
    f = forecast(range(1, 40), 6, level=0.9)
    assert f.lower[0] <= 40 <= f.upper[0]
    assert f.upper[0] - f.lower[0] < 1.5  # was 38
    assert (f.upper - f.lower < 6).all()


def test_a_constant_history_gets_a_zero_width_interval():
    f = forecast([7.0] * 30, 4, level=0.95)
    np.testing.assert_allclose(f.lower, 7.0, atol=1e-9)
    np.testing.assert_allclose(f.upper, 7.0, atol=1e-9)


def test_intervals_widen_with_the_lead_on_a_random_walk():
    y = 100 + np.cumsum(np.random.default_rng(3).normal(0, 5, 60))
    f = forecast(y, 12, method="ses", level=0.8, season_length=1)
    width = f.upper - f.lower
    assert (np.diff(width) >= -1e-9).all()
    assert width[-1] > 2 * width[0]


def test_the_lower_bound_is_cut_at_zero():
    y = np.abs(np.random.default_rng(4).normal(3, 4, 36))
    f = forecast(y, 6, method="ses", level=0.95, season_length=1)
    assert (f.lower >= 0).all() and (f.lower == 0).any()


def test_several_levels_cost_one_set_of_errors_and_match_single_calls():
    y = 50 + np.random.default_rng(5).normal(0, 5, 30)
    many = forecast_levels(y, 3, levels=[0.8, 0.95], method="ses", season_length=1)
    one = forecast(y, 3, method="ses", level=0.95, season_length=1)
    np.testing.assert_allclose(many[1].upper, one.upper)
    assert (many[0].upper < many[1].upper).all()


def test_rolling_errors_are_actual_minus_forecast_from_each_origin():
    def last(y, h):
        return np.repeat(y[-1], h)

    errors = rolling_errors(np.array([1.0, 2, 4, 7, 11, 16, 22]), 2, last, count=2)
    # origins 3 and 1 periods before the end: from 7, then from 16
    assert origins(7, 2, count=2).tolist() == [3, 1]
    np.testing.assert_array_equal(errors, [[4.0, 9.0], [6.0, np.nan]])


def test_spread_of_white_noise_errors_is_flat_and_sums_like_independent_ones():
    rng = np.random.default_rng(6)
    y = rng.normal(100, 10, 400)

    def mean_of_history(h, k):
        return np.repeat(h.mean(), k)

    e = horizon_errors(y, 6, mean_of_history, count=60)
    assert 8 < e.sd[0] < 12.5 and e.sd[-1] < 1.3 * e.sd[0]
    # the sum of 4 independent errors of sd ~10 has sd ~20
    assert 15 < e.over(4) < 25
    # 60 origins 60, 59, ..., 1 periods before the end; 57 of them see step 4
    assert e.dof(4) == 57


def test_forecast_errors_checks_its_options():
    with pytest.raises(ValueError, match="horizon must be a whole number of at least 1; got 0"):
        forecast_errors([1.0, 2.0, 3.0], 0)


def test_multiplier_is_students_t_with_as_many_degrees_of_freedom_as_origins():
    # t_6.ppf(0.95) = 1.943 (any t table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)
    assert multiplier(0.9) == pytest.approx(1.943, abs=1e-3)


def _counts(rng, n):
    """Compound Bernoulli-Poisson counts: demand in 25% of periods, size 1 + Poisson(3)."""
    return (rng.random(n) < 0.25) * (1 + rng.poisson(3, n))


@pytest.mark.parametrize("level", [0.8, 0.9])
def test_intermittent_bounds_are_counts_seen_and_cover_like_the_true_quantiles(level):
    """400 simulated items: the bounds are counts from the history, and cover the next six
    periods as often as the process's own quantiles do (a discrete distribution cannot be
    cut at exactly 80%, so the target is the true quantiles' coverage, not the level)."""
    rng = np.random.default_rng(7)
    tail = (1 - level) / 2
    truth = np.quantile(_counts(rng, 200_000), [tail, 1 - tail], method="inverted_cdf")
    ours = true = 0
    futures = []
    for _ in range(400):
        y = _counts(rng, 54).astype(float)
        lower, upper = intermittent_interval(y[:48], np.full(6, 1.0), level)  # true mean 1.0
        assert set(np.r_[lower, upper]) <= set(np.r_[0.0, y[:48]])  # whole counts seen
        ours += ((y[48:] >= lower) & (y[48:] <= upper)).sum()
        futures.append(y[48:])
    future = np.concatenate(futures)
    true = ((future >= truth[0]) & (future <= truth[1])).mean()
    assert true >= level  # the quantile of a discrete distribution covers at least the level
    assert abs(ours / future.size - true) <= 0.03


def test_auto_on_intermittent_demand_gives_count_bounds():
    y = np.array([0, 3, 0, 0, 2, 0, 0, 0, 5, 0, 3, 0, 0, 2, 0, 0, 4, 0, 0, 0, 3, 0, 0, 2.0])
    f = forecast(y, 4, level=0.9)
    assert f.method in {"croston", "sba", "tsb"}
    assert (f.lower == 0).all() and set(f.upper) <= set(y)
