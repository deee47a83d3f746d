"""The ``sop-xl`` command line.

Every command exits 0 on success and 1 with a one-line message on bad input (``sop-xl: error:
...``); files are written atomically, so a failed command never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

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


def build_parser() -> argparse.ArgumentParser:
    _load_commands()
    parser = argparse.ArgumentParser(
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
    parser = build_parser()
    args = parser.parse_args(argv)
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


if __name__ == "__main__":  # run as sop_xl.cli's own module, where commands register
    from sop_xl.cli import main as registered_main

    sys.exit(registered_main())
