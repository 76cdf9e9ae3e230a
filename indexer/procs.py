"""Process helpers shared by the indexer's workers and the server's workers."""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import threading
import time

#: glibc's ``mallopt`` parameter for the number of malloc arenas
_M_ARENA_MAX = -8
#: malloc arenas of a server process (see :func:`limit_malloc_arenas`)
SERVER_ARENAS = 2
#: seconds between two trims after requests (see :func:`release_now_and_then`)
TRIM_EVERY = 30.0


@functools.cache
def _libc_function(name: str):
    """The C library's function ``name`` (None where there is none, e.g. not glibc)."""
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None


def die_with(parent: int) -> None:
    """In a child process: be killed when ``parent`` dies (Linux; elsewhere nothing)."""
    prctl = _libc_function("prctl")
    if prctl is None:
        return
    prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the signal was armed


def limit_malloc_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Let this process's threads share at most ``arenas`` malloc arenas (glibc).

    glibc gives threads that allocate at the same time arenas of their own,
    up to eight per core, and memory freed in an arena stays with it. In a
    server whose requests run on a pool of threads, every thread then keeps
    the high-water mark of the largest request it served (an index view's
    masks, a JSON answer) as resident memory. Call it before the threads
    start. True if the C library took it (False elsewhere: nothing changes).
    """
    mallopt = _libc_function("mallopt")
    return bool(mallopt is not None and mallopt(_M_ARENA_MAX, int(arenas)))


def release_free_memory() -> bool:
    """Hand the pages that ``malloc`` holds free back to the system (glibc's
    ``malloc_trim``); a few milliseconds. Call it after a build that freed
    much (the analytics of a generation, a new index view): what ``free``
    returned lies between blocks still in use, which ``malloc`` keeps
    resident otherwise. True if any memory was released."""
    trim = _libc_function("malloc_trim")
    return bool(trim is not None and trim(0))


_trimmed = {"at": float("-inf")}
_trimming = threading.Lock()


def release_now_and_then(every: float | None = None, clock=time.monotonic) -> bool:
    """:func:`release_free_memory` if the last call through here was at least ``every``
    seconds ago (default :data:`TRIM_EVERY`); a server calls it after each request.

    Searches leave freed memory between blocks still in use (their masks, lists and
    answers); trimmed now and then it goes back to the system instead of adding up to
    a hundred megabytes or more per worker. One thread trims at a time; the others
    go on. True if it trimmed.
    """
    every = TRIM_EVERY if every is None else every
    now = clock()
    if now - _trimmed["at"] < every or not _trimming.acquire(blocking=False):
        return False
    try:
        if clock() - _trimmed["at"] < every:
            return False
        _trimmed["at"] = clock()
        release_free_memory()
        return True
    finally:
        _trimming.release()
