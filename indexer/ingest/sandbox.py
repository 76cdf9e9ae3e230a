"""A processor-time and memory budget for reading one file, whatever its format.

Reading a file — extraction, normalization, structure, word segmentation —
runs in a child process of the indexer (its parsing workers), never in the
indexer itself, and each file gets a budget there
(:data:`~indexer.ingest.limits.PARSE_TIME_LIMIT` seconds of processor time,
:data:`~indexer.ingest.limits.PARSE_MEMORY_LIMIT` bytes of address space beyond
what the worker held before it, a real-time backstop of
:func:`~indexer.ingest.limits.parse_wall_limit`). A file that runs past it fails
with the reason and the next file gets a fresh budget.

Two ways in:

* :func:`limited` — a context manager for a long-lived worker process: the
  limits are set before the file and lifted after it, so the worker keeps
  what it has learnt (the word segmenter's dictionary and its memory of
  runs already segmented, which make a corpus of similar reports several
  times faster to read than a fresh process per file would). A profiling
  timer raises :class:`OverBudget` in Python code; for a loop inside C code
  that never returns to Python, RLIMIT_CPU ends the worker a few seconds
  later (SIGXCPU), and its parent reports the file (:func:`death_reason`).
* :func:`call` — ``fn(*args)`` in a child forked for it, under the same
  budget as hard limits, the result sent back pickled: for one file on its
  own (``fazhi inspect``, a file whose worker died).

A reader for a new format needs nothing of its own: :func:`extract` is
called inside the budget. A reader that runs another program (as PDFs run
pdfminer in :mod:`.pdfworker`) gives that program limits of its own, since
a process's limits do not count its children's use. Measured on 300
synthetic reports: reading each in a process forked for it took 110 ms a file
against 6–13 ms in a worker that keeps its memory of segmented runs, hence
:func:`limited` for the indexer and :func:`call` only for single files.
"""

from __future__ import annotations

import gc
import math
import os
import pickle
import resource
import select
import signal
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ExtractionError
from ..procs import die_with
from . import limits

T = TypeVar("T")

#: seconds of processor time past the budget before RLIMIT_CPU ends the process (SIGXCPU)
BACKSTOP_GRACE = 10
#: how a process past its processor time ends (RLIMIT_CPU, or the timer with no handler)
_SIGNALS_OF_TIME = {signal.SIGXCPU, signal.SIGPROF}
_TIME_HINT = "the file may be damaged or built to be slow to read: check it, or split it"


@dataclass(frozen=True)
class Budget:
    """What reading one file may use."""

    #: seconds of processor time (counted by the reading process only)
    cpu: float
    #: bytes of address space beyond what the process held when it started the file
    memory: int
    #: seconds of real time: the backstop for a read that waits without using the processor
    wall: float


def file_budget() -> Budget:
    """The budget of one file, from :mod:`~indexer.ingest.limits` (read when called)."""
    return Budget(limits.PARSE_TIME_LIMIT, limits.PARSE_MEMORY_LIMIT, limits.parse_wall_limit())


class OverBudget(BaseException):
    """Reading a file used up its budget (``kind``: time, memory, stalled).

    A BaseException, so that a reader library's ``except Exception`` does not
    swallow it halfway.
    """

    def __init__(self, kind: str, budget: Budget) -> None:
        super().__init__(kind, budget)
        self.kind = kind
        self.budget = budget

    def error(self, path: object) -> ExtractionError:
        """The one-line failure of the file at ``path``."""
        b = self.budget
        if self.kind == "memory":
            return ExtractionError(
                path,
                f"reading the file exceeded the memory limit ({b.memory // limits.MiB} MiB)",
                hint="the file may be damaged or built to fill the memory: check it, or split it",
            )
        if self.kind == "stalled":
            return ExtractionError(
                path,
                f"reading the file did not finish within {b.wall:g}s of real time "
                f"(the processor-time limit is {b.cpu:g}s)",
                hint="the machine may be overloaded, or the file is on a disk that does not "
                "answer: index it again later",
            )
        return ExtractionError(
            path, f"reading the file exceeded the time limit ({b.cpu:g}s)", hint=_TIME_HINT
        )


def death_reason(status: int | None, budget: Budget | None = None) -> str | None:
    """Why a process that read a file ended, from its exit status as ``Process.exitcode``
    gives it (minus the signal number): the time limit (with its hint), else None."""
    if status is not None and status < 0 and -status in _SIGNALS_OF_TIME:
        error = OverBudget("time", budget or file_budget()).error("")
        return f"{error.reason} ({error.hint})"
    return None


#: the budget in force in this process (at most one)
_active: list[Budget] = []


def _vm_size() -> int:
    """Bytes of address space this process has mapped (0 if unknown)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def limited(budget: Budget | None = None, *, backstop: bool = True) -> Iterator[None]:
    """Run the body under ``budget`` (default :func:`file_budget`): raise :class:`OverBudget`.

    Only in the main thread of a process that reads files (signal handlers run
    there). ``backstop``: also lower RLIMIT_CPU, which ends the process
    :data:`BACKSTOP_GRACE` seconds past the budget if the body is stuck in C code.
    """
    budget = budget or file_budget()
    if _active or threading.current_thread() is not threading.main_thread():
        # inside another budget (which stays in force), or where no signal arrives
        yield
        return
    _active.append(budget)
    armed = [True]

    def over(kind: str):
        def handler(_signum, _frame) -> None:
            if armed[0]:
                armed[0] = False
                raise OverBudget(kind, budget)

        return handler

    old_prof = signal.signal(signal.SIGPROF, over("time"))
    old_alrm = signal.signal(signal.SIGALRM, over("stalled"))
    old_as = resource.getrlimit(resource.RLIMIT_AS)
    old_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    try:
        vm = _vm_size()
        if vm:
            cap = vm + budget.memory
            if old_as[1] != resource.RLIM_INFINITY:
                cap = min(cap, old_as[1])
            if old_as[0] == resource.RLIM_INFINITY or cap < old_as[0]:
                resource.setrlimit(resource.RLIMIT_AS, (cap, old_as[1]))
        if backstop:
            soft = math.ceil(_cpu_used() + budget.cpu + BACKSTOP_GRACE)
            if old_cpu[1] == resource.RLIM_INFINITY or soft < old_cpu[1]:
                resource.setrlimit(resource.RLIMIT_CPU, (soft, old_cpu[1]))
        signal.setitimer(signal.ITIMER_PROF, budget.cpu)
        signal.setitimer(signal.ITIMER_REAL, budget.wall)
        try:
            yield
        except MemoryError:
            raise OverBudget("memory", budget) from None
    finally:
        armed[0] = False
        _active.clear()
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, old_prof)
        signal.signal(signal.SIGALRM, old_alrm)
        resource.setrlimit(resource.RLIMIT_AS, old_as)
        resource.setrlimit(resource.RLIMIT_CPU, old_cpu)


def call(fn: Callable[..., T], *args: Any, budget: Budget | None = None) -> T:
    """``fn(*args)`` in a child process forked for it, under ``budget``; its result.

    The result (and an exception ``fn`` raises) must pickle. Raises
    :class:`OverBudget` when the child runs out of time or memory or stalls,
    and :class:`ChildCrashed` when it dies otherwise.
    """
    budget = budget or file_budget()
    parent = os.getpid()
    r, w = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns of fork() in a process with threads: the child runs only
        # ``fn`` and leaves with os._exit, taking no lock that another thread may hold
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child
        os.close(r)
        _child(w, parent, budget, fn, args)
    os.close(w)
    data = _read_until(r, pid, budget)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if not data:
        if death_reason(code) is not None:
            raise OverBudget("time", budget)
        raise ChildCrashed(code)
    kind, value = pickle.loads(data)
    if kind == "ok":
        return value
    if kind == "over":
        raise OverBudget(value, budget)
    raise value


class ChildCrashed(Exception):
    """The child of :func:`call` died without an answer (``status``: exit code, or minus
    the signal)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _child(w: int, parent: int, budget: Budget, fn, args) -> None:
    code = 0
    try:
        die_with(parent)
        gc.freeze()  # the parent's objects: a collection here need not touch (copy) them
        whole = math.ceil(budget.cpu)
        resource.setrlimit(resource.RLIMIT_CPU, (whole + BACKSTOP_GRACE, whole + BACKSTOP_GRACE))
        try:
            with limited(budget, backstop=False):
                answer = ("ok", fn(*args))
        except OverBudget as exc:
            answer = ("over", exc.kind)
        except Exception as exc:  # noqa: BLE001 - sent to the parent, which raises it
            answer = ("raise", exc)
        try:
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
            data = pickle.dumps(("raise", RuntimeError(f"{type(exc).__name__}: {exc}")))
        with os.fdopen(w, "wb") as out:
            out.write(data)
    except BaseException:  # noqa: BLE001 - the parent sees no answer and the exit status
        code = 70
    finally:
        os._exit(code)


def _read_until(r: int, pid: int, budget: Budget) -> bytes:
    """Everything the child writes to ``r`` before it closes it; OverBudget("stalled")
    (the child ended) when that takes longer than the budget's real time."""
    chunks: list[bytes] = []
    deadline = _now() + budget.wall
    try:
        while True:
            left = deadline - _now()
            if left <= 0:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.waitpid(pid, 0)
                raise OverBudget("stalled", budget)
            ready, _, _ = select.select([r], [], [], left)
            if ready:
                chunk = os.read(r, 1 << 20)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
    finally:
        os.close(r)


def _now() -> float:
    import time

    return time.monotonic()


def extract_in_child(path: str | Path, budget: Budget | None = None):
    """:func:`~indexer.ingest.extract.extract` of ``path`` in a child under ``budget``:
    its :class:`~indexer.model.Extracted`, or ExtractionError with the reason."""
    from .extract import extract

    return checked_call(path, extract, path, budget=budget)


def checked_call(path: str | Path, fn: Callable[..., T], *args: Any, budget=None) -> T:
    """:func:`call`, with running out of budget or a crash turned into the
    ExtractionError of the file at ``path``."""
    try:
        return call(fn, *args, budget=budget)
    except OverBudget as exc:
        raise exc.error(path) from None
    except ChildCrashed:
        raise ExtractionError(path, CRASHED) from None


#: the reason of a file whose reading process died otherwise
CRASHED = "the process reading it crashed (out of memory, or a bug in a reader library)"
