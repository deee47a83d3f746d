"""Hostile probes, counted: what a careless user (or two at once) does to sop-xl (issue 10).

``python benchmarks/probes.py [--udf 2000] [--cli 60] [--races 3] [--seed 1]`` prints, per
category, how many probes were tried and how they ended: a clean result, a clean refusal (one
``#SOP!`` line in a cell, one ``sop-xl: error:`` line and exit 1 on the command line, the file
unchanged), a traceback (an ``internal error`` in a cell, a Python traceback or a second line
on the command line), a hang (over the time limit), an injected formula, a lost update.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import io
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "udfs")]

from test_injection import formula_cells, hostile_workbook  # noqa: E402

import sop_udfs  # noqa: E402
from sop_xl.cli import main  # noqa: E402
from sop_xl.cycle import run_cycle  # noqa: E402
from sop_xl.workbook.book import open_book  # noqa: E402

HANG = 60.0  # seconds
VALUES = [None, 0, 1, -1, 0.5, 1e-12, 1e12, 1e308, float("nan"), float("inf"), 18, 12, 52, True,
          "", "abc", "=1+1", "=cmd|' /C calc'!A0", "#N/A", "nan", "-5", "2024-01", "auto",
          "x" * 300, dt.datetime(2024, 1, 1)]  # fmt: skip


def _value(rng: random.Random):
    kind = rng.random()
    if kind < 0.5:
        return rng.choice(VALUES)
    column = [rng.choice([None, rng.uniform(-100, 1000), rng.randint(0, 50)]) for _ in
              range(rng.randint(0, 40))]  # fmt: skip
    return [[v] for v in column] if kind < 0.75 else column


def udf_probes(count: int, rng: random.Random) -> dict[str, int]:
    out = {"tried": 0, "results": 0, "refusals": 0, "tracebacks": 0, "hangs": 0}
    functions = [
        f for n in dir(sop_udfs) if n.startswith("sop_") and callable(f := getattr(sop_udfs, n))
    ]
    for _ in range(count):
        function = rng.choice(functions)
        parameters = list(inspect.signature(function).parameters.values())
        required = sum(p.default is inspect.Parameter.empty for p in parameters)
        args = [_value(rng) for _ in range(rng.randint(required, len(parameters)))]
        started = time.perf_counter()
        result = function(*args)
        out["tried"] += 1
        if time.perf_counter() - started > HANG:
            out["hangs"] += 1
        elif isinstance(result, str) and "internal error" in result:
            out["tracebacks"] += 1
        elif isinstance(result, str) and result.startswith("#SOP!"):
            out["refusals"] += 1
        else:
            out["results"] += 1
    return out


def cli_probes(count: int, rng: random.Random, folder: Path) -> dict[str, int]:
    out = {"tried": 0, "results": 0, "refusals": 0, "tracebacks": 0, "hangs": 0,
           "changed on refusal": 0, "injected formulas": 0}  # fmt: skip
    plan, allowed = hostile_workbook(folder)
    (folder / "notzip.xlsx").write_text("not a workbook")
    (folder / "empty.csv").write_text("")
    (folder / "dir.xlsx").mkdir()
    commands = [["run", "--jobs", "1"], ["run", "--step", "supply"], ["run", "--step", "kpis"],
                ["run", "--step", "nope"], ["run", "--jobs", "0"], ["validate"], ["snapshot"],
                ["roll-forward"], ["roll-forward", "--without-snapshot"],
                ["forecast", "--horizon", "1000000000"], ["forecast", "--period", "week"],
                ["forecast", "--horizon", "3", "--out", str(folder / "out.csv")]]  # fmt: skip
    targets = ["plan.xlsx", "missing.xlsx", "notzip.xlsx", "dir.xlsx", "empty.csv"]
    for i in range(count):
        command = rng.choice(commands)
        target = rng.choice(targets)
        path = folder / target if target == "dir.xlsx" else folder / f"{i}-{target}"
        if target != "dir.xlsx" and (folder / target).exists():
            shutil.copy(plan if target == "plan.xlsx" else folder / target, path)
        before = path.read_bytes() if path.is_file() else None
        argv = [command[0], str(path), *command[1:]]
        if argv[0] == "run" and "--jobs" not in argv:
            argv += ["--jobs", "1"]
        err = io.StringIO()
        started = time.perf_counter()
        try:
            with redirect_stderr(err), redirect_stdout(io.StringIO()):
                code = main(argv)
        except BaseException:  # noqa: BLE001 - a probe that escapes main is a traceback
            code = -1
        seconds = time.perf_counter() - started
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        out["tried"] += 1
        if seconds > HANG:
            out["hangs"] += 1
        elif code not in (0, 1) or "Traceback" in err.getvalue() or (code == 1 and len(lines) != 1):
            out["tracebacks"] += 1
        elif code == 1:
            out["refusals"] += 1
            if before is not None and path.read_bytes() != before:
                out["changed on refusal"] += 1
        else:
            out["results"] += 1
            if (
                path.is_file()
                and path.suffix == ".xlsx"
                and not set(formula_cells(path)) <= allowed
            ):
                out["injected formulas"] += 1
    return out


def race_probes(trials: int, folder: Path) -> dict[str, int]:
    """``sop-xl run`` and ``sop-xl snapshot`` on one cycled workbook at the same time."""
    out = {"tried": 0, "lost updates": 0, "both refused": 0}
    plan, _ = hostile_workbook(folder)
    cycled = folder / "cycled.xlsx"
    shutil.copy(plan, cycled)
    run_cycle(open_book(cycled), n_jobs=1)
    for i in range(trials):
        path = folder / f"race{i}.xlsx"
        shutil.copy(cycled, path)
        cli = [sys.executable, "-m", "sop_xl"]
        run = subprocess.Popen(
            [*cli, "run", str(path), "--jobs", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        snap = subprocess.run([*cli, "snapshot", str(path)], capture_output=True, text=True)
        run.wait()
        history = open_book(path).read_table("tblHistory").dropna(how="all")
        out["tried"] += 1
        if snap.returncode == 0 and history.empty:
            out["lost updates"] += 1
        if snap.returncode != 0 and run.returncode != 0:
            out["both refused"] += 1
    return out


def run_all(argv: list[str] | None = None) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)  # overflow on 1e308 inputs, by design
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--udf", type=int, default=2000)
    parser.add_argument("--cli", type=int, default=60)
    parser.add_argument("--races", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "cli").mkdir()
        (folder / "race").mkdir()
        started = time.perf_counter()
        rows = {
            "Excel functions, arbitrary cell values": udf_probes(args.udf, rng),
            "command line, arbitrary arguments and files": cli_probes(
                args.cli, rng, folder / "cli"
            ),
            "run and snapshot at the same time": race_probes(args.races, folder / "race"),
        }
    for name, counts in rows.items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"({time.perf_counter() - started:.0f} s, seed {args.seed})")


if __name__ == "__main__":
    run_all()
