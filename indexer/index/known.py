"""The reports already in the index, as a write session needs to know them.

Adding one report to an index of 100,000 used to read the stored fields of
every report first (about 45 µs each: most of the time of the add). A
session asks only about the files it is given: is this content (report id)
already indexed, and under which file; which report did this file hold
before. Both are term lookups — ``rid`` and ``source_key`` are indexed —
answered from the reader opened when the session began, with the session's
own additions and removals laid over them. Only pruning (``--prune``) walks
every report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from whoosh.reading import TermNotFound


def source_key(source: str) -> str:
    """The indexed key of a report's ``source``: a digest, so that any file name, of
    any bytes and any length, makes one short term."""
    raw = source.encode("utf-8", "surrogateescape")
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class KnownReports:
    """Report id → ``{"id", "source", "path", …}`` of the reports in the index, looked
    up on demand, with the changes of the current session applied.

    ``reader``: a Whoosh reader of the commit the session started from (None for a
    new index); the session closes it (:meth:`close`). A report the session
    replaces is removed first, then added: ``len`` is the reports the session
    started with, less those removed, plus those added.
    """

    def __init__(self, reader=None) -> None:
        self._reader = reader
        self._added: dict[str, dict] = {}
        self._added_source: dict[str, str] = {}  # source → rid, of the reports added
        self._removed: set[str] = set()
        self._count: int | None = None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # -- what the index held when the session began

    def _lookup(self, field: str, term: str) -> dict | None:
        """The report document (``kind="r"``) holding ``term`` in ``field``, if any."""
        if self._reader is None:
            return None
        try:
            ids = self._reader.postings(field, term).all_ids()
        except TermNotFound:
            return None
        for docnum in ids:
            if not self._reader.is_deleted(docnum):
                f = self._reader.stored_fields(docnum)
                return {"id": f["rid"], "source": f["source"], "path": f["path"]}
        return None

    def _base(self, rid: str) -> dict | None:
        return self._lookup("uid", f"r:{rid}")

    def _base_docnums(self) -> list[int]:
        if self._reader is None:
            return []
        try:
            ids = self._reader.postings("kind", "r").all_ids()
        except TermNotFound:
            return []
        return [d for d in ids if not self._reader.is_deleted(d)]

    # -- the mapping

    def get(self, rid: str) -> dict | None:
        if rid in self._added:
            return self._added[rid]
        if rid in self._removed:
            return None
        return self._base(rid)

    def __contains__(self, rid: str) -> bool:
        return self.get(rid) is not None

    def rid_of_source(self, source: str) -> str | None:
        """The report id the file ``source`` holds (this session's changes included)."""
        rid = self._added_source.get(source)
        if rid is not None:
            return rid
        found = self._lookup("source_key", source_key(source))
        if found is None or found["id"] in self._removed or found["source"] != source:
            return None
        return found["id"]

    def add(self, rid: str, meta: dict) -> None:
        """Record report ``rid`` as added (any earlier copy was removed by :meth:`pop`)."""
        self._added[rid] = meta
        self._added_source[meta["source"]] = rid

    def pop(self, rid: str) -> None:
        """Record report ``rid`` as removed."""
        meta = self._added.pop(rid, None)
        if meta is not None and self._added_source.get(meta["source"]) == rid:
            del self._added_source[meta["source"]]
        if rid not in self._removed and self._base(rid) is not None:
            self._removed.add(rid)

    def __len__(self) -> int:
        if self._count is None:
            # every report is two documents (``kind`` r and t), added in one writer and
            # deleted together by their ``rid``; ``fazhi check`` verifies that they pair
            self._count = 0 if self._reader is None else self._reader.doc_count() // 2
        return self._count - len(self._removed) + len(self._added)

    def items(self) -> Iterator[tuple[str, dict]]:
        """Every report (reads all of them: for pruning)."""
        for docnum in self._base_docnums():
            f = self._reader.stored_fields(docnum)
            rid = f["rid"]
            if rid not in self._removed and rid not in self._added:
                yield rid, {"id": rid, "source": f["source"], "path": f["path"]}
        yield from list(self._added.items())
