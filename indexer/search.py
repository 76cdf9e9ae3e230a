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
"""

from __future__ import annotations

import html
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from . import store
from .analysis import fold, fold_map, query_grams, segment
from .errors import QueryError
from .model import SECTION_KEYS, SECTION_LABELS
from .query import FILTER_FIELDS, And, Filters, Not, Or, Query, Term, parse

MODES = ("exact", "words")
SORTS = ("relevance", "date")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
#: a term whose rarest gram occurs in more than this share of passages is
#: answered by scanning all text instead of walking postings
SCAN_SHARE = 0.05
SNIPPET_CHARS = 140
SNIPPET_LEAD = 40

SECTION_WEIGHT = {
    "measures": 1.0,
    "leadership": 1.0,
    "shortcomings": 1.0,
    "plans": 0.9,
    "other": 0.6,
}


# ---------------------------------------------------------------- snapshot view


class _View:
    """One generation of the index: its reader and, per segment, the folded text in memory.

    Passages are numbered globally across segments (``g``); ``p_rid``,
    ``p_n`` and ``p_section`` are flat columns over all of them and ``alive``
    marks the passages of reports not deleted since their segment was read.
    """

    def __init__(self, ix, cache: dict[str, store.SegmentData]) -> None:
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
        except store.CORRUPTION_ERRORS as exc:
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

    def term_matches(self, term: str) -> set[int]:
        """Live passages whose folded text contains ``term`` (folded)."""
        grams = query_grams(term)
        if not grams:
            return set()
        with self.lock:
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
        out: set[int] = set()
        if candidates is None:
            for si, data in enumerate(self.segs):
                _find(data, term, 0, len(data.concat), self.bases[si], out)
        else:
            for docnum in candidates:
                rid = self.rid_of_doc(docnum)
                if rid is None:
                    continue
                si, r = self.loc[rid]
                data = self.segs[si]
                lo, hi = data.starts[data.first[r]], data.starts[data.first[r + 1]]
                _find(data, term, lo, hi, self.bases[si], out)
        alive = self.alive
        return {g for g in out if alive[g]}


def _find(data: store.SegmentData, term: str, lo: int, hi: int, base: int, out: set) -> None:
    """Add to ``out`` the passages of ``data`` within concat[lo:hi] that hold ``term``."""
    concat, starts = data.concat, data.starts
    pos = concat.find(term, lo, hi)
    while pos >= 0:
        i = bisect_right(starts, pos) - 1
        out.add(base + i)
        pos = concat.find(term, starts[i + 1], hi)


# ---------------------------------------------------------------- engine


class Engine:
    """Answers searches over one index directory; reopens when the index changes.

    Thread-safe: each call works on an immutable view of one index generation.
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self._view: _View | None = None
        self._lock = threading.Lock()
        self._segments: dict[str, store.SegmentData] = {}

    def view(self) -> _View:
        with self._lock:
            v = self._view
            if v is not None and store.latest_generation(self.index_dir) == v.generation:
                return v
            ix = store.open_index(self.index_dir)
            new = _View(ix, self._segments)
            self._view = new
            # the old view closes its reader when the last request using it ends
            return new

    def close(self) -> None:
        with self._lock:
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
    ) -> dict:
        """Run one search and return the JSON-ready result (see README)."""
        t0 = time.perf_counter()
        if sort not in SORTS:
            raise QueryError(f"unknown sort '{sort}' (use relevance or date)")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        query = self.parse(q, filters, mode)
        v = self.view()
        matches, scores, marks = _match(query, mode, v)
        result = _assemble(query, mode, matches, scores, marks, v, page, per_page, sort)
        result["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return result

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
        self, q: str, *, filters: dict[str, list[str]] | None = None, mode: str = "exact"
    ) -> dict[str, list[int]]:
        """Every matching passage after filters: report id → passage numbers (ascending).

        The same matches :meth:`search` counts, without ranking or snippets;
        for analytics over all results.
        """
        query = self.parse(q, filters, mode)
        v = self.view()
        matches, _, _ = _match(query, mode, v)
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


def _match(query: Query, mode: str, v: _View) -> tuple[set[int], dict[int, float], list[str]]:
    """Matching passages (before filters), their scores, and the strings to mark."""
    if mode == "exact":
        matches = _eval_exact(query.expr, v, {})
        scores = {d: SECTION_WEIGHT.get(v.p_section[d], 1.0) for d in matches}
        return matches, scores, [t.folded for t in query.terms()]
    expr = _words_expr(query.expr)
    matches = _eval_exact(expr, v, {})
    marks = [t.folded for t in Query(query.text, expr, query.filters).terms()]
    rscore = _bm25(v, marks, {v.p_rid[d] for d in matches})
    # a report's score is its BM25 score, spread over its matching passages
    per: dict[str, int] = defaultdict(int)
    for d in matches:
        per[v.p_rid[d]] += 1
    scores = {d: rscore.get(v.p_rid[d], 0.0) / per[v.p_rid[d]] for d in matches}
    return matches, scores, marks


# ---------------------------------------------------------------- exact evaluation


def _universe(v: _View) -> set[int]:
    alive = v.alive
    return {g for g in range(v.n_passages) if alive[g]}


def _eval_exact(node, v: _View, cache: dict) -> set[int]:
    if isinstance(node, Term):
        if node.folded not in cache:
            cache[node.folded] = v.term_matches(node.folded)
        return cache[node.folded]
    if isinstance(node, Not):
        return _universe(v) - _eval_exact(node.item, v, cache)
    if isinstance(node, Or):
        out: set[int] = set()
        for item in node.items:
            out |= _eval_exact(item, v, cache)
        return out
    if isinstance(node, And):
        positives = [x for x in node.items if not isinstance(x, Not)]
        negatives = [x.item for x in node.items if isinstance(x, Not)]
        sets = sorted((_eval_exact(x, v, cache) for x in positives), key=len)
        out = set(sets[0]) if sets else _universe(v)
        for s in sets[1:]:
            out &= s
            if not out:
                return out
        for x in negatives:
            out -= _eval_exact(x, v, cache)
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


def _bm25(v: _View, words: list[str], rids: set[str]) -> dict[str, float]:
    """BM25 score of each report in ``rids`` for ``words`` (report-level)."""
    if not words or not rids:
        return {}
    allowed = {v.text_doc(rid) for rid in rids}
    q = wq.Or([wq.Term("words", w) for w in words])
    with v.lock:
        searcher = Searcher(v.reader, weighting=BM25F(), closereader=False)
        results = searcher.search(q, limit=None, filter=allowed, scored=True)
        return {v.rid_of_doc(hit.docnum): hit.score for hit in results}


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


def _assemble(query, mode, matches, scores, marks, v: _View, page, per_page, sort) -> dict:
    flt = query.filters
    by_report: dict[str, list[int]] = defaultdict(list)
    for d in matches:
        by_report[v.p_rid[d]].append(d)

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

    hits.sort(key=relevance if sort == "relevance" else by_date)
    start = (page - 1) * per_page
    shown = hits[start : start + per_page]

    reports_json = []
    for h in shown:
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
