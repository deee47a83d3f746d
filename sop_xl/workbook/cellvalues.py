"""What a cell holds when sop-xl writes it: a blank, a number, a date, text or a formula.

A plain ``str`` is always text, whatever it starts with: an item named ``=HYPERLINK(...)`` or a
comment ``=1+1`` stays text in the workbook (issue 10, formula injection). A formula is written
only on purpose, as a :class:`Formula` (the KPI Status cells, the totals above a table, a
user's formula moved with its row). Both gateways carry out this rule: the file gateway sets
openpyxl's data type to text, the live gateway prefixes the text Excel would reinterpret with
``'`` (see :func:`needs_quote`).

Examples
--------
>>> cell_value(float("nan")) is None
True
>>> isinstance(cell_value(Formula("=SUM(A1:A3)")), Formula)
True
>>> needs_quote("=cmd|' /C calc'!A0"), needs_quote("2026-01"), needs_quote("GA-101")
(True, True, False)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

# text Excel would turn into a number, date, time, boolean, error or formula when written as a
# value (as it does when a user types it)
_NUMBER = re.compile(r"^\s*[-+]?[\d.,]+(e[-+]?\d+)?\s*%?\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?(\s.*)?$|^\s*\d{1,2}:\d{2}")
FORMULA_START = ("=", "+", "-", "@")
_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")
_BOOLEANS = ("TRUE", "FALSE")


class Formula(str):
    """A cell formula written on purpose, text starting with ``=``.

    Parameters
    ----------
    text : str
        The formula as Excel shows it in the formula bar (``'=SUBTOTAL(109,H5:H7)'``).

    Raises
    ------
    ValueError
        When ``text`` does not start with ``=``.

    Examples
    --------
    >>> Formula("=H5*2")
    Formula('=H5*2')
    >>> Formula("H5*2")
    Traceback (most recent call last):
    ...
    ValueError: a formula starts with '='; got 'H5*2'
    """

    __slots__ = ()

    def __new__(cls, text: str) -> Formula:
        if not isinstance(text, str) or not text.startswith("="):
            raise ValueError(f"a formula starts with '='; got {text!r}")
        return super().__new__(cls, text)

    def __repr__(self) -> str:
        return f"Formula({str.__repr__(self)})"


def cell_value(value: Any) -> Any:
    """``value`` (pandas, numpy or Python) as a cell holds it.

    Returns None (a blank: also NaN, NaT, infinities), ``bool``, ``int``, ``float``,
    ``datetime.date``/``datetime.datetime``, :class:`Formula`, or ``str`` (text); anything else
    becomes its text.
    """
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (str, int, float, bool, dt.date, dt.datetime)):
        return value
    return str(value)


def needs_quote(text: str) -> bool:
    """True when Excel would not keep ``text`` as text if it were written as a cell value.

    Excel reads a value written to a cell as if a user typed it: ``2026-01`` becomes a date,
    ``0012`` the number 12, ``TRUE`` a boolean, ``#N/A`` an error and ``=...`` (or ``+``,
    ``-``, ``@``) a formula. Such text is written with a leading ``'``.
    """
    if not text:
        return False
    return bool(
        text.startswith(FORMULA_START)
        or _NUMBER.match(text)
        or _DATE.match(text)
        or text.strip().upper() in _BOOLEANS
        or text.strip().upper() in _ERRORS
    )
