"""Results: facet counts, ranking and the JSON of one page of reports.

Facets are counted from per-report columns over all matches; snippets are
built only for the reports on the page shown.
"""

from __future__ import annotations

import numpy as np

from ..index import grams
from ..model import REPORT_KINDS, REPORT_LEVELS, SECTION_KEYS, SECTION_LABELS
from .budget import UNLIMITED
from .evaluate import section_ok
from .highlight import snippet
from .query import Filters
from .view import SECTION_WEIGHTS, View, can_lead

#: the metadata of a report in a search result (Report.META_FIELDS)
REPORT_ENTRY = (
    "source", "title", "issuer", "township", "county", "city", "province", "year", "date",
    "doc_number", "level", "kind", "index_number", "subject", "url",
)  # fmt: skip


def assemble(query, mode, matches, rscore, marks, v: View, shape, dl=UNLIMITED) -> dict:
    """``shape``: (page, per_page, sort, facet_limit, passages listed per report or None)."""
    page, per_page, sort, facet_limit, most = shape
    flt = query.filters
    # matching passages by report and section: one pass over the matches, from which
    # the report counts, the section facet and the ranking all come
    n_sec = len(SECTION_KEYS)
    counts = grams.kernels().count_by_report_section(
        np.ascontiguousarray(matches, dtype=bool), v.rep_first, v.p_section, n_sec
    )
    by_sec, per_report = counts[:, :n_sec], counts[:, n_sec]
    secok = section_ok(flt)
    in_sections = per_report if secok is None else by_sec @ secok.astype(np.int64)
    has_sec = in_sections > 0
    dl.check()

    # facet counts: each facet counts within the other filters
    masks = v.filter_masks(flt)
    base = v.report_mask(flt, masks=masks)
    facets: dict[str, dict] = {}
    omitted: dict[str, int] = {}
    for name, column in (("township", "township_county"), ("province", "province"),
                         ("year", "year"), ("county", "county"), ("level", "level"),
                         ("kind", "kind")):  # fmt: skip
        selected = has_sec & v.report_mask(flt, skip=name, masks=masks)
        col = v.cols[column]
        if name in ("year", "level", "kind"):
            facets[name] = col.counts(selected)
        else:
            chosen = [str(x) for x in getattr(flt, name)]
            facets[name], omitted[name] = col.ranked(selected, facet_limit, chosen)
    # reports with a match in each section (among those the filters pass), and the
    # weight of each report's matching passages (each weighs what its section does)
    weights = SECTION_WEIGHTS if secok is None else SECTION_WEIGHTS * secok
    per_section, weighed = grams.kernels().section_totals(counts, base, weights)
    facets["section"] = {SECTION_KEYS[c]: int(per_section[c]) for c in np.flatnonzero(per_section)}

    hits = np.flatnonzero(base & has_sec)
    n_passages = int(in_sections[hits].sum())
    if rscore is None:
        score = weighed
    else:
        # a report's BM25 score, spread over its matching passages
        score = rscore * in_sections / np.maximum(per_report, 1)
    dl.check()
    start = (page - 1) * per_page
    if sort == "relevance":
        keys = (v.src_rank, -v.year, -np.round(score, 6))
    else:
        keys = (v.src_rank, -v.date_rank)
    on_page = _page(hits, keys, start, start + per_page)

    reports_json = []
    for r in on_page.tolist():
        dl.check()
        rid = v.rep_rid[r]
        m = v.reports[rid]
        entry = {k: m.get(k) for k in ("id", *REPORT_ENTRY)}
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


def _page(hits: np.ndarray, keys: tuple, start: int, stop: int) -> np.ndarray:
    """``hits[start:stop]`` once ordered by ``keys`` (per-report columns, the last the
    first key, as for ``np.lexsort``). Only the hits that can be among the first
    ``stop`` are sorted: those whose first key is at most the ``stop``-th smallest."""
    first = keys[-1][hits]
    near = can_lead(first, stop)
    if near is not None:
        hits, first = hits[near], first[near]
    order = np.lexsort((*(k[hits] for k in keys[:-1]), first))
    return hits[order[start:stop]]


def _passage_json(passage: list, marks: list[str]) -> dict:
    n, section, heading, _path, text, kind = passage
    return {
        "id": n,
        "section": section,
        "label": SECTION_LABELS.get(section, ""),
        "heading": heading,
        "text": text,
        "snippet": snippet(text, marks),
        "kind": kind,
    }


def _facets_json(counts: dict, flt: Filters) -> dict:
    """``counts``: township, province and county as ranked (value, count) lists;
    year, section, level and kind as value → count (level and kind listed in the
    order of their vocabulary, with their labels). Selected values that match nothing are
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

    def vocabulary(name: str, labels: dict[str, str]) -> list[dict]:
        found = counts[name]
        return [
            {"value": k, "label": label, "count": found.get(k, 0)}
            for k, label in labels.items()
            if found.get(k) or k in getattr(flt, name)
        ]

    return {
        "township": with_selected(counts["township"], flt.township, True),
        "year": sorted(year, key=lambda e: -e["value"]),
        "section": section,
        "province": with_selected(counts["province"], flt.province, False),
        "county": with_selected(counts["county"], flt.county, False),
        "level": vocabulary("level", REPORT_LEVELS),
        "kind": vocabulary("kind", REPORT_KINDS),
    }
