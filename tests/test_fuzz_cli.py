"""Issue 10: the command line under arbitrary arguments (hypothesis).

Every ``sop-xl`` command, with arguments drawn from what a hurried user types (unknown steps,
odd job counts and horizons, missing files, folders, a text file named .xlsx, an empty CSV) on a
3-item workbook whose item, family and comment texts are formulas: the exit code is 0 or 1;
a refusal prints exactly one line ``sop-xl: error: ...`` and no traceback; a refused command
leaves the workbook byte-identical; and no formula cell appears that a clean run does not
write (text stays text).
"""

from __future__ import annotations

import shutil
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_injection import formula_cells, hostile_workbook

from sop_xl.cli import main

SECONDS = 120.0  # a whole cycle of 3 items on a loaded 2-core machine, with room


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The hostile 3-item workbook, the formula cells a clean full run makes, other inputs."""
    folder = tmp_path_factory.mktemp("fuzz_cli")
    plan, allowed = hostile_workbook(folder)
    (folder / "notzip.xlsx").write_text("this is not a workbook")
    (folder / "empty.csv").write_text("")
    (folder / "weekly.csv").write_text(
        "Item,Period,Qty\n" + "".join(f"=A1,2024-W{w:02d},{w}\n" for w in range(1, 30))
    )
    (folder / "dir.xlsx").mkdir()
    return folder, plan, allowed


workbook_args = st.one_of(
    st.tuples(st.just("run"), st.sampled_from([[], ["--step", "supply"], ["--step", "kpis"],
              ["--step", "plan"], ["--jobs", "0"], ["--jobs", "-1"], ["--jobs", "1"],
              ["--step", "forecast", "--jobs", "1"], ["--step", "reconcile"],
              ["--scheduler"]])),
    st.tuples(st.just("validate"), st.just([])),
    st.tuples(st.just("snapshot"), st.just([])),
    st.tuples(st.just("roll-forward"), st.sampled_from([[], ["--without-snapshot"]])),
)  # fmt: skip
targets = st.sampled_from(["plan.xlsx", "missing.xlsx", "notzip.xlsx", "dir.xlsx", "empty.csv"])


def _one_line_refusal(code: int, err: str) -> None:
    assert code in (0, 1), (code, err)
    assert "Traceback" not in err
    if code == 1:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("sop-xl: error: "), err


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(command=workbook_args, target=targets)
def test_workbook_commands_exit_0_or_1_with_one_line_and_never_inject(files, command, target):
    folder, plan, allowed = files
    name, extra = command
    path = folder / f"try-{target}"
    source = folder / target
    if source.is_dir():
        path = source
    elif source.exists():
        shutil.copy(plan if target == "plan.xlsx" else source, path)
    before = path.read_bytes() if path.is_file() else None
    args = [name, str(path), *extra]
    if name == "run" and "--jobs" not in extra:
        args += ["--jobs", "1"]
    started = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:
        import io
        import sys

        err = io.StringIO()
        mp.setattr(sys, "stderr", err)
        mp.setattr(sys, "stdout", io.StringIO())
        code = main(args)
    assert time.perf_counter() - started < SECONDS
    _one_line_refusal(code, err.getvalue())
    if code == 1 and before is not None:
        assert path.read_bytes() == before, args
    if path.is_file() and path.suffix == ".xlsx" and code == 0:
        assert set(formula_cells(path)) <= allowed, args


forecast_args = st.tuples(
    st.sampled_from(["weekly.csv", "empty.csv", "notzip.xlsx", "missing.csv", "dir.xlsx"]),
    st.sampled_from([["--period", "week"], ["--period", "month"], ["--period", "fortnight"], []]),
    st.sampled_from([["--horizon", "4"], ["--horizon", "0"], ["--horizon", "1000000000"],
                     ["--horizon", "x"], []]),
    st.sampled_from([["--out", "f.csv"], ["--out", "f.xlsx"], ["--out", "dir.xlsx"], []]),
)  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(args=forecast_args)
def test_forecast_command_exits_0_or_1_with_one_line(files, args, capsys):
    folder = files[0]
    source, period, horizon, out = args
    argv = ["forecast", str(folder / source), *period, *horizon, "--jobs", "1"]
    if out:
        argv += [out[0], str(folder / out[1])]
    capsys.readouterr()
    code = main(argv)
    _one_line_refusal(code, capsys.readouterr().err)
    written = folder / "f.csv"
    if code == 0 and out and out[1] == "f.csv":
        text = written.read_text()
        assert "\n=" not in text and ",=" not in text  # the item '=A1' is escaped as "'=A1"
