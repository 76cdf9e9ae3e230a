"""Text shared by indexing and querying: folding and word segmentation.

One definition serves both sides: the folding and the words that index a
report are the ones that parse queries for it. Changing what they emit
requires bumping ``ANALYZER_VERSION`` (the index then asks for a rebuild).
No search engine is imported here: query parsing, analytics and the web app
fold text without loading one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

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


#: marks a character that folding removes, in :func:`_fold_array`'s table
_GONE = 0xFFFFFFFF


@cache
def _fold_array():
    """:data:`_FOLD` as a numpy table over all code points (built on first use)."""
    import numpy as np

    table = np.arange(0x110000, dtype=np.uint32)
    for src, dst in _FOLD.items():
        table[src] = _GONE if dst is None else dst
    return table


def fold_points(texts: list[str]):
    """Fold many texts at once: the code points of the folded texts laid end to end
    (a numpy ``uint32`` array) and the folded length of each (``int64``).

    The same result as :func:`fold` on each text, computed with array
    operations: much faster than ``str.translate`` over millions of
    characters that are mostly CJK.
    """
    import numpy as np

    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    mapped = _fold_array()[points]
    kept = mapped != _GONE
    if kept.all():
        return mapped, lens
    # removed[i] = characters removed among the first i
    removed = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(~kept, out=removed[1:])
    ends = np.cumsum(lens)
    return mapped[kept], lens - (removed[ends] - removed[ends - lens])


def _char_class(codes) -> str:
    """A regex character class of the given code points, as ranges."""
    ranges: list[list[int]] = []
    for c in sorted(codes):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return (
        "["
        + "".join(
            re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
            for a, b in ranges
        )
        + "]"
    )


# the characters fold() changes or removes, and what each becomes
_FOLDABLE = re.compile(_char_class(_FOLD))
_FOLDED = {chr(k): "" if v is None else chr(v) for k, v in _FOLD.items()}


def _fold_match(m: re.Match) -> str:
    return _FOLDED[m.group()]


def fold(text: str) -> str:
    """The form exact search compares: no whitespace, one width, lower case.

    Every character maps to at most one character, so folded text keeps the
    order of the original and a match can be mapped back (see :func:`fold_map`).
    Only the few characters that change are visited (a regex over the fold
    table), several times faster than ``str.translate`` on CJK text.
    """
    return _FOLDABLE.sub(_fold_match, text)


_REMOVED = re.compile("[" + "".join(re.escape(c) for c in _WHITESPACE) + "]")


def fold_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for each folded character, its index in ``text``.

    The list has one extra entry (``len(text)``) so that a folded span
    ``[a, b)`` maps to the original span ``[idx[a], idx[b - 1] + 1)``.
    """
    folded = fold(text)
    if len(folded) == len(text):  # nothing removed: the common case
        return folded, list(range(len(text) + 1))
    removed = {m.start() for m in _REMOVED.finditer(text)}
    idx = [i for i in range(len(text)) if i not in removed]
    idx.append(len(text))
    return folded, idx


_PUNCT_OR_SPACE = re.compile(r"^[\W_]+$")

#: Words stored in the user dictionary must survive segmentation whole.
USERDICT = "userdict.txt"


def _load_jieba_cache(tk) -> None:
    """Load jieba's dictionary from its cache file at memory speed, if there is one.

    jieba's own ``initialize`` reads the cache (its default dictionary, about
    500,000 entries, in ``marshal`` format) with ``marshal.load`` on the open
    file, which reads it in small pieces: 1.8 s here, against 0.4 s for
    ``marshal.loads`` of the file's bytes. That difference is most of the time
    it takes to add one report. Same file, same check as jieba 0.42 (the
    default dictionary's cache in the temporary directory); when it is
    missing or unreadable, jieba builds and writes it as usual.
    """
    import marshal
    import os
    import tempfile

    import jieba

    if tk.dictionary != jieba.DEFAULT_DICT or tk.cache_file or tk.tmp_dir:
        return
    try:
        with open(os.path.join(tempfile.gettempdir(), "jieba.cache"), "rb") as f:
            freq, total = marshal.loads(f.read())
    except (OSError, ValueError, EOFError, TypeError):
        return
    if isinstance(freq, dict) and freq and isinstance(total, int):
        tk.FREQ, tk.total, tk.initialized = freq, total, True


@cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    _load_jieba_cache(tk)
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


@cache
def _blocks():
    """jieba's own split of a text into the runs it segments independently."""
    import jieba

    return jieba.re_han_default.split


@lru_cache(maxsize=1 << 17)
def _block_words(block: str) -> tuple[str, ...]:
    match = _PUNCT_OR_SPACE.match
    return tuple(w.lower() for w in _jieba().lcut(block) if not (w.isspace() or match(w)))


def words(text: str) -> list[str]:
    """The words of :func:`segment` without their offsets (for indexing).

    jieba segments every run of Chinese characters, letters and digits on
    its own, so the words of a run are remembered: reports repeat a great
    deal of wording (“全面贯彻落实习近平法治思想”), and a run seen before
    costs a dictionary lookup instead of jieba's dynamic programming.
    """
    out: list[str] = []
    for block in _blocks()(text):
        if block:
            out.extend(_block_words(block))
    return out


@dataclass(frozen=True)
class Analyzed:
    """What the index needs of a report's text, computed where it is cheap to (workers)."""

    words: list[str]


def analyze(report) -> Analyzed:
    """The jieba words of a report's passages (joined by line breaks)."""
    text = "\n".join(p.text for p in report.passages)
    return Analyzed(words(text))
