"""The plan archive: every cycle's snapshot in a database instead of the History sheet.

Settings ``Archive`` names it: a file path (relative to the workbook's folder) is an embedded
DuckDB database; ``postgresql://user@host/db`` is a team's PostgreSQL (psycopg). One archive
serves several workbooks: each row carries its *plan* (the workbook's file name), and a
workbook reads and replaces only its own plan's rows.

Tables (created on first use)::

    history(plan, cycle, snapshot_time, kind, item, period, ahead, period_no, qty)
    adjustment_history(plan, cycle, moved_time, item, family, period, qty, percent, type,
                       owner, comment)
    log(plan, time, "user", action, rows, seconds, messages)

``cycle`` and ``period`` are the first days of their periods; ``ahead`` = periods from the
cycle start to ``period`` (0 = the cycle's first plan period, the lag-1 plan); ``period_no``
numbers periods (months: 12 * year + month - 1; weeks: weeks since 1970-01-05), so lags and
the naive forecast are integer arithmetic that both databases do alike.

A snapshot is one database transaction (:meth:`Archive.snapshot`): the plan's rows of that
cycle are deleted and the new ones inserted, the adjustment history and the Log replaced by
the workbook's; a killed process leaves the archive as it was. Lag accuracy is aggregated in
the database (:meth:`Archive.lag_sums`): sums per item of |F - A| for the naive, statistical
and consensus plans, so only one row per item leaves it.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sop_xl.errors import SopError

HISTORY_COLUMNS = ["Cycle", "SnapshotTime", "Kind", "Item", "Period", "Qty"]
ADJUSTMENT_COLUMNS = [
    "Cycle", "MovedTime", "Item", "Family", "Period", "Qty", "Percent", "Type", "Owner", "Comment"
]  # fmt: skip
LOG_COLUMNS = ["Time", "User", "Action", "Rows", "Seconds", "Messages"]
LOCK_WAIT = 30.0  # seconds a DuckDB file held by another process is waited for [s]
WEEK_ZERO = pd.Timestamp("1970-01-05")  # a Monday

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS history (
        plan TEXT NOT NULL, cycle DATE NOT NULL, snapshot_time TEXT, kind TEXT NOT NULL,
        item TEXT NOT NULL, period DATE NOT NULL, ahead INTEGER NOT NULL,
        period_no INTEGER NOT NULL, qty DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS adjustment_history (
        plan TEXT NOT NULL, cycle TEXT, moved_time TEXT, item TEXT, family TEXT, period TEXT,
        qty DOUBLE PRECISION, percent DOUBLE PRECISION, type TEXT, owner TEXT, comment TEXT)""",
    """CREATE TABLE IF NOT EXISTS log (
        plan TEXT NOT NULL, time TEXT, "user" TEXT, action TEXT, rows DOUBLE PRECISION,
        seconds DOUBLE PRECISION, messages TEXT)""",
)
#: PostgreSQL's indexes of the history table. DuckDB has none: its row groups carry min/max
#: per column, which already skip other cycles, while an index made deleting one cycle's
#: 720,000 rows take 12 s (and longer the more cycles the table held)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS history_plan_cycle ON history (plan, cycle)",
    "CREATE INDEX IF NOT EXISTS history_plan_ahead ON history (plan, ahead, kind)",
)


def period_numbers(periods: pd.Series | pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Period numbers of first days of periods: months 12 * year + month - 1, weeks since
    1970-01-05.

    >>> period_numbers(pd.to_datetime(["2026-01-01", "2026-03-01"]), "MS").tolist()
    [24312, 24314]
    >>> period_numbers(pd.to_datetime(["1970-01-05", "1970-01-19"]), "W-MON").tolist()
    [0, 2]
    """
    index = pd.DatetimeIndex(periods)
    if freq.upper().startswith("W"):
        return np.asarray((index - WEEK_ZERO).days // 7, dtype=np.int64)
    return np.asarray(index.year * 12 + index.month - 1, dtype=np.int64)


def is_url(location: str) -> bool:
    """True for a PostgreSQL URL (``postgresql://`` or ``postgres://``)."""
    return location.strip().lower().startswith(("postgresql://", "postgres://"))


@dataclass(frozen=True)
class LagSums:
    """Per item, the sums lag accuracy needs over its (item, period) pairs of one lag.

    Columns of :attr:`frame` (index ``item``): ``pairs``, ``actual`` (sum A), ``abs_actual``
    (sum |A|), ``err_naive``, ``err_statistical``, ``err_consensus`` (sum |F - A|) and
    ``dev_naive``, ``dev_statistical``, ``dev_consensus`` (sum (F - A)).
    """

    lag: int
    frame: pd.DataFrame


class Archive:
    """An open plan archive (DuckDB file or PostgreSQL); use :func:`open_archive`."""

    def __init__(self, connection: Any, kind: str, where: str) -> None:
        self.connection, self.kind, self.where = connection, kind, where
        if kind == "duckdb":  # no progress bar on the CLI's output
            connection.execute("SET enable_progress_bar = false")
        self._create()

    # -- plumbing ------------------------------------------------------------------------------
    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.kind == "postgresql" else text

    def _execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        if self.kind == "postgresql":
            cursor = self.connection.cursor()
            cursor.execute(self._sql(text), params)
            return cursor
        return self.connection.execute(text, list(params))

    def _frame(self, text: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        cursor = self._execute(text, params)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.kind == "postgresql":
            with self.connection.transaction():
                yield
            return
        self.connection.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def _create(self) -> None:
        with self._transaction():
            if self.kind == "postgresql":  # two first snapshots at once: one creates
                self._execute("SELECT pg_advisory_xact_lock(14014014)")
            for statement in SCHEMA:
                self._execute(statement)
            if self.kind == "postgresql":
                for statement in INDEXES:
                    self._execute(statement)
            else:  # an archive made by an earlier version: see INDEXES
                for name in ("history_plan_cycle", "history_plan_ahead"):
                    self._execute(f"DROP INDEX IF EXISTS {name}")

    def _insert(self, table: str, frame: pd.DataFrame) -> None:
        """Insert ``frame`` (columns = the table's, in order) into ``table``."""
        if frame.empty:
            return
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        if self.kind == "postgresql":
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d")
            buffer.seek(0)
            cursor = self.connection.cursor()
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                while chunk := buffer.read(1 << 20):
                    copy.write(chunk)
            return
        self.connection.register("sop_rows", frame)
        try:
            self.connection.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM sop_rows")
        finally:
            self.connection.unregister("sop_rows")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------
    def snapshot(
        self,
        plan: str,
        history: pd.DataFrame,
        *,
        freq: str,
        adjustments: pd.DataFrame | None = None,
        log: pd.DataFrame | None = None,
    ) -> int:
        """Store ``history`` (tblHistory rows, typed: see :func:`history_rows`) as the plan's
        rows of the cycles it holds, replacing those cycles' earlier rows, and replace the
        plan's adjustment history and Log; all in one transaction. Returns the rows stored.
        """
        rows = history_rows(plan, history, freq)
        cycles = [pd.Timestamp(c).date() for c in sorted(pd.unique(rows["cycle"]))]
        with self._transaction():
            if self.kind == "postgresql":  # same plan at once: one after the other
                self._execute("SELECT pg_advisory_xact_lock(hashtext(?))", (plan,))
            for cycle in cycles:
                self._execute("DELETE FROM history WHERE plan = ? AND cycle = ?", (plan, cycle))
            self._insert("history", rows)
            if adjustments is not None:
                self._execute("DELETE FROM adjustment_history WHERE plan = ?", (plan,))
                self._insert("adjustment_history", _adjustment_rows(plan, adjustments))
            if log is not None:
                self._execute("DELETE FROM log WHERE plan = ?", (plan,))
                self._insert("log", _log_rows(plan, log))
        return len(rows)

    # -- reading -------------------------------------------------------------------------------
    def cycles(self, plan: str) -> list[pd.Timestamp]:
        """The plan's cycles in the archive, oldest first."""
        found = self._frame(
            "SELECT DISTINCT cycle FROM history WHERE plan = ? ORDER BY cycle", (plan,)
        )
        return [pd.Timestamp(c) for c in found["cycle"]]

    def history(
        self,
        plan: str,
        *,
        kinds: Sequence[str] | None = None,
        aheads: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """The plan's rows as ``cycle, kind, item, period, qty`` (CycleInputs.history's
        layout), optionally only some kinds and some ``ahead`` values."""
        where, params = ["plan = ?"], [plan]
        if kinds is not None:
            where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            params += list(kinds)
        if aheads is not None:
            where.append(f"ahead IN ({', '.join('?' for _ in aheads)})")
            params += [int(a) for a in aheads]
        frame = self._frame(
            "SELECT cycle, kind, item, period, qty FROM history WHERE "
            + " AND ".join(where)
            + " ORDER BY cycle, kind, item, period",
            params,
        )
        for column in ("cycle", "period"):
            frame[column] = pd.to_datetime(frame[column])
        frame["qty"] = frame["qty"].astype(float)
        return frame

    def table(self, plan: str | None = None) -> pd.DataFrame:
        """History rows in tblHistory's layout (Cycle and Period as labels), one plan or all
        (then with a Plan column first)."""
        where, params = ("WHERE plan = ?", (plan,)) if plan is not None else ("", ())
        frame = self._frame(
            "SELECT plan, cycle, snapshot_time, kind, item, period, ahead, period_no, qty "
            f"FROM history {where} ORDER BY plan, cycle, kind, item, period",
            params,
        )
        return frame

    def lag_sums(self, plan: str, actuals: pd.DataFrame, *, lag: int, freq: str) -> LagSums:
        """Lag ``lag`` sums per item (see :class:`LagSums`), aggregated in the database.

        The pairs are those of :func:`sop_xl.records.accuracy.lag_pairs`: periods up to the
        last actual where both the statistical and the consensus plan of lag ``lag`` exist; a
        missing actual is 0, the naive forecast is the actual ``lag`` periods before.
        """
        return self.lags_sums(plan, actuals, lags=[lag], freq=freq)[lag]

    def lags_sums(
        self, plan: str, actuals: pd.DataFrame, *, lags: Sequence[int], freq: str
    ) -> dict[int, LagSums]:
        """:meth:`lag_sums` for several lags in one query: one pass over the history rows
        (both kinds, every lag), one join with the actuals (the actual and the naive forecast
        of each item, period and lag side by side, :func:`_actual_pairs`)."""
        lags = [int(lag) for lag in lags]
        columns = ["pairs", "actual", "abs_actual"] + [
            f"{p}_{s}" for p in ("err", "dev") for s in ("naive", "statistical", "consensus")
        ]
        empty = pd.DataFrame(columns=columns, index=pd.Index([], name="item"), dtype=float)
        if actuals.empty:
            return {lag: LagSums(lag, empty) for lag in lags}
        pairs, last = _actual_pairs(actuals, lags, freq)
        aheads = ", ".join("?" for _ in lags)
        query = f"""
            WITH p AS (SELECT ahead + 1 AS lag, item, period_no,
                              SUM(qty) FILTER (WHERE kind = 'forecast') AS stat,
                              SUM(qty) FILTER (WHERE kind = 'demand plan') AS cons
                       FROM history
                       WHERE plan = ? AND ahead IN ({aheads}) AND period_no <= ?
                         AND kind IN ('forecast', 'demand plan')
                       GROUP BY ahead, item, period_no),
                 x AS (SELECT p.lag, p.item, p.stat, p.cons,
                              COALESCE(a.act, 0) AS act, COALESCE(a.nai, 0) AS nai
                       FROM p LEFT JOIN sop_actuals a
                         ON a.lag = p.lag AND a.item = p.item AND a.pno = p.period_no
                       WHERE p.stat IS NOT NULL AND p.cons IS NOT NULL)
            SELECT lag, item, COUNT(*) AS pairs, SUM(act) AS actual, SUM(ABS(act)) AS abs_actual,
                   SUM(ABS(nai - act)) AS err_naive, SUM(ABS(stat - act)) AS err_statistical,
                   SUM(ABS(cons - act)) AS err_consensus, SUM(nai - act) AS dev_naive,
                   SUM(stat - act) AS dev_statistical, SUM(cons - act) AS dev_consensus
            FROM x GROUP BY lag, item ORDER BY lag, item"""
        params = (plan, *[lag - 1 for lag in lags], last)
        with self._actuals(pairs):
            frame = self._frame(query, params)
        out = {}
        for lag in lags:
            part = frame[frame["lag"].astype(int) == lag].set_index("item")
            out[lag] = LagSums(lag, part[columns].astype(float) if len(part) else empty)
        return out

    @contextlib.contextmanager
    def _actuals(self, sales: pd.DataFrame) -> Iterator[None]:
        """``sop_actuals(lag, item, pno, act, nai)`` for the queries of the block."""
        if self.kind == "postgresql":
            with self._transaction():
                self._execute(
                    "CREATE TEMPORARY TABLE sop_actuals (lag INTEGER, item TEXT, pno INTEGER, "
                    "act DOUBLE PRECISION, nai DOUBLE PRECISION) ON COMMIT DROP"
                )
                self._insert("sop_actuals", sales)
                self._execute("CREATE INDEX ON sop_actuals (lag, item, pno)")
                yield
            return
        self.connection.register("sop_actuals", sales)
        try:
            yield
        finally:
            self.connection.unregister("sop_actuals")


def _actual_pairs(
    actuals: pd.DataFrame, lags: Sequence[int], freq: str
) -> tuple[pd.DataFrame, int]:
    """Per lag, item and period from the first actual to the last: the actual (0 when
    missing) and the naive forecast (the actual ``lag`` periods before, 0 when missing), as
    ``lag, item, pno, act, nai``; and the last actual's period number."""
    sales = pd.DataFrame(
        {
            "item": actuals["item"].astype(str).to_numpy(),
            "pno": period_numbers(actuals["period"], freq),
            "qty": actuals["qty"].astype(float).to_numpy(),
        }
    )
    grid = sales.groupby(["item", "pno"])["qty"].sum().unstack("pno")
    first, last = int(grid.columns.min()), int(grid.columns.max())
    grid = grid.reindex(columns=range(first, last + 1)).fillna(0.0)
    values = grid.to_numpy()
    items, periods = grid.index.to_numpy(dtype=object), np.arange(first, last + 1)
    frames = []
    for lag in lags:
        naive = np.zeros_like(values)
        if lag < values.shape[1]:
            naive[:, lag:] = values[:, :-lag] if lag else values
        frames.append(
            pd.DataFrame(
                {
                    "lag": np.int32(lag),
                    "item": np.repeat(items, periods.size),
                    "pno": np.tile(periods, items.size).astype(np.int32),
                    "act": values.ravel(),
                    "nai": naive.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True), last


def history_rows(plan: str, history: pd.DataFrame, freq: str) -> pd.DataFrame:
    """The archive's history rows of typed tblHistory rows.

    ``history`` has columns ``cycle, snapshot_time, kind, item, period, qty`` (cycle and period
    as first days of their periods). Dates stay numpy ``datetime64`` (whole days), which both
    databases take as dates without a Python object per row.
    """
    cycles = pd.DatetimeIndex(history["cycle"]).normalize()
    periods = pd.DatetimeIndex(history["period"]).normalize()
    cycle_no = period_numbers(cycles, freq)
    period_no = period_numbers(periods, freq)
    return pd.DataFrame(
        {
            "plan": plan,
            "cycle": cycles.values.astype("datetime64[s]"),
            "snapshot_time": history["snapshot_time"].astype(str).to_numpy(),
            "kind": history["kind"].astype(str).to_numpy(),
            "item": history["item"].astype(str).to_numpy(),
            "period": periods.values.astype("datetime64[s]"),
            "ahead": (period_no - cycle_no).astype(np.int32),
            "period_no": period_no.astype(np.int32),
            "qty": history["qty"].astype(float).to_numpy(),
        }
    )


def _texts(values: pd.Series) -> list[Any]:
    return [None if v is None or v != v else str(v) for v in values]


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)


def _adjustment_rows(plan: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=ADJUSTMENT_COLUMNS).dropna(how="all")
    return pd.DataFrame(
        {
            "plan": plan,
            "cycle": _texts(frame["Cycle"]),
            "moved_time": _texts(frame["MovedTime"]),
            "item": _texts(frame["Item"]),
            "family": _texts(frame["Family"]),
            "period": _texts(frame["Period"]),
            "qty": _numbers(frame["Qty"]).to_numpy(),
            "percent": _numbers(frame["Percent"]).to_numpy(),
            "type": _texts(frame["Type"]),
            "owner": _texts(frame["Owner"]),
            "comment": _texts(frame["Comment"]),
        }
    )


def _log_rows(plan: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=LOG_COLUMNS).dropna(how="all")
    return pd.DataFrame(
        {
            "plan": plan,
            "time": _texts(frame["Time"]),
            "user": _texts(frame["User"]),
            "action": _texts(frame["Action"]),
            "rows": _numbers(frame["Rows"]).to_numpy(),
            "seconds": _numbers(frame["Seconds"]).to_numpy(),
            "messages": _texts(frame["Messages"]),
        }
    )


def open_archive(location: str, folder: Path | None = None) -> Archive:
    """Open (creating if need be) the archive named by Settings ``Archive``.

    Parameters
    ----------
    location : str
        A DuckDB file path (relative to ``folder``) or a ``postgresql://`` URL.
    folder : Path or None
        The workbook's folder (None: the current folder).

    Raises
    ------
    SopError
        When the database cannot be opened or reached: one line naming Settings Archive, its
        value (a URL's password masked) and the reason (:func:`archive_error`).
    """
    location = location.strip()
    if is_url(location):
        return _open_postgresql(location)
    import duckdb

    path = Path(location)
    if not path.is_absolute():
        path = (folder or Path.cwd()) / path
    if path.is_dir():
        raise _refused(location, f"{path} is a folder; give a file name such as plans.duckdb")
    if not path.parent.is_dir():
        raise _refused(location, f"the folder {path.parent} does not exist")
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return Archive(duckdb.connect(str(path)), "duckdb", str(path))
        except duckdb.IOException as exc:  # held by another process: wait a little
            if "lock" not in str(exc).lower():
                raise archive_error(location, exc) from None
            if time.monotonic() > deadline:
                raise _refused(
                    location, f"{path} is in use by another program (waited {LOCK_WAIT:g} s)"
                ) from None
            time.sleep(0.2)
        except duckdb.Error as exc:
            raise archive_error(location, exc) from None


def _open_postgresql(url: str) -> Archive:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise _refused(url, f"not a valid URL ({exc}); write postgresql://"
                       "user:password@host:port/database") from None  # fmt: skip
    try:
        import psycopg
    except ImportError:
        raise _refused(url, "PostgreSQL needs psycopg: pip install psycopg") from None
    try:
        connection = psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as exc:
        raise archive_error(url, exc) from None
    try:
        return Archive(connection, "postgresql", _shown(url))
    except psycopg.Error as exc:  # e.g. no right to create the tables
        connection.close()
        raise archive_error(url, exc) from None


def is_database_error(exc: BaseException) -> bool:
    """True for an error of DuckDB or psycopg (not imported to ask)."""
    return any(
        t.__module__.split(".")[0].lstrip("_") in ("duckdb", "psycopg") for t in type(exc).__mro__
    )


def archive_error(location: str, exc: BaseException) -> SopError:
    """One line for a database error of the archive: Settings Archive, its value (a URL's
    password masked) and the database's reason, without its prefixes and hints.

    >>> class OperationalError(Exception): pass
    >>> print(archive_error("postgresql://ann:pw@db/plans", OperationalError(
    ...     'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
    ...     'FATAL:  password authentication failed for user "ann"')))
    Settings Archive 'postgresql://ann:***@db/plans': password authentication failed for user "ann"
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = lines[0] if lines else type(exc).__name__
    reason = re.sub(r"^connection failed:\s*", "", reason)
    reason = re.sub(r'^connection to server (at|on socket) "[^"]*"(, port \d+)? failed:\s*', "",
                    reason)  # fmt: skip
    reason = re.sub(r"^(FATAL|ERROR):\s*", "", reason)
    reason = re.sub(r"^[A-Za-z ]*Error:\s*", "", reason)  # DuckDB's "IO Error: ", ...
    if reason.lower() == "connection refused" and is_url(location):
        reason = f"no PostgreSQL server answers at {_server(location)} (connection refused)"
    return _refused(location, reason[:200])


def _refused(location: str, reason: str) -> SopError:
    return SopError(f"Settings Archive {_shown(location)!r}: {reason}")


def _server(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


def _shown(url: str) -> str:
    """The URL without its password (a file path as it is)."""
    from urllib.parse import urlsplit, urlunsplit

    if not is_url(url):
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
