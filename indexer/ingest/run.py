"""Bring files into the index: discover, hash, parse (in parallel), write.

Incremental and idempotent: a file whose content hash is already indexed
under its path is skipped, a changed file replaces its old report, identical
content under a second name is indexed once, and ``prune`` drops reports whose
files are gone. One bad file fails alone; every good file is still committed.
Every entry under the given paths is accounted for: indexed, unchanged,
duplicate, failed or skipped, each with its reason (:mod:`.discovery`).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .. import index
from ..errors import ExtractionError, FazhiError
from ..model import Report
from ..procs import die_with
from ..text import Analyzed, analyze, words
from . import sandbox
from .discovery import find_files
from .pipeline import file_sha256, load_report
from .sandbox import CRASHED

#: parse in worker processes when at least this many files changed
PARALLEL_MIN_FILES = 8
#: from this many files, worker processes parse and write segments of their own
PARALLEL_WRITE_MIN_FILES = 100
#: at most this many worker processes
MAX_WORKERS = 4
#: a worker finishes its segment and starts another past this many characters of
#: passage text: finishing one reads it all back into memory (about 13 bytes a
#: character on top of the process), so this bounds a worker's peak near 1.5 GB
SEGMENT_CHARS = 64_000_000
EMPTY = "file is empty (check that the download or copy finished)"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass
class IndexSummary:
    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, same as)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    pruned: list[str] = field(default_factory=list)
    total_reports: int = 0

    def to_json(self) -> dict:
        return {
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "duplicates": [{"file": f, "same_as": s} for f, s in self.duplicates],
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "pruned": self.pruned,
            "total_reports": self.total_reports,
        }


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to index under ``paths``, and the paths that failed (missing, unreadable).

    :func:`~indexer.ingest.discovery.find_files` also says what it skipped and why.
    """
    found = find_files(paths)
    return found.files, found.failed


def _reason(exc: FazhiError) -> str:
    reason = getattr(exc, "reason", None) or str(exc)
    return f"{reason} ({exc.hint})" if exc.hint else reason


def _parse(path: str) -> tuple[Report, Analyzed] | str:
    """The report and its analysis, or why the file cannot be indexed (one line).

    Runs in a parsing worker (never in the indexer itself), under the file's
    budget of processor time and memory (:func:`.sandbox.limited`). Failures
    come back as text, ready to list.
    """
    try:
        words("依法行政")  # the word segmenter's dictionary, loaded outside any file's budget
        with sandbox.limited():
            report = load_report(path, source=path)
            return report, analyze(report)
    except sandbox.OverBudget as exc:
        return _reason(exc.error(path))
    except FazhiError as exc:
        return _reason(exc)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
        return _reason(
            ExtractionError(path, f"unexpected error while reading: {type(exc).__name__}: {exc}")
        )


def _parse_here(path: str):
    """:func:`_parse`, looked up when called (what a worker gets is this name)."""
    return _parse(path)


def _parse_alone(path: str) -> tuple[Report, Analyzed] | str:
    """:func:`_parse` in a process forked for it, so that a crash fails this file only."""
    try:
        return sandbox.call(_parse_here, path)
    except sandbox.OverBudget as exc:
        return _reason(exc.error(path))
    except sandbox.ChildCrashed:
        return CRASHED


def _died(exitcode: int | None) -> str:
    """Why the file a worker was reading fails, from how the worker ended."""
    return sandbox.death_reason(exitcode) or CRASHED


class _EarlyParser:
    """Parses a few files in a worker process started at once.

    Loading the word segmenter takes about two seconds; this way it happens
    while the indexer waits for the lock and reads the index. Files that turn
    out to be unchanged are parsed for nothing, which is cheap for a few, and
    :meth:`close` stops the worker without waiting for it.
    """

    def __init__(self, files: list[Path]) -> None:
        ctx = multiprocessing.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._paths = [str(f) for f in files]
        self._proc = ctx.Process(
            target=_parse_in_order, args=(self._paths, send, os.getpid()), daemon=True
        )
        self._proc.start()
        send.close()
        self._results: dict[str, object] = {}
        self._received = 0
        self._dead = False

    @classmethod
    def start(cls, files: list[Path]) -> _EarlyParser | None:
        """One for a few files on a machine with a core to spare (and fork), else None."""
        if not 0 < len(files) < PARALLEL_MIN_FILES or (os.cpu_count() or 1) < 2:
            return None
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        return cls(files)

    def result(self, path: str):
        """What :func:`_parse` gives for ``path`` (read alone if the worker cannot)."""
        while path not in self._results and path in self._paths and not self._dead:
            try:
                done, result = self._recv.recv()
            except (EOFError, OSError):
                # the worker died: a file past its time limit fails here, the rest alone
                self._dead = True
                self._proc.join()
                reason = sandbox.death_reason(self._proc.exitcode)
                if reason is not None and self._received < len(self._paths):
                    self._results[self._paths[self._received]] = reason  # the one it read
                break
            self._received += 1
            self._results[done] = result
        if path in self._results:
            return self._results.pop(path)
        return _parse_alone(path)

    def close(self) -> None:
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join()
        self._recv.close()


def _parse_in_order(paths: list[str], out, parent: int) -> None:
    # forked before the write lock is taken, so not bound to the indexer by the
    # lock's fork hook: without this it would outlive a killed indexer
    die_with(parent)
    for path in paths:
        out.send((path, _parse(path)))
    out.close()


def _parse_all(paths: list[str], progress: Callable[[str], None] | None, early=None):
    if early is not None:
        for path in paths:
            yield path, early.result(path)
            if progress:
                progress(path)
        return
    if not paths:
        return
    done = 0
    # files are read in worker processes, under a budget each, never in the indexer
    workers = 1
    if len(paths) >= PARALLEL_MIN_FILES:
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for path, result in zip(paths, pool.map(_parse_here, paths, chunksize=4), strict=True):
                done += 1
                yield path, result
                if progress:
                    progress(path)
    except BrokenProcessPool:
        # a worker died (past its time limit, killed by the kernel, a crash in a C
        # library): read the rest one process each, to find the culprit
        for path in paths[done:]:
            yield path, _parse_alone(path)
            if progress:
                progress(path)


def index_paths(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    *,
    rebuild: bool = False,
    prune: bool = False,
    progress: Callable[[str], None] | None = None,
    lock_timeout: float = index.LOCK_TIMEOUT,
    on_wait: Callable[[], None] | None = None,
) -> IndexSummary:
    """Index the files under ``paths``; see the module docstring.

    Waits up to ``lock_timeout`` seconds for another indexer to finish
    (calling ``on_wait`` once if it has to wait), then raises IndexLocked.
    Files that fail are also recorded in the index, for ``fazhi check``.
    """
    found = find_files(paths)
    files = found.files
    summary = IndexSummary(failed=list(found.failed), skipped=list(found.skipped))
    early = _EarlyParser.start(files)
    try:
        _index(files, index_dir, summary, rebuild, prune, progress, lock_timeout, on_wait, early)
    finally:
        if early:
            early.close()
    return summary


def _index(files, index_dir, summary, rebuild, prune, progress, lock_timeout, on_wait, early):
    session = index.write_session(index_dir, rebuild=rebuild, timeout=lock_timeout, on_wait=on_wait)
    with session as w:
        held: dict[str, str] = {}  # source → the report id the file held before
        todo: list[tuple[str, str]] = []  # (source, rid)
        shas: dict[str, str] = {}  # source → content hash
        claimed: dict[str, str] = {}  # rid → source, for duplicates within this run
        for f in files:
            source = str(f)
            try:
                sha = file_sha256(f)
            except OSError as exc:
                reason = f"cannot read file: {exc.strerror or exc}"
                summary.failed.append((source, reason))
                w.record_failure(source, source, None, reason)
                continue
            rid, shas[source] = sha[:16], sha
            if sha == EMPTY_SHA256:  # every empty file has this hash: none is a duplicate
                summary.failed.append((source, EMPTY))
                w.record_failure(source, source, sha, EMPTY)
                continue
            if rid in claimed:
                summary.duplicates.append((source, claimed[rid]))
                continue
            claimed[rid] = source
            before = w.reports.rid_of_source(source)
            if before == rid:
                summary.unchanged.append(source)
                continue
            if before is not None:
                held[source] = before
            other = w.reports.get(rid)
            if other is not None and other["source"] != source and Path(other["path"]).exists():
                summary.duplicates.append((source, other["source"]))
                continue
            todo.append((source, rid))
        rids = dict(todo)

        def failed(source: str, reason: str) -> None:
            summary.failed.append((source, reason))
            w.record_failure(source, source, shas[source], reason)

        def replaced(source: str) -> None:
            old = held.get(source)
            if old is not None and old != rids[source]:
                w.delete_report(old)
            summary.indexed.append(source)

        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        if len(todo) >= PARALLEL_WRITE_MIN_FILES and workers > 1:
            redo = _write_in_workers(w, todo, workers, failed, replaced, progress)
        else:
            redo = [s for s, _ in todo]
        for source, result in _parse_all(redo, progress, early):
            if isinstance(result, str):
                failed(source, result)
                continue
            report, analyzed = result
            w.add_report(report, rids[source], os.path.abspath(source), analyzed)
            replaced(source)
        order = {source: i for i, (source, _) in enumerate(todo)}
        summary.indexed.sort(key=order.__getitem__)
        summary.failed.sort(key=lambda f: order.get(f[0], -1))
        if prune:
            for rid, meta in list(w.reports.items()):
                if not Path(meta["path"]).exists():
                    w.delete_report(rid)
                    summary.pruned.append(meta["source"])
        summary.total_reports = len(w.reports)


# ---------------------------------------------------------------- parallel writing


def _segment_worker(target: str, jobs, out) -> None:
    """Parse the files taken from ``jobs`` and write them into a segment of this process's own.

    Tells the session through the connection ``out`` (synchronously, so that
    nothing sent is lost if the process dies): ``("start", source)`` before
    each file, then ``("done", source, meta)`` or ``("failed", source,
    reason)``; ``("segment", segment)`` for each segment it finished (one
    every :data:`SEGMENT_CHARS` characters, and one at the end; None when
    nothing was written), or ``("error", message)``.
    """
    builder = None
    try:
        builder = index.SegmentBuilder(target)
        chars = 0
        while (job := jobs.get()) is not None:
            source, rid = job
            out.send(("start", source))
            parsed = _parse(source)
            if isinstance(parsed, str):
                out.send(("failed", source, parsed))
                continue
            report, analyzed = parsed
            meta = builder.add_report(report, rid, os.path.abspath(source), analyzed)
            out.send(("done", source, meta))
            chars += sum(len(p.text) for p in report.passages)
            if chars >= SEGMENT_CHARS:
                out.send(("segment", builder.finish()))
                builder, chars = None, 0
                builder = index.SegmentBuilder(target)
        out.send(("segment", builder.finish()))
    except BaseException as exc:  # noqa: BLE001 - reported to the session, which redoes the files
        out.send(("error", f"{type(exc).__name__}: {exc}"))
        if builder is not None:
            builder.cancel()
    finally:
        out.close()


def _write_in_workers(
    w: index.Writer,
    todo: list[tuple[str, str]],
    workers: int,
    failed: Callable[[str, str], None],
    replaced: Callable[[str], None],
    progress: Callable[[str], None] | None,
) -> list[str]:
    """Index ``todo`` in worker processes that each parse files and write segments.

    The session adopts every finished segment and commits them together.
    Returns the files to do again in this process: those of a worker that
    died or failed before finishing the segment they went into, and any no
    worker took. The file a worker was reading when it died is recorded as failed instead.
    """
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else None)
    jobs = ctx.Queue()
    pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
    procs = [
        ctx.Process(target=_segment_worker, args=(str(w.target), jobs, send), daemon=True)
        for _, send in pipes
    ]
    rids = dict(todo)
    reading: dict[int, str | None] = dict.fromkeys(range(workers))
    written: dict[int, list[tuple[str, dict]]] = {i: [] for i in range(workers)}
    finished: dict[int, bool] = {}  # worker → whether its segment was adopted
    settled: set[str] = set()  # files indexed or failed

    def handle(me: int, msg) -> None:
        kind, *rest = msg
        if kind == "start":
            reading[me] = rest[0]
            finished[me] = False  # at work again after a segment it finished
        elif kind == "done":
            written[me].append((rest[0], rest[1]))
            reading[me] = None
        elif kind == "failed":
            source, reason = rest
            failed(source, reason)
            settled.add(source)
            reading[me] = None
            if progress:
                progress(source)
        elif kind == "segment":
            if rest[0] is not None:
                w.adopt(rest[0])
            for source, meta in written[me]:
                w.added_elsewhere(rids[source], meta, meta["path"])
                replaced(source)
                settled.add(source)
                if progress:
                    progress(source)
            written[me] = []
            finished[me] = True
        else:  # "error": the worker's segment is lost
            finished[me] = False

    try:
        for p in procs:
            p.start()
        for _, send in pipes:
            send.close()  # the workers hold the sending ends: EOF when one ends
        # queued after the workers forked: the queue's feeding thread is this process's only
        for item in todo:
            jobs.put(item)
        for _ in procs:
            jobs.put(None)
        open_ends = {recv: i for i, (recv, _) in enumerate(pipes)}
        while open_ends:
            for recv in multiprocessing.connection.wait(list(open_ends)):
                me = open_ends[recv]
                try:
                    handle(me, recv.recv())
                except EOFError:  # the worker is gone; all it sent has been read
                    del open_ends[recv]
                    finished.setdefault(me, False)
    finally:
        for i, p in enumerate(procs):
            if p.is_alive():
                p.kill()
            p.join()
            if not finished.get(i) and p.pid is not None:
                index.SegmentBuilder.discard_temporary(w.target, p.pid)
        for recv, _ in pipes:
            recv.close()
        jobs.cancel_join_thread()  # items left for dead workers must not block the exit
        jobs.close()
    for i, ok in finished.items():
        if not ok and reading[i] is not None and reading[i] not in settled:
            failed(reading[i], _died(procs[i].exitcode))
            settled.add(reading[i])
            if progress:
                progress(reading[i])
    return [source for source, _ in todo if source not in settled]
