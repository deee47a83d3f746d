"""The S&OP cycle: the steps from actuals to KPIs, and the runner that applies them to a book.

Use :func:`run_cycle`::

    from sop_xl.cycle import run_cycle
    from sop_xl.workbook.book import open_book

    report = run_cycle(open_book("plan.xlsx"))             # the whole cycle, saved
    report = run_cycle(book, ["supply"])                    # one step (ribbon button)

Steps, in order (:data:`STEPS`): forecast, demand, supply, capacity, finance, reconcile, kpis.
Each step is a pure function of DataFrames in :mod:`sop_xl.cycle` (``forecasting``,
``demand``, ``supply_plan``, ``capacity``, ``finance``, ``reconciliation``, ``kpis``); only
:mod:`sop_xl.cycle.runner` touches the workbook.
"""

from sop_xl.cycle.runner import OUTPUTS, STEPS, CycleReport, run_cycle, step_names

__all__ = ["OUTPUTS", "STEPS", "CycleReport", "run_cycle", "step_names"]
