"""Bring files into the index: discover, hash, parse (in parallel), write.

Incremental and idempotent: a file whose content hash is already indexed
under its path is skipped, a changed file replaces its old report, identical
content under a second name is indexed once, and ``prune`` drops reports whose
files are gone. One bad file fails alone; every good file is still committed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .analysis import Analyzed, analyze
from .errors import ExtractionError, FazhiError
from .model import Report
from .pipeline import file_sha256, load_report

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
#: parse in worker processes when at least this many files changed
PARALLEL_MIN_FILES = 8
#: write the index with several processes (one segment each) from this many files
PARALLEL_WRITE_MIN_FILES = 100


@dataclass
class IndexSummary:
    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, same as)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    pruned: list[str] = field(default_factory=list)
    total_reports: int = 0

    def to_json(self) -> dict:
        return {
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "duplicates": [{"file": f, "same_as": s} for f, s in self.duplicates],
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
            "pruned": self.pruned,
            "total_reports": self.total_reports,
        }


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to index under ``paths`` (directories are walked), and paths that don't exist."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith(".") and name.lower().endswith(SUPPORTED_SUFFIXES):
                        files.append(Path(root) / name)
        elif p.is_file():
            files.append(p)
        else:
            missing.append((str(p), "no such file or directory"))
    seen: set[str] = set()
    unique = []
    for f in files:
        key = os.path.normpath(str(f))
        if key not in seen:
            seen.add(key)
            unique.append(Path(key))
    return unique, missing


def _reason(exc: FazhiError) -> str:
    reason = getattr(exc, "reason", None) or str(exc)
    return f"{reason} ({exc.hint})" if exc.hint else reason


def _parse(path: str) -> tuple[Report, Analyzed] | str:
    """The report and its analysis, or why the file cannot be indexed (one line).

    Failures come back as text: our exceptions do not survive the trip back
    from a worker process (unpickling them needs their own arguments).
    """
    try:
        report = load_report(path, source=path)
        return report, analyze(report)
    except FazhiError as exc:
        return _reason(exc)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
        return _reason(
            ExtractionError(path, f"unexpected error while reading: {type(exc).__name__}: {exc}")
        )


def _parse_alone(path: str) -> tuple[Report, Analyzed] | str:
    """:func:`_parse` in a process of its own, so that a crash fails this file only."""
    try:
        with ProcessPoolExecutor(max_workers=1) as pool:
            return pool.submit(_parse, path).result()
    except BrokenProcessPool:
        return "the process reading it crashed (out of memory, or a bug in a reader library)"


def _parse_all(paths: list[str], progress: Callable[[str], None] | None):
    done = 0
    if len(paths) >= PARALLEL_MIN_FILES and (os.cpu_count() or 1) > 1:
        try:
            with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, 4)) as pool:
                for path, result in zip(paths, pool.map(_parse, paths, chunksize=4), strict=True):
                    done += 1
                    yield path, result
                    if progress:
                        progress(path)
            return
        except BrokenProcessPool:
            # a worker died (killed by the kernel, or a crash in a C library):
            # read the rest one process each, to find the culprit
            for path in paths[done:]:
                yield path, _parse_alone(path)
                if progress:
                    progress(path)
            return
    for path in paths:
        yield path, _parse(path)
        if progress:
            progress(path)


def index_paths(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    *,
    rebuild: bool = False,
    prune: bool = False,
    progress: Callable[[str], None] | None = None,
    lock_timeout: float = store.LOCK_TIMEOUT,
    on_wait: Callable[[], None] | None = None,
) -> IndexSummary:
    """Index the files under ``paths``; see the module docstring.

    Waits up to ``lock_timeout`` seconds for another indexer to finish
    (calling ``on_wait`` once if it has to wait), then raises IndexLocked.
    Files that fail are also recorded in the index, for ``fazhi check``.
    """
    files, missing = discover(paths)
    summary = IndexSummary(failed=list(missing))
    cpus = os.cpu_count() or 1
    procs = min(cpus, 4) if len(files) >= PARALLEL_WRITE_MIN_FILES and cpus > 1 else 1
    session = store.write_session(
        index_dir, rebuild=rebuild, timeout=lock_timeout, procs=procs, on_wait=on_wait
    )
    with session as w:
        rid_of_source = {m["source"]: rid for rid, m in w.reports.items()}
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
            if rid in claimed:
                summary.duplicates.append((source, claimed[rid]))
                continue
            claimed[rid] = source
            if rid_of_source.get(source) == rid:
                summary.unchanged.append(source)
                continue
            other = w.reports.get(rid)
            if other is not None and other["source"] != source and Path(other["path"]).exists():
                summary.duplicates.append((source, other["source"]))
                continue
            todo.append((source, rid))
        rids = dict(todo)
        for source, result in _parse_all([s for s, _ in todo], progress):
            if isinstance(result, str):
                summary.failed.append((source, result))
                w.record_failure(source, source, shas[source], result)
                continue
            report, analyzed = result
            old = rid_of_source.get(source)
            if old is not None and old != rids[source]:
                w.delete_report(old)
            w.add_report(report, rids[source], os.path.abspath(source), analyzed)
            summary.indexed.append(source)
        if prune:
            for rid, meta in list(w.reports.items()):
                if not Path(meta["path"]).exists():
                    w.delete_report(rid)
                    summary.pruned.append(meta["source"])
        summary.total_reports = len(w.reports)
    return summary
