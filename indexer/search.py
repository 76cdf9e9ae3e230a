"""Search: exact and word queries, facets, ranking, snippets.

Exact mode is complete by construction: each term's rarest character gram is
looked up in the Whoosh postings (one text document per report) and the
candidate reports' passages are checked against their folded text held in
memory; a term whose rarest gram is common is answered by scanning all the
folded text instead. Facets are counted over every match from in-memory
columns; snippets are built only for the page shown.

Words mode splits each unquoted term into its jieba words, which must all
occur in one passage (in any order, apart), and ranks reports by BM25 over
the jieba word field.

Every search can be given a time budget (``deadline``, seconds): the
candidate and scan loops, BM25 scoring and snippet building check it and
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

import html
import logging
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from whoosh import query as wq
from whoosh.collectors import FilterCollector, UnlimitedCollector, WrappingCollector
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from . import store
from .analysis import fold, fold_map, query_grams, segment
from .errors import IndexStoreError, QueryError, SearchTimeout
from .model import SECTION_KEYS, SECTION_LABELS
from .query import FILTER_FIELDS, And, Filters, Not, Or, Query, Term, parse

MODES = ("exact", "words")
SORTS = ("relevance", "date")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
#: a term whose rarest gram occurs in more than this share of passages is
#: answered by scanning all text instead of walking postings
SCAN_SHARE = 0.05
#: passages tested between two deadline checks when scanning
SCAN_SLICE = 20000
SNIPPET_CHARS = 140
SNIPPET_LEAD = 40

#: loop iterations between two looks at the clock
CHECK_EVERY = 1024

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


class _DeadlineCollector(WrappingCollector):
    """Checks the deadline while Whoosh collects matching documents."""

    def __init__(self, child, deadline: Deadline) -> None:
        super().__init__(child)
        self.deadline = deadline
        self.n = 0

    def collect(self, sub_docnum):
        self.n += 1
        if not self.n % CHECK_EVERY:
            self.deadline.check()
        return self.child.collect(sub_docnum)


# ---------------------------------------------------------------- snapshot view


class _View:
    """One generation of the index: its reader and, per segment, the folded passages in memory.

    Passages are numbered globally across segments (``g``); ``p_rid``,
    ``p_n`` and ``p_section`` are flat columns over all of them and ``alive``
    marks the passages of reports not deleted since their segment was read.
    """

    def __init__(self, ix, cache: dict[str, store.SegmentData]) -> None:
        self.folder = ix.storage.folder
        self.reader = store.open_reader(ix)
        self.generation = (store.build_id(ix.storage.folder), self.reader.generation())
        self.lock = threading.Lock()  # Whoosh readers are not thread-safe
        self.segs: list[store.SegmentData] = []
        self.doc_offsets: list[int] = []
        self.bases: list[int] = []
        self.text_index: list[dict[int, int]] = []  # per segment: local docnum → report
        self.reports: dict[str, dict] = {}
        self.loc: dict[str, tuple[int, int]] = {}  # rid → (segment, report in segment)
        self.p_rid: list[str] = []
        self.p_n: list[int] = []
        self.p_section: list[str] = []
        alive = bytearray()
        used = set()
        try:
            for segreader, offset in self.reader.leaf_readers():
                sid = store.segment_id(segreader)
                data = cache.get(sid)
                if data is None:
                    data = cache[sid] = store.read_segment(segreader)
                used.add(sid)
                si = len(self.segs)
                self.segs.append(data)
                self.doc_offsets.append(offset)
                self.bases.append(len(self.p_n))
                self.text_index.append({d: r for r, d in enumerate(data.text_local)})
                dead = segreader.is_deleted if segreader.has_deletions() else None
                seg_alive = bytearray(b"\x01") * len(data.p_n)
                for r, (rid, local) in enumerate(zip(data.rids, data.text_local, strict=True)):
                    if dead is not None and dead(local):
                        a, b = data.first[r], data.first[r + 1]
                        seg_alive[a:b] = bytes(b - a)
                    else:
                        self.loc[rid] = (si, r)
                for rid, (local, meta) in data.metas.items():
                    if dead is None or not dead(local):
                        self.reports[rid] = meta
                self.p_rid.extend(data.p_rid)
                self.p_n.extend(data.p_n)
                self.p_section.extend(data.p_section)
                alive.extend(seg_alive)
        except store.CORRUPTION_ERRORS + (OSError,) as exc:
            self.reader.close()
            raise store._corrupt(Path(ix.storage.folder), exc) from exc
        for sid in set(cache) - used:
            del cache[sid]
        if set(self.loc) != set(self.reports):
            self.reader.close()
            odd = sorted(set(self.loc) ^ set(self.reports))
            raise store._corrupt(
                Path(ix.storage.folder), ValueError(f"reports without text or metadata: {odd}")
            )
        self.alive = alive
        self.any_dead = alive.count(0) > 0
        self.n_passages = len(self.p_n)
        self._texts: dict[str, list[list]] = {}

    def close(self) -> None:
        self.reader.close()

    def __del__(self) -> None:
        # a replaced view is dropped when the last request using it is done
        reader = getattr(self, "reader", None)
        if reader is not None:
            reader.close()

    # -- passages

    def passages_of(self, rid: str) -> range:
        """Global numbers of a report's passages."""
        si, r = self.loc[rid]
        data, base = self.segs[si], self.bases[si]
        return range(base + data.first[r], base + data.first[r + 1])

    def stored(self, rid: str) -> list[list]:
        """A report's passages ``[n, section, heading, path, text]`` from the stored fields."""
        cached = self._texts.get(rid)
        if cached is None:
            si, r = self.loc[rid]
            docnum = self.doc_offsets[si] + self.segs[si].text_local[r]
            with self.lock:
                cached = store.stored_passages(self.reader, docnum)
            if len(self._texts) >= 512:
                self._texts.clear()
            self._texts[rid] = cached
        return cached

    def passage(self, g: int) -> list:
        """``[n, section, heading, path, text]`` of passage ``g``."""
        rid = self.p_rid[g]
        return self.stored(rid)[g - self.passages_of(rid).start]

    def rid_of_doc(self, docnum: int) -> str | None:
        """The report whose text document has this global Whoosh number."""
        si = bisect_right(self.doc_offsets, docnum) - 1
        r = self.text_index[si].get(docnum - self.doc_offsets[si])
        if r is None:
            return None
        rid = self.segs[si].rids[r]
        return rid if self.loc.get(rid) == (si, r) else None

    def text_doc(self, rid: str) -> int:
        si, r = self.loc[rid]
        return self.doc_offsets[si] + self.segs[si].text_local[r]

    # -- exact term lookup

    def term_matches(self, term: str, dl: Deadline = UNLIMITED) -> set[int]:
        """Live passages whose folded text contains ``term`` (folded)."""
        grams = query_grams(term)
        if not grams:
            return set()
        with self.lock:
            try:
                dfs = []
                for g in grams:
                    df = self.reader.doc_frequency("grams", g)
                    if df == 0:
                        return set()
                    dfs.append((df, g))
                df, rarest = min(dfs)
                if df > SCAN_SHARE * max(len(self.reports), 1):
                    candidates = None
                else:
                    candidates = list(self.reader.postings("grams", rarest).all_ids())
            except store.CORRUPTION_ERRORS + (OSError,) as exc:
                raise self.corrupt(exc) from exc
        dl.check()
        out: set[int] = set()
        if candidates is None:
            # a common term: test every passage, a C-speed `in` each, in slices
            # so that the deadline is checked now and then
            for data, base in zip(self.segs, self.bases, strict=True):
                texts = data.texts
                for lo in range(0, len(texts), SCAN_SLICE):
                    chunk = texts[lo : lo + SCAN_SLICE]
                    out.update([base + lo + i for i, t in enumerate(chunk) if term in t])
                    dl.check()
        else:
            for n, docnum in enumerate(candidates):
                if not n % CHECK_EVERY:
                    dl.check()
                rid = self.rid_of_doc(docnum)
                if rid is None:
                    continue
                si, r = self.loc[rid]
                data, base = self.segs[si], self.bases[si]
                texts = data.texts
                for i in range(data.first[r], data.first[r + 1]):
                    if term in texts[i]:
                        out.add(base + i)
        if self.any_dead:
            alive = self.alive
            out = {g for g in out if alive[g]}
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

    def reports(self) -> list[dict]:
        v = self.view()
        return sorted(v.reports.values(), key=lambda m: m["source"])

    def report(self, rid: str) -> dict | None:
        """A report's metadata, outline and every passage (or None)."""
        v = self.view()
        meta = v.reports.get(rid)
        if meta is None:
            return None
        out = dict(meta)
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
    ) -> dict:
        """Run one search and return the JSON-ready result (see README).

        ``deadline``: time budget in seconds (default: the engine's); past it
        the search stops with SearchTimeout.
        """
        t0 = time.perf_counter()
        if sort not in SORTS:
            raise QueryError(f"unknown sort '{sort}' (use relevance or date)")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        query = self.parse(q, filters, mode)
        v = self.view()
        dl = self._deadline(deadline)  # opening a new generation is not the query's time
        matches, scores, marks = _match(query, mode, v, dl)
        result = _assemble(query, mode, matches, scores, marks, v, page, per_page, sort, dl)
        result["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return result

    def _deadline(self, seconds: float | None) -> Deadline:
        seconds = self.deadline if seconds is None else seconds
        return UNLIMITED if seconds is None else Deadline(seconds)

    @staticmethod
    def parse(q: str, filters: dict[str, list[str]] | None = None, mode: str = "exact") -> Query:
        """Check ``mode`` and parse ``q`` with the extra ``filters`` (QueryError if bad)."""
        if mode not in MODES:
            raise QueryError(f"unknown mode '{mode}' (use exact or words)")
        flt = Filters()
        for name, values in (filters or {}).items():
            if name not in FILTER_FIELDS:
                raise QueryError(f"unknown filter '{name}'")
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
        query = self.parse(q, filters, mode)
        v = self.view()
        dl = self._deadline(deadline)
        matches, _, _ = _match(query, mode, v, dl)
        flt = query.filters
        out: dict[str, list[int]] = defaultdict(list)
        for d in sorted(matches):
            rid = v.p_rid[d]
            if flt.section and v.p_section[d] not in flt.section:
                continue
            if _report_ok(v.reports[rid], flt):
                out[rid].append(v.p_n[d])
        return dict(out)

    @property
    def generation(self) -> tuple[str, int]:
        """Changes whenever the index is committed or rebuilt (for caches built on top)."""
        return self.view().generation


def _match(
    query: Query, mode: str, v: _View, dl: Deadline = UNLIMITED
) -> tuple[set[int], dict[int, float], list[str]]:
    """Matching passages (before filters), their scores, and the strings to mark."""
    if mode == "exact":
        matches = _eval_exact(query.expr, v, {}, dl)
        dl.check()
        scores = {d: SECTION_WEIGHT.get(v.p_section[d], 1.0) for d in matches}
        return matches, scores, [t.folded for t in query.terms()]
    expr = _words_expr(query.expr)
    matches = _eval_exact(expr, v, {}, dl)
    dl.check()
    marks = [t.folded for t in Query(query.text, expr, query.filters).terms()]
    rscore = _bm25(v, marks, {v.p_rid[d] for d in matches}, dl)
    # a report's score is its BM25 score, spread over its matching passages
    per: dict[str, int] = defaultdict(int)
    for d in matches:
        per[v.p_rid[d]] += 1
    scores = {d: rscore.get(v.p_rid[d], 0.0) / per[v.p_rid[d]] for d in matches}
    return matches, scores, marks


# ---------------------------------------------------------------- exact evaluation


def _universe(v: _View) -> set[int]:
    if not v.any_dead:
        return set(range(v.n_passages))
    alive = v.alive
    return {g for g in range(v.n_passages) if alive[g]}


def _eval_exact(node, v: _View, cache: dict, dl: Deadline = UNLIMITED) -> set[int]:
    dl.check()
    if isinstance(node, Term):
        if node.folded not in cache:
            cache[node.folded] = v.term_matches(node.folded, dl)
        return cache[node.folded]
    if isinstance(node, Not):
        return _universe(v) - _eval_exact(node.item, v, cache, dl)
    if isinstance(node, Or):
        out: set[int] = set()
        for item in node.items:
            out |= _eval_exact(item, v, cache, dl)
        return out
    if isinstance(node, And):
        positives = [x for x in node.items if not isinstance(x, Not)]
        negatives = [x.item for x in node.items if isinstance(x, Not)]
        sets = sorted((_eval_exact(x, v, cache, dl) for x in positives), key=len)
        out = set(sets[0]) if sets else _universe(v)
        for s in sets[1:]:
            out &= s
            if not out:
                return out
        for x in negatives:
            out -= _eval_exact(x, v, cache, dl)
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


def _bm25(v: _View, words: list[str], rids: set[str], dl: Deadline = UNLIMITED) -> dict[str, float]:
    """BM25 score of each report in ``rids`` for ``words`` (report-level)."""
    if not words or not rids:
        return {}
    allowed = {v.text_doc(rid) for rid in rids}
    q = wq.Or([wq.Term("words", w) for w in words])
    with v.lock:
        try:
            searcher = Searcher(v.reader, weighting=BM25F(), closereader=False)
            # the filter wraps the deadline check, which sees each allowed document
            collector = FilterCollector(_DeadlineCollector(UnlimitedCollector(), dl), allowed)
            searcher.search_with_collector(q, collector)
            results = collector.results()
            return {v.rid_of_doc(hit.docnum): hit.score for hit in results}
        except store.CORRUPTION_ERRORS + (OSError,) as exc:
            raise v.corrupt(exc) from exc


# ---------------------------------------------------------------- results


@dataclass
class _ReportHits:
    rid: str
    meta: dict
    docs: list[int]


def _report_ok(meta: dict, flt: Filters, skip: str | None = None) -> bool:
    for name in ("township", "county", "province"):
        values = getattr(flt, name)
        if values and name != skip and meta.get(name) not in values:
            return False
    if flt.year and skip != "year":
        year = meta.get("year")
        if year is None or not any(lo <= year <= hi for lo, hi in flt.year):
            return False
    return True


def _assemble(
    query, mode, matches, scores, marks, v: _View, page, per_page, sort, dl=UNLIMITED
) -> dict:
    flt = query.filters
    by_report: dict[str, list[int]] = defaultdict(list)
    for d in matches:
        by_report[v.p_rid[d]].append(d)
    dl.check()

    sections = set(flt.section)

    def in_sections(d: int) -> bool:
        return not sections or v.p_section[d] in sections

    # facet counts: each facet counts within the other filters
    facet_counts: dict[str, dict] = {name: defaultdict(int) for name in FILTER_FIELDS}
    for rid, docs in by_report.items():
        meta = v.reports.get(rid)
        if meta is None:
            continue
        base_ok = _report_ok(meta, flt)
        has_sec = any(in_sections(d) for d in docs)
        for name in ("township", "province", "year", "county"):
            if _report_ok(meta, flt, skip=name) and has_sec:
                value = meta.get(name)
                if value is not None:
                    key = (value, meta.get("county")) if name == "township" else value
                    facet_counts[name][key] += 1
        if base_ok:
            for key in {v.p_section[d] for d in docs}:
                facet_counts["section"][key] += 1

    hits: list[_ReportHits] = []
    n_passages = 0
    for rid, docs in by_report.items():
        meta = v.reports.get(rid)
        if meta is None or not _report_ok(meta, flt):
            continue
        docs = sorted(d for d in docs if in_sections(d))
        if docs:
            hits.append(_ReportHits(rid, meta, docs))
            n_passages += len(docs)

    def relevance(h: _ReportHits):
        score = sum(scores.get(d, 0.0) for d in h.docs)
        return (-round(score, 6), -(h.meta.get("year") or 0), h.meta.get("source", ""), h.rid)

    def by_date(h: _ReportHits):
        date = h.meta.get("date") or (f"{h.meta['year']}-99" if h.meta.get("year") else "")
        return (_neg_str(date), h.meta.get("source", ""), h.rid)

    dl.check()
    hits.sort(key=relevance if sort == "relevance" else by_date)
    start = (page - 1) * per_page
    shown = hits[start : start + per_page]

    reports_json = []
    for h in shown:
        dl.check()
        m = h.meta
        entry = {k: m.get(k) for k in ("id", "source", "title", "issuer", "township", "county",
                                        "city", "province", "year", "date", "doc_number")}  # fmt: skip
        entry["score"] = round(sum(scores.get(d, 0.0) for d in h.docs), 4)
        entry["passages"] = [
            {
                "id": n,
                "section": section,
                "label": SECTION_LABELS.get(section, ""),
                "heading": heading,
                "text": text,
                "snippet": snippet(text, marks),
            }
            for n, section, heading, _path, text in map(v.passage, h.docs)
        ]
        reports_json.append(entry)

    return {
        "query": query.text,
        "mode": mode,
        "filters": flt.to_json(),
        "total": {"reports": len(hits), "passages": n_passages},
        "facets": _facets_json(facet_counts, flt),
        "reports": reports_json,
        "page": page,
        "per_page": per_page,
        "sort": sort,
    }


def _neg_str(s: str) -> tuple:
    return tuple(-ord(c) for c in s)


def _facets_json(counts: dict[str, dict], flt: Filters) -> dict:
    def ordered(items):
        return sorted(items, key=lambda e: (-e["count"], str(e["value"])))

    township = [{"value": t, "county": c, "count": n} for (t, c), n in counts["township"].items()]
    for t in flt.township:
        if not any(e["value"] == t for e in township):
            township.append({"value": t, "county": None, "count": 0})
    year = [{"value": y, "count": n} for y, n in counts["year"].items()]
    for lo, hi in flt.year:
        for y in range(lo, hi + 1) if hi - lo < 50 else ():
            if lo == hi and not any(e["value"] == y for e in year):
                year.append({"value": y, "count": 0})
    province = [{"value": p, "count": n} for p, n in counts["province"].items()]
    for p in flt.province:
        if not any(e["value"] == p for e in province):
            province.append({"value": p, "count": 0})
    county = [{"value": c, "count": n} for c, n in counts["county"].items()]
    for c in flt.county:
        if not any(e["value"] == c for e in county):
            county.append({"value": c, "count": 0})
    section = [
        {"value": k, "label": SECTION_LABELS[k], "count": counts["section"].get(k, 0)}
        for k in SECTION_KEYS
        if counts["section"].get(k) or k in flt.section
    ]
    return {
        "township": ordered(township),
        "year": sorted(year, key=lambda e: -e["value"]),
        "section": section,
        "province": ordered(province),
        "county": ordered(county),
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


def highlight(text: str, marks: list[str], start: int = 0, end: int | None = None) -> str:
    """HTML-escaped ``text[start:end]`` with every mark wrapped in <mark>."""
    end = len(text) if end is None else end
    out = []
    pos = start
    for a, b in mark_spans(text, marks):
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        out.append(html.escape(text[pos:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    return "".join(out)


def snippet(text: str, marks: list[str], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters around the first match, escaped, marks wrapped."""
    spans = mark_spans(text, marks)
    if len(text) <= width:
        return highlight(text, marks)
    first = spans[0] if spans else (0, 0)
    start = max(0, first[0] - SNIPPET_LEAD)
    end = min(len(text), max(start + width, first[1]))
    if end - start < width:
        start = max(0, end - width)
    body = highlight(text, marks, start, end)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
