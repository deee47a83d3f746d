"""Plan periods as the workbook shows them: the names of :mod:`sop_xl.periods`, re-exported.

The period model (one :class:`~sop_xl.periods.PeriodGrid` for labels, parsing and periods per
year) is core code; workbook modules keep importing these names from here.
"""

from sop_xl.periods import (
    PeriodGrid,
    grid_of,
    is_bucket_label,
    is_period_label,
    parse_period,
    period_label,
    period_range,
)

__all__ = [
    "PeriodGrid",
    "grid_of",
    "is_bucket_label",
    "is_period_label",
    "parse_period",
    "period_label",
    "period_range",
]
