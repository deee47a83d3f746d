"""Saving files without ever leaving a half-written one, and one writer per workbook.

- :func:`atomic_path` yields a temporary path in the target's folder; when the block ends
  without an error the temporary file is flushed to disk (``fsync``) and replaces the target in
  one step (``os.replace``), then the folder is flushed too; otherwise it is removed and the
  target is left exactly as it was.
- :func:`workbook_lock` is an exclusive lock on a workbook, held by one sop-xl command at a
  time: a lock file beside it, ``.plan.xlsx.sop-lock`` (the ``filelock`` package: ``flock`` on
  Linux and macOS, ``LockFileEx`` on Windows; the system releases it when a process dies, so a
  killed command never blocks the next one). A second command waits :data:`LOCK_TIMEOUT`
  seconds, then refuses. The lock file is removed when the lock is released.
- :class:`Fingerprint` (size, modification time, SHA-256 of the bytes) tells whether the file on
  disk is still the one that was read: Excel does not take sop-xl's lock, so a save checks it
  right before the replace (:func:`check_unchanged`).
- :func:`remove_stale_temps` deletes the temporary files of a save that was killed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sop_xl.errors import SopError

LOCK_TIMEOUT = 5.0
"""Seconds a command waits for another sop-xl command on the same workbook before refusing."""

LOCK_SUFFIX = ".sop-lock"
TEMP_MARK = ".tmp"
PROBE_MARK = ".probe"

_held: dict[tuple[str, int], list] = {}  # (lock file, thread) -> [FileLock, depth]
_held_guard = threading.Lock()


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock file of ``target``: ``.NAME.sop-lock`` in the same folder.

    >>> lock_path("data/plan.xlsx").as_posix()
    'data/.plan.xlsx.sop-lock'
    """
    target = Path(target)
    return target.with_name(f".{target.name}{LOCK_SUFFIX}")


def _folder(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


@contextlib.contextmanager
def workbook_lock(target: str | os.PathLike[str], timeout: float = LOCK_TIMEOUT) -> Iterator[Path]:
    """Hold the exclusive lock of ``target`` for the block; yields the lock file's path.

    Re-entrant within one thread (a save inside a held lock does not wait for itself); other
    threads and processes wait up to ``timeout`` seconds [s].

    Raises
    ------
    SopError
        When another command holds the lock for longer than ``timeout``, or the folder does
        not allow a lock file (not writable).
    """
    from filelock import FileLock, Timeout

    target = Path(target)
    path = lock_path(target)
    key = (os.path.abspath(path), threading.get_ident())
    with _held_guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is None:
        try:
            _folder(target).mkdir(parents=True, exist_ok=True)
            lock = _acquire(FileLock, path, timeout)
        except Timeout:
            raise SopError(
                f"{target.name} is in use by another sop-xl command (lock file {path}); "
                f"waited {timeout:g} s; try again when it has finished"
            ) from None
        except OSError as exc:
            raise SopError(
                f"cannot lock {target.name}: folder {_folder(target)} is not writable "
                f"({exc.strerror or exc})"
            ) from None
        entry = [lock, 1]
        with _held_guard:
            _held[key] = entry
    try:
        yield path
    finally:
        with _held_guard:
            entry[1] -= 1
            last = entry[1] == 0
            if last:
                del _held[key]
        if last:
            # remove the file while still holding it: a waiter that opened it finds it unlinked
            # after locking and retries on a fresh file (filelock checks st_nlink)
            with contextlib.suppress(OSError):
                path.unlink()
            entry[0].release()


def _acquire(file_lock: type, path: Path, timeout: float):
    """Acquire ``file_lock(path)``; retry when the file locked was unlinked by the previous
    holder meanwhile (then another process may lock the new file at that path)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        lock = file_lock(path, timeout=max(deadline - time.monotonic(), 0.0))
        lock.acquire()
        fd = getattr(getattr(lock, "_context", None), "lock_file_fd", None)
        if not isinstance(fd, int) or os.fstat(fd).st_nlink > 0:
            return lock
        lock.release()  # older filelock versions do not check this themselves


@dataclass(frozen=True)
class Fingerprint:
    """What identifies one version of a file: size [bytes], mtime [ns], SHA-256 of its bytes."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, stat: os.stat_result, data: bytes) -> Fingerprint:
        return cls(stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest())


def read_with_fingerprint(path: str | os.PathLike[str]) -> tuple[bytes, Fingerprint]:
    """The bytes of ``path`` and the fingerprint of exactly those bytes."""
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        data = handle.read()
    return data, Fingerprint.of(stat, data)


def check_unchanged(path: str | os.PathLike[str], expected: Fingerprint) -> None:
    """Refuse when the file at ``path`` is no longer the version ``expected`` describes.

    Raises
    ------
    SopError
        When it was deleted, moved or saved by another program since it was read.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise SopError(
            f"{path} was moved or deleted after sop-xl opened it; nothing was written"
        ) from None
    same = stat.st_size == expected.size and stat.st_mtime_ns == expected.mtime_ns
    if same:
        same = hashlib.sha256(path.read_bytes()).hexdigest() == expected.sha256
    if not same:
        raise SopError(
            f"{path} was changed on disk after sop-xl opened it (saved in Excel or by another "
            "program?); nothing was written: close it elsewhere and run the command again"
        )


def check_writable(target: str | os.PathLike[str]) -> None:
    """Refuse, before any work, a target that cannot be replaced: read-only file or folder.

    A file without any write permission bit counts as read-only even for an administrator
    (``os.replace`` would otherwise silently replace it). The folder is tested by creating and
    removing a small file in it.

    Raises
    ------
    SopError
        Naming the file or folder and why it cannot be written.
    """
    target = Path(target)
    if target.is_dir():
        raise SopError(f"{target} is a folder, not a file")
    if target.exists():
        mode = target.stat().st_mode
        if not mode & 0o222 or not os.access(target, os.W_OK):
            raise SopError(f"{target} is read-only; nothing was written (make it writable first)")
    folder = _folder(target)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # atomic_path creates missing folders: test the first existing
    if not folder.is_dir():
        raise SopError(f"cannot write {target}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=PROBE_MARK, dir=folder)
    except OSError as exc:
        raise SopError(
            f"cannot write {target}: folder {folder} is not writable ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    with contextlib.suppress(FileNotFoundError):  # remove_stale_temps may have taken it
        os.unlink(probe)


def _temp_pattern(target: Path) -> re.Pattern[str]:
    # tempfile.mkstemp's random part: 8 characters of [a-z0-9_]; a save's file or a probe's
    ends = f"(?:{re.escape(TEMP_MARK + target.suffix)}|{re.escape(PROBE_MARK)})"
    return re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}{ends}")


def remove_stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files a killed save (or writability probe) of ``target`` left.

    Call it only while holding :func:`workbook_lock` (then no save of ``target`` is under way).
    Returns the paths removed.
    """
    target = Path(target)
    folder = _folder(target)
    pattern = _temp_pattern(target)
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str], *, before_replace: Callable[[], None] | None = None
) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target``.

    Parameters
    ----------
    target : path-like
        The file to write.
    before_replace : callable, keyword-only, optional
        Called after the temporary file is written and flushed, right before the replace; an
        exception from it leaves ``target`` untouched (e.g. :func:`check_unchanged`).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("new")
    >>> (folder / "a.txt").read_text()
    'new'
    """
    target = Path(target)
    folder = _folder(target)
    folder.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600; the saved file gets the target's mode, or the umask's
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMP_MARK + target.suffix, dir=folder
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync_file(tmp)
        os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
        _fsync_folder(folder)
    finally:
        if tmp.exists():
            tmp.unlink()


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    """Flush the folder entry of a replace (POSIX; Windows has no folder handles to flush)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
