"""The reviewers' and drafters' analytics of :class:`~indexer.analytics.Analytics`.

Art. 25 parts per report and the coverage table, the check of a draft, the
copy verdict of a report and two reports side by side. A mixin: it uses the
caches and the sentence index of the service (``metas``, ``_latest``,
``_lru``, ``_fresh``) and keeps its own per-report caches.
"""

from __future__ import annotations

import gc
import logging
import threading

from ..procs import release_free_memory
from . import copystore
from .copies import all_copies, compare, report_copy, report_sources
from .copytable import CopyFigures
from .coverage import coverage_table, report_parts
from .draft import check_draft
from .precedents import SentenceIndex
from .sentences import MAX_LISTED

log = logging.getLogger(__package__)


def settle() -> None:
    """Keep the cyclic garbage collector from walking what a build just made.

    The catalogue, the sentence index and the copy figures are hundreds of
    thousands of objects that live until the next generation and hold no
    reference cycles worth collecting; left to the collector, every full
    collection walks them all, which showed as hundreds of milliseconds in
    ordinary requests at 100,000 reports (matrix p95 524 → 206 ms, first
    precedents p95 592 → 383 ms with them frozen). Freezing moves every
    object alive now out of the collector's way (no collection: that is the
    index's own :func:`~indexer.search.engine.Engine` reload, which
    unfreezes, collects and freezes again). Then the memory the build freed
    (its sorts and temporary lists) goes back to the system.
    """
    gc.freeze()
    release_free_memory()


class ReviewMixin:
    """Parts, coverage, draft checks and copy verdicts (mixed into ``Analytics``)."""

    #: the Art. 25 parts of each report (by id: its content), kept across commits
    _parts: dict[str, list[dict]]
    #: (generation, final, sentence index version, {report id: copy figures}) of every
    #: report; final: computed with a sentence index of that generation, or read from
    #: what was kept for it
    _copies: tuple | None
    _copies_lock: threading.Lock
    _copies_thread: threading.Thread | None
    #: from this many reports on, the copy figures are computed by a child process
    #: (see :func:`.copystore.compute_in_child`); None: always in this process
    copies_child_from: int | None

    def parts(self, rid: str) -> list[dict]:
        """:func:`report_parts` of report ``rid`` (cached by id; ids name content)."""
        found = self._parts.get(rid)
        if found is None:
            view = self.engine.view()
            found = report_parts(view.stored(rid)) if rid in view.loc else report_parts(())
            with self._lock:
                if len(self._parts) > 4 * max(len(view.loc), 1000):
                    self._parts.clear()  # forget the reports removed since
                self._parts[rid] = found
        return found

    def coverage(self, filters: dict | None = None, keep=None) -> dict:
        """The coverage table of the five parts (see :func:`coverage_table`)."""
        flt = self.engine.parse("x", filters).filters
        return coverage_table(self.metas().values(), self.parts, flt, keep)

    def check(self, draft: dict, limit: int = MAX_LISTED) -> dict:
        """:func:`check_draft` of ``draft`` (a ``Report.to_dict()``) against the sentence
        index, maybe of an earlier generation (the reports removed since left out)."""
        metas = self.metas()
        index = self.sentence_index()
        return check_draft(draft, index, index.position.keys() - metas.keys(), limit=limit)

    # -- copy verdict

    def _index_for(self, rid: str | None = None) -> tuple[SentenceIndex, int, set[str]]:
        """A sentence index (knowing ``rid``), its version, and the reports removed since."""
        metas = self.metas()

        def usable(index) -> bool:
            removed = index.position.keys() - metas.keys()
            return (rid is None or rid in index.position) and len(removed) <= self.STALE_REMOVED_MAX

        index, version = self._latest("sentences", self._build_sentences, usable)
        return index, version, set(index.position.keys() - metas.keys())

    def copy(self, rid: str) -> dict | None:
        """:func:`report_copy` of report ``rid`` (None if unknown)."""
        if rid not in self.metas():
            return None
        index, version, removed = self._index_for(rid)
        return self._lru(
            self._precedents, ("copy", version, rid), self.PRECEDENT_CACHE,
            lambda: report_copy(index, rid, removed),
        )  # fmt: skip

    def copies(self, wait: bool | float = True) -> CopyFigures | None:
        """:func:`all_copies`: the copy figures of every report (a mapping from report id,
        kept as columns), computed once per index generation (minutes on a large index),
        or read from what a server computed for the same generation before (see
        :mod:`.copystore`).

        ``wait=False`` or a number of seconds (a page): the figures at hand, maybe of
        an earlier index, or None, while they are computed in a background thread
        (waited for that long).
        """
        found = self._copies
        gen = self.engine.generation
        if found is not None and found[:2] == (gen, True):  # final for this generation
            return found[3]
        if wait is not True:
            thread = self._start_copies()
            if wait and thread is not None:
                thread.join(float(wait))
            found = self._copies
            return found[3] if found is not None else None
        with self._copies_lock:
            found = self._copies
            if found is not None and found[:2] == (gen, True):
                return found[3]
            kept = copystore.load_figures(self.engine.index_dir, gen)
            if kept is not None:
                self._copies = (gen, True, None, kept)
                return kept
            index, version, removed = self._index_for()
            gen = self._fresh()
            if found is not None and found[:3] == (gen, False, version):
                return found[3]  # what a stale sentence index gives, computed already
            with self._lock:
                slot = self._slots["sentences"]
                final = slot.version == version and slot.generation == gen and not removed
            value = None
            child_from = self.copies_child_from
            if final and child_from is not None and len(index.corpus) >= child_from:
                value = copystore.compute_in_child(self.engine.index_dir, gen)
            if value is None:
                value = CopyFigures.of(all_copies(index, removed))
            self._copies = (gen, final, version, value)
            settle()
        if final:  # the figures of this generation: the next server reads them
            copystore.save_figures(self.engine.index_dir, gen, value)
        return value

    def _start_copies(self) -> threading.Thread | None:
        with self._lock:
            if self._copies_thread is not None and self._copies_thread.is_alive():
                return self._copies_thread
            thread = threading.Thread(
                target=self._copies_quietly, name="analytics-copies", daemon=True
            )
            self._copies_thread = thread
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: the page does without the figures
            self._copies_thread = None
            return None
        return thread

    def _copies_quietly(self) -> None:
        try:
            self.copies()
        except Exception:  # noqa: BLE001 - a page asked; it shows no figures, the log says why
            log.exception("computing the copy figures failed")

    def compare(self, rid: str, other: str) -> dict | None:
        """:func:`compare` report ``rid`` with report ``other`` (None if either is unknown)."""
        metas = self.metas()
        if rid not in metas or other not in metas:
            return None
        index, version, _ = self._index_for(rid)
        if other not in index.position:
            return None
        return self._lru(
            self._precedents, ("compare", version, rid, other), self.PRECEDENT_CACHE,
            lambda: compare(index, rid, other),
        )  # fmt: skip

    def sources(self, rid: str) -> list[dict] | None:
        """:func:`report_sources` of report ``rid`` (None if unknown)."""
        if rid not in self.metas():
            return None
        index, version, removed = self._index_for(rid)
        return self._lru(
            self._precedents, ("sources", version, rid), self.PRECEDENT_CACHE,
            lambda: report_sources(index, rid, removed),
        )  # fmt: skip
