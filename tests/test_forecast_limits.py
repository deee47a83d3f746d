"""Issue 10 §5: bounded time and memory in a cell: a documented horizon limit and history window."""

import time

import numpy as np
import pytest

from sop_udfs import sop_forecast, sop_forecast_interval, sop_forecast_table
from sop_xl.forecast import forecast
from sop_xl.forecast.history import MAX_HISTORY, MAX_HORIZON


def test_a_huge_horizon_is_refused_in_a_cell_not_allocated():
    assert (
        sop_forecast([1, 2, 3, 4], 1e9)
        == "#SOP! horizon must be at most 1,000 periods; got 1000000000"
    )
    assert sop_forecast_interval([1, 2, 3, 4], 1001).startswith(
        "#SOP! horizon must be at most 1,000"
    )
    table = [["Item", "Period", "Qty"], ["A", "2024-01", 5], ["A", "2024-02", 6]]
    assert (
        sop_forecast_table(table, 5000) == "#SOP! horizon must be at most 1,000 periods; got 5000"
    )
    assert len(sop_forecast([1, 2, 3, 4], MAX_HORIZON)) == MAX_HORIZON


def test_a_long_history_is_forecast_from_its_most_recent_periods_quickly():
    rng = np.random.default_rng(7)
    old = rng.poisson(500, 29_400).astype(float)  # a level long gone
    recent = rng.poisson(50, MAX_HISTORY).astype(float)
    started = time.perf_counter()
    cell = sop_forecast(list(np.concatenate([old, recent])), 3)
    seconds = time.perf_counter() - started
    assert seconds < 60  # was about 4 minutes; generous for a loaded machine
    expected = forecast(recent, 3).mean
    assert [row[0] for row in cell] == pytest.approx(expected.tolist())
    assert all(40 < row[0] < 60 for row in cell)
