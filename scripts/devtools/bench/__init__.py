"""Benchmark fazhi on a synthetic corpus against tantivy, SQLite FTS5 (trigram) and grep.

Usage::

    .venv/bin/python scripts/bench.py --reports 1000 --work bench-out \\
        [--extra-text DIR] [--queries N] [--skip-http] [--skip-tantivy] [--json OUT] [--profile]

Steps: generate (or reuse) a corpus with :mod:`devtools.corpus`; build the index
with ``fazhi index`` in a child process (wall time, characters per second,
peak memory, size on disk); build the peers from the very same passages:
tantivy (the Rust engine's Python binding) with one token per character and
with character bigrams (:mod:`~devtools.bench.tantivy_peer`), an FTS5 trigram
table; run a fixed, seeded query mix in-process (``Engine.search``: matches,
facets and the snippets of the first 20 reports) cold (``Engine.drop_caches``
before each query; tantivy gets a fresh searcher) and warm (each query asked
once before), on the peers (count of reports and 20 snippets), over HTTP
(``fazhi serve`` on 127.0.0.1) and with ``grep -rlF`` over the text files;
check that all agree on which reports match, where they can answer, and
explain every disagreement; time adding one report to the index while
searching; print a table (and ``--json``). Cold means the processes' own
caches are empty; the operating system's file cache is not dropped.

Known limits of the peers, applied by the cross-check:

* FTS5's trigram tokenizer cannot match fewer than 3 characters, tantivy's
  bigram variant fewer than 2 (``n/a``).
* grep reads ``.txt`` files only, sees raw lines (a phrase broken by a line
  break or by spaces is missed), cannot filter by year, province or section
  and has no "all terms in one passage" (``n/a``), and also matches titles,
  headings and signatures, which fazhi does not search as passage text.

The modules follow the steps: :mod:`~devtools.bench.inputs` (corpus and
index), :mod:`~devtools.bench.queries` (the query mix),
:mod:`~devtools.bench.engines` (fazhi, FTS5, grep, timing),
:mod:`~devtools.bench.tantivy_peer`,
:mod:`~devtools.bench.crosscheck`, :mod:`~devtools.bench.web` (HTTP),
:mod:`~devtools.bench.adding` (one report added while searching),
:mod:`~devtools.bench.analytics`, :mod:`~devtools.bench.run` (every step in
order), :mod:`~devtools.bench.report` (the table) and
:mod:`~devtools.bench.cli`; :mod:`~devtools.bench.measure` and
:mod:`~devtools.bench.children` are shared helpers.
"""

from .analytics import time_analytics
from .cli import build_parser, main
from .crosscheck import Disagreement, QueryCheck, cross_check, summarize_checks
from .engines import Fts5, NoFts5, fazhi_search, grep_can_answer, grep_files, time_queries
from .inputs import IndexedReport, build_index, ensure_corpus, indexed_reports
from .queries import Query, build_query_mix
from .report import format_results
from .run import Options

__all__ = [
    "Disagreement",
    "Fts5",
    "IndexedReport",
    "NoFts5",
    "Options",
    "Query",
    "QueryCheck",
    "build_index",
    "build_parser",
    "build_query_mix",
    "cross_check",
    "ensure_corpus",
    "fazhi_search",
    "format_results",
    "grep_can_answer",
    "grep_files",
    "indexed_reports",
    "main",
    "summarize_checks",
    "time_analytics",
    "time_queries",
]
