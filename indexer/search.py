"""Search: exact and word queries, facets, ranking, snippets.

Exact mode is complete by construction: every term is looked up in the
character-gram index (:mod:`indexer.grams`), which gives the exact passages
whose folded text holds it, across the line and page breaks that ingestion
joined. Matches are boolean masks over all passages; filters, facets and
ranking are array operations over per-report columns; snippets are built
only for the page shown.

Words mode splits each unquoted term into its jieba words, which must all
occur in one passage (in any order, apart), and ranks reports by BM25 over
the jieba word field.

Every search can be given a time budget (``deadline``, seconds): term
lookups (between blocks), BM25 scoring and snippet building check it and
raise :class:`~indexer.errors.SearchTimeout` once it is spent. The check is
cooperative and works in any thread (no signals). The budget counts the
processor time of the searching thread: the work a search does, not the
time it waits while other requests hold the interpreter, so a busy server
does not turn ordinary searches into timeouts, while a pathological one is
still stopped.

The engine keeps answering from the last index generation it could read:
when a new generation cannot be opened (a corrupt file, a half-copied
index), the error is logged and the old view stays in use until a later
generation opens.
"""

from __future__ import annotations

import gc
import html
import logging
import math
import re
import threading
import time
from bisect import bisect_right
from collections import Counter
from pathlib import Path

import numpy as np

from . import segfile, store
from .analysis import fold, fold_map, segment
from .errors import IndexStoreError, QueryError, SearchTimeout
from .model import SECTION_KEYS, SECTION_LABELS
from .query import (
    FACET_LIMIT,
    FILTER_FIELDS,
    MAX_FACET_LIMIT,
    And,
    Filters,
    Not,
    Or,
    Query,
    Term,
    parse,
    shown,
)

MODES = ("exact", "words")
SORTS = ("relevance", "date")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
SNIPPET_CHARS = 140
SNIPPET_LEAD = 40

log = logging.getLogger(__name__)

SECTION_WEIGHT = {
    "measures": 1.0,
    "leadership": 1.0,
    "shortcomings": 1.0,
    "plans": 0.9,
    "other": 0.6,
}


# ---------------------------------------------------------------- time budget


class Deadline:
    """A search's time budget: :meth:`check` raises SearchTimeout once it is spent.

    Counted in processor time of the calling thread (:func:`time.thread_time`),
    so create and check it in the thread that searches.
    """

    __slots__ = ("budget", "end")

    def __init__(self, seconds: float | None) -> None:
        self.budget = seconds
        self.end = None if seconds is None else time.thread_time() + seconds

    def check(self) -> None:
        if self.end is not None and time.thread_time() > self.end:
            raise SearchTimeout(
                f"search stopped after its time limit ({self.budget:g}s)",
                hint="use a longer phrase, fewer OR terms or a filter, then try again",
            )


#: no budget
UNLIMITED = Deadline(None)


# ---------------------------------------------------------------- snapshot view

_SECTION_CODE = {key: i for i, key in enumerate(SECTION_KEYS)}
#: ranking weight of a matching passage, by section code
_SECTION_WEIGHTS = np.array([SECTION_WEIGHT.get(k, 1.0) for k in SECTION_KEYS])
#: the facets and filters over report metadata
_PLACE_FIELDS = ("township", "county", "province")


class _Column:
    """One metadata field of every report as integer codes (-1: unknown)."""

    __slots__ = ("codes", "labels", "index", "_rank", "_by_text")

    def __init__(self, values: list) -> None:
        self.labels: list = []
        self.index: dict = {}
        codes = np.full(len(values), -1, dtype=np.int32)
        for r, value in enumerate(values):
            if value is None:
                continue
            c = self.index.get(value)
            if c is None:
                c = self.index[value] = len(self.labels)
                self.labels.append(value)
            codes[r] = c
        self.codes = codes
        self._rank: np.ndarray | None = None

    def mask(self, wanted: list) -> np.ndarray:
        """Reports whose value is one of ``wanted``."""
        chosen = np.zeros(len(self.labels) + 1, dtype=bool)  # the last slot: unknown (-1)
        for value in wanted:
            c = self.index.get(value)
            if c is not None:
                chosen[c] = True
        return chosen[self.codes]

    def _tally(self, selected: np.ndarray) -> np.ndarray:
        codes = self.codes[selected]
        return np.bincount(codes[codes >= 0], minlength=len(self.labels))

    def counts(self, selected: np.ndarray) -> dict:
        """Value → number of selected reports (values with none left out)."""
        tally = self._tally(selected)
        return {self.labels[c]: int(tally[c]) for c in np.flatnonzero(tally).tolist()}

    def ranked(
        self, selected: np.ndarray, limit: int | None = None, always: list[str] | None = None
    ) -> tuple[list[tuple], int]:
        """(value, number of selected reports), most first, then by the value's text.

        At most ``limit`` of them, besides the values named in ``always`` (by
        their text: a township's name), and how many values with selected
        reports were left out.
        """
        rank = self._rank
        if rank is None:
            # a (township, county) pair sorts by the township's name
            text = [str(v[0] if isinstance(v, tuple) else v) for v in self.labels]
            order = sorted(range(len(text)), key=text.__getitem__)
            rank = np.empty(len(text), dtype=np.int64)
            rank[order] = np.arange(len(text))
            by_text: dict[str, list[int]] = {}
            for c, t in enumerate(text):
                by_text.setdefault(t, []).append(c)
            # published whole, the order last: a request in another thread sees
            # either nothing (and builds it too) or both
            self._by_text = by_text
            self._rank = rank
        tally = self._tally(selected)
        found = np.flatnonzero(tally)
        found = found[np.lexsort((rank[found], -tally[found]))]
        omitted = 0
        if limit is not None and len(found) > limit:
            keep = [c for t in always or () for c in self._by_text.get(str(t), ())]
            listed = np.isin(found, np.concatenate([found[:limit], np.asarray(keep, dtype=int)]))
            omitted = len(found) - int(listed.sum())
            found = found[listed]
        labels = self.labels
        ranked = list(zip([labels[c] for c in found.tolist()], tally[found].tolist(), strict=True))
        return ranked, omitted


class _View:
    """One generation of the index: its reader and flat arrays over its reports and passages.

    Reports are numbered across segments (``r``), passages too (``g``); each
    report's passages are ``rep_first[r]:rep_first[r + 1]``. ``alive`` marks
    the passages (``rep_alive`` the reports) not deleted since their segment
    was written. Per segment, the gram index of exact search is mapped from
    its file (:class:`~indexer.store.SegmentData`, shared between generations).
    """

    def __init__(self, ix, cache: dict[str, store.SegmentData]) -> None:
        self.folder = ix.storage.folder
        self.reader = store.open_reader(ix)
        self.generation = (store.build_id(ix.storage.folder), self.reader.generation())
        self.lock = threading.Lock()  # Whoosh readers are not thread-safe
        self.segs: list[store.SegmentData] = []
        self.doc_offsets: list[int] = []
        self.bases: list[int] = []  # first passage of each segment
        self.rep_bases: list[int] = []  # first report of each segment
        self.text_index: list[dict[int, int]] = []  # per segment: local docnum → report
        self.reports: dict[str, dict] = {}  # rid → metadata without the outline
        self.outlines: dict[str, str] = {}  # rid → outline as JSON
        self.loc: dict[str, int] = {}  # rid → report number (live reports)
        self.rep_rid: list[str] = []
        rep_alive: list[bool] = []
        firsts, numbers, sections = [], [], []
        n_passages = 0
        used = set()
        try:
            for segreader, offset in self.reader.leaf_readers():
                sid = store.segment_id(segreader)
                data = cache.get(sid)
                if data is None:
                    data = cache[sid] = store.load_segment(self.folder, segreader)
                used.add(sid)
                self.segs.append(data)
                self.doc_offsets.append(offset)
                self.bases.append(n_passages)
                self.rep_bases.append(len(self.rep_rid))
                self.text_index.append({d: r for r, d in enumerate(data.text_local)})
                dead = segreader.is_deleted if segreader.has_deletions() else None
                for rid, local in zip(data.rids, data.text_local, strict=True):
                    live = dead is None or not dead(local)
                    if live:
                        self.loc[rid] = len(self.rep_rid)
                    self.rep_rid.append(rid)
                    rep_alive.append(live)
                for rid, (local, meta) in data.metas.items():
                    if dead is None or not dead(local):
                        self.reports[rid] = meta
                        self.outlines[rid] = data.outlines.get(rid, "")
                firsts.append(np.asarray(data.first[:-1], dtype=np.int64) + n_passages)
                numbers.append(data.p_n)
                sections.append(data.p_section)
                n_passages += len(data.p_n)
        except store.CORRUPTION_ERRORS + (OSError,) as exc:
            self._drop_reader()
            raise store._corrupt(Path(ix.storage.folder), exc) from exc
        for sid in set(cache) - used:
            del cache[sid]
        if set(self.loc) != set(self.reports):
            self._drop_reader()
            odd = sorted(set(self.loc) ^ set(self.reports))
            raise store._corrupt(
                Path(ix.storage.folder), ValueError(f"reports without text or metadata: {odd}")
            )
        self.n_passages = n_passages
        self.n_reports = len(self.rep_rid)
        self.rep_first = np.concatenate([*firsts, [n_passages]]).astype(np.int64)
        self.p_n = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int32)
        self.p_section = np.concatenate(sections) if sections else np.zeros(0, dtype=np.uint8)
        self.p_rep = np.repeat(np.arange(self.n_reports, dtype=np.int32), np.diff(self.rep_first))
        self.rep_alive = np.array(rep_alive, dtype=bool)
        self.alive = self.rep_alive[self.p_rep]
        self.any_dead = not self.rep_alive.all()
        self._columns()
        self._texts: dict[str, list[list]] = {}
        self.by_source: list[dict] | None = None  # the reports' metadata by source, when asked

    def _columns(self) -> None:
        """Metadata columns over report numbers, for filters, facets and sorting."""
        metas = [self.reports.get(rid, {}) for rid in self.rep_rid]
        self.cols = {name: _Column([m.get(name) for m in metas]) for name in _PLACE_FIELDS}
        # the township facet tells apart same-named townships of different counties
        self.cols["township_county"] = _Column(
            [(m["township"], m.get("county")) if m.get("township") else None for m in metas]
        )
        self.year = np.array([m.get("year") or 0 for m in metas], dtype=np.int32)
        self.cols["year"] = _Column([m.get("year") for m in metas])
        order = sorted(
            range(self.n_reports), key=lambda r: (metas[r].get("source", ""), self.rep_rid[r])
        )
        self.src_rank = np.empty(self.n_reports, dtype=np.int64)
        self.src_rank[order] = np.arange(self.n_reports)
        dates = [m.get("date") or (f"{m['year']}-99" if m.get("year") else "") for m in metas]
        rank = {d: i for i, d in enumerate(sorted(set(dates)))}
        self.date_rank = np.array([rank[d] for d in dates], dtype=np.int64)

    def close(self) -> None:
        self.reader.close()

    def _drop_reader(self) -> None:
        reader, self.reader = self.reader, None
        if reader is not None:
            reader.close()

    def __del__(self) -> None:
        # a replaced view is dropped when the last request using it is done
        if getattr(self, "reader", None) is not None:
            self._drop_reader()

    # -- reports and passages

    def _seg_of(self, r: int) -> tuple[int, int]:
        si = bisect_right(self.rep_bases, r) - 1
        return si, r - self.rep_bases[si]

    def passages_of(self, rid: str) -> range:
        """Global numbers of a report's passages."""
        r = self.loc[rid]
        return range(int(self.rep_first[r]), int(self.rep_first[r + 1]))

    def stored(self, rid: str) -> list[list]:
        """A report's passages ``[n, section, heading, path, text]`` from the stored fields."""
        cached = self._texts.get(rid)
        if cached is None:
            docnum = self.text_doc(rid)
            with self.lock:
                cached = store.stored_passages(self.reader, docnum)
            if len(self._texts) >= 512:
                self._texts.clear()
            self._texts[rid] = cached
        return cached

    def passage(self, g: int) -> list:
        """``[n, section, heading, path, text]`` of passage ``g``."""
        r = int(self.p_rep[g])
        return self.stored(self.rep_rid[r])[g - int(self.rep_first[r])]

    def rid_of_doc(self, docnum: int) -> str | None:
        """The live report whose text document has this global Whoosh number."""
        si = bisect_right(self.doc_offsets, docnum) - 1
        r = self.text_index[si].get(docnum - self.doc_offsets[si])
        if r is None:
            return None
        r += self.rep_bases[si]
        return self.rep_rid[r] if self.rep_alive[r] else None

    def text_doc(self, rid: str) -> int:
        si, r = self._seg_of(self.loc[rid])
        return self.doc_offsets[si] + self.segs[si].text_local[r]

    # -- filters

    def filter_masks(self, flt: Filters) -> dict[str, np.ndarray]:
        """For each place or year filter given: the reports that pass it."""
        out = {}
        for name in _PLACE_FIELDS:
            values = getattr(flt, name)
            if values:
                out[name] = self.cols[name].mask(values)
        if flt.year:
            in_range = np.zeros(self.n_reports, dtype=bool)
            for lo, hi in flt.year:
                in_range |= (self.year >= lo) & (self.year <= hi)
            out["year"] = in_range & (self.cols["year"].codes >= 0)
        return out

    def report_mask(
        self, flt: Filters, skip: str | None = None, masks: dict | None = None
    ) -> np.ndarray:
        """Live reports that pass the place and year filters (all but ``skip``).

        ``masks``: :meth:`filter_masks` of ``flt``, if the caller has them already.
        """
        ok = self.rep_alive.copy()
        for name, passed in (self.filter_masks(flt) if masks is None else masks).items():
            if name != skip:
                ok &= passed
        return ok

    # -- exact term lookup

    def term_matches(self, term: str, dl: Deadline = UNLIMITED) -> np.ndarray:
        """Live passages whose folded text contains ``term`` (folded), as a mask."""
        out = np.zeros(self.n_passages, dtype=bool)
        if not term:
            return out
        for data, base in zip(self.segs, self.bases, strict=True):
            local = data.grams.passages(term, dl.check)
            out[local + base] = True
        if self.any_dead:
            out &= self.alive
        return out

    def corrupt(self, exc: BaseException) -> IndexStoreError:
        return store._corrupt(Path(self.folder), exc)


# ---------------------------------------------------------------- engine


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
        self._view: _View | None = None
        self._opening = threading.Lock()  # one thread opens a new generation at a time
        self._segments: dict[str, store.SegmentData] = {}
        #: generation token that failed to open (not retried until it changes)
        self._failed: tuple[str, int] | None = None
        #: why the newest generation could not be opened (None when it could)
        self.last_error: str | None = None

    def view(self) -> _View:
        """The newest readable generation; the last good one if the newest cannot be read."""
        v = self._view
        token = store.latest_generation(self.index_dir)
        if v is not None and token in (v.generation, self._failed):
            return v
        if v is not None:
            if not self._opening.acquire(blocking=False):
                return v  # another request is opening the new generation
        else:
            self._opening.acquire()
        try:
            v = self._view
            token = store.latest_generation(self.index_dir)
            if v is not None and token in (v.generation, self._failed):
                return v
            try:
                new = _View(store.open_index(self.index_dir), self._segments)
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
        """Open the index and load the word segmenter now rather than on the first queries."""
        segment("依法行政")
        self.view()

    def close(self) -> None:
        with self._opening:
            self._view = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reports

    def reports(self, outline: bool = True) -> list[dict]:
        """Every report's metadata, by source; ``outline``: with its ``sections``.

        Without the outline the dicts are the view's own (do not change them).
        """
        v = self.view()
        if v.by_source is None:  # once per generation (a list of all reports is asked for often)
            v.by_source = sorted(v.reports.values(), key=lambda m: m["source"])
        metas = list(v.by_source)
        if not outline:
            return metas
        return [segfile.with_outline(m, v.outlines.get(m["id"])) for m in metas]

    def report(self, rid: str) -> dict | None:
        """A report's metadata, outline and every passage (or None)."""
        v = self.view()
        meta = v.reports.get(rid)
        if meta is None:
            return None
        out = segfile.with_outline(meta, v.outlines.get(rid))
        out["passages"] = [
            {
                "id": n,
                "section": section,
                "label": SECTION_LABELS.get(section, ""),
                "heading": heading,
                "path": path,
                "text": text,
            }
            for n, section, heading, path, text in v.stored(rid)
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
        matches, scores, marks = _match(query, mode, v, dl)
        shape = (page, per_page, sort, facet_limit, passages)
        result = _assemble(query, mode, matches, scores, marks, v, shape, dl)
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

    def _passages(self, q, filters, mode, deadline) -> tuple[_View, np.ndarray]:
        """The view searched and the matching passages after filters (ascending numbers)."""
        query = self.parse(q, filters, mode)
        v = self.view()
        matches, _, _ = _match(query, mode, v, self._deadline(deadline))
        return v, _filtered(v, matches, query.filters)

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
    collected before everything alive is frozen again.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _match(
    query: Query, mode: str, v: _View, dl: Deadline = UNLIMITED
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Matching passages (a mask, before filters), report scores (words mode), marks."""
    if mode == "exact":
        matches = _eval_exact(query.expr, v, {}, dl)
        dl.check()
        return matches, None, [t.folded for t in query.terms()]
    expr = _words_expr(query.expr)
    matches = _eval_exact(expr, v, {}, dl)
    dl.check()
    marks = [t.folded for t in Query(query.text, expr, query.filters).terms()]
    found = np.flatnonzero(np.bincount(v.p_rep[matches], minlength=v.n_reports))
    rscore = np.zeros(v.n_reports)
    for rid, score in _bm25(v, marks, {v.rep_rid[r] for r in found.tolist()}, dl).items():
        if rid is not None:
            rscore[v.loc[rid]] = score
    return matches, rscore, marks


# ---------------------------------------------------------------- exact evaluation


def _universe(v: _View) -> np.ndarray:
    return v.alive.copy()


def _eval_exact(node, v: _View, cache: dict, dl: Deadline = UNLIMITED) -> np.ndarray:
    """The live passages matching a query node, as a boolean mask (not to be modified)."""
    dl.check()
    if isinstance(node, Term):
        if node.folded not in cache:
            cache[node.folded] = v.term_matches(node.folded, dl)
        return cache[node.folded]
    if isinstance(node, Not):
        return _universe(v) & ~_eval_exact(node.item, v, cache, dl)
    if isinstance(node, Or):
        out = np.zeros(v.n_passages, dtype=bool)
        for item in node.items:
            out |= _eval_exact(item, v, cache, dl)
        return out
    if isinstance(node, And):
        positives = [x for x in node.items if not isinstance(x, Not)]
        negatives = [x.item for x in node.items if isinstance(x, Not)]
        out = _universe(v)
        for x in positives:
            out &= _eval_exact(x, v, cache, dl)
        for x in negatives:
            out &= ~_eval_exact(x, v, cache, dl)
        return out
    raise TypeError(f"unknown query node {node!r}")


# ---------------------------------------------------------------- words mode


def _words_expr(node):
    """Each unquoted term becomes the AND of its jieba words; quoted terms stay phrases."""
    if isinstance(node, Term):
        if node.quoted:
            return node
        words = [fold(w) for w, _, _ in segment(node.text)]
        words = [w for w in dict.fromkeys(words) if w]
        if len(words) <= 1:
            return node
        return And(tuple(Term(w, w) for w in words))
    if isinstance(node, Not):
        return Not(_words_expr(node.item))
    return type(node)(tuple(_words_expr(x) for x in node.items))


#: BM25 parameters (Whoosh's BM25F defaults, which scored words mode before)
BM25_B, BM25_K1 = 0.75, 1.2


def _bm25(v: _View, words: list[str], rids: set[str], dl: Deadline = UNLIMITED) -> dict[str, float]:
    """BM25 score of each report in ``rids`` for ``words`` (report-level).

    The sum over the words (a repeated word counts again) of Whoosh's BM25F
    term score, computed with numpy from the word postings: the same
    statistics (document count and word frequency over all documents of the
    index, average words per document, each document's length in Whoosh's
    one-byte encoding) and the same formula, without Whoosh's per-posting
    Python loop.
    """
    if not words or not rids:
        return {}
    allowed = np.fromiter((v.text_doc(rid) for rid in rids), dtype=np.int64, count=len(rids))
    with v.lock:
        try:
            reader = v.reader
            n_all = reader.doc_count_all()
            avgfl = reader.field_length("words") / (n_all or 1) or 1
            score = np.zeros(n_all)
            hit = np.zeros(n_all, dtype=bool)
            leaves = list(zip(reader.leaf_readers(), v.segs, strict=True))
            for word, times in Counter(words).items():  # a repeated word: postings read once
                idf = times * (math.log(n_all / (reader.doc_frequency("words", word) + 1)) + 1)
                for (segreader, offset), data in leaves:
                    ids, tf = store.word_postings(segreader, "words", word)
                    if not len(ids):
                        continue
                    if data.word_lengths is None:
                        data.word_lengths = store.field_lengths(segreader, "words")
                    fl = data.word_lengths[ids]
                    norm = tf + BM25_K1 * ((1 - BM25_B) + BM25_B * fl / avgfl)
                    score[ids + offset] += idf * ((tf * (BM25_K1 + 1)) / norm)
                    hit[ids + offset] = True
                    dl.check()
        except store.CORRUPTION_ERRORS + (OSError,) as exc:
            raise v.corrupt(exc) from exc
    found = allowed[hit[allowed]]
    return {v.rid_of_doc(d): float(score[d]) for d in found.tolist()}


# ---------------------------------------------------------------- results


def _section_ok(flt: Filters) -> np.ndarray | None:
    """By section code: in the section filter (None: no section filter)."""
    if not flt.section:
        return None
    ok = np.zeros(len(SECTION_KEYS), dtype=bool)
    for key in flt.section:
        if key in _SECTION_CODE:
            ok[_SECTION_CODE[key]] = True
    return ok


def _filtered(v: _View, matches: np.ndarray, flt: Filters) -> np.ndarray:
    """Matching passages (ascending numbers) that pass every filter."""
    pids = np.flatnonzero(matches)
    keep = v.report_mask(flt)[v.p_rep[pids]]
    secok = _section_ok(flt)
    if secok is not None:
        keep &= secok[v.p_section[pids]]
    return pids[keep]


def _assemble(query, mode, matches, rscore, marks, v: _View, shape, dl=UNLIMITED) -> dict:
    """``shape``: (page, per_page, sort, facet_limit, passages listed per report or None)."""
    page, per_page, sort, facet_limit, most = shape
    flt = query.filters
    n = v.n_reports
    pids = np.flatnonzero(matches)
    reps = v.p_rep[pids]
    secs = v.p_section[pids]
    secok = _section_ok(flt)
    insec = None if secok is None else secok[secs]
    per_report = np.bincount(reps, minlength=n)
    in_sections = per_report if insec is None else np.bincount(reps[insec], minlength=n)
    has_sec = in_sections > 0
    dl.check()

    # facet counts: each facet counts within the other filters
    masks = v.filter_masks(flt)
    base = v.report_mask(flt, masks=masks)
    facets: dict[str, dict] = {}
    omitted: dict[str, int] = {}
    for name, column in (("township", "township_county"), ("province", "province"),
                         ("year", "year"), ("county", "county")):  # fmt: skip
        selected = has_sec & v.report_mask(flt, skip=name, masks=masks)
        col = v.cols[column]
        if name == "year":
            facets[name] = col.counts(selected)
        else:
            chosen = [str(x) for x in getattr(flt, name)]
            facets[name], omitted[name] = col.ranked(selected, facet_limit, chosen)
    counted = base[reps]
    seen = np.zeros((n, len(SECTION_KEYS)), dtype=bool)
    seen[reps[counted], secs[counted]] = True
    per_section = seen.sum(axis=0)
    facets["section"] = {SECTION_KEYS[c]: int(per_section[c]) for c in np.flatnonzero(per_section)}

    hits = np.flatnonzero(base & has_sec)
    n_passages = int(in_sections[hits].sum())
    if rscore is None:
        weights = _SECTION_WEIGHTS[secs] if insec is None else _SECTION_WEIGHTS[secs] * insec
        score = np.bincount(reps, weights=weights, minlength=n)
    else:
        # a report's BM25 score, spread over its matching passages
        score = rscore * in_sections / np.maximum(per_report, 1)
    dl.check()
    if sort == "relevance":
        order = np.lexsort((v.src_rank[hits], -v.year[hits], -np.round(score[hits], 6)))
    else:
        order = np.lexsort((v.src_rank[hits], -v.date_rank[hits]))
    start = (page - 1) * per_page
    on_page = hits[order[start : start + per_page]]

    reports_json = []
    for r in on_page.tolist():
        dl.check()
        rid = v.rep_rid[r]
        m = v.reports[rid]
        entry = {k: m.get(k) for k in ("id", "source", "title", "issuer", "township", "county",
                                        "city", "province", "year", "date", "doc_number")}  # fmt: skip
        entry["score"] = round(float(score[r]), 4)
        a, b = int(v.rep_first[r]), int(v.rep_first[r + 1])
        mine = matches[a:b]
        if secok is not None:
            mine = mine & secok[v.p_section[a:b]]
        stored = v.stored(rid)
        found = np.flatnonzero(mine).tolist()
        if most is not None:
            found, entry["passages_left"] = found[:most], max(0, len(found) - most)
        entry["passages"] = [_passage_json(stored[i], marks) for i in found]
        reports_json.append(entry)

    return {
        "query": query.text,
        "mode": mode,
        "filters": flt.to_json(),
        "total": {"reports": len(hits), "passages": n_passages},
        "facets": _facets_json(facets, flt),
        "facets_omitted": omitted,
        "reports": reports_json,
        "page": page,
        "per_page": per_page,
        "sort": sort,
    }


def _passage_json(passage: list, marks: list[str]) -> dict:
    n, section, heading, _path, text = passage
    return {
        "id": n,
        "section": section,
        "label": SECTION_LABELS.get(section, ""),
        "heading": heading,
        "text": text,
        "snippet": snippet(text, marks),
    }


def _facets_json(counts: dict, flt: Filters) -> dict:
    """``counts``: township, province and county as ranked (value, count) lists;
    year and section as value → count. Selected values that match nothing are
    listed with a count of 0, after the others."""

    def with_selected(ranked: list[tuple], selected: list[str], pairs: bool) -> list[dict]:
        if pairs:  # (township, county)
            out = [{"value": t, "county": c, "count": n} for (t, c), n in ranked]
        else:
            out = [{"value": v, "count": n} for v, n in ranked]
        if selected:
            present = {e["value"] for e in out}
            for v in sorted({v for v in selected if v not in present}, key=str):
                out.append({"value": v, "county": None, "count": 0} if pairs else
                           {"value": v, "count": 0})  # fmt: skip
        return out

    year = [{"value": y, "count": n} for y, n in counts["year"].items()]
    for lo, hi in flt.year:
        if lo == hi and not any(e["value"] == lo for e in year):
            year.append({"value": lo, "count": 0})
    section = [
        {"value": k, "label": SECTION_LABELS[k], "count": counts["section"].get(k, 0)}
        for k in SECTION_KEYS
        if counts["section"].get(k) or k in flt.section
    ]
    return {
        "township": with_selected(counts["township"], flt.township, True),
        "year": sorted(year, key=lambda e: -e["value"]),
        "section": section,
        "province": with_selected(counts["province"], flt.province, False),
        "county": with_selected(counts["county"], flt.county, False),
    }


# ---------------------------------------------------------------- snippets


def mark_spans(text: str, marks: list[str]) -> list[tuple[int, int]]:
    """Merged spans of ``text`` (original offsets) where any folded mark occurs."""
    folded, idx = fold_map(text)
    spans = []
    for m in {m for m in marks if m}:
        pos = folded.find(m)
        while pos >= 0:
            spans.append((idx[pos], idx[pos + len(m) - 1] + 1))
            pos = folded.find(m, pos + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def highlight(
    text: str,
    marks: list[str],
    start: int = 0,
    end: int | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> str:
    """HTML-escaped ``text[start:end]`` with every mark wrapped in <mark>.

    ``spans``: :func:`mark_spans` of ``text``, if the caller has them already.
    """
    end = len(text) if end is None else end
    # most passages hold nothing to escape
    escape = html.escape if _HTML_SPECIAL.search(text, start, end) else _same
    out = []
    pos = start
    for a, b in mark_spans(text, marks) if spans is None else spans:
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        out.append(escape(text[pos:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:end]))
    return "".join(out)


_HTML_SPECIAL = re.compile("[&<>\"']")


def _same(text: str) -> str:
    return text


def snippet(text: str, marks: list[str], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters around the first match, escaped, marks wrapped."""
    spans = mark_spans(text, marks)
    if len(text) <= width:
        return highlight(text, marks, spans=spans)
    first = spans[0] if spans else (0, 0)
    start = max(0, first[0] - SNIPPET_LEAD)
    end = min(len(text), max(start + width, first[1]))
    if end - start < width:
        start = max(0, end - width)
    body = highlight(text, marks, start, end, spans)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
