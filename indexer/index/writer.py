"""The one way to change the index: a write session, its writer, and segment builders.

A session holds the write lock (:mod:`indexer.index.lock`), commits on
success and cancels on error; a new index is built beside the old one and
swapped in once committed (:func:`indexer.index.storage.swap_in`). Parsing
workers write whole segments of their own (:class:`SegmentBuilder`), which
the session adopts in its one commit, so a run commits all or nothing. Each
segment gets its search data file (:mod:`indexer.index.segfile`) before the
commit that lists it.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from .. import names
from ..errors import IndexLocked, IndexWriteError
from ..model import Report
from ..text import Analyzed, analyze
from . import segfile
from .known import KnownReports, source_key
from .leftovers import remove_leftovers
from .lock import LOCK_TIMEOUT, WriteLock
from .schema import VERSION_FILE, check_version, make_schema, versions
from .storage import (
    CORRUPTION_ERRORS,
    FAILED_FILE,
    INDEX_NAME,
    Storage,
    corrupt,
    index_exists,
    open_ix,
    open_reader,
    read_failed,
    swap_in,
    toc_generation,
    write_json,
)


def report_meta(report: Report, rid: str, path: str) -> dict:
    meta = report.to_dict(passages=False)
    meta.update(id=rid, path=path, sha256=report.sha256, format=report.format)
    meta["passage_count"] = len(report.passages)
    return meta


def report_documents(report: Report, rid: str, path: str, analyzed: Analyzed | None = None):
    """The report's metadata and the two Whoosh documents that store it."""
    meta = report_meta(report, rid, path)
    analyzed = analyzed or analyze(report)
    passages = [[p.id, p.section, p.heading, p.path, p.text, p.kind] for p in report.passages]
    return meta, (
        {
            "kind": "r",
            "uid": f"r:{rid}",
            "rid": rid,
            "meta": names.dumps(meta),
            "source": meta["source"],
            "source_key": source_key(meta["source"]),
            "path": meta["path"],
        },  # fmt: skip
        {"kind": "t", "uid": f"t:{rid}", "rid": rid, "passages": passages, "words": analyzed.words},
    )


class _SessionWriter(SegmentWriter):
    """A segment writer whose commit also lists segments written by other processes.

    :class:`SegmentBuilder` processes write whole segments into the same
    directory; they become part of the index in this writer's one TOC
    commit, so a run commits all or nothing.
    """

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self.adopted: list = []

    def commit(self, mergetype=None, optimize=None, merge=None):
        self._check_state()
        segments = self._merge_segments(mergetype, optimize, merge)
        if self._added:
            segment = self._finalize_segment()
            segfile.write(self.storage, self.schema, segment)
            segments.append(segment)
        else:
            self._close_segment()
        self._commit_toc(segments + self.adopted)
        self._finish()


class Writer:
    """Adds and removes reports inside one write session (see :func:`write_session`)."""

    def __init__(
        self, whoosh_writer, existing: KnownReports, failed: dict[str, dict], target: Path
    ) -> None:
        self._w = whoosh_writer
        #: report id → at least ``{"source", "path"}`` of the reports in the index,
        #: looked up on demand
        self.reports = existing
        #: absolute path → {"path", "source", "sha256", "reason"} of files that failed
        self.failed: dict[str, dict] = failed
        #: the directory being written (the index, or the sibling of a rebuild)
        self.target = target

    def add_report(
        self, report: Report, rid: str, path: str, analyzed: Analyzed | None = None
    ) -> None:
        """Add or replace the report ``rid`` (idempotent).

        ``analyzed`` is the report's jieba words if already computed.
        """
        if rid in self.reports:
            self.delete_report(rid)
        meta, docs = report_documents(report, rid, path, analyzed)
        for doc in docs:
            self._w.add_document(**doc)
        self._added(rid, meta, path)

    def added_elsewhere(self, rid: str, meta: dict, path: str) -> None:
        """Record a report that a :class:`SegmentBuilder` wrote (replacing any older copy)."""
        if rid in self.reports:
            self.delete_report(rid)
        self._added(rid, meta, path)

    def adopt(self, segment) -> None:
        """Make a segment written by a :class:`SegmentBuilder` part of this commit."""
        self._w.adopted.append(segment)

    def _added(self, rid: str, meta: dict, path: str) -> None:
        self.reports.add(rid, meta)
        self.failed.pop(os.path.abspath(path), None)

    def delete_report(self, rid: str) -> None:
        """Delete the report from the segments that existed when the session began."""
        self._w.delete_by_term("rid", rid)
        self.reports.pop(rid)

    def record_failure(self, path: str, source: str, sha256: str | None, reason: str) -> None:
        """Remember that the file at ``path`` could not be indexed (for ``fazhi check``)."""
        path = os.path.abspath(path)
        self.failed[path] = {"path": path, "source": source, "sha256": sha256, "reason": reason}


class _BuilderStorage(FileStorage):
    """Temporary files in a directory of this process's own.

    Whoosh's writers share ``MAIN.tmp`` and remove it when they finish,
    which would pull it from under the session's writer.
    """

    def temp_storage(self, name=None):
        return super().temp_storage(_temp_name(os.getpid()))


def _temp_name(pid: int) -> str:
    return f"{INDEX_NAME}.{pid}.tmp"


class SegmentBuilder:
    """Writes reports into a segment of its own, in a process other than the session's.

    The session (which holds the lock) adopts the finished segment with
    :meth:`Writer.adopt`; until it commits, the segment is not part of the
    index, and the files of one never adopted are removed by the commit.
    """

    def __init__(self, target: str | Path) -> None:
        ix = windex.FileIndex(_BuilderStorage(str(target)), indexname=INDEX_NAME)
        self._w = SegmentWriter(ix, _lk=False, limitmb=256)

    def add_report(self, report: Report, rid: str, path: str, analyzed: Analyzed) -> dict:
        """Write the report's documents; its metadata for the session."""
        meta, docs = report_documents(report, rid, path, analyzed)
        for doc in docs:
            self._w.add_document(**doc)
        return meta

    def finish(self):
        """The finished segment (picklable), or None when nothing was added."""
        if not self._w._added:
            self._w.cancel()
            return None
        segment = self._w._finalize_segment()
        segfile.write(self._w.storage, self._w.schema, segment)
        self._w._finish()
        return segment

    @staticmethod
    def discard_temporary(target: str | Path, pid: int) -> None:
        """Remove the temporary files of a builder that ran in process ``pid`` and died
        (the segments it finished are the session's to adopt or remove)."""
        shutil.rmtree(Path(target) / _temp_name(pid), ignore_errors=True)

    def cancel(self) -> None:
        """Drop what was written (best effort: the session's commit removes the rest)."""
        try:
            self._w.cancel()
        except Exception:  # noqa: BLE001, S110 - already failing
            pass


@contextmanager
def write_session(
    index_dir: str | Path,
    *,
    rebuild: bool = False,
    timeout: float = LOCK_TIMEOUT,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[Writer]:
    """The one way to change the index: commit on success, cancel on error.

    Holds the write lock for the whole session (waiting up to ``timeout``
    seconds, calling ``on_wait`` once if it has to wait). A new index (with
    ``rebuild``, or when there is none) is built in a sibling directory and
    swapped in only after it committed, so readers keep the old one until then;
    this works even when the old index cannot be opened at all.
    """
    index_dir = Path(index_dir)
    lock = WriteLock(index_dir)
    try:
        locked = lock.acquire(timeout, on_wait)
    except OSError as exc:
        raise write_error(index_dir, exc) from None
    if not locked:
        raise IndexLocked(
            f"index at {index_dir} is locked by another indexer "
            f"(lock {lock.path}, waited {timeout:g}s)",
            hint="wait for the other `fazhi index` to finish, then run again",
        )
    fresh, target, ww = rebuild, None, None
    existing: KnownReports | None = None
    committed = False
    generation = toc_generation(index_dir)
    try:
        remove_leftovers(index_dir)
        fresh = rebuild or not index_exists(index_dir)
        if fresh:
            target = index_dir.with_name(f"{index_dir.name}.rebuild-{os.getpid()}")
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            ix = windex.create_in(str(target), make_schema(), indexname=INDEX_NAME)
            existing = KnownReports()
            failed: dict[str, dict] = {}
        else:
            target = index_dir
            check_version(index_dir)
            try:
                storage = Storage(str(index_dir), readonly=False)
                with storage.guard():
                    ix = open_ix(storage)
                # the reports already there are looked up through files read as needed:
                # from a mapped file Whoosh copies each segment's whole term file first
                # (0.5 s of adding one report to 100,000)
                lookups = Storage(str(index_dir), readonly=True, mmap=False)
                with lookups.guard():
                    existing = KnownReports(open_reader(open_ix(lookups)))
                for seg in ix._segments():
                    segfile.check_size(segfile.path_for(index_dir, seg.segment_id()))
            except CORRUPTION_ERRORS + (OSError,) as exc:
                raise corrupt(index_dir, exc) from exc
            failed = read_failed(index_dir)
        # the session holds the lock itself (``_lk=False``)
        ww = _SessionWriter(ix, limitmb=256, _lk=False)
        yield Writer(ww, existing, failed, target)
        ww.commit(optimize=False)
        committed = not fresh
        write_json(
            target / FAILED_FILE,
            [rec for path, rec in sorted(failed.items()) if os.path.exists(path)],
        )
        if fresh:
            # written last: a rebuild directory with a version file is complete
            write_json(target / VERSION_FILE, dict(versions(), build_id=uuid.uuid4().hex))
            swap_in(target, index_dir)
    except BaseException as exc:
        # a commit that failed after its table of contents was renamed into place is done
        committed = committed or (not fresh and toc_generation(index_dir) > generation)
        if not committed:
            _abandon(ww, index_dir, target if fresh else None)
        if isinstance(exc, OSError):
            raise write_error(index_dir, exc, committed=committed) from None
        raise
    finally:
        if existing is not None:
            existing.close()
        lock.release()


def _abandon(ww, index_dir: Path, rebuild_dir: Path | None) -> None:
    """Undo an unfinished session at once: what it wrote goes, the index stays as it was."""
    if ww is not None:
        try:
            ww.cancel()
        except Exception:  # noqa: BLE001, S110 - already failing; the files go below
            pass
    if rebuild_dir is not None:
        shutil.rmtree(rebuild_dir, ignore_errors=True)
    try:
        remove_leftovers(index_dir)  # segment files no commit lists, temporary files
    except OSError:
        pass


#: what to do about an OSError while writing, by errno
_WRITE_HINTS = {
    errno.ENOSPC: "free some disk space, then run the command again",
    errno.EDQUOT: "free some space within your disk quota, then run the command again",
    errno.EACCES: "check that you may write to the index directory",
    errno.EPERM: "check that you may write to the index directory",
    errno.EROFS: "the disk is read-only: choose another index directory with --index",
}


def write_error(index_dir: Path, exc: OSError, *, committed: bool = False) -> IndexWriteError:
    """One line for an OSError while changing the index: the path, the error and its errno."""
    code = errno.errorcode.get(exc.errno, f"errno {exc.errno}") if exc.errno else "OSError"
    where = f"{exc.filename}: " if exc.filename else ""
    reason = exc.strerror or str(exc) or type(exc).__name__
    state = (
        "the new index is committed, but not its list of files that failed"
        if committed
        else "the index is unchanged"
    )
    return IndexWriteError(
        f"cannot update the index at {index_dir}: {where}{reason} ({code}); {state}",
        hint=_WRITE_HINTS.get(exc.errno, "run the command again"),
    )
