"""Forecasting thousands of items: a long frame in, forecasts out, on all cores.

The work is a map over groups of items: :func:`series_from_frame` turns the long table into one
history per item, :func:`forecast_group` forecasts one group (a plain function of plain data,
so it pickles), and :func:`forecast_frame` maps it over groups with any
``concurrent.futures.Executor``: a local process pool by default, or a Dask cluster's
executor (``distributed.Client(...).get_executor()``) for more than one machine.

Period rules (DESIGN.md): within an item, a period missing between its first and last period is
zero demand; so is every period after its last one up to the last period of the whole table
(ERP extracts do not write zero rows). The forecast starts after the last period of the table.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError, show
from sop_xl.forecast import forecast
from sop_xl.forecast.history import check_horizon, check_level, check_season_length
from sop_xl.forecast.methods import check_method
from sop_xl.periods import PeriodGrid


@dataclass(frozen=True)
class Task:
    """What one worker needs: options and a group of (item, history) pairs."""

    items: tuple[str, ...]
    histories: tuple[np.ndarray, ...]
    horizon: int
    method: str
    season_length: int
    level: float | None


def series_from_frame(
    frame: pd.DataFrame, *, freq: str = "MS"
) -> tuple[list[str], list[np.ndarray], pd.DatetimeIndex]:
    """One history per item, on a common period grid ending at the table's last period.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table with columns ``item``, ``period`` (dates), ``qty`` [units].
    freq : str, keyword-only
        ``"MS"`` (month starts) or ``"W-MON"`` (weeks starting Monday); ``Month`` and ``Week``
        name the same grids (:class:`~sop_xl.periods.PeriodGrid`).

    Returns
    -------
    items, histories, grid
        Item names in first-seen order, each item's history from its first period to the
        table's last period (missing periods = 0), and the table's period grid.

    Examples
    --------
    >>> frame = pd.DataFrame({"item": ["A", "A", "B"], "qty": [1.0, 3.0, 7.0],
    ...     "period": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"])})
    >>> items, hist, grid = series_from_frame(frame)
    >>> items, [h.tolist() for h in hist]
    (['A', 'B'], [[1.0, 0.0, 3.0], [7.0, 0.0]])
    """
    missing = {"item", "period", "qty"} - set(frame.columns)
    if missing:
        raise SopError(f"the table needs columns item, period, qty; missing {sorted(missing)}")
    periods = PeriodGrid(freq)
    if frame.empty:
        raise SopError("the table has no rows")
    data = frame[["item", "period", "qty"]].copy()
    data["item"] = data["item"].astype(str)
    data["period"] = pd.to_datetime(data["period"])
    qty = pd.to_numeric(data["qty"], errors="coerce")
    bad = qty.isna() | ~np.isfinite(qty.fillna(0))
    if bad.any():
        row = data.index[bad.to_numpy()][0]
        raise SopError(
            f"qty must be a number; got {show(frame.loc[row, 'qty'])} for item "
            f"{data.loc[row, 'item']!r}, period {data.loc[row, 'period']:%Y-%m-%d}"
        )
    data["qty"] = qty
    on_grid = periods.is_start(data["period"])
    if not on_grid.all():
        periods.parse(data.loc[~on_grid, "period"].iloc[0])  # raises, naming the period
    dup = data.duplicated(["item", "period"])
    if dup.any():
        item, when = data.loc[dup, ["item", "period"]].iloc[0]
        raise SopError(
            f"each item may have one row per period; got item {item!r} twice in {when:%Y-%m-%d}"
        )
    grid = periods.between(data["period"].min(), data["period"].max())
    position = grid.get_indexer(data["period"])
    codes, items = pd.factorize(data["item"], sort=False)
    first = np.full(len(items), len(grid))
    np.minimum.at(first, codes, position)
    values = np.zeros((len(items), len(grid)))
    values[codes, position] = data["qty"].to_numpy()
    histories = [values[i, first[i] :] for i in range(len(items))]
    return list(items), histories, grid


def forecast_group(
    task: Task,
) -> list[tuple[str, str, np.ndarray, np.ndarray | None, np.ndarray | None]]:
    """Forecast every history of one group: [(item, method, mean, lower, upper), ...]."""
    out = []
    for item, y in zip(task.items, task.histories, strict=True):
        f = forecast(
            y, task.horizon, method=task.method, season_length=task.season_length, level=task.level
        )
        out.append((item, f.method, f.mean, f.lower, f.upper))
    return out


WORKER_MODULES = ("sop_xl.forecast.plan",)
"""What the workers run (statsforecast and the forecasters), imported once by the fork
server (:func:`start_worker_server`) so that every worker starts with it."""


def _server_context() -> BaseContext | None:
    """The ``forkserver`` start method where the system has it (Linux), else None (the
    platform's default: spawn on Windows and macOS, which start clean processes anyway).

    Why: a worker forked from this process would inherit its memory, the open workbook
    included (2 GiB at 10,000 items), and every page Python touches there (reference counts)
    is copied. The fork server is a fresh interpreter that imported only
    :data:`WORKER_MODULES`; workers forked from it share its pages and nothing else.
    """
    if sys.platform.startswith("linux") and "forkserver" in mp.get_all_start_methods():
        return mp.get_context("forkserver")
    return None


SERVER_ABOVE = 512 * 2**20
"""Resident memory [bytes] of this process above which :func:`start_worker_server` starts
the fork server: below it, forking from here is cheaper than a second interpreter (about
0.2 GiB for numpy, pandas and statsforecast)."""

_serve = False  # process_pool takes its workers from the fork server


def resident_bytes() -> int:
    """This process's resident memory [bytes] (Linux; 0 where unknown)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def start_worker_server(*, above: int = SERVER_ABOVE) -> bool:
    """Start the fork server the local workers come from, when this process is big.

    A process holding a big workbook (``above`` bytes resident or more) would hand all of it
    to every forked worker (and Python's garbage collector in the worker copies the pages it
    walks); the fork server is a fresh interpreter that imported only :data:`WORKER_MODULES`.
    It imports them in its own process while this one goes on (reading the workbook). From
    then on :func:`process_pool` forks its workers from the server. Safe to call more than
    once; returns whether the workers come from the server.
    """
    global _serve
    context = _server_context()
    if context is None or (not _serve and resident_bytes() < above):
        return _serve
    from multiprocessing import forkserver

    context.set_forkserver_preload(list(WORKER_MODULES))  # no effect once it runs
    forkserver.ensure_running()
    _serve = True
    return True


def _server_pid() -> int | None:
    """The fork server's process id (the parent of the workers), None when unknown."""
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    return pid if isinstance(pid, int) else None


def die_with_parent(parent_pid: int, server_pid: int | None = None) -> None:
    """Pool initializer: end this worker process when the process that started it dies.

    A killed ``sop-xl run`` must not leave its workers computing for nobody. On Linux the
    kernel sends the worker SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``): the
    process that started the pool (``parent_pid``) or, with ``server_pid``, the fork server,
    which exits when that process does (its end of a pipe closes). A worker whose parent died
    before the line above took effect ends at once. Elsewhere (spawned workers), a daemon
    thread waits on the parent's sentinel (``multiprocessing``'s handle on the parent
    process) and ends the worker when it fires.
    """
    import multiprocessing

    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl (musl builds without it, sandboxes)
            pass
    if os.name == "posix" and os.getppid() != (server_pid or parent_pid):
        os._exit(1)  # the parent died before the line above took effect
    if server_pid is not None:  # the server outlives that process while its workers run
        threading.Thread(
            target=_watch_pid, args=(parent_pid,), name="sop-xl parent watch", daemon=True
        ).start()
        return
    parent = multiprocessing.parent_process()
    if parent is not None:

        def watch() -> None:
            parent.join()
            os._exit(1)

        threading.Thread(target=watch, name="sop-xl parent watch", daemon=True).start()


def _watch_pid(pid: int) -> None:
    """End this process when process ``pid`` ends (a thread's target; Linux).

    A process descriptor (``pidfd_open``) becomes readable when the process ends; where the
    kernel has none, the process is looked up every half second.
    """
    import select

    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (a kernel before 5.3)
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            time.sleep(0.5)
    select.select([handle], [], [])
    os._exit(1)


_prctl: Callable[..., int] | None = None


def _pdeathsig_in_child() -> None:
    if _prctl is not None:
        _prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL


def _arm_forked_children() -> None:
    """Linux: every process forked from now on gets SIGKILL when this one dies, set right
    after the fork, before any Python code of the child runs (a worker stuck before its
    initializer is covered too)."""
    global _prctl
    if _prctl is not None or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        _prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    os.register_at_fork(after_in_child=_pdeathsig_in_child)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A local process pool whose workers end when this process dies (:func:`die_with_parent`).

    When :func:`start_worker_server` started the fork server (or this process is big now),
    the workers come from it and do not carry this process's memory (an open workbook);
    else they are forked from here (Linux) or spawned (Windows, macOS).
    """
    context = _server_context() if start_worker_server() else None
    server = None if context is None else _server_pid()
    if server is None:  # cannot check the workers' parent: no server then
        context = None
        _arm_forked_children()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=die_with_parent,
        initargs=(os.getpid(), server),
    )


def group_slices(
    n: int, workers: int, group_size: int | None, *, per_worker: int = 8
) -> list[slice]:
    """Slices of ``n`` items in tasks of ``group_size`` (default: ``per_worker`` tasks per
    worker, 10 to 200 items each)."""
    size = group_size or max(10, min(200, math.ceil(n / (per_worker * max(workers, 1)))))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def map_tasks(
    function: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    n_jobs: int | None = None,
    executor: Executor | None = None,
) -> Iterator[Any]:
    """``function`` over ``tasks``, results in the tasks' order as each arrives.

    In this process with ``n_jobs=1`` and no executor; else on ``executor`` (e.g. a Dask
    ``Client.get_executor()``) or on a local pool of ``n_jobs`` workers (None = all cores)
    started for this map and shut down after it (:func:`process_pool`). ``function`` and the
    tasks must pickle.
    """
    workers = n_jobs or os.cpu_count() or 1
    if executor is None and workers == 1:
        yield from map(function, tasks)
        return
    own = executor is None
    pool = process_pool(min(workers, max(len(tasks), 1))) if own else executor
    try:
        yield from pool.map(function, tasks)
    finally:
        if own:
            pool.shutdown(cancel_futures=True)


def forecast_frame(
    frame: pd.DataFrame,
    horizon: int = 18,
    *,
    method: str = "auto",
    season_length: int = 12,
    level: float | None = None,
    freq: str = "MS",
    n_jobs: int | None = None,
    executor: Executor | None = None,
    group_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Forecast every item of a long table.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table ``item``, ``period``, ``qty`` (see :func:`series_from_frame`).
    horizon : int
        Number of future periods.
    method, season_length, level : keyword-only
        As in :func:`sop_xl.forecast.forecast`; ``method`` applies to every item.
    freq : str, keyword-only
        Period type: ``"MS"`` months or ``"W-MON"`` weeks.
    n_jobs : int or None, keyword-only
        Worker processes when no executor is given (None = all cores; 1 = in this process).
    executor : concurrent.futures.Executor or None, keyword-only
        Where to run the groups, e.g. a Dask ``Client.get_executor()``.
    group_size : int or None, keyword-only
        Items per task (default: about eight tasks per worker, 10 to 200 items each).
    progress : callable or None, keyword-only
        Called as ``progress(items_done, items_total)`` after each group.

    Returns
    -------
    pandas.DataFrame
        Long forecasts: ``item``, ``method``, ``period``, ``forecast`` (and ``lower``,
        ``upper`` with a ``level``), items in first-seen order.
    """
    horizon = check_horizon(horizon)
    season_length = check_season_length(season_length)
    method = check_method(method)
    level = None if level is None else check_level(level)
    periods = PeriodGrid(freq)
    items, histories, grid = series_from_frame(frame, freq=periods.freq)
    future = pd.date_range(grid[-1], periods=horizon + 1, freq=periods.freq)[1:]
    workers = n_jobs or os.cpu_count() or 1
    tasks = [
        Task(tuple(items[s]), tuple(histories[s]), horizon, method, season_length, level)
        for s in group_slices(len(items), workers, group_size)
    ]
    results: list = []
    for part in map_tasks(forecast_group, tasks, n_jobs=workers, executor=executor):
        results.extend(part)
        if progress:
            progress(len(results), len(items))
    out = _to_frame(results, future, level is not None)
    out.attrs["freq"] = periods.freq  # to_wide labels the periods of this grid
    return out


def _to_frame(results: Sequence, future: pd.DatetimeIndex, with_interval: bool) -> pd.DataFrame:
    h = len(future)
    out = pd.DataFrame(
        {
            "item": np.repeat([r[0] for r in results], h),
            "method": np.repeat([r[1] for r in results], h),
            "period": np.tile(future.to_numpy(), len(results)),
            "forecast": np.concatenate([r[2] for r in results]) if results else [],
        }
    )
    if with_interval:
        out["lower"] = np.concatenate([r[3] for r in results])
        out["upper"] = np.concatenate([r[4] for r in results])
    return out


def to_wide(
    long: pd.DataFrame, *, value: str = "forecast", freq: str | None = None
) -> pd.DataFrame:
    """Long forecasts as a grid: Item, Method, then one column per period.

    Parameters
    ----------
    long : pandas.DataFrame
        As :func:`forecast_frame` returns it.
    value : str, keyword-only
        The column to spread: ``forecast``, ``lower`` or ``upper``.
    freq : str or None, keyword-only
        The period grid of the headers (``YYYY-MM`` for ``MS``, ``YYYY-Www`` for ``W-MON``);
        None: the grid :func:`forecast_frame` forecast on (months if unknown).

    Examples
    --------
    >>> long = pd.DataFrame({"item": ["A", "A"], "method": ["naive"] * 2, "forecast": [1.0, 2.0],
    ...     "period": pd.to_datetime(["2025-01-06", "2025-01-13"])})
    >>> to_wide(long, freq="W-MON").columns.tolist()
    ['Item', 'Method', '2025-W02', '2025-W03']
    """
    grid = PeriodGrid(freq or long.attrs.get("freq", "MS"))
    labels = long["period"].map(grid.label)
    grid = long.assign(label=labels).pivot(index=["item", "method"], columns="label", values=value)
    order = pd.unique(long["item"])
    grid = grid.reset_index().set_index("item").loc[order].reset_index()
    grid.columns.name = None
    return grid.rename(columns={"item": "Item", "method": "Method"})
