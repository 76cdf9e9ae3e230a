"""Text analysis shared by indexing and querying: width folding and tokenizers.

One definition serves both sides: the tokenizers that index a field are the
ones that parse queries for it. Whoosh pickles the schema with references to
these classes, so they must stay importable here; changing what they emit
requires bumping ``ANALYZER_VERSION`` (the index then asks for a rebuild).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from whoosh.analysis import Token, Tokenizer

#: Bump whenever fold() or a tokenizer changes what it emits.
ANALYZER_VERSION = 1

# Whitespace, control and format characters (zero-width spaces, BOM) vanish.
_WHITESPACE = "".join(
    chr(c)
    for c in range(0x10000)
    if chr(c).isspace() or unicodedata.category(chr(c)) in ("Cc", "Cf")
)


def _fold_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {ord(c): None for c in _WHITESPACE}
    # Full-width and half-width forms (（）→(), ，→, ０→0, Ａ→a) fold to one form.
    for cp in range(0xFF01, 0xFFEF):
        folded = unicodedata.normalize("NFKC", chr(cp))
        if len(folded) == 1 and folded != chr(cp):
            table[cp] = ord(folded.lower())
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = cp + 32
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """The form exact search compares: no whitespace, one width, lower case.

    Every character maps to at most one character, so folded text keeps the
    order of the original and a match can be mapped back (see :func:`fold_map`).
    """
    return text.translate(_FOLD)


_REMOVED = re.compile("[" + "".join(re.escape(c) for c in _WHITESPACE) + "]")


def fold_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for each folded character, its index in ``text``.

    The list has one extra entry (``len(text)``) so that a folded span
    ``[a, b)`` maps to the original span ``[idx[a], idx[b - 1] + 1)``.
    """
    folded = text.translate(_FOLD)
    if len(folded) == len(text):  # nothing removed: the common case
        return folded, list(range(len(text) + 1))
    removed = {m.start() for m in _REMOVED.finditer(text)}
    idx = [i for i in range(len(text)) if i not in removed]
    idx.append(len(text))
    return folded, idx


def grams(folded: str) -> set[str]:
    """Every character and every pair of adjacent characters of folded text."""
    unigrams = set(folded)
    bigrams = {folded[i : i + 2] for i in range(len(folded) - 1)}
    return unigrams | bigrams


def query_grams(term: str) -> list[str]:
    """The grams whose postings must all contain a passage holding ``term`` (folded)."""
    if len(term) <= 1:
        return [term] if term else []
    return sorted({term[i : i + 2] for i in range(len(term) - 1)})


class GramTokenizer(Tokenizer):
    """Emits the distinct unigrams and bigrams of the folded text (no positions).

    Exact search takes candidates from these postings and verifies them against
    the passage text, so positions are not needed.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):  # fmt: skip
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        values = grams(fold(value)) if tokenize else {value}
        for pos, g in enumerate(sorted(values)):
            t.text = g
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            yield t


_PUNCT_OR_SPACE = re.compile(r"^[\W_]+$")

#: Words stored in the user dictionary must survive segmentation whole.
USERDICT = "userdict.txt"


@cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    with resources.files("indexer.data").joinpath(USERDICT).open("r", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                parts = line.split()
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                tk.add_word(parts[0], freq=freq)
    return tk


def segment(text: str) -> list[tuple[str, int, int]]:
    """jieba words of ``text`` (precise mode) as (word, start, end), punctuation dropped."""
    out = []
    for word, start, end in _jieba().tokenize(text):
        if word.isspace() or _PUNCT_OR_SPACE.match(word):
            continue
        out.append((word.lower(), start, end))
    return out


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


@dataclass(frozen=True)
class Analyzed:
    """What the index needs of a report's text, computed where it is cheap to (workers)."""

    grams: list[str]
    words: list[str]


def analyze(report) -> Analyzed:
    """Grams and jieba words of a report's passages (joined by line breaks)."""
    text = "\n".join(p.text for p in report.passages)
    return Analyzed(sorted(grams(fold(text))), [w for w, _, _ in segment(text)])


def gram_analyzer() -> GramTokenizer:
    return GramTokenizer()


def word_analyzer() -> WordTokenizer:
    return WordTokenizer()
