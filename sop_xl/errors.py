"""The one error type of sop-xl.

Every check on user input raises :class:`SopError` with a message that names the argument, the
rule and the value seen, e.g. ``service_level must be between 0 and 1; got 1.2``. The Excel
boundary shows it in the cell as ``#SOP! <message>``; the command line prints it on one line.
"""

from __future__ import annotations

from typing import Any


class SopError(ValueError):
    """Bad input or configuration, with a message fit to show a user."""


def show(value: Any, limit: int = 40) -> str:
    """Render a value for an error message: short, one line, strings quoted.

    >>> show("abc")
    "'abc'"
    >>> show(1.5)
    '1.5'
    >>> show("x" * 50)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
    """
    text = repr(value) if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 4] + "...'" if isinstance(value, str) else text[: limit - 3] + "..."
    return text


def require(condition: bool, message: str) -> None:
    """Raise :class:`SopError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SopError(message)
