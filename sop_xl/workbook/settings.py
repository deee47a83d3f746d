"""tblSettings as typed values: each key of :data:`schema.SETTINGS` parsed and checked.

A blank or missing key takes its default. Keys the user adds are kept as they are. A number
setting must be a finite number (the text ``nan`` or ``inf`` is refused, not read as a blank);
a period setting must fall in the years of :data:`schema.PERIOD_YEARS`.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sop_xl.cells import is_blank
from sop_xl.errors import SopError, show
from sop_xl.workbook.periods import parse_period
from sop_xl.workbook.schema import PERIOD_YEARS, SETTING_BY_KEY, SETTINGS, Setting


def _number(setting: Setting, value: Any) -> float:
    given = value
    if isinstance(value, bool):
        raise SopError(f"setting {setting.key} must be a number; got {show(value)}")
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        scale = 0.01 if text.endswith("%") else 1.0
        try:
            value = float(text.rstrip("%")) * scale
        except ValueError:
            raise SopError(f"setting {setting.key} must be a number; got {show(value)}") from None
    if not isinstance(value, (int, float)):
        raise SopError(f"setting {setting.key} must be a number; got {show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise SopError(f"setting {setting.key} must be a number; got {show(given)}")
    low, high = setting.low, setting.high
    if (low is not None and number < low) or (high is not None and number > high):
        raise SopError(
            f"setting {setting.key} must be between {low:g} and {high:g}; got {show(value)}"
        )
    return number


def parse_setting(setting: Setting, value: Any, period_type: str = "Month") -> Any:
    """The typed value of one setting; blank gives the default.

    >>> parse_setting(SETTING_BY_KEY["Horizon"], "12")
    12
    >>> parse_setting(SETTING_BY_KEY["ServiceLevel"], "97.5%")
    0.975
    >>> parse_setting(SETTING_BY_KEY["Strategy"], "Level")
    'level'
    >>> parse_setting(SETTING_BY_KEY["Horizon"], 2.5)
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: setting Horizon must be a whole number; got 2.5
    >>> parse_setting(SETTING_BY_KEY["DSO"], "nan")
    Traceback (most recent call last):
    ...
    sop_xl.errors.SopError: setting DSO must be a number; got 'nan'
    """
    if is_blank(value):
        return setting.default
    if setting.kind == "int":
        number = _number(setting, value)
        if number != int(number):
            raise SopError(f"setting {setting.key} must be a whole number; got {show(value)}")
        return int(number)
    if setting.kind == "float":
        return _number(setting, value)
    if setting.kind == "choice":
        text = str(value).strip()
        for choice in setting.choices:
            if choice.lower() == text.lower():
                return choice
        raise SopError(
            f"setting {setting.key} must be one of {', '.join(setting.choices)}; got {show(value)}"
        )
    if setting.kind == "period":
        try:
            period = parse_period(value, period_type)
        except SopError as exc:
            raise SopError(f"setting {setting.key}: {exc}") from None
        first, last = PERIOD_YEARS
        if not first <= period.year <= last:
            raise SopError(
                f"setting {setting.key} must be a period in the years {first} to {last}; "
                f"got {show(value)}"
            )
        return period
    return str(value).strip()


def parse_settings(frame: pd.DataFrame) -> tuple[dict[str, Any], list[tuple[Any, str, Any, str]]]:
    """Typed settings and the problems met: (Excel row, key, value, message) each.

    ``frame`` is tblSettings as read (columns Key, Value; index = Excel rows). A bad value
    leaves the default in place and is reported.
    """
    values: dict[str, Any] = {s.key: s.default for s in SETTINGS}
    problems: list[tuple[Any, str, Any, str]] = []
    raw: dict[str, tuple[Any, Any]] = {}  # known key -> (Excel row, value)
    seen: set[str] = set()
    for row, record in frame.iterrows():
        key = record.get("Key")
        if is_blank(key):
            continue
        key = str(key).strip()
        value = record.get("Value")
        if key.lower() in seen:
            problems.append((row, key, value, f"setting {key} appears twice"))
            continue
        seen.add(key.lower())
        known = next((k for k in SETTING_BY_KEY if k.lower() == key.lower()), None)
        if known is None:
            values[key] = None if is_blank(value) else value
        else:
            raw[known] = (row, value)
    # PeriodType first: it decides how CycleStart is read
    order = sorted(raw, key=lambda k: k != "PeriodType")
    for key in order:
        row, value = raw[key]
        try:
            values[key] = parse_setting(SETTING_BY_KEY[key], value, values["PeriodType"])
        except SopError as exc:
            problems.append((row, key, value, str(exc)))
    if values["ABC_A"] > values["ABC_B"]:
        problems.append((None, "ABC_B", values["ABC_B"], "setting ABC_A must not exceed ABC_B"))
    if values["XYZ_X"] > values["XYZ_Y"]:
        problems.append((None, "XYZ_Y", values["XYZ_Y"], "setting XYZ_X must not exceed XYZ_Y"))
    return values, problems


def read_settings(frame: pd.DataFrame) -> dict[str, Any]:
    """Typed settings from tblSettings; raises on the first bad value.

    Raises
    ------
    SopError
        Naming the sheet, the key and the value.
    """
    values, problems = parse_settings(frame)
    if problems:
        row, _, _, message = problems[0]
        where = f"Settings row {row}" if row is not None else "Settings"
        raise SopError(f"{where}: {message}")
    return values
