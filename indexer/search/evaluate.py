"""Query evaluation: matching passages as boolean masks, BM25 for words mode.

Exact mode is complete by construction: every term is looked up in the
character-gram index (:mod:`indexer.index.grams`), which gives the exact
passages whose folded text holds it, across the line and page breaks that
ingestion joined. Matches are boolean masks over all passages; filters are
array operations over per-report columns.

Words mode splits each unquoted term into its jieba words, which must all
occur in one passage (in any order, apart), and ranks reports by BM25 over
the jieba word field.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..model import SECTION_KEYS
from .budget import UNLIMITED, Deadline
from .highlight import marks_of
from .query import And, Filters, Not, Or, Query, Term, words_expr
from .view import SECTION_CODE, View


def match(
    query: Query, mode: str, v: View, dl: Deadline = UNLIMITED
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Matching passages (a mask, before filters), report scores (words mode), marks."""
    marks = marks_of(query, mode)
    if mode == "exact":
        matches = eval_exact(query.expr, v, {}, dl)
        dl.check()
        return matches, None, marks
    matches = eval_exact(words_expr(query.expr), v, {}, dl)
    dl.check()
    found = np.flatnonzero(np.bincount(v.p_rep[matches], minlength=v.n_reports))
    rscore = np.zeros(v.n_reports)
    for rid, score in bm25(v, marks, {v.rep_rid[r] for r in found.tolist()}, dl).items():
        if rid is not None:
            rscore[v.loc[rid]] = score
    return matches, rscore, marks


# ---------------------------------------------------------------- exact evaluation


#: an AND looks a further term up only in the passages its other terms left when they
#: are at most this share of all passages (the cost is then a few searches per
#: passage left instead of the term's whole position lists)
WITHIN_SHARE = 0.02


def _universe(v: View) -> np.ndarray:
    return v.alive.copy()


def eval_exact(node, v: View, cache: dict, dl: Deadline = UNLIMITED) -> np.ndarray:
    """The live passages matching a query node, as a boolean mask (not to be modified)."""
    dl.check()
    if isinstance(node, Term):
        if node.folded not in cache:
            cache[node.folded] = v.term_matches(node.folded, dl)
        return cache[node.folded]
    if isinstance(node, Not):
        return _universe(v) & ~eval_exact(node.item, v, cache, dl)
    if isinstance(node, Or):
        out = np.zeros(v.n_passages, dtype=bool)
        for item in node.items:
            out |= eval_exact(item, v, cache, dl)
        return out
    if isinstance(node, And):
        positives = [x for x in node.items if not isinstance(x, Not)]
        negatives = [x.item for x in node.items if isinstance(x, Not)]
        # the terms rarest first (by a sample); a term met when few passages are left
        # is looked up in those passages alone
        terms = sorted((x for x in positives if isinstance(x, Term)),
                       key=lambda x: v.term_sample(x.folded))  # fmt: skip
        out = _universe(v)
        for x in terms:
            if x.folded not in cache and np.count_nonzero(out) <= WITHIN_SHARE * len(out):
                out &= v.term_matches(x.folded, dl, within=out)
            else:
                out &= eval_exact(x, v, cache, dl)
        for x in positives:
            if not isinstance(x, Term):
                out &= eval_exact(x, v, cache, dl)
        for x in negatives:
            out &= ~eval_exact(x, v, cache, dl)
        return out
    raise TypeError(f"unknown query node {node!r}")


# ---------------------------------------------------------------- words mode: BM25

#: BM25 parameters (Whoosh's BM25F defaults, which scored words mode before)
BM25_B, BM25_K1 = 0.75, 1.2


def bm25(v: View, words: list[str], rids: set[str], dl: Deadline = UNLIMITED) -> dict[str, float]:
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
    snap = v.snapshot
    n_all = snap.doc_count_all()
    avgfl = snap.words_length() / (n_all or 1) or 1
    score = np.zeros(n_all)
    hit = np.zeros(n_all, dtype=bool)
    for word, times in Counter(words).items():  # a repeated word: postings read once
        idf = times * (math.log(n_all / (snap.word_frequency(word) + 1)) + 1)
        for i, seg in enumerate(snap.segments):
            ids, tf = snap.word_postings(i, word)
            if not len(ids):
                continue
            fl = snap.word_lengths(i)[ids]
            norm = tf + BM25_K1 * ((1 - BM25_B) + BM25_B * fl / avgfl)
            score[ids + seg.doc_offset] += idf * ((tf * (BM25_K1 + 1)) / norm)
            hit[ids + seg.doc_offset] = True
            dl.check()
    found = allowed[hit[allowed]]
    return {v.rid_of_doc(d): float(score[d]) for d in found.tolist()}


# ---------------------------------------------------------------- filters


def section_ok(flt: Filters) -> np.ndarray | None:
    """By section code: in the section filter (None: no section filter)."""
    if not flt.section:
        return None
    ok = np.zeros(len(SECTION_KEYS), dtype=bool)
    for key in flt.section:
        if key in SECTION_CODE:
            ok[SECTION_CODE[key]] = True
    return ok


def filtered(v: View, matches: np.ndarray, flt: Filters) -> np.ndarray:
    """Matching passages (ascending numbers) that pass every filter."""
    pids = np.flatnonzero(matches)
    keep = v.report_mask(flt)[v.p_rep[pids]]
    secok = section_ok(flt)
    if secok is not None:
        keep &= secok[v.p_section[pids]]
    return pids[keep]
