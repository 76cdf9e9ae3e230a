"""The Whoosh index: schema, versioning, the one writer, and snapshots for search.

This is the only module that writes the index. Everything it hands upward is
plain data (dicts, lists, :class:`SegmentData`), never Whoosh objects.

Layout: one Whoosh document per report (``kind="r"``, metadata and outline as
JSON) and one with its passages and jieba words (``kind="t"``). The character
grams of exact search are not Whoosh postings: the writer builds them per
segment in numpy arrays (:mod:`indexer.grams`) and stores them, with the
per-passage columns and the reports' metadata, in a file of the segment's
own (``MAIN_<id>.fzs``, :mod:`indexer.segfile`) that readers memory-map.
Beside the Whoosh files, ``fazhi.json`` records the schema and analyzer versions and ``failed.json``
the files the last runs could not index, with the reason.

Failure model (the index is derived data: it can always be rebuilt from the
corpus, and ``fazhi check`` says when it should be):

* A commit writes new segment files, then a new TOC that is renamed into
  place: a writer killed at any point leaves the old or the new generation.
  Its unfinished segment files, TOC temporary files and temporary
  directories are removed by the next write session (Whoosh also deletes
  unreferenced segments on every commit).
* A new index (``--rebuild``, or none yet) is built in the sibling
  ``DIR.rebuild-PID`` and exchanged with ``DIR`` in one atomic
  ``renameat2(RENAME_EXCHANGE)`` once it is committed; readers see the old or
  the new index, never a mix. A killed rebuild leaves the sibling behind,
  removed by the next write session.
* One writer at a time: every session, rebuilds included, holds an ``flock``
  on ``DIR/MAIN_WRITELOCK`` (Whoosh's own lock file). The kernel drops it when
  the process dies, so a killed indexer never leaves a stale lock. Processes
  forked during a session (parsing workers, Whoosh's writer processes) close
  their copy of the lock and die with the indexer.
* Readers never memory-map Whoosh's files: one truncated or replaced under a
  running server gives a Python error (reported as a corrupt index), not a
  ``SIGBUS`` that kills the process. They do map the ``.fzs`` files, which
  are written once, before the commit that lists their segment, and never
  changed: a later commit only unlinks them, which leaves existing mappings
  intact. A ``.fzs`` file truncated before it is opened is refused on open
  (its header records its size); only tampering with one already mapped
  could end the process.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import pickle
import re
import shutil
import signal
import struct
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader, TermNotFound
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from . import segfile
from .analysis import ANALYZER_VERSION, Analyzed, WordTokenizer, analyze, segment
from .errors import IndexLocked, IndexStoreError, SchemaMismatch
from .model import Report
from .segfile import SegmentData

#: Bump when the schema or the way documents are laid out changes.
SCHEMA_VERSION = 5
VERSION_FILE = "fazhi.json"
#: Files that failed to index: ``[{"path", "source", "sha256", "reason"}]``.
FAILED_FILE = "failed.json"
#: Seconds a writer waits for another indexer to release the lock.
LOCK_TIMEOUT = 30.0
LOCK_NAME = "MAIN_WRITELOCK"
INDEX_NAME = "MAIN"
#: Attempts to open an index that a concurrent commit keeps changing.
OPEN_ATTEMPTS = 4

#: Errors Whoosh raises on truncated or garbled index files.
CORRUPTION_ERRORS = (
    TypeError,
    ValueError,
    struct.error,
    pickle.UnpicklingError,
    EOFError,
    KeyError,
    IndexError,
    AttributeError,
    AssertionError,
    NameError,
    OverflowError,
    zlib.error,
    windex.IndexError,
)

_TOC_RE = re.compile(rf"^_{INDEX_NAME}_(\d+)\.toc$")
_TOC_TEMP_RE = re.compile(rf"^_{INDEX_NAME}_\d+\.toc\.")
_SEGMENT_FILE_RE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)\.")


class WordField(TEXT):
    """jieba words with frequencies (BM25); accepts the text or its word list."""

    def __init__(self) -> None:
        super().__init__(analyzer=WordTokenizer(), phrase=False)

    def index(self, value, **kwargs):
        words = value if isinstance(value, (list, tuple)) else [w for w, _, _ in segment(value)]
        counts = Counter(words)
        return [(w.encode("utf-8"), n, float(n), pack_uint(n)) for w, n in counts.items()]


def make_schema() -> Schema:
    """Two documents per report, sharing ``rid``.

    ``kind="r"``: the metadata and outline as JSON (small, read by the writer).
    ``kind="t"``: the passages (stored) and the jieba words of the whole text
    (BM25 for ranking).
    """
    return Schema(
        kind=ID(stored=True),
        uid=ID(unique=True, stored=True),
        rid=ID(stored=True),
        meta=STORED,
        source=STORED,
        path=STORED,
        passages=STORED,
        words=WordField(),
    )


def versions() -> dict:
    return {"schema_version": SCHEMA_VERSION, "analyzer_version": ANALYZER_VERSION}


def default_index_dir() -> Path:
    return Path(os.environ.get("FAZHI_INDEX") or ".fazhi/index")


def _toc_generation(index_dir: Path) -> int:
    """The newest TOC generation in ``index_dir`` (-1 if none), without reading it."""
    try:
        names = os.listdir(index_dir)
    except OSError:
        return -1
    return max((int(m.group(1)) for n in names if (m := _TOC_RE.match(n))), default=-1)


def index_exists(index_dir: str | Path) -> bool:
    """True if ``index_dir`` holds an index (a TOC file), readable or not."""
    return _toc_generation(Path(index_dir)) >= 0


def _check_version(index_dir: Path) -> None:
    vfile = index_dir / VERSION_FILE
    try:
        found = json.loads(vfile.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict) or any(found.get(k) != v for k, v in versions().items()):
        raise SchemaMismatch(
            f"index at {index_dir} was built by another version of fazhi "
            f"(found {found}, this version needs {versions()})",
            hint="rebuild it with `fazhi index --rebuild`",
        )


class _Storage(FileStorage):
    """A FileStorage that can close what it opened when reading an index fails.

    Whoosh leaves the file open when a truncated TOC or segment makes it
    raise; :meth:`guard` closes such files (and re-raises).
    """

    def __init__(self, path: str, *, readonly: bool, mmap: bool | None = None) -> None:
        # no mmap for long-lived readers: a file truncated under one must raise, not SIGBUS
        mmap = not readonly if mmap is None else mmap
        super().__init__(path, supports_mmap=mmap, readonly=readonly)
        self._opened: list | None = None

    def open_file(self, name, *args, **kwargs):
        f = super().open_file(name, *args, **kwargs)
        if self._opened is not None:
            self._opened.append(f)
        return f

    @contextmanager
    def guard(self) -> Iterator[None]:
        if self._opened is not None:  # nested: the outer guard closes
            yield
            return
        self._opened = []
        try:
            yield
        except BaseException:
            for f in self._opened:
                try:
                    f.close()
                except Exception:  # noqa: BLE001, S110 - already failing; close what we can
                    pass
            raise
        finally:
            self._opened = None


def _read_storage(index_dir: Path) -> _Storage:
    return _Storage(str(index_dir), readonly=True)


def _open_ix(storage: _Storage):
    """The Whoosh index in ``storage`` (its TOC read), files closed if that fails."""
    with storage.guard():
        return windex.FileIndex(storage, indexname=INDEX_NAME)


def open_index(index_dir: str | Path):
    """Open an existing index read-only, checking its version and that it can be read.

    The TOC and every segment's directory are read (a truncated file is
    reported here); a commit that lands meanwhile makes it try again.
    """
    index_dir = Path(index_dir)
    for attempt in range(OPEN_ATTEMPTS):
        token = latest_generation(index_dir)
        try:
            return _open_checked(index_dir)
        except IndexStoreError:
            if attempt + 1 < OPEN_ATTEMPTS and latest_generation(index_dir) != token:
                continue  # a writer committed or swapped in a rebuild meanwhile
            raise
    raise AssertionError("unreachable")


def _open_checked(index_dir: Path):
    if not index_exists(index_dir):
        raise IndexStoreError(
            f"no index at {index_dir}",
            hint="build one with `fazhi index` (default corpus: corpus/)",
        )
    _check_version(index_dir)
    try:
        storage = _read_storage(index_dir)
        ix = _open_ix(storage)
        with storage.guard():
            ix.reader().close()
    except CORRUPTION_ERRORS + (OSError,) as exc:
        raise _corrupt(index_dir, exc) from exc
    return ix


def _corrupt(index_dir: Path, exc: BaseException) -> IndexStoreError:
    detail = " ".join(str(exc).split())[:160]
    return IndexStoreError(
        f"index at {index_dir} is corrupt or unreadable ({type(exc).__name__}: {detail})",
        hint="rebuild it from the corpus with `fazhi index --rebuild`",
    )


# ---------------------------------------------------------------- the write lock

#: fds of the write locks this process holds (closed in forked children)
_held_locks: set[int] = set()
_fork_hook: list[bool] = []  # non-empty once the at-fork handler is installed
_fork_parent: list[int] = [0]


def _prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with(parent: int) -> None:
    """In a child process: be killed when ``parent`` dies (Linux; elsewhere nothing)."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the signal was armed


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


# ---------------------------------------------------------------- leftovers


def _sibling_dirs(index_dir: Path) -> list[Path]:
    """``DIR.rebuild-*`` and ``DIR.old-*``: what a killed rebuild or swap left."""
    prefixes = (f"{index_dir.name}.rebuild-", f"{index_dir.name}.old-")
    try:
        entries = list(index_dir.parent.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.name.startswith(prefixes) and p.is_dir())


def _current_segment_ids(index_dir: Path) -> set[str] | None:
    try:
        storage = _read_storage(index_dir)
        with storage.guard():
            toc = _open_ix(storage)._read_toc()
    except CORRUPTION_ERRORS + (OSError,):
        return None
    return {s.segment_id() for s in toc.segments}


def leftovers(index_dir: str | Path) -> list[Path]:
    """Files and directories an interrupted indexer left behind.

    They never affect searches; the next write session removes them. Only
    meaningful while no indexer runs (a running one owns such files).
    """
    index_dir = Path(index_dir)
    out = _sibling_dirs(index_dir)
    try:
        names = sorted(os.listdir(index_dir))
    except OSError:
        return out
    live = _current_segment_ids(index_dir)
    for name in names:
        path = index_dir / name
        m = _SEGMENT_FILE_RE.match(name)
        if (
            _TOC_TEMP_RE.match(name)
            or (name.endswith(".tmp") and path.is_dir())  # Whoosh's temporary storage
            or (name.startswith(".") and name.endswith(".tmp"))  # ours (_write_json)
        ):
            out.append(path)
        elif m and live is not None and m.group(1) not in live:
            out.append(path)
    return out


def _remove_leftovers(index_dir: Path) -> None:
    for path in leftovers(index_dir):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                path.unlink()
            except OSError:
                pass


# ---------------------------------------------------------------- writing


def report_meta(report: Report, rid: str, path: str) -> dict:
    meta = report.to_dict(passages=False)
    meta.update(id=rid, path=path, sha256=report.sha256, kind=report.kind)
    meta["passage_count"] = len(report.passages)
    return meta


def report_documents(report: Report, rid: str, path: str, analyzed: Analyzed | None = None):
    """The report's metadata and the two Whoosh documents that store it."""
    meta = report_meta(report, rid, path)
    analyzed = analyzed or analyze(report)
    passages = [[p.id, p.section, p.heading, p.path, p.text] for p in report.passages]
    return meta, (
        {
            "kind": "r",
            "uid": f"r:{rid}",
            "rid": rid,
            "meta": json.dumps(meta, ensure_ascii=False),
            "source": meta["source"],
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
        self, whoosh_writer, existing: dict[str, dict], failed: dict[str, dict], target: Path
    ) -> None:
        self._w = whoosh_writer
        #: report id → at least ``{"source", "path"}`` of every report in the index
        self.reports: dict[str, dict] = existing
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
        self.reports[rid] = meta
        self.failed.pop(os.path.abspath(path), None)

    def delete_report(self, rid: str) -> None:
        """Delete the report from the segments that existed when the session began."""
        self._w.delete_by_term("rid", rid)
        self.reports.pop(rid, None)

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
        return super().temp_storage(f"{INDEX_NAME}.{os.getpid()}.tmp")


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

    def cancel(self) -> None:
        """Drop what was written (best effort: the session's commit removes the rest)."""
        try:
            self._w.cancel()
        except Exception:  # noqa: BLE001, S110 - already failing
            pass


def _read_reports(ix) -> dict[str, dict]:
    """Report id → ``{"source", "path"}`` of every report: what a writer needs to know.

    Read from their own stored fields, not the metadata JSON (decoding ten
    thousand of those took most of the time of adding one report).
    """
    out: dict[str, dict] = {}
    with ix.searcher() as s:
        for docnum in s.document_numbers(kind="r"):
            fields = s.stored_fields(docnum)
            out[fields["rid"]] = {"source": fields["source"], "path": fields["path"]}
    return out


def read_failed(index_dir: str | Path) -> dict[str, dict]:
    """The files recorded as failed by the last runs: absolute path → record."""
    try:
        items = json.loads((Path(index_dir) / FAILED_FILE).read_text(encoding="utf-8"))
        return {str(x["path"]): dict(x) for x in items}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def _write_json(path: Path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def latest_generation(index_dir: str | Path) -> tuple[str, int]:
    """A token that changes whenever the index is committed or rebuilt."""
    index_dir = Path(index_dir)
    return (build_id(index_dir), _toc_generation(index_dir))


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
    if not lock.acquire(timeout, on_wait):
        raise IndexLocked(
            f"index at {index_dir} is locked by another indexer "
            f"(lock {lock.path}, waited {timeout:g}s)",
            hint="wait for the other `fazhi index` to finish, then run again",
        )
    try:
        _remove_leftovers(index_dir)
        fresh = rebuild or not index_exists(index_dir)
        if fresh:
            target = index_dir.with_name(f"{index_dir.name}.rebuild-{os.getpid()}")
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            ix = windex.create_in(str(target), make_schema(), indexname=INDEX_NAME)
            existing: dict[str, dict] = {}
            failed: dict[str, dict] = {}
        else:
            target = index_dir
            _check_version(index_dir)
            try:
                storage = _Storage(str(index_dir), readonly=False)
                with storage.guard():
                    ix = _open_ix(storage)
                    existing = _read_reports(ix)
                for seg in ix._segments():
                    segfile.check_size(segfile.path_for(index_dir, seg.segment_id()))
            except CORRUPTION_ERRORS + (OSError,) as exc:
                raise _corrupt(index_dir, exc) from exc
            failed = read_failed(index_dir)
        # the session holds the lock itself (``_lk=False``)
        ww = _SessionWriter(ix, limitmb=256, _lk=False)
        try:
            yield Writer(ww, existing, failed, target)
        except BaseException:
            ww.cancel()
            if fresh:
                shutil.rmtree(target, ignore_errors=True)
            raise
        try:
            ww.commit(optimize=False)
            _write_json(
                target / FAILED_FILE,
                [rec for path, rec in sorted(failed.items()) if os.path.exists(path)],
            )
            if fresh:
                # written last: a rebuild directory with a version file is complete
                _write_json(target / VERSION_FILE, dict(versions(), build_id=uuid.uuid4().hex))
                _swap_in(target, index_dir)
        except BaseException:
            if fresh:
                shutil.rmtree(target, ignore_errors=True)
            raise
    finally:
        lock.release()


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2``); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    path_t, int_t = ctypes.c_char_p, ctypes.c_int
    renameat2.argtypes = [int_t, path_t, int_t, path_t, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(new: Path, index_dir: Path) -> None:
    """Put the committed index in ``new`` at ``index_dir``; remove the old one."""
    if index_dir.exists() and _exchange(new, index_dir):
        shutil.rmtree(new, ignore_errors=True)  # now holds the old index
        return
    # no atomic exchange here: two renames, with a moment without an index
    retired = index_dir.with_name(f"{index_dir.name}.old-{os.getpid()}")
    if index_dir.exists():
        os.rename(index_dir, retired)
    os.rename(new, index_dir)
    shutil.rmtree(retired, ignore_errors=True)


def list_reports(index_dir: str | Path) -> list[dict]:
    """Metadata and outline of every indexed report, sorted by source."""
    ix = open_index(index_dir)
    try:
        with ix.storage.guard(), ix.searcher() as s:
            reports = [json.loads(s.stored_fields(d)["meta"]) for d in s.document_numbers(kind="r")]
    except CORRUPTION_ERRORS + (OSError,) as exc:
        raise _corrupt(Path(index_dir), exc) from exc
    return sorted(reports, key=lambda m: m["source"])


# ---------------------------------------------------------------- verification


@dataclass
class Verification:
    """What :func:`verify` read of an index, and every problem it found (one line each)."""

    reports: dict[str, dict] = field(default_factory=dict)  # rid → meta of live reports
    problems: list[str] = field(default_factory=list)
    corrupt: bool = False  # unreadable or inconsistent: only a rebuild repairs it
    segments: int = 0
    documents: int = 0
    postings: int = 0


def verify(index_dir: str | Path) -> Verification:
    """Read every stored field and every posting of every segment of the index.

    A truncated or garbled file, or text and metadata documents that do not
    pair up, is a problem; nothing is written. A commit that lands meanwhile
    (it may delete merged segments) makes it start again.
    """
    index_dir = Path(index_dir)
    for _ in range(OPEN_ATTEMPTS):
        token = latest_generation(index_dir)
        out = _verify(index_dir)
        if not out.corrupt or latest_generation(index_dir) == token:
            break
    return out


def _verify(index_dir: Path) -> Verification:
    out = Verification()
    if not index_exists(index_dir):
        out.problems.append(f"no index at {index_dir}")
        out.corrupt = True
        return out
    try:
        _check_version(index_dir)
    except SchemaMismatch as exc:
        out.problems.append(str(exc))
        out.corrupt = True
        return out
    # memory-mapped: much faster to read in full than through file reads
    storage = _Storage(str(index_dir), readonly=True, mmap=True)
    try:
        with storage.guard():
            toc = _open_ix(storage)._read_toc()
    except CORRUPTION_ERRORS + (OSError,) as exc:
        out.problems.append(str(_corrupt(index_dir, exc)))
        out.corrupt = True
        return out
    kinds: dict[str, list[str]] = {}
    texts: dict[str, int] = {}
    for seg in toc.segments:
        out.segments += 1
        try:
            _verify_segment(storage, toc.schema, seg, out, kinds, texts)
        except CORRUPTION_ERRORS + (OSError,) as exc:
            detail = " ".join(str(exc).split())[:160]
            out.problems.append(
                f"segment {seg.segment_id()} of the index at {index_dir} is corrupt or "
                f"unreadable ({type(exc).__name__}: {detail})"
            )
            out.corrupt = True
    for rid, found in sorted(kinds.items()):
        if sorted(found) != ["r", "t"]:
            out.problems.append(
                f"report {rid} has {found.count('r')} metadata and {found.count('t')} text "
                "documents (expected one of each)"
            )
            out.corrupt = True
            continue
        meta = out.reports.get(rid, {})
        if meta.get("passage_count") != texts.get(rid):
            out.problems.append(
                f"report {rid} ({meta.get('source')}): metadata counts "
                f"{meta.get('passage_count')} passages, its text document has {texts.get(rid)}"
            )
            out.corrupt = True
    return out


def _verify_segment(storage, schema, seg, out: Verification, kinds: dict, texts: dict) -> None:
    with storage.guard():
        reader = SegmentReader(storage, schema, seg)
    try:
        n = reader.doc_count_all()
        scorable = [name for name in reader.indexed_field_names() if schema[name].scorable]
        text_docs: list[tuple[int, str, int]] = []  # docnum, rid, passages of each text doc
        for docnum in range(n):
            fields = reader.stored_fields(docnum)  # deleted documents are read too
            for name in scorable:
                reader.doc_field_length(docnum, name)
            if fields.get("kind") == "t":
                text_docs.append((docnum, fields["rid"], len(fields["passages"])))
            if reader.is_deleted(docnum):
                continue
            out.documents += 1
            rid, kind = fields["rid"], fields["kind"]
            kinds.setdefault(rid, []).append(kind)
            if kind == "r":
                out.reports[rid] = json.loads(fields["meta"])
            elif kind == "t":
                texts[rid] = len(fields["passages"])
        terms = reader._terms  # the codec's term table: every entry, with its postings
        for (name, term), info in terms.items():
            ids = _posting_ids(terms, schema[name].format, name, term, info)
            df = info.doc_frequency()
            if len(ids) != df or (ids and not 0 <= ids[0] <= ids[-1] < n):
                raise ValueError(
                    f"postings of {name}:{term!r} do not match their entry "
                    f"({len(ids)} read, {df} expected, documents 0-{n - 1})"
                )
            out.postings += df
        _verify_segment_file(Path(storage.folder), seg.segment_id(), text_docs)
    finally:
        reader.close()


def _verify_segment_file(folder: Path, sid: str, text_docs: list[tuple[int, str, int]]) -> None:
    """The segment's ``.fzs`` file is intact and lists the segment's text documents."""
    path = segfile.path_for(folder, sid)
    data = segfile.load(path)
    if not segfile.checksum_ok(path):
        raise ValueError(f"{path.name}: checksum mismatch")
    counts = np.diff(np.asarray(data.first, dtype=np.int64)).tolist()
    if list(zip(data.text_local, data.rids, counts, strict=True)) != text_docs:
        raise ValueError(f"{path.name} does not list the segment's passages")


def _postings(terms, fmt, name: str, term: bytes, info, values: bool = False):
    """Every block of one term's postings as (ids, weights), decoded a block at a time."""
    if info.is_inlined():
        ids, weights, _values = info.inlined_postings()
        yield list(ids), list(weights)
        return
    m = terms._codec.postings_reader(terms._postfile, info, fmt, term=(name, term))
    if not isinstance(m, W3LeafMatcher):  # another codec: the generic, slower way
        ids, weights = [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
        yield ids, weights
        return
    while True:  # block by block, without stepping through each posting
        m._read_ids()
        m._read_weights()
        if values:
            m._read_values()
        if len(m._ids) != m._blocklength or m._ids[-1] != m._maxid:
            raise ValueError(f"a postings block of {name}:{term!r} does not match its header")
        yield m._ids, m._weights
        if m._lastblock:
            return
        m._goto(m._nextoffset)


def _posting_ids(terms, fmt, name: str, term: bytes, info) -> list[int]:
    """Decode every block of one term's postings (ids, weights and values)."""
    ids: list[int] = []
    for block_ids, _weights in _postings(terms, fmt, name, term, info, values=True):
        ids.extend(block_ids)
    return ids


def word_postings(segreader, fieldname: str, word: str) -> tuple[np.ndarray, np.ndarray]:
    """Segment-local document numbers and term weights (frequencies) of one word.

    Deleted documents included (the caller keeps only the ones it wants).
    """
    field = segreader.schema[fieldname]
    term = field.to_bytes(word)
    terms = segreader._terms
    try:
        info = terms.term_info(fieldname, term)
    except (KeyError, TermNotFound):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ids, weights = [], []
    for block_ids, block_weights in _postings(terms, field.format, fieldname, term, info):
        ids.append(np.asarray(block_ids, dtype=np.int64))
        weights.append(np.asarray(block_weights, dtype=np.float64))
    return np.concatenate(ids), np.concatenate(weights)


def field_lengths(segreader, fieldname: str) -> np.ndarray:
    """Every document's length in ``fieldname`` as Whoosh scores it (its one-byte encoding)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.util.numeric import byte_to_length

    n = segreader.doc_count_all()
    column = segreader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return np.zeros(n)
    table = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
    return table[np.asarray(column.load(), dtype=np.uint8)[:n]]


# ---------------------------------------------------------------- snapshots


def segment_id(segreader) -> str:
    return segreader.segment().segment_id()


def load_segment(folder: str | Path, segreader) -> SegmentData:
    """The memory-mapped data the indexer wrote for a segment of the index at ``folder``."""
    return segfile.load(segfile.path_for(folder, segment_id(segreader)))


def stored_passages(reader, docnum: int) -> list[list]:
    """The passages ``[n, section, heading, path, text]`` of one report's text document."""
    try:
        return reader.stored_fields(docnum)["passages"]
    except CORRUPTION_ERRORS as exc:
        raise IndexStoreError(f"cannot read report text ({type(exc).__name__}: {exc})") from exc


def build_id(index_dir: str | Path) -> str:
    try:
        return json.loads((Path(index_dir) / VERSION_FILE).read_text(encoding="utf-8"))["build_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def open_reader(ix):
    """A reader on the index's latest commit (the caller closes it)."""
    storage = ix.storage
    try:
        if isinstance(storage, _Storage):
            with storage.guard():
                return ix.reader()
        return ix.reader()
    except CORRUPTION_ERRORS + (OSError,) as exc:
        raise _corrupt(Path(ix.storage.folder), exc) from exc
