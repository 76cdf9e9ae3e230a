"""Generate synthetic township reports on 法治政府建设 for benchmarks and tests.

Usage::

    .venv/bin/python scripts/make_corpus.py N OUT_DIR [--seed S] [--extra-text DIR]
                                            [--pdf-share F] [--docx-share F]

Each report looks like one a township publishes: a title and issuing body,
sometimes a document head (版头) with a document number, a preamble, the parts
that 《法治政府建设与责任落实督察工作规定》 Art. 25 asks for under varied heading
styles, a signature block and an issue date. Paragraphs are recombined from
the seed reports in ``corpus/`` with sentence-level variation, and sentences
from ``--extra-text`` (for instance a directory of statutes) widen the
vocabulary. Townships are invented; their counties, cities and provinces come
from the gazetteer ``indexer/data/divisions.tsv``.

Text files carry the furniture real ones do (wrapped lines, page breaks inside
sentences, page numbers, spaces around digits, Markdown residue). A share of
the reports is written as PDF and as ``.docx`` so extraction is exercised.
``OUT_DIR/manifest.json`` records each file's ground truth.

The output depends only on the arguments: the same arguments give
byte-identical files.

The modules: :mod:`~devtools.corpus.places` (gazetteer, townships, people),
:mod:`~devtools.corpus.pool` (seed material and extra sentences),
:mod:`~devtools.corpus.compose` (one report and its ground truth),
:mod:`~devtools.corpus.render` (text, Word and PDF files),
:mod:`~devtools.corpus.build` (the corpus and its manifest) and
:mod:`~devtools.corpus.cli`.
"""

from .build import MANIFEST, generate, iter_reports, paragraphs_of
from .cli import build_parser, main
from .compose import MAX_CHARS, MIN_CHARS, Block, Truth, chinese_date
from .places import YEARS, load_counties, place_names
from .pool import SEED_NAMES, Pool, load_extra_sentences, load_seed_pool, split_sentences

__all__ = [
    "MANIFEST",
    "MAX_CHARS",
    "MIN_CHARS",
    "SEED_NAMES",
    "YEARS",
    "Block",
    "Pool",
    "Truth",
    "build_parser",
    "chinese_date",
    "generate",
    "iter_reports",
    "load_counties",
    "load_extra_sentences",
    "load_seed_pool",
    "main",
    "paragraphs_of",
    "place_names",
    "split_sentences",
]
