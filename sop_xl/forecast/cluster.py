"""Forecasting on a Dask cluster: the executor the batch forecaster maps its groups over.

A team starts a scheduler and workers with Dask's own commands (``dask scheduler`` on one
machine, ``dask worker tcp://HOST:8786`` on each of the others, every one with sop-xl
installed) and names the scheduler in ``sop-xl run --scheduler ADDRESS`` or the Settings key
``Scheduler``. :func:`cluster_executor` connects a ``distributed.Client`` to it and hands
:func:`~sop_xl.forecast.batch.forecast_frame` the client's ``concurrent.futures`` executor;
blank means the local process pool. The cluster runs the same pure function on the same data,
so its forecasts equal a local run's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Executor

from sop_xl.errors import SopError

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for the scheduler before giving up [s]."""


@contextlib.contextmanager
def cluster_executor(address: str | None) -> Iterator[Executor | None]:
    """The executor of the Dask scheduler at ``address``; None when ``address`` is blank.

    Parameters
    ----------
    address : str or None
        The scheduler, e.g. ``tcp://10.0.0.5:8786`` (``10.0.0.5:8786`` is read the same).

    Yields
    ------
    concurrent.futures.Executor or None
        ``distributed.Client(address).get_executor()``; the client closes when the block ends.

    Raises
    ------
    SopError
        When distributed is not installed or the scheduler cannot be reached within
        :data:`CONNECT_TIMEOUT` seconds, naming the address.

    Examples
    --------
    >>> with cluster_executor("  ") as executor:
    ...     executor is None
    True
    """
    address = (address or "").strip()
    if not address:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise SopError(
            f"Scheduler {address!r} needs Dask's distributed package: pip install 'sop-xl[cluster]'"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise SopError(f"cannot reach the Dask scheduler {address!r}: {reason}") from None
    try:
        yield client.get_executor()
    finally:
        client.close()
