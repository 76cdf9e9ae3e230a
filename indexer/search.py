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
    """One generation of the index: its reader and the passages' folded text in memory."""

    def __init__(self, ix) -> None:
        self.reader = store.open_reader(ix)
        snap = store.load_snapshot(ix, self.reader)
        self.snap = snap
        self.generation = snap.generation
        self.lock = threading.Lock()  # Whoosh readers are not thread-safe
        self.reports = snap.reports
        self.n_passages = len(snap.p_text)
        # All folded passage texts in one string, NUL-separated, in report
        # order; starts[i] is where passage i begins. find() runs at C speed.
        parts = [fold(t) for t in snap.p_text]
        self.concat = "\x00".join(parts)
        starts, pos = [], 0
        for part in parts:
            starts.append(pos)
            pos += len(part) + 1
        starts.append(pos)
        self.starts = starts

    def close(self) -> None:
        self.reader.close()

    def __del__(self) -> None:
        # a replaced view is dropped when the last request using it is done
        reader = getattr(self, "reader", None)
        if reader is not None:
            reader.close()

    def passages_of(self, rid: str) -> range:
        return self.snap.passages_of.get(rid, range(0))

    # -- exact term lookup

    def term_matches(self, term: str) -> set[int]:
        """Passages whose folded text contains ``term`` (folded)."""
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
        if candidates is None:
            return self._find(term, 0, len(self.concat))
        out: set[int] = set()
        text_doc, starts = self.snap.text_doc, self.starts
        for docnum in candidates:
            rid = text_doc.get(docnum)
            if rid is not None:
                span = self.passages_of(rid)
                out |= self._find(term, starts[span.start], starts[span.stop])
        return out

    def _find(self, term: str, lo: int, hi: int) -> set[int]:
        """Passages holding ``term`` among those starting in concat[lo:hi]."""
        out = set()
        concat, starts = self.concat, self.starts
        pos = concat.find(term, lo, hi)
        while pos >= 0:
            i = bisect_right(starts, pos) - 1
            out.add(i)
            pos = concat.find(term, starts[i + 1], hi)
        return out


# ---------------------------------------------------------------- engine


class Engine:
    """Answers searches over one index directory; reopens when the index changes.

    Thread-safe: each call works on an immutable view of one index generation.
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self._view: _View | None = None
        self._lock = threading.Lock()

    def view(self) -> _View:
        with self._lock:
            v = self._view
            if v is not None and store.latest_generation(self.index_dir) == v.generation:
                return v
            ix = store.open_index(self.index_dir)
            new = _View(ix)
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
        snap = v.snap
        out = dict(meta)
        out["passages"] = [
            {
                "id": snap.p_n[d],
                "section": snap.p_section[d],
                "label": SECTION_LABELS.get(snap.p_section[d], ""),
                "heading": snap.p_heading[d],
                "path": snap.p_path[d],
                "text": snap.p_text[d],
            }
            for d in v.passages_of(rid)
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
        if mode not in MODES:
            raise QueryError(f"unknown mode '{mode}' (use exact or words)")
        if sort not in SORTS:
            raise QueryError(f"unknown sort '{sort}' (use relevance or date)")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        flt = Filters()
        for name, values in (filters or {}).items():
            if name not in FILTER_FIELDS:
                raise QueryError(f"unknown filter '{name}'")
            for value in values or []:
                flt.add(name, str(value))
        query = parse(q, flt)
        v = self.view()
        if mode == "exact":
            matches = _eval_exact(query.expr, v, {})
            scores = {d: SECTION_WEIGHT.get(v.snap.p_section[d], 1.0) for d in matches}
            marks = [t.folded for t in query.terms()]
        else:
            expr = _words_expr(query.expr)
            matches = _eval_exact(expr, v, {})
            marks = [t.folded for t in Query(query.text, expr, query.filters).terms()]
            rscore = _bm25(v, marks, {v.snap.p_rid[d] for d in matches})
            # a report's score is its BM25 score, spread over its matching passages
            per = defaultdict(int)
            for d in matches:
                per[v.snap.p_rid[d]] += 1
            scores = {d: rscore.get(v.snap.p_rid[d], 0.0) / per[v.snap.p_rid[d]] for d in matches}
        result = _assemble(query, mode, matches, scores, marks, v, page, per_page, sort)
        result["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return result


# ---------------------------------------------------------------- exact evaluation


def _eval_exact(node, v: _View, cache: dict) -> set[int]:
    if isinstance(node, Term):
        if node.folded not in cache:
            cache[node.folded] = v.term_matches(node.folded)
        return cache[node.folded]
    if isinstance(node, Not):
        return set(range(v.n_passages)) - _eval_exact(node.item, v, cache)
    if isinstance(node, Or):
        out: set[int] = set()
        for item in node.items:
            out |= _eval_exact(item, v, cache)
        return out
    if isinstance(node, And):
        positives = [x for x in node.items if not isinstance(x, Not)]
        negatives = [x.item for x in node.items if isinstance(x, Not)]
        sets = sorted((_eval_exact(x, v, cache) for x in positives), key=len)
        out = set(sets[0]) if sets else set(range(v.n_passages))
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
    allowed = {d for d, rid in v.snap.text_doc.items() if rid in rids}
    q = wq.Or([wq.Term("words", w) for w in words])
    with v.lock:
        searcher = Searcher(v.reader, weighting=BM25F(), closereader=False)
        results = searcher.search(q, limit=None, filter=allowed, scored=True)
        return {v.snap.text_doc[hit.docnum]: hit.score for hit in results}


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
    snap = v.snap
    flt = query.filters
    by_report: dict[str, list[int]] = defaultdict(list)
    for d in matches:
        by_report[snap.p_rid[d]].append(d)

    sections = set(flt.section)

    def in_sections(d: int) -> bool:
        return not sections or snap.p_section[d] in sections

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
            for key in {snap.p_section[d] for d in docs}:
                facet_counts["section"][key] += 1

    hits: list[_ReportHits] = []
    n_passages = 0
    for rid, docs in by_report.items():
        meta = v.reports.get(rid)
        if meta is None or not _report_ok(meta, flt):
            continue
        docs = sorted((d for d in docs if in_sections(d)), key=lambda d: snap.p_n[d])
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
                "id": snap.p_n[d],
                "section": snap.p_section[d],
                "label": SECTION_LABELS.get(snap.p_section[d], ""),
                "heading": snap.p_heading[d],
                "text": snap.p_text[d],
                "snippet": snippet(snap.p_text[d], marks),
            }
            for d in h.docs
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
