"""The one-writer lock: an ``flock`` on ``DIR/MAIN_WRITELOCK``.

The kernel drops it when the process dies, so a killed indexer never leaves
a stale lock. Processes forked while it is held (parsing workers, Whoosh's
writer processes) close their copy of it and die with the indexer.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from ..procs import die_with

#: Seconds a writer waits for another indexer to release the lock.
LOCK_TIMEOUT = 30.0
LOCK_NAME = "MAIN_WRITELOCK"

#: fds of the write locks this process holds (closed in forked children)
_held_locks: set[int] = set()
_fork_hook: list[bool] = []  # non-empty once the at-fork handler is installed
_fork_parent: list[int] = [0]


def _install_fork_hook() -> None:
    """Make children forked while a lock is held drop it and die with this process.

    ``flock`` locks belong to the open file, which a forked child shares: a
    parsing worker orphaned by a killed indexer would otherwise keep the
    index locked.
    """
    if _fork_hook:
        return

    def before() -> None:
        _fork_parent[0] = os.getpid()

    def after_in_child() -> None:
        if not _held_locks:
            return
        for fd in list(_held_locks):
            try:
                os.close(fd)  # close only: unlocking would release the parent's lock
            except OSError:
                pass
        _held_locks.clear()
        die_with(_fork_parent[0])

    os.register_at_fork(before=before, after_in_child=after_in_child)
    _fork_hook.append(True)


class WriteLock:
    """An exclusive ``flock`` on ``DIR/MAIN_WRITELOCK``, released when its process dies.

    The same file Whoosh's own writer locks, so any Whoosh writer is excluded
    too. After a rebuild swapped the directory, the path names another file:
    a lock taken on the old one does not count and is taken again.
    """

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / LOCK_NAME
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o644)
        except FileNotFoundError:
            return False  # the directory is being swapped: try again
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        try:
            held, now = os.fstat(fd), os.stat(self.path)
            same = (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return False
        _install_fork_hook()
        self.fd = fd
        _held_locks.add(fd)
        return True

    def acquire(self, timeout: float, on_wait: Callable[[], None] | None = None) -> bool:
        """Try for ``timeout`` seconds; ``on_wait`` is called once if it has to wait."""
        until = time.monotonic() + timeout
        waited = False
        while not self.try_acquire():
            left = until - time.monotonic()
            if left <= 0:
                return False
            if not waited and on_wait is not None:
                on_wait()
            waited = True
            time.sleep(min(0.1, left))
        return True

    def release(self) -> None:
        if self.fd is not None:
            _held_locks.discard(self.fd)
            os.close(self.fd)  # closing the last copy releases the flock
            self.fd = None


def is_locked(index_dir: str | Path) -> bool:
    """True if an indexer holds the write lock of ``index_dir`` right now."""
    if not Path(index_dir).is_dir():
        return False
    lock = WriteLock(Path(index_dir))
    if lock.try_acquire():
        lock.release()
        return False
    return True
