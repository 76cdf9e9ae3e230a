"""tantivy, the Rust search engine, as a peer: the very same passages, through its Python binding.

Two variants of the indexed text (:data:`VARIANTS`):

* ``chars``: one token per character (a regex tokenizer on ``\\S``),
  punctuation included, so that a phrase matches exactly where fazhi's does;
* ``bigrams``: the overlapping character bigrams, as a CJK engine without a
  dictionary would index them; a term of one character cannot be asked.

Both index the text as :func:`indexer.text.fold` leaves it, which removes
every whitespace character: a phrase matches across a space or a line break
of the passage, as it does in fazhi, and no token is ever a space.

The module imports without tantivy installed; :class:`Tantivy` then says how
to install it (the benchmark skips it with ``--skip-tantivy``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from indexer.text import fold

from .engines import PER_PAGE
from .inputs import IndexedReport
from .measure import dir_bytes
from .queries import Query

try:
    import tantivy
except ImportError:  # checked when a peer is made
    tantivy = None

VARIANTS = ("chars", "bigrams")
#: the filters of :class:`~devtools.bench.queries.Query` that the peer applies
FILTERS = frozenset({"year", "province", "section"})
#: snippet length: tantivy counts UTF-8 bytes, 3 for a CJK character; fazhi shows 140 characters
SNIPPET_BYTES = 140 * 3
#: reports counted by one terms aggregation at most (tantivy refuses more than 65,000 buckets):
#: beyond, the report numbers are counted a range at a time
AGG_REPORTS = 50_000
#: tokenizer names registered on the index, per variant
_TOKENIZER = {"chars": "fazhi_chars", "bigrams": "fazhi_bigrams"}


def bigrams(text: str) -> list[str]:
    """The overlapping character bigrams of ``text`` (none for one character)."""
    return [text[i : i + 2] for i in range(len(text) - 1)]


class Tantivy:
    """A tantivy index with one document per passage of the reports fazhi indexed.

    A document holds the folded passage text (``text``, stored, for the
    snippets) and, as untokenized strings, the report's ``file`` and
    ``province`` and the passage's ``section``; ``year`` is an integer. The
    matching reports are counted exactly by a terms aggregation over
    ``report``, a number per report (a fast field; faster than aggregating
    ``rid`` strings or reading a fast field of every matching passage), and
    their files listed by one over ``file``.

    A query must find all its terms in one passage, as in fazhi: each term
    becomes a clause that must match (a phrase query of its tokens, a term
    query when it has one token), each filter another one (a term-set query:
    several values of one filter are alternatives) that adds nothing to the
    score, so that the 20 best passages are ranked by BM25 over the text.

    ``chars`` indexes one token per character. ``bigrams`` hands tantivy the
    bigrams already cut, with their positions, because tantivy's n-gram
    tokenizer puts every gram at position 0, where no phrase can match; it
    is registered for the field all the same, so that the snippets mark the
    bigrams in the passage text. Making a Python object per bigram costs
    most of that variant's build time.
    """

    def __init__(self, path: Path | None, variant: str = "chars") -> None:
        if tantivy is None:
            raise RuntimeError(
                "tantivy is not installed: pip install 'tantivy>=0.27,<0.28' "
                "(or leave it out with --skip-tantivy)"
            )
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}: one of {', '.join(VARIANTS)}")
        self.variant = variant
        self.name = "tantivy" if variant == "chars" else f"tantivy-{variant}"
        self.path = path
        if path is not None:
            if path.exists():
                shutil.rmtree(path)
            path.mkdir(parents=True)
        self._schema = self._make_schema(variant)
        self._index = tantivy.Index(self._schema, path=None if path is None else str(path))
        self._register_tokenizers()
        self._searcher = None
        self._reports = 0

    @staticmethod
    def _make_schema(variant: str):
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("text", stored=True, tokenizer_name=_TOKENIZER[variant])
        builder.add_text_field("file", fast=True, tokenizer_name="raw")
        for name in ("province", "section"):
            builder.add_text_field(name, tokenizer_name="raw")
        builder.add_integer_field("year", indexed=True, fast=True)
        builder.add_integer_field("report", fast=True)
        return builder.build()

    def _register_tokenizers(self) -> None:
        if self.variant == "chars":
            tokenizer = tantivy.Tokenizer.regex(r"\S")
        else:  # for the snippets only: the index is built from bigrams cut here
            tokenizer = tantivy.Tokenizer.ngram(min_gram=2, max_gram=2, prefix_only=False)
        analyzer = tantivy.TextAnalyzerBuilder(tokenizer).build()
        self._index.register_tokenizer(_TOKENIZER[self.variant], analyzer)

    # ------------------------------------------------------------ building

    def build(self, reports: list[IndexedReport]) -> None:
        """Index every passage of ``reports`` (folded), commit, wait for the merges."""
        numbers: dict[str, int] = {}
        writer = self._index.writer()
        try:
            for r in reports:
                number = numbers.setdefault(r.rid, len(numbers))
                for section, text in r.passages:
                    writer.add_document(self._document(r, number, section, fold(text)))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        self._reports = len(numbers)
        self._index.reload()
        self._searcher = self._index.searcher()

    def _document(self, r: IndexedReport, number: int, section: str, folded: str):
        doc = tantivy.Document()
        if self.variant == "chars":
            doc.add_text("text", folded)
        else:
            token = tantivy.Token
            tokens = [token(gram, i, i, i + 2) for i, gram in enumerate(bigrams(folded))]
            doc.add_pre_tokenized_text("text", tantivy.PreTokenizedString(folded, tokens))
        doc.add_text("file", r.file)
        doc.add_text("section", section)
        doc.add_integer("report", number)
        if r.province is not None:
            doc.add_text("province", r.province)
        if r.year is not None:
            doc.add_integer("year", r.year)
        return doc

    # ------------------------------------------------------------ queries

    def can_answer(self, q: Query) -> bool:
        """Every term has a token (``bigrams``: two characters or more); known filters only."""
        shortest = 2 if self.variant == "bigrams" else 1
        terms = q.terms
        return bool(terms) and all(len(t) >= shortest for t in terms) and set(q.filters) <= FILTERS

    def _term_query(self, term: str):
        tokens = list(term) if self.variant == "chars" else bigrams(term)
        if len(tokens) == 1:
            return tantivy.Query.term_query(self._schema, "text", tokens[0])
        return tantivy.Query.phrase_query(self._schema, "text", tokens)

    def _query(self, q: Query):
        must = tantivy.Occur.Must
        clauses = [(must, self._term_query(t)) for t in q.terms]
        for key, values in q.filters.items():
            if key not in FILTERS:
                raise ValueError(f"tantivy peer: no {key!r} filter")
            wanted = [int(v) for v in values] if key == "year" else list(values)
            allowed = tantivy.Query.term_set_query(self._schema, key, wanted)
            clauses.append((must, tantivy.Query.const_score_query(allowed, 0.0)))
        return tantivy.Query.boolean_query(clauses)

    def _distinct(self, query, field: str) -> set:
        """The values of ``field`` over the matching passages, every one of them."""
        if self._reports <= AGG_REPORTS:
            return self._terms(query, field, max(1, self._reports))
        found = set()
        must = tantivy.Occur.Must
        for low in range(0, self._reports, AGG_REPORTS):
            numbers = tantivy.Query.range_query(
                self._schema,
                "report",
                tantivy.FieldType.Integer,
                low,
                low + AGG_REPORTS,
                include_upper=False,
            )
            part = tantivy.Query.boolean_query([(must, query), (must, numbers)])
            found |= self._terms(part, field, AGG_REPORTS)
        return found

    def _terms(self, query, field: str, size: int) -> set:
        """A terms aggregation of ``size`` buckets, checked to hold every value."""
        request = {"k": {"terms": {"field": field, "size": size}}}
        terms = self._searcher.aggregate(query, request)["k"]
        if terms.get("sum_other_doc_count") or terms.get("doc_count_error_upper_bound"):
            raise RuntimeError(f"tantivy: the terms aggregation over {field} was truncated")
        return {b["key"] for b in terms["buckets"]}

    def search(self, q: Query) -> tuple[int, list[str]]:
        """Count of matching reports and the snippets of the 20 best passages (best first)."""
        query = self._query(q)
        count = len(self._distinct(query, "report"))
        searcher = self._searcher
        hits = searcher.search(query, PER_PAGE, count=False).hits
        snippets = tantivy.SnippetGenerator.create(searcher, query, self._schema, "text")
        snippets.set_max_num_chars(SNIPPET_BYTES)
        return count, [snippets.snippet_from_doc(searcher.doc(a)).to_html() for _, a in hits]

    def report_files(self, q: Query) -> set[str]:
        """The files of every matching report."""
        return self._distinct(self._query(q), "file")

    # ------------------------------------------------------------ resources

    def drop_caches(self) -> None:
        """A fresh searcher over segment readers opened anew: nothing an earlier query read
        (decompressed stored blocks) is kept in the process. The operating system's page
        cache is not dropped."""
        self._index.reload()
        self._searcher = self._index.searcher()

    def size_mb(self) -> float:
        """Bytes of the index directory on disk, in MiB; 0.0 for an index in RAM (not measured)."""
        if self.path is None:
            return 0.0
        return round(dir_bytes(self.path) / 2**20, 1)

    def close(self) -> None:
        """Let go of the searcher and the index (tantivy closes its files when they are dropped)."""
        self._searcher = None
        self._index = None
