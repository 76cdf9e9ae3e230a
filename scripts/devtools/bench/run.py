"""One benchmark run: its options, every step in order, and one row of results per query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .adding import add_one_report
from .analytics import time_analytics
from .crosscheck import QueryCheck, cross_check, summarize_checks
from .engines import (
    Fts5,
    NoFts5,
    fazhi_search,
    grep_can_answer,
    grep_files,
    profile_queries,
    time_queries,
)
from .inputs import corpus_json, ensure_corpus, index_step
from .measure import latency, load_average, machine, percentile, timed
from .queries import Query, build_query_mix
from .web import http_results


@dataclass
class Options:
    reports: int
    work: Path
    seed: int = 0
    extra_text: Path | None = None
    pdf_share: float = 0.02
    docx_share: float = 0.03
    queries: int = 60
    rounds: int = 3
    skip_http: bool = False
    skip_fts5: bool = False
    skip_tantivy: bool = False
    http_requests: int = 200
    reuse_index: bool = False
    profile: bool = False
    json_out: Path | None = None

    def to_json(self) -> dict:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


def run(opts: Options, log: Callable[[str], None]) -> dict:
    """Every step of the benchmark; returns the results (see :func:`format_results`)."""
    work = opts.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    corpus_dir, index_dir = work / "corpus", work / "index"
    results: dict = {"machine": machine(), "options": opts.to_json()}
    results["load_average"] = {"start": load_average()}

    log(f"corpus: {opts.reports} reports in {corpus_dir}")
    manifest, gen_s = ensure_corpus(
        corpus_dir,
        opts.reports,
        seed=opts.seed,
        extra_text=opts.extra_text,
        pdf_share=opts.pdf_share,
        docx_share=opts.docx_share,
    )
    results["corpus"] = corpus_json(corpus_dir, manifest, gen_s)
    reuse = opts.reuse_index and gen_s is None  # a new corpus always gets a new index
    engine, reports, results["index"] = index_step(corpus_dir, index_dir, reuse, log)
    queries = build_query_mix(corpus_dir, manifest, opts.queries, opts.seed)

    if opts.skip_fts5:
        fts: Fts5 | NoFts5 = NoFts5()
        results["fts5"] = {"skipped": "--skip-fts5"}
    else:
        log("fts5: building the trigram table …")
        fts = Fts5(work / "fts5.sqlite3")
        _, build_ms = timed(lambda: fts.build(reports))
        results["fts5"] = {"build_s": round(build_ms / 1000, 2), "db_mb": fts.size_mb()}

    if opts.skip_tantivy:
        peers, results["peers"] = [], {"skipped": "--skip-tantivy"}
    else:
        peers = build_peers(work, reports, results, log)

    log(f"timing {len(queries)} queries × {opts.rounds} rounds, cold then warm …")
    timings = time_engines(engine, fts, peers, queries, opts.rounds)
    timings["grep"] = time_queries(lambda q: grep_files(corpus_dir, q), queries, 1, grep_can_answer)
    results["latency"] = {name: latency(_flat(t)) for name, t in timings.items()}
    if opts.skip_http:
        results["latency"]["fazhi_http"] = {"skipped": "--skip-http"}
    else:
        log("http: `fazhi serve` on 127.0.0.1 …")
        results["latency"]["fazhi_http"] = http_results(index_dir, queries, opts.http_requests)

    log("cross-check …")
    checks = cross_check(engine, fts, corpus_dir, manifest, reports, queries, peers)
    results["cross_check"] = summarize_checks(checks)
    results["queries"] = query_rows(queries, checks, timings)

    log("analytics views (matrix, practices, precedents) …")
    results["analytics"] = time_analytics(engine, queries)

    log("adding one report while searching …")
    results["add_one"] = add_one_report(
        work, index_dir, engine, queries, seed=opts.seed, extra_text=opts.extra_text
    )
    if opts.profile:
        results["profile"] = profile_queries(engine, queries)
    fts.db.close()
    for peer in peers:
        peer.close()
    engine.close()
    results["load_average"]["end"] = load_average()
    return results


def build_peers(work: Path, reports: list, results: dict, log: Callable[[str], None]) -> list:
    """tantivy in both variants, built from the very same passages; their build figures."""
    from .tantivy_peer import VARIANTS, Tantivy

    chars = results["index"]["text_chars"]  # the passages fazhi indexed, which both read
    peers, results["peers"] = [], {}
    for variant in VARIANTS:
        peer = Tantivy(work / f"tantivy-{variant}", variant)
        log(f"{peer.name}: building …")
        _, build_ms = timed(lambda peer=peer: peer.build(reports))
        results["peers"][peer.name] = {
            "variant": variant,
            "build_s": round(build_ms / 1000, 2),
            "chars_per_s": round(chars / (build_ms / 1000)) if build_ms else None,
            "index_mb": peer.size_mb(),
        }
        peers.append(peer)
    return peers


def time_engines(engine, fts, peers: list, queries: list[Query], rounds: int) -> dict:
    """Per-query timings of fazhi and its peers, cold (caches emptied before each query)
    and warm (every query asked once before the timed rounds).

    FTS5 is timed once, as it comes: SQLite keeps its page cache.
    """

    def fazhi(q: Query) -> dict:
        return fazhi_search(engine, q)

    timings = {
        "fazhi_in_process_cold": time_queries(fazhi, queries, rounds, before=engine.drop_caches),
        "fazhi_in_process": time_queries(fazhi, queries, rounds, warm=True),
        "fts5": time_queries(fts.search, queries, rounds, fts.can_answer),
    }
    for peer in peers:
        timings[peer.name] = time_queries(
            peer.search, queries, rounds, peer.can_answer, before=peer.drop_caches
        )
        timings[f"{peer.name}_warm"] = time_queries(
            peer.search, queries, rounds, peer.can_answer, warm=True
        )
    return timings


def _flat(timings: list[list[float] | None]) -> list[float]:
    return [ms for per_query in timings if per_query for ms in per_query]


def query_rows(queries: list[Query], checks: list[QueryCheck], timings: dict) -> list[dict]:
    """One row per query: matching reports per engine and median milliseconds."""

    def median(name: str, i: int) -> float | None:
        per_query = timings[name][i]
        return round(percentile(per_query, 50), 2) if per_query else None

    rows = []
    for i, (q, c) in enumerate(zip(queries, checks, strict=True)):
        row = {
            "query": q.label(),
            "kind": q.kind,
            "fazhi": c.fazhi,
            "fts5": c.fts5,
            "grep": c.grep,
            "fazhi_ms": median("fazhi_in_process", i),
            "fazhi_cold_ms": median("fazhi_in_process_cold", i),
            "fts5_ms": median("fts5", i),
            "grep_ms": median("grep", i),
            "unexplained": sum(not d.explained for d in c.disagreements),
        }
        for name, found in c.peers.items():
            row[name] = found
            row[f"{name}_cold_ms"] = median(name, i)
        rows.append(row)
    return rows
