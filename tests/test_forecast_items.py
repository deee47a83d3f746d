"""Per-item safety stock from each item's forecast errors (sop_xl.inventory.forecast_items)."""

import numpy as np
import pandas as pd
import pytest

from sop_xl.forecast import forecast_errors
from sop_xl.inventory.forecast_items import with_forecast_errors
from sop_xl.inventory.uncertainty import forecast_safety_stock


def _policy(items):
    n = len(items)
    return pd.DataFrame(
        {"DemandMean": [100.0] * n, "Sigma": [20.0] * n, "SigmaSource": ["demand_sd"] * n,
         "LeadTime": [2.0] * n, "LeadTimeSD": [0.5] * n, "ServiceLevel": [0.9] * n,
         "SafetyStock": [51.3] * n, "ReorderPoint": [251.3] * n},
        index=pd.Index(items, name="Item"),
    )  # fmt: skip


def test_items_with_history_get_the_stock_of_their_own_errors():
    rng = np.random.default_rng(0)
    grid = pd.DataFrame(np.nan, index=["LONG", "SHORT"], columns=range(36))
    grid.loc["LONG"] = rng.normal(100, 20, 36)
    grid.loc["SHORT", 31:] = [90.0, 110, 95, 105, 100]  # 5 periods: too short for 2 origins
    out = with_forecast_errors(_policy(["LONG", "SHORT", "NONE"]), grid, method="ses",
                               season_length=1)  # fmt: skip
    errors = forecast_errors(grid.loc["LONG"].to_numpy(), 2, method="ses", season_length=1)
    stock = forecast_safety_stock(errors, 100.0, 2.0, lead_time_sd=0.5, service_level=0.9)
    assert out.loc["LONG", "SafetyStock"] == pytest.approx(stock)
    assert out.loc["LONG", "ReorderPoint"] == pytest.approx(200.0 + stock)
    assert out.loc["LONG", "SigmaSource"] == "forecast_errors"
    # the others keep their rows
    pd.testing.assert_frame_equal(out.loc[["SHORT", "NONE"]], _policy(["SHORT", "NONE"]))
