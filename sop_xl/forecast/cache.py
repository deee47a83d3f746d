"""A cache of per-item forecast results, so that a rerun forecasts only what changed.

A cycle is run many times in a month: the demand review changes an adjustment, finance a
price, supply a capacity, and each ``sop-xl run`` (or ribbon button) repeats the forecast of
every item although no history changed. The forecast of an item is a pure function of its
history and the forecast settings, so its result can be kept and reused.

- **Key**: SHA-256 of the item's task (its history, its flags and the group's settings, as
  the worker would receive them, pickled) and of the forecasting code itself: the source of
  every module of :mod:`sop_xl.forecast` (and of the two it imports, errors and periods) and
  the versions of sop-xl, statsforecast, numpy and scipy. A change to any of them (an
  upgrade, an edited module) misses the cache, so a result is only reused for the same
  computation.
- **Store**: :mod:`diskcache` (SQLite-backed, safe between processes, least recently stored
  entries evicted beyond :data:`SIZE_LIMIT`) in the user's cache folder
  (``platformdirs.user_cache_dir("sop-xl")``), or the folder named by the environment variable
  ``SOP_XL_CACHE_DIR``; ``SOP_XL_CACHE=0`` turns the cache off (benchmarks time cold runs).
- **Failure**: a cache that cannot be opened or read (a read-only home, a corrupt file) is not
  an error: the forecast runs as without one.

Results come back exactly as computed (same floating-point numbers), so a rerun's outputs equal
a cold run's; ``tests/test_forecast_cache.py`` checks it cell by cell on the demo.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from sop_xl.forecast.batch import map_tasks

#: bytes kept on disk before the least recently stored results are evicted
SIZE_LIMIT = 512 * 2**20
_OFF = ("0", "off", "false", "no")


@cache
def code_fingerprint() -> bytes:
    """Digest of the forecasting code and the libraries under it (see the module notes)."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in [*sorted(here.glob("*.py")), here.parent / "errors.py", here.parent / "periods.py"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for package in ("sop-xl", "statsforecast", "numpy", "scipy"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=?".encode())
    return digest.digest()


def default_cache() -> Any | None:
    """The user's forecast cache (a :class:`diskcache.Cache`), or None when it is turned off
    (``SOP_XL_CACHE=0``) or cannot be opened."""
    if os.environ.get("SOP_XL_CACHE", "1").strip().lower() in _OFF:
        return None
    folder = os.environ.get("SOP_XL_CACHE_DIR")
    try:
        import diskcache
        import platformdirs

        if not folder:
            folder = os.path.join(platformdirs.user_cache_dir("sop-xl"), "forecasts")
        return diskcache.Cache(folder, size_limit=SIZE_LIMIT)
    except Exception:  # noqa: BLE001 - no cache is a slower run, never a failed one
        return None


def _per_item(task: Any) -> list[str]:
    """The fields of a task that hold one value per item: its tuple fields as long as ``rows``
    (an empty tuple is a per-item option left at its default, and stays as it is)."""
    n = len(task.rows)
    return [
        f.name
        for f in dataclasses.fields(task)
        if isinstance(getattr(task, f.name), tuple) and len(getattr(task, f.name)) == n
    ]


def _subset(task: Any, fields: list[str], keep: Sequence[int]) -> Any:
    values = {name: tuple(getattr(task, name)[k] for k in keep) for name in fields}
    return dataclasses.replace(task, **values)


def _key(task: Any, fields: list[str], k: int) -> str:
    """The cache key of item ``k`` of ``task``: its one-item task with row 0, and the code."""
    single = _subset(task, fields, [k])
    single = dataclasses.replace(single, rows=(0,))
    digest = hashlib.sha256(code_fingerprint())
    digest.update(pickle.dumps(single, protocol=5))
    return digest.hexdigest()


def map_cached(
    function: Callable[[Any], list[Any]],
    tasks: Sequence[Any],
    *,
    store: Any | None,
    n_jobs: int | None = None,
    executor: Executor | None = None,
) -> Iterator[list[Any]]:
    """:func:`~sop_xl.forecast.batch.map_tasks` of ``function`` over ``tasks``, with each item's
    result taken from ``store`` when it holds it, and stored when it is computed.

    ``tasks`` are dataclasses with a tuple field ``rows`` and further tuple fields holding one
    value per item (every tuple field as long as ``rows``); ``function(task)`` returns one
    dataclass per item with a field ``row``. The results already stored come first, as one list; the
    rest come as :func:`map_tasks` yields them. Without a store this is :func:`map_tasks`.
    """
    if store is None or not tasks:
        yield from map_tasks(function, tasks, n_jobs=n_jobs, executor=executor)
        return
    found: list[Any] = []
    missing: list[Any] = []
    keys: dict[int, str] = {}
    try:
        for task in tasks:
            fields = _per_item(task)
            todo = []
            for k, row in enumerate(task.rows):
                key = _key(task, fields, k)
                hit = store.get(key)
                if hit is None:
                    todo.append(k)
                    keys[row] = key
                else:
                    found.extend(dataclasses.replace(r, row=row) for r in pickle.loads(hit))
            if todo:
                missing.append(task if len(todo) == len(task.rows) else _subset(task, fields, todo))
    except Exception:  # noqa: BLE001 - an unreadable cache: forecast everything
        yield from map_tasks(function, tasks, n_jobs=n_jobs, executor=executor)
        return
    if found:
        yield found
    for part in map_tasks(function, missing, n_jobs=n_jobs, executor=executor):
        _store(store, keys, part)
        yield part


def _store(store: Any, keys: dict[int, str], part: list[Any]) -> None:
    by_row: dict[int, list[Any]] = {}
    for result in part:
        by_row.setdefault(result.row, []).append(dataclasses.replace(result, row=0))
    try:
        with store.transact():
            for row, results in by_row.items():
                store.set(keys[row], pickle.dumps(results, protocol=5))
    except Exception:  # noqa: BLE001 - a full disk or a locked cache only costs the next run
        pass
