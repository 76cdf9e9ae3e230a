"""The command line of the benchmark (``scripts/bench.py``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .report import format_results
from .run import Options, run


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench.py",
        description="Generate (or reuse) a synthetic corpus, index it with `fazhi index`, and "
        "time a seeded query mix in-process (cold: caches emptied before each query; warm), "
        "over HTTP, against tantivy (one token per character, and character bigrams), "
        "SQLite FTS5 (trigram) and grep; cross-check their answers; time adding one report "
        "while searching. Exits 1 when an engine disagrees with fazhi for a reason the "
        "cross-check cannot explain.",
    )
    add = p.add_argument
    add("--reports", type=int, default=1000, help="corpus size (default: 1000)")
    add(
        "--work",
        type=Path,
        default=Path("bench-out"),
        help="directory for corpus, index and FTS5 table; a corpus made with the same "
        "options is reused (default: bench-out)",
    )
    add("--seed", type=int, default=0, help="seed of the corpus and the query mix (default: 0)")
    add(
        "--extra-text",
        type=Path,
        default=None,
        metavar="DIR",
        help="passed to make_corpus.py: text files whose sentences widen the vocabulary",
    )
    add("--pdf-share", type=float, default=0.02, help="share of PDFs (default: 0.02)")
    add("--docx-share", type=float, default=0.03, help="share of .docx files (default: 0.03)")
    add("--queries", type=int, default=60, help="size of the query mix (default: 60)")
    add(
        "--rounds",
        type=int,
        default=3,
        help="timed passes over the mix, in-process (cold and warm), on tantivy and on FTS5 "
        "(default: 3)",
    )
    add("--skip-http", action="store_true", help="do not start `fazhi serve`")
    add(
        "--skip-fts5",
        action="store_true",
        help="do not build or query the FTS5 table (it takes long on a large corpus)",
    )
    add(
        "--skip-tantivy",
        action="store_true",
        help="do not build or query the tantivy indexes (needs the `tantivy` package)",
    )
    add(
        "--http-requests",
        type=int,
        default=200,
        help="at most this many searches over HTTP (default: 200)",
    )
    add(
        "--reuse-index",
        action="store_true",
        help="keep the index in WORK/index instead of rebuilding it",
    )
    add(
        "--profile",
        action="store_true",
        help="print the top 25 functions by cumulative time of one pass over the mix",
    )
    add(
        "--ocr-scan",
        type=int,
        default=None,
        metavar="PAGES",
        help="only measure OCR: read a scan of PAGES pages from scratch on one and two "
        "threads, then from the cache (see devtools.bench.ocr)",
    )
    add(
        "--json",
        dest="json_out",
        type=Path,
        default=None,
        metavar="OUT",
        help="also write the results as JSON to OUT",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log = lambda msg: print(f"· {msg}", file=sys.stderr, flush=True)  # noqa: E731
    if args.ocr_scan:
        from .ocr import format_ocr, measure_ocr

        results = measure_ocr(args.ocr_scan, args.work.resolve() / "ocr", log)
        print(format_ocr(results))
        if args.json_out:
            text = json.dumps(results, ensure_ascii=False, indent=1)
            args.json_out.write_text(text + "\n", encoding="utf-8")
        return 0
    del args.ocr_scan
    opts = Options(**vars(args))
    try:
        results = run(opts, log)
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_results(results))
    if opts.json_out:
        text = json.dumps(results, ensure_ascii=False, indent=1)
        opts.json_out.write_text(text + "\n", encoding="utf-8")
    return 1 if results["cross_check"]["unexplained"] else 0
