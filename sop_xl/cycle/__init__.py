"""The S&OP cycle: the steps from actuals to KPIs, and the actions that apply them to a book.

Use :func:`run_cycle`::

    from sop_xl.cycle import run_cycle
    from sop_xl.workbook.book import open_book

    report = run_cycle(open_book("plan.xlsx"))             # the whole cycle, saved
    report = run_cycle(book, ["supply"])                    # one step (ribbon button)

Steps, in order (:data:`STEPS`): forecast, demand, supply, capacity, finance, reconcile, kpis,
declared once in :mod:`sop_xl.cycle.steps` (what each reads and writes). Each computes with a
pure function of DataFrames (``forecasting``, ``demand``, ``supply_plan``, ``capacity``,
``finance``, ``reconciliation``, ``kpis``). Every action on a workbook (the cycle, a step,
:func:`snapshot`, :func:`roll_forward`) is one transaction (:mod:`sop_xl.cycle.transaction`).
"""

from sop_xl.cycle.actions import RecordResult, roll_forward, snapshot
from sop_xl.cycle.runner import CycleReport, run_cycle
from sop_xl.cycle.steps import OUTPUTS, STEPS, step_names

__all__ = [
    "OUTPUTS",
    "STEPS",
    "CycleReport",
    "RecordResult",
    "roll_forward",
    "run_cycle",
    "snapshot",
    "step_names",
]
