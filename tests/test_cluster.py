"""Forecasting on a Dask cluster (issue 14): ``--scheduler`` and the Settings key ``Scheduler``.

One in-process ``LocalCluster`` (one worker thread) serves the module; the scheduler's own
task counts show that the cluster ran the forecast, and the outputs equal the local run's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from golden import capture, differences
from openpyxl import load_workbook

from sop_xl.cli import main
from sop_xl.forecast import cluster
from sop_xl.workbook import tables

distributed = pytest.importorskip("distributed")


@pytest.fixture(autouse=True)
def no_forecast_cache(monkeypatch):
    """Every forecast runs (on the cluster): none comes from the results cache."""
    monkeypatch.setenv("SOP_XL_CACHE", "0")


@pytest.fixture(scope="module")
def scheduler():
    """A LocalCluster in this process: (its scheduler, its address)."""
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        yield local.scheduler, local.scheduler_address


def forecast_tasks(dask_scheduler) -> int:
    """Forecast groups the cluster has finished since it started (the batch forecaster's
    ``forecast_group``, the cycle's ``forecast_items``)."""
    done = 0
    for name in ("forecast_group", "forecast_items"):
        prefix = dask_scheduler.task_prefixes.get(name)
        if prefix is not None:
            done += sum(prefix.state_counts[s] for s in ("memory", "released", "forgotten"))
    return done


def set_setting(path: Path, key: str, value: str) -> None:
    wb = load_workbook(path)
    ws, tbl = tables.find_table(wb, "tblSettings")
    loc = tables.locate(ws, tbl)
    for r in range(loc.header_row + 1, loc.last_row + 1):
        if ws.cell(r, loc.first_col).value == key:
            ws.cell(r, loc.first_col + 1).value = value
            break
    else:
        raise AssertionError(f"no setting {key}")
    wb.save(path)


def test_run_with_scheduler_forecasts_on_the_cluster_and_equals_the_local_run(
    scheduler, finished_demo, demo_finished_file
):
    dask_scheduler, address = scheduler
    before = forecast_tasks(dask_scheduler)
    assert main(["run", str(finished_demo), "--scheduler", address]) == 0
    assert forecast_tasks(dask_scheduler) > before
    assert differences(capture(demo_finished_file), capture(finished_demo)) == []


def test_settings_scheduler_sends_the_forecast_step_to_the_cluster(
    scheduler, finished_demo, demo_finished_file
):
    dask_scheduler, address = scheduler
    set_setting(finished_demo, "Scheduler", address)
    before = forecast_tasks(dask_scheduler)
    assert main(["run", str(finished_demo), "--step", "forecast"]) == 0
    assert forecast_tasks(dask_scheduler) > before
    expected = capture(demo_finished_file)["tblForecast"]
    assert (
        differences(
            {"tblForecast": expected}, {"tblForecast": capture(finished_demo)["tblForecast"]}
        )
        == []
    )


def test_forecast_command_with_scheduler_equals_the_local_pool(scheduler, tmp_path):
    dask_scheduler, address = scheduler
    before = forecast_tasks(dask_scheduler)
    on_cluster, local = tmp_path / "cluster.csv", tmp_path / "local.csv"
    assert main(["forecast", "--example", "--out", str(on_cluster), "--scheduler", address]) == 0
    assert forecast_tasks(dask_scheduler) > before
    assert main(["forecast", "--example", "--out", str(local), "--jobs", "1"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(on_cluster), pd.read_csv(local))


@pytest.mark.parametrize("command", ["run", "settings"])
def test_unreachable_scheduler_is_one_line_and_leaves_the_file_untouched(
    command, finished_demo, monkeypatch, capsys
):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    nobody = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    if command == "settings":
        set_setting(finished_demo, "Scheduler", nobody)
        argv = ["run", str(finished_demo), "--step", "forecast"]
    else:
        argv = ["run", str(finished_demo), "--step", "forecast", "--scheduler", nobody]
    before = finished_demo.read_bytes()
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("sop-xl: error: cannot reach the Dask scheduler 'tcp://127.0.0.1:9'")
    assert finished_demo.read_bytes() == before


def test_forecast_command_unreachable_scheduler_writes_nothing(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    out = tmp_path / "f.csv"
    assert main(["forecast", "--example", "--out", str(out), "--scheduler", "127.0.0.1:9"]) == 1
    assert "cannot reach the Dask scheduler '127.0.0.1:9'" in capsys.readouterr().err
    assert not out.exists()
