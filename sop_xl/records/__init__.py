"""Plan records (issue 6): the calculations behind lag accuracy, FVA, scenarios and cycle time.

Pure pandas, no workbook: :mod:`~sop_xl.records.accuracy` (lag-n WAPE, bias, FVA),
:mod:`~sop_xl.records.scenarios` (what-if levers, comparison), :mod:`~sop_xl.records.cycletime`
and :mod:`~sop_xl.records.indicators` (the records' KPI rows). The workbook actions that keep
the records (snapshot, roll forward) are transactions of the cycle:
:mod:`sop_xl.cycle.actions`.
"""
