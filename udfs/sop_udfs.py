"""sop-xl's Excel functions (xlwings UDF module; xlwings setting ``UDF_MODULES = sop_udfs``).

Thin wrappers only: each function reads its arguments through :mod:`sop_xl.cells`, calls the
calculation core, and shapes the result for the sheet. :func:`sop_xl.cells.boundary` turns bad
input into ``#SOP! ...`` cell text. Range arguments are declared ``ndim=2, err_to_str=True`` so
that desktop Excel hands error cells over as text and the boundary refuses them. The docstring
of each function is the help text Excel shows.
"""

from __future__ import annotations

import xlwings as xw

import sop_xl
from sop_xl import cells

RANGE = {"ndim": 2, "err_to_str": True}


@xw.func
@cells.boundary
def sop_version():
    """The version of the sop-xl add-in."""
    return sop_xl.__version__


# ---------------------------------------------------------------------------------------------
# forecasting and accuracy (sop_xl.forecast)
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# inventory and supply (sop_xl.inventory, sop_xl.supply, sop_xl.reconcile)
# ---------------------------------------------------------------------------------------------
