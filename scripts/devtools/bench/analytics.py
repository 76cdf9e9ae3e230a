"""The analytics views (matrix, practice facet, precedents) timed on the benchmark's index."""

from __future__ import annotations

from indexer import Engine

from .measure import latency, timed
from .queries import Query


def time_analytics(engine: Engine, queries: list[Query], n_reports: int = 50) -> dict:
    """Latency of the analytics views and the one-off cost of what they build per index generation.

    The practice catalogue, the sentence index and the matrix's columns are
    built once (timed alone, as a server does at start); then each query's
    matrix and practice facet, with the match cache
    off so every call searches, and the precedents of ``n_reports`` reports
    spread over the index (first view of each).
    """
    from indexer.analytics import Analytics

    an = Analytics(engine)
    catalogue, build_catalogue_ms = timed(an.practices)
    index, build_sentences_ms = timed(an.sentence_index)
    _, build_columns_ms = timed(an.matrix_columns)
    an.MATCH_CACHE = 0  # time every view with its own search
    matrix = [timed(lambda q=q: an.matrix(q.text, q.filters))[1] for q in queries]
    facet = [timed(lambda q=q: an.practice_facet(q.text, q.filters))[1] for q in queries]
    ids = [m["id"] for m in engine.reports()]
    step = max(1, len(ids) // n_reports)
    precedents = [timed(lambda rid=rid: an.precedents(rid))[1] for rid in ids[::step][:n_reports]]
    return {
        "catalogue_build_ms": round(build_catalogue_ms),
        "practices": len(catalogue),
        "sentence_index_build_ms": round(build_sentences_ms),
        "distinct_sentences": len(index),
        "matrix_columns_build_ms": round(build_columns_ms),
        "matrix": latency(matrix),
        "practice_facet": latency(facet),
        "precedents": latency(precedents),
    }
