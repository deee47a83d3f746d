"""sop-xl: Sales & Operations Planning for Excel, in Python.

The calculation core (``forecast``, ``inventory``, ``supply``, ``reconcile``, ``kpi``) is pure
numpy/pandas; the Excel adapters (``udfs/sop_udfs.py``, ``macros``, ``workbook``) and the
command line (``cli``) sit on top of it.
"""

from importlib.metadata import PackageNotFoundError, version

from sop_xl.errors import SopError

try:
    __version__ = version("sop-xl")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = ["SopError", "__version__"]
