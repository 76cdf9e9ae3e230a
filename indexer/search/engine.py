"""The engine: answers searches over one index directory, reopening when it changes.

The engine keeps answering from the last index generation it could read:
when a new generation cannot be opened (a corrupt file, a half-copied
index), the error is logged and the old view stays in use until a later
generation opens.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError, QueryError
from ..index import SegmentData, grams, latest_generation, with_outline
from ..model import SECTION_LABELS
from ..procs import release_free_memory
from ..text import segment
from .budget import UNLIMITED, Deadline
from .evaluate import filtered, match
from .query import FACET_LIMIT, FILTER_FIELDS, MAX_FACET_LIMIT, Filters, Query, parse, shown
from .results import assemble
from .view import View

MODES = ("exact", "words")
SORTS = ("relevance", "date")
MAX_PER_PAGE = 100
MAX_PAGE = 1000

#: one logger for the package, named as operators configure it
log = logging.getLogger(__package__)


class Engine:
    """Answers searches over one index directory; reopens when the index changes.

    Thread-safe: each call works on an immutable view of one index generation.
    While one call opens a new generation, the others keep answering from the
    previous view. ``deadline`` is the default time budget (seconds) of
    :meth:`search` and :meth:`match`; None means unlimited.
    """

    def __init__(self, index_dir: str | Path, *, deadline: float | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.deadline = deadline
        self._view: View | None = None
        self._opening = threading.Lock()  # one thread opens a new generation at a time
        self._segments: dict[str, SegmentData] = {}
        #: generation token that failed to open (not retried until it changes)
        self._failed: tuple[str, int] | None = None
        #: why the newest generation could not be opened (None when it could)
        self.last_error: str | None = None

    def view(self) -> View:
        """The newest readable generation; the last good one if the newest cannot be read."""
        v = self._view
        token = latest_generation(self.index_dir)
        if v is not None and token in (v.generation, self._failed):
            return v
        if v is not None:
            if not self._opening.acquire(blocking=False):
                return v  # another request is opening the new generation
        else:
            self._opening.acquire()
        try:
            v = self._view
            token = latest_generation(self.index_dir)
            if v is not None and token in (v.generation, self._failed):
                return v
            try:
                new = View(self.index_dir, self._segments)
            except IndexStoreError as exc:
                if v is None:
                    raise
                if token != self._failed:
                    log.error(
                        "cannot open the new index generation, still answering from the "
                        "previous one: %s",
                        exc.user_message(),
                    )
                self._failed, self.last_error = token, exc.user_message()
                return v
            # the old view closes its reader when the last request using it ends
            self._view, self._failed, self.last_error = new, None, None
            _settle()
            return new
        finally:
            self._opening.release()

    def warm_up(self) -> None:
        """Open the index and load the word segmenter and the compiled lookup loops, and
        make each gram block's table of passages, now rather than on the first queries."""
        segment("依法行政")
        grams.kernels()
        for data in self.view().segs:
            data.grams.prepare()

    def drop_caches(self) -> None:
        """Answer the next queries as if none had come before.

        Forgets each segment's recent term lookups and the passage texts read
        for snippets; what opening the index built (columns, facet orders) is
        kept, and so is the operating system's file cache. The benchmark calls
        it before each query it times cold.
        """
        v = self._view
        if v is not None:
            v.forget()

    def close(self) -> None:
        with self._opening:
            self._view = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reports

    def reports(self, outline: bool = True) -> list[dict]:
        """Every report's metadata as new dictionaries, by source; ``outline``: with
        its ``sections``."""
        return list(self.each_report(outline))

    def each_report(self, outline: bool = True) -> Iterator[dict]:
        """:meth:`reports` one at a time (a long list need not be held at once), of the
        generation current when called: an index that cannot be read raises here."""
        v = self.view()
        reports = v.reports
        if not outline:
            return (reports.copy(rid) for rid in reports)
        return (with_outline(reports.copy(rid), v.outlines.get(rid)) for rid in reports)

    def meta(self, rid: str) -> dict | None:
        """One report's metadata as a new dictionary, without its outline (None: no such report)."""
        reports = self.view().reports
        return reports.copy(rid) if rid in reports else None

    def newest_first(self) -> list[str]:
        """Every report's id: newest report year first, within a year the newest issue
        date, then by file name (the order of the report list)."""
        return self.view().newest_first()

    def stats(self) -> dict:
        """How many reports, townships and counties are indexed, and the years they span."""
        return self.view().stats()

    def report(self, rid: str) -> dict | None:
        """A report's metadata, outline and every passage (or None)."""
        v = self.view()
        if rid not in v.reports:
            return None
        out = with_outline(v.reports.copy(rid), v.outlines.get(rid))
        out["passages"] = [
            {
                "id": n,
                "section": section,
                "label": SECTION_LABELS.get(section, ""),
                "heading": heading,
                "path": path,
                "text": text,
                "kind": kind,
            }
            for n, section, heading, path, text, kind in v.stored(rid)
        ]
        return out

    # -- search

    def search(
        self,
        q: str,
        *,
        filters: dict[str, list[str]] | None = None,
        mode: str = "exact",
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        deadline: float | None = None,
        facet_limit: int = FACET_LIMIT,
        passages: int | None = None,
    ) -> dict:
        """Run one search and return the JSON-ready result (see README).

        ``deadline``: time budget in seconds (default: the engine's); past it
        the search stops with SearchTimeout. ``facet_limit``: values listed
        per township, county and province facet. ``passages``: at most this
        many matching passages per report, the number of the others in
        ``passages_left`` (for a page that lists a few; default: all).
        """
        t0 = time.perf_counter()
        if sort not in SORTS:
            raise QueryError(f"unknown sort '{shown(sort)}' (use relevance or date)")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        if not 1 <= facet_limit <= MAX_FACET_LIMIT:
            raise QueryError(f"facet_limit must be between 1 and {MAX_FACET_LIMIT}")
        query = self.parse(q, filters, mode)
        v = self.view()
        dl = self._deadline(deadline)  # opening a new generation is not the query's time
        matches, scores, marks = match(query, mode, v, dl)
        shape = (page, per_page, sort, facet_limit, passages)
        result = assemble(query, mode, matches, scores, marks, v, shape, dl)
        result["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return result

    def _deadline(self, seconds: float | None) -> Deadline:
        seconds = self.deadline if seconds is None else seconds
        return UNLIMITED if seconds is None else Deadline(seconds)

    @staticmethod
    def parse(q: str, filters: dict[str, list[str]] | None = None, mode: str = "exact") -> Query:
        """Check ``mode`` and parse ``q`` with the extra ``filters`` (QueryError if bad)."""
        if mode not in MODES:
            raise QueryError(f"unknown mode '{shown(mode)}' (use exact or words)")
        flt = Filters()
        for name, values in (filters or {}).items():
            if name not in FILTER_FIELDS:
                raise QueryError(f"unknown filter '{shown(name)}'")
            for value in values or []:
                flt.add(name, str(value))
        return parse(q, flt)

    def match(
        self,
        q: str,
        *,
        filters: dict[str, list[str]] | None = None,
        mode: str = "exact",
        deadline: float | None = None,
    ) -> dict[str, list[int]]:
        """Every matching passage after filters: report id → passage numbers (ascending).

        The same matches :meth:`search` counts, without ranking or snippets;
        for analytics over all results. ``deadline`` as for :meth:`search`.
        """
        v, pids = self._passages(q, filters, mode, deadline)
        if not len(pids):
            return {}
        reps = v.p_rep[pids]
        cut = np.flatnonzero(reps[1:] != reps[:-1]) + 1
        numbers = np.split(v.p_n[pids], cut)
        firsts = reps[np.append(0, cut)].tolist()
        return {v.rep_rid[r]: ns.tolist() for r, ns in zip(firsts, numbers, strict=True)}

    def matching_reports(
        self,
        q: str,
        *,
        filters: dict[str, list[str]] | None = None,
        mode: str = "exact",
        deadline: float | None = None,
    ) -> list[str]:
        """The ids of the reports :meth:`match` finds (in index order), without their passages."""
        v, pids = self._passages(q, filters, mode, deadline)
        rid = v.rep_rid
        return [rid[r] for r in np.unique(v.p_rep[pids]).tolist()]

    def passage_counts(
        self,
        q: str,
        *,
        filters: dict[str, list[str]] | None = None,
        mode: str = "exact",
        deadline: float | None = None,
    ) -> tuple[View, np.ndarray]:
        """The view searched and, by its report numbers, how many passages :meth:`match` finds."""
        v, pids = self._passages(q, filters, mode, deadline)
        return v, np.bincount(v.p_rep[pids], minlength=v.n_reports)

    def _passages(self, q, filters, mode, deadline) -> tuple[View, np.ndarray]:
        """The view searched and the matching passages after filters (ascending numbers)."""
        query = self.parse(q, filters, mode)
        v = self.view()
        matches, _, _ = match(query, mode, v, self._deadline(deadline))
        return v, filtered(v, matches, query.filters)

    @property
    def generation(self) -> tuple[str, int]:
        """Changes whenever the index is committed or rebuilt (for caches built on top)."""
        return self.view().generation


def _settle() -> None:
    """Keep the cyclic garbage collector from walking a freshly loaded view on every pass.

    A view holds the metadata of every report (tens of thousands of dicts
    and lists) until the next commit, and contains no reference cycles; left
    to the collector, each full collection walks them all, which showed as
    tens of milliseconds inside ordinary searches. Unfreezing first lets
    garbage frozen last time (and the previous view, once unused) be
    collected before everything alive is frozen again; what the previous view
    and the loading freed then goes back to the system.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    release_free_memory()
