"""Plan records (issue 6): snapshots, roll forward, lag accuracy and FVA, scenarios, audit.

Workbook actions (each validates, reads, computes, then writes, logs and saves; on bad input
it raises :class:`~sop_xl.errors.SopError` and writes nothing):

- :func:`snapshot`: archive the cycle's plans into tblHistory (replacing that cycle's rows);
- :func:`roll_forward`: start the next cycle.

Calculations (pure pandas): :mod:`~sop_xl.records.accuracy` (lag-n WAPE, bias, FVA),
:mod:`~sop_xl.records.scenarios` (what-if levers, comparison), :mod:`~sop_xl.records.cycletime`.
"""

from typing import Any

__all__ = ["RecordResult", "roll_forward", "snapshot"]


def __getattr__(name: str) -> Any:
    # lazy: the cycle runner imports sop_xl.records.hooks, and the actions import the cycle
    if name in __all__:
        from sop_xl.records import actions

        return getattr(actions, name)
    raise AttributeError(f"module 'sop_xl.records' has no attribute {name!r}")
