"""What the cycle runner calls from the records (two hooks, so the runner stays small).

- :func:`kpi_records` in the kpis step: lag accuracy, FVA, cycle time and overdue decisions;
- :func:`scenario_compare` in the reconcile step: tblScenarios against the base plan.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sop_xl.cycle.inputs import CycleInputs
from sop_xl.records.cells import start_steps
from sop_xl.records.indicators import RecordKPIs, record_kpis, typed_decisions
from sop_xl.records.scenarios import COLUMNS
from sop_xl.records.whatif import scenario_table
from sop_xl.workbook.book import Book


def kpi_records(book: Book, inputs: CycleInputs, decisions: pd.DataFrame | None) -> RecordKPIs:
    """The records' KPI rows, tblFVA and tblForecastAccuracy for this cycle."""
    steps, _ = start_steps(book)
    return record_kpis(
        inputs.history,
        inputs.actuals,
        inputs.items,
        freq=inputs.freq,
        cycle_start=inputs.periods[0],
        steps=steps,
        decisions=typed_decisions(decisions),
    )


def scenario_compare(
    inputs: CycleInputs,
    scenarios: pd.DataFrame | None,
    earlier: Callable[[str], pd.DataFrame],
    supply_table: pd.DataFrame,
) -> pd.DataFrame:
    """tblScenarioCompare (no rows without scenarios); ``earlier(name)`` gives a plan table."""
    if scenarios is None or scenarios.dropna(how="all").empty:
        return pd.DataFrame(columns=COLUMNS)
    return scenario_table(
        inputs, scenarios, earlier("tblDemandPlan"), earlier("tblForecast"), supply_table
    )
