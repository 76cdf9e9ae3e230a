"""The Whoosh schema of the index, its version, and the word tokenizer it pickles.

Whoosh pickles the schema into the index with references to the classes
below, so they must stay importable at this path; moving or changing them is
a schema change: bump :data:`SCHEMA_VERSION` and old indexes ask for
``fazhi index --rebuild``.

Layout: one Whoosh document per report (``kind="r"``, metadata and outline as
JSON) and one with its passages and jieba words (``kind="t"``). The character
grams of exact search are not Whoosh postings but arrays in a file of each
segment's own (:mod:`indexer.index.segfile`).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.system import pack_uint

from ..errors import SchemaMismatch
from ..text import ANALYZER_VERSION, segment

#: Bump when the schema, the classes it pickles, or the way documents are laid out changes.
#: 6: the tokenizer and field classes moved to ``indexer.index.schema``.
#: 7: every line is a passage, stored with its kind (title, heading, header, signature).
#: 8: reports store their level, kind, index_number, subject and url; the file format is
#:    ``format`` (it was ``kind``); section code other_matters comes before other.
SCHEMA_VERSION = 9
VERSION_FILE = "fazhi.json"


class WordTokenizer(Tokenizer):
    """jieba words with sequential positions (phrase queries work) and true offsets."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):  # fmt: skip
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        words = segment(value) if tokenize else [(value, 0, len(value))]
        for pos, (word, start, end) in enumerate(words):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class WordField(TEXT):
    """jieba words with frequencies (BM25); accepts the text or its word list."""

    def __init__(self) -> None:
        super().__init__(analyzer=WordTokenizer(), phrase=False)

    def index(self, value, **kwargs):
        words = value if isinstance(value, (list, tuple)) else [w for w, _, _ in segment(value)]
        counts = Counter(words)
        return [(w.encode("utf-8"), n, float(n), pack_uint(n)) for w, n in counts.items()]


def make_schema() -> Schema:
    """Two documents per report, sharing ``rid``.

    ``kind="r"``: the metadata and outline as JSON, the source and path stored,
    and ``source_key`` (:func:`~.known.source_key`) indexed, for the writer.
    ``kind="t"``: the passages (stored) and the jieba words of the whole text
    (BM25 for ranking).
    """
    return Schema(
        kind=ID(stored=True),
        uid=ID(unique=True, stored=True),
        rid=ID(stored=True),
        meta=STORED,
        source=STORED,
        source_key=ID(),
        path=STORED,
        passages=STORED,
        words=WordField(),
    )


def versions() -> dict:
    return {"schema_version": SCHEMA_VERSION, "analyzer_version": ANALYZER_VERSION}


def check_version(index_dir: Path) -> None:
    """Raise SchemaMismatch unless ``index_dir`` was built by this schema and analyzer."""
    vfile = index_dir / VERSION_FILE
    try:
        found = json.loads(vfile.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict) or any(found.get(k) != v for k, v in versions().items()):
        raise SchemaMismatch(
            f"index at {index_dir} was built by another version of fazhi "
            f"(found {found}, this version needs {versions()})",
            hint="rebuild it with `fazhi index --rebuild`",
        )


def build_id(index_dir: str | Path) -> str:
    """The id written when the index directory was built (changes with every rebuild)."""
    try:
        return json.loads((Path(index_dir) / VERSION_FILE).read_text(encoding="utf-8"))["build_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
