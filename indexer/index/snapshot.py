"""Snapshots: one generation of the index, read-only, handed upward as plain data.

Search never sees a Whoosh object: a :class:`Snapshot` gives the memory-mapped
data of each segment (:class:`~indexer.index.segfile.SegmentData`), which of
its documents were deleted since, the stored passages of a report, and the
word statistics that BM25 needs. Every read is serialised (Whoosh readers are
not thread-safe) and a garbled file becomes an
:class:`~indexer.errors.IndexStoreError` naming the index.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError
from . import segfile
from .postings import field_lengths, word_postings
from .schema import build_id
from .storage import (
    CORRUPTION_ERRORS,
    OPEN_ATTEMPTS,
    corrupt,
    latest_generation,
    open_index,
    open_reader,
)

#: the field of the jieba words (BM25)
WORDS = "words"


@dataclass(frozen=True)
class SnapshotSegment:
    """One segment of a snapshot: its search data and its deletions."""

    id: str
    data: segfile.SegmentData
    #: number of the segment's first document among all documents of the snapshot
    doc_offset: int
    #: ``deleted(local docnum)``, or None when nothing of the segment was deleted
    deleted: Callable[[int], bool] | None


class Snapshot:
    """The index at ``index_dir`` as of the generation current when it is opened.

    ``cache`` maps segment ids to their data; segments keep their data across
    generations (they never change once written), so it is shared between
    snapshots: entries of segments no longer in the index are removed.
    Close it when done (or let it be collected: a replaced snapshot is closed
    when the last request using it ends).
    """

    def __init__(self, index_dir: str | Path, cache: dict[str, segfile.SegmentData]) -> None:
        self._lock = threading.RLock()
        self._reader = None
        index_dir = Path(index_dir)
        for attempt in range(OPEN_ATTEMPTS):
            token = latest_generation(index_dir)
            try:
                self._open(index_dir, cache)
                break
            except IndexStoreError:
                if attempt + 1 < OPEN_ATTEMPTS and latest_generation(index_dir) != token:
                    continue  # a writer committed or swapped in a rebuild meanwhile
                raise
        used = {s.id for s in self.segments}
        for sid in set(cache) - used:
            del cache[sid]

    def _open(self, index_dir: Path, cache: dict[str, segfile.SegmentData]) -> None:
        ix = open_index(index_dir)
        self.folder = Path(ix.storage.folder)
        try:
            self._reader = open_reader(ix)
            self.generation: tuple[str, int] = (build_id(self.folder), self._reader.generation())
            self.segments: list[SnapshotSegment] = []
            for segreader, offset in self._reader.leaf_readers():
                sid = segreader.segment().segment_id()
                data = cache.get(sid)
                if data is None:
                    data = cache[sid] = segfile.load(segfile.path_for(self.folder, sid))
                deleted = segreader.is_deleted if segreader.has_deletions() else None
                self.segments.append(SnapshotSegment(sid, data, offset, deleted))
        except CORRUPTION_ERRORS + (OSError,) as exc:
            self.close()
            raise corrupt(self.folder, exc) from exc

    def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def __del__(self) -> None:
        if getattr(self, "_reader", None) is not None:
            self.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def corrupt(self, exc: BaseException) -> IndexStoreError:
        """The error that says this snapshot's index cannot be read."""
        return corrupt(self.folder, exc)

    @contextmanager
    def _reading(self) -> Iterator:
        with self._lock:
            if self._reader is None:
                raise IndexStoreError(f"the snapshot of the index at {self.folder} is closed")
            try:
                yield self._reader
            except CORRUPTION_ERRORS + (OSError,) as exc:
                raise self.corrupt(exc) from exc

    # -- stored text

    def stored_passages(self, docnum: int) -> list[list]:
        """The passages ``[n, section, heading, path, text, kind]`` of one report's text document."""
        with self._lock:
            try:
                return self._reader.stored_fields(docnum)["passages"]
            except CORRUPTION_ERRORS as exc:
                raise IndexStoreError(
                    f"cannot read report text ({type(exc).__name__}: {exc})"
                ) from exc

    # -- word statistics (BM25)

    def doc_count_all(self) -> int:
        """Documents of the snapshot, deleted ones included (as Whoosh's statistics count)."""
        with self._reading() as reader:
            return reader.doc_count_all()

    def words_length(self) -> float:
        """The total length of the word field over all documents."""
        with self._reading() as reader:
            return reader.field_length(WORDS)

    def word_frequency(self, word: str) -> int:
        """Documents whose word field holds ``word``."""
        with self._reading() as reader:
            return reader.doc_frequency(WORDS, word)

    def word_postings(self, segment: int, word: str) -> tuple[np.ndarray, np.ndarray]:
        """Segment-local document numbers and frequencies of ``word`` in segment ``segment``
        (deleted documents included)."""
        with self._reading() as reader:
            segreader = reader.leaf_readers()[segment][0]
            return word_postings(segreader, WORDS, word)

    def word_lengths(self, segment: int) -> np.ndarray:
        """Each document's word-field length in segment ``segment``, as Whoosh scores it."""
        data = self.segments[segment].data
        if data.word_lengths is None:
            with self._reading() as reader:
                data.word_lengths = field_lengths(reader.leaf_readers()[segment][0], WORDS)
        return data.word_lengths


def check_readable(index_dir: str | Path) -> None:
    """Raise IndexStoreError (with the reason) unless the index can be opened."""
    open_index(index_dir)


def list_reports(index_dir: str | Path) -> list[dict]:
    """Metadata and outline of every indexed report, sorted by source."""
    from whoosh.searching import Searcher

    ix = open_index(index_dir)
    try:
        with Searcher(open_reader(ix)) as s:
            reports = [json.loads(s.stored_fields(d)["meta"]) for d in s.document_numbers(kind="r")]
    except CORRUPTION_ERRORS + (OSError,) as exc:
        raise corrupt(Path(index_dir), exc) from exc
    return sorted(reports, key=lambda m: m["source"])
