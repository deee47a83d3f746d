"""The ``sop-xl`` command line.

Every command exits 0 on success and 1 with a one-line message on any failure (``sop-xl:
error: ...``): bad input, bad arguments, a busy or read-only workbook, and also an unexpected
error, whose full traceback goes to a log file the line names (:func:`log_folder`). Files are
written atomically, so a failed command never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from sop_xl import __version__
from sop_xl.errors import SopError

# Each command module registers itself here: name -> (add_arguments, run)
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable]] = {}


def command(name: str, help_: str, add_arguments: Callable[[argparse.ArgumentParser], None]):
    """Register ``run(args) -> int`` as the sub-command ``name``."""

    def register(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (help_, add_arguments, run)
        return run

    return register


def _load_commands() -> None:
    """Import every module of :mod:`sop_xl.commands` for its ``@command`` registrations."""
    import importlib
    import pkgutil

    from sop_xl import commands

    for module in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"sop_xl.commands.{module.name}")


MAX_JOBS_PER_CORE = 4
"""``--jobs`` may be at most this many worker processes per core."""
MAX_HORIZON = 1000
"""``--horizon`` limit [periods]: 83 years of months; longer ones only allocate memory."""


def whole_number(low: int, high: int | Callable[[], int]) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``low`` to ``high`` (a callable: worked out
    when the argument is read); argparse puts the option's name before the message.

    >>> whole_number(1, 8)("3")
    3
    >>> whole_number(1, 8)("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a whole number from 1 to 8; got '0'
    """

    def parse(text: str) -> int:
        top = high() if callable(high) else high
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= top:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low} to {top:,}; got {text!r}"
            )
        return value

    return parse


def max_jobs() -> int:
    """The largest ``--jobs``: :data:`MAX_JOBS_PER_CORE` per core of this machine."""
    return MAX_JOBS_PER_CORE * (os.cpu_count() or 1)


def add_jobs_argument(parser: argparse.ArgumentParser, what: str = "the forecast") -> None:
    """``--jobs N``: worker processes, 1 to :func:`max_jobs`; default all cores."""
    parser.add_argument(
        "--jobs",
        type=whole_number(1, max_jobs),
        default=None,
        metavar="N",
        help=f"worker processes for {what}, 1 to {MAX_JOBS_PER_CORE} x cores "
        "(default: all cores; 1 = no worker process)",
    )


def add_scheduler_argument(parser: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS``: forecast on a Dask cluster (:mod:`sop_xl.forecast.cluster`)."""
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="forecast on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786) "
        "instead of this computer's cores; --jobs then does not apply",
    )


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 1."""

    def error(self, message: str):
        hint = f" (see {self.prog} --help)"
        print(f"sop-xl: error: {' '.join(message.split())}{hint}", file=sys.stderr)
        sys.exit(1)


def log_folder() -> Path:
    """Where tracebacks of unexpected errors go: the user's cache folder for sop-xl.

    ``%LOCALAPPDATA%\\sop-xl\\logs`` on Windows, ``$XDG_CACHE_HOME/sop-xl/logs`` (default
    ``~/.cache/sop-xl/logs``) elsewhere; the system's temporary folder when none is writable.
    """
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"])
    else:
        base = Path.home() / ".cache"
    return base / "sop-xl" / "logs"


def _write_log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (
        f"sop-xl {__version__}, Python {sys.version.split()[0]}, {sys.platform}\n"
        f"command: sop-xl {' '.join(argv)}\n\n"
        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    )
    for folder in (log_folder(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"sop-xl-error-{stamp}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _unexpected(exc: BaseException, argv: Sequence[str]) -> str:
    """The one line for an error sop-xl did not foresee; the traceback goes to a log file."""
    if isinstance(exc, OSError) and exc.strerror:
        what = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    elif isinstance(exc, MemoryError):
        what = "out of memory"
    else:
        what = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    log = _write_log(exc, argv)
    where = f"details in {log}" if log else "no log file could be written"
    return f"sop-xl: error: {what} ({where})"


def build_parser() -> argparse.ArgumentParser:
    _load_commands()
    parser = OneLineParser(
        prog="sop-xl",
        description="Sales & Operations Planning for Excel: forecasts, plans and KPIs.",
    )
    parser.add_argument("--version", action="version", version=f"sop-xl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_, add_arguments, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        add_arguments(p)
        p.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sop-xl`` with ``argv`` (default: the command line); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version (0) and usage errors (1, one line)
        return stop.code if isinstance(stop.code, int) else 1
    if not getattr(args, "run", None):
        parser.print_help()
        return 1
    try:
        return int(args.run(args) or 0)
    except SopError as exc:
        print(f"sop-xl: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"sop-xl: error: file not found: {exc.filename}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sop-xl: interrupted; no file was changed", file=sys.stderr)
        return 1
    except Exception as exc:  # the one catch-all: one line, the traceback in a log file
        print(_unexpected(exc, argv), file=sys.stderr)
        return 1


if __name__ == "__main__":  # run as sop_xl.cli's own module, where commands register
    from sop_xl.cli import main as registered_main

    sys.exit(registered_main())
