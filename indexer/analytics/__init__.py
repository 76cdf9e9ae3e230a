"""Analytics over the index: township × year matrix, trend, practices, precedent wording.

Plain functions over plain data — report metadata dicts, ``{report id:
[passage numbers]}`` matches, passage texts — plus :class:`Analytics`, which
takes them from an engine (anything with ``match``, ``parse``, ``reports``,
``report`` and ``generation``, i.e. :class:`indexer.search.Engine`) and caches
what it derives per index generation; what costs a pass over the corpus (the
practice catalogue, the sentence index for precedents) is served from the
earlier generation while a background thread rebuilds it after a commit. No
Flask and no Whoosh here.

Matrix and trend
    Built from the matches of one query and the reports' metadata columns. The
    denominators ("townships indexed", "reports indexed") are the reports in
    scope: those that pass the place and year filters; the section filter only
    narrows the passages that count.

Practices
    A curated lexicon (``data/practices.txt``: a name and its spelling
    variants) plus phrases quoted “…” in at least two reports: 3–12 CJK
    characters, not inside a 《document title》, and not a generic slogan
    (see :func:`is_generic`). Quotes whose characters (punctuation ignored)
    equal a lexicon variant join that entry. Counts come from an exact search
    for the OR of the variants, so every occurrence counts, quoted or not.

Art. 25 parts and coverage
    The five parts a report must have, found from headings and from content
    cues (see :mod:`.coverage`), and the township × part table.

Precedents
    Sentences (split on 。！？； and line breaks) are compared in a normal
    form: folded, punctuation removed, the report's own township/county/city
    names and digit runs masked (copied reports swap the name and the year),
    ignored when shorter than :data:`MIN_SENTENCE_CHARS`. Same normal form =
    same wording; otherwise two sentences are near-identical when their sets
    of character 3-gram shingles overlap by at least :data:`NEAR_SIMILARITY`
    of the larger set. Near-identical pairs are found through an inverted
    index over each sentence's rarest shingles (prefix filtering: with a
    global order, two sets overlapping that much must share one of their
    first ``|S| - ceil(t|S|) + 1`` shingles), so a lookup verifies a handful
    of candidates instead of every sentence. A wording found in at least
    :data:`BOILERPLATE_SHARE` of all reports (and at least
    :data:`BOILERPLATE_MIN_REPORTS`) is boilerplate (套话), reported with its
    count but without a precedent.
"""

from ..wording import (
    MIN_SENTENCE_CHARS,
    place_names,
    quoted_phrases,
    report_quotes,
    sentence_key,
    sentence_keys,
    split_sentences,
)
from .coverage import (
    PART_SHORT,
    PARTS,
    coverage_csv,
    coverage_rows,
    coverage_table,
    part_labels,
    report_parts,
)
from .draft import check_draft
from .matrix import (
    Scope,
    build_matrix,
    csv_cell,
    filters_from_json,
    in_scope,
    matrix_csv,
    scope_of,
    to_csv,
    trend,
    trend_from_facets,
    year_label,
)
from .practices import (
    SORT_KEYS,
    Catalogue,
    Practice,
    catalogue_entry,
    collect_practices,
    is_generic,
    load_lexicon,
    parse_lexicon,
    practice_key,
    practice_query,
    report_mask,
    sort_catalogue,
)
from .precedents import SentenceIndex
from .sentences import (
    BOILERPLATE_MIN_REPORTS,
    BOILERPLATE_SHARE,
    MAX_LISTED,
    NEAR_SIMILARITY,
    CorpusReport,
    StoredTexts,
    shingles,
    similarity,
)
from .service import Analytics

__all__ = [
    "BOILERPLATE_MIN_REPORTS",
    "BOILERPLATE_SHARE",
    "MAX_LISTED",
    "MIN_SENTENCE_CHARS",
    "NEAR_SIMILARITY",
    "PARTS",
    "PART_SHORT",
    "SORT_KEYS",
    "Analytics",
    "Catalogue",
    "CorpusReport",
    "Practice",
    "Scope",
    "SentenceIndex",
    "StoredTexts",
    "build_matrix",
    "catalogue_entry",
    "check_draft",
    "collect_practices",
    "coverage_csv",
    "coverage_rows",
    "coverage_table",
    "csv_cell",
    "filters_from_json",
    "in_scope",
    "is_generic",
    "load_lexicon",
    "matrix_csv",
    "parse_lexicon",
    "part_labels",
    "place_names",
    "practice_key",
    "practice_query",
    "quoted_phrases",
    "report_mask",
    "report_parts",
    "report_quotes",
    "scope_of",
    "sentence_key",
    "sentence_keys",
    "shingles",
    "similarity",
    "sort_catalogue",
    "split_sentences",
    "to_csv",
    "trend",
    "trend_from_facets",
    "year_label",
]
