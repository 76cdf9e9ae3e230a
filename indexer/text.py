"""Text shared by indexing and querying: folding and word segmentation.

One definition serves both sides: the folding and the words that index a
report are the ones that parse queries for it. Changing what they emit
requires bumping ``ANALYZER_VERSION`` (the index then asks for a rebuild).
No search engine is imported here: query parsing, analytics and the web app
fold text without loading one.

Folding maps every character to at most one character (see
``docs/folding.md``): whitespace goes, widths and ASCII case become one,
traditional characters become simplified (``indexer/data/t2s.tsv``, from
OpenCC), and Kangxi radicals, CJK radicals and compatibility ideographs
become the ordinary character (⽅ → 方). Latin ligatures (ﬁ → fi) would need
two characters: :func:`expand_ligatures` expands them where text enters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import chain

#: Bump whenever fold() or a tokenizer changes what it emits.
ANALYZER_VERSION = 2

# Whitespace, control and format characters (zero-width spaces, BOM) vanish.
_WHITESPACE = "".join(
    chr(c)
    for c in range(0x10000)
    if chr(c).isspace() or unicodedata.category(chr(c)) in ("Cc", "Cf")
)


def _read_pairs(name: str) -> dict[int, int]:
    """A two-column table of ``indexer/data`` (``#`` comments): code point → code point."""
    with resources.files("indexer.data").joinpath(name).open("r", encoding="utf-8") as f:
        pairs = (line.rstrip("\n").split("\t") for line in f if not line.startswith("#"))
        return {ord(a): ord(b) for a, b in pairs}


#: blocks whose characters NFKC maps to the unified ideograph of the same glyph: Kangxi
#: radicals, CJK compatibility ideographs and their supplement (Word/WPS exports write
#: ⽅ for 方); the CJK radicals supplement is mapped by ``indexer/data/radicals.tsv``
_NFKC_HAN = (range(0x2F00, 0x2FE0), range(0xF900, 0xFB00), range(0x2F800, 0x2FA20))

#: What :func:`fold` also folds, beyond :func:`to_simplified`: standard simplified
#: characters (so kept by ``to_simplified`` and left out of ``t2s.tsv``) that simplified
#: text uses only in names or a classical sense — 於 a surname (於潜), 徵 the note zhǐ,
#: 夥 "many", 祕 in 祕鲁, 釐 a name (xī) — while traditional text, and every converter
#: to it, writes them for everyday words (關於, 徵求, 夥伴, 祕書, 釐清). Folding them
#: lets a search for 关于 find 關於; it merges nothing that ordinary simplified text
#: tells apart (none occurs in 20 M characters of simplified statutes). 乾 and 著 are
#: not here: simplified text writes 乾坤 乾陵 and 著名, so they stay apart from 干 and 着.
FOLD_ALSO = {"於": "于", "徵": "征", "夥": "伙", "祕": "秘", "釐": "厘"}


#: the traditional characters of ``t2s.tsv``: → simplified
_T2S = _read_pairs("t2s.tsv")


def _simplify_table() -> dict[int, int]:
    """Traditional, radical and compatibility forms → the simplified character."""
    t2s = _T2S
    table: dict[int, int] = {}
    for cp in chain(*_NFKC_HAN):
        nfkc = unicodedata.normalize("NFKC", chr(cp))
        if len(nfkc) == 1 and nfkc != chr(cp):
            table[cp] = ord(nfkc)
    table.update(_read_pairs("radicals.tsv"))
    table = {cp: t2s.get(dst, dst) for cp, dst in table.items()}  # ⾨ → 門 → 门
    table.update(t2s)
    return table


_SIMPLIFY = _simplify_table()


def _fold_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {ord(c): None for c in _WHITESPACE}
    # Full-width and half-width forms (（）→(), ，→, ０→0, Ａ→a) fold to one form.
    for cp in range(0xFF01, 0xFFEF):
        folded = unicodedata.normalize("NFKC", chr(cp))
        if len(folded) == 1 and folded != chr(cp):
            table[cp] = ord(folded.lower())
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = cp + 32
    also = {ord(a): ord(b) for a, b in FOLD_ALSO.items()}
    for cp, dst in _SIMPLIFY.items():
        table[cp] = also.get(dst, dst)
    table.update(also)
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
    """A regex character class of the given code points, as ranges.

    Every code point beyond the BMP is included: ``re`` tests BMP characters
    against a bitmap but scans a list for the others, once per character of
    the text (hundreds of entries here). Callers translate the matches, which
    leaves unlisted characters as they are.
    """
    ranges: list[list[int]] = []
    for c in sorted(c for c in codes if c <= 0xFFFF):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    ranges.append([0x10000, 0x10FFFF])
    return (
        "["
        + "".join(
            re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
            for a, b in ranges
        )
        + "]"
    )


# runs of the characters fold() changes or removes
_FOLDABLE = re.compile(_char_class(_FOLD) + "+")


def _fold_run(m: re.Match) -> str:
    return m.group().translate(_FOLD)


def fold(text: str) -> str:
    """The form exact search compares: no whitespace, one width, lower case, simplified.

    Every character maps to at most one character, so folded text keeps the
    order of the original and a match can be mapped back (see :func:`fold_map`).
    Only the runs of characters that change are visited (a regex over the fold
    table), several times faster than ``str.translate`` on CJK text.
    """
    return _FOLDABLE.sub(_fold_run, text)


#: :data:`_FOLD` without the characters it removes
_FOLD_CHARS = {k: v for k, v in _FOLD.items() if v is not None}


@cache
def _char_foldable() -> re.Pattern[str]:
    return re.compile(_char_class(_FOLD_CHARS) + "+")


def _fold_chars_run(m: re.Match) -> str:
    return m.group().translate(_FOLD_CHARS)


def fold_chars(text: str) -> str:
    """:func:`fold` that removes nothing: each character becomes the one ``fold`` gives
    it, whitespace and control characters stay (for splitting the result at line breaks)."""
    return _char_foldable().sub(_fold_chars_run, text)


@cache
def _simplifiable() -> re.Pattern[str]:
    return re.compile(_char_class(_SIMPLIFY) + "+")


def _simplify_run(m: re.Match) -> str:
    return m.group().translate(_SIMPLIFY)


_ALSO = {ord(a): ord(b) for a, b in FOLD_ALSO.items()}
_ALSO_RE = re.compile(f"[{''.join(FOLD_ALSO)}]")


def to_simplified(text: str) -> str:
    """``text`` in simplified characters, one character for one, nothing else changed.

    Traditional characters become simplified (the table :func:`fold` uses);
    Kangxi radicals and compatibility ideographs become the ordinary
    character. Standard simplified characters stay, so simplified text is
    unchanged; the five of :data:`FOLD_ALSO` are converted only in text that
    holds a traditional character, where they are the everyday forms
    (關於 → 关于, while 於潜镇 stays). Width, case and whitespace are kept:
    for names and titles shown to people (a 繁體 report's township, title).
    """
    out = _simplifiable().sub(_simplify_run, text)
    if _ALSO_RE.search(out) and any(ord(c) in _T2S for c in text):
        out = out.translate(_ALSO)
    return out


#: Latin ligatures (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ) and the letters they stand for
LIGATURES = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFB00, 0xFB07)}
_LIGATURE = re.compile("[\ufb00-\ufb06]")


def expand_ligatures(text: str) -> str:
    """``text`` with Latin ligatures spelled out (“ﬁnance” → “finance”).

    :func:`fold` maps one character to one, so it cannot; text is expanded
    where it enters instead: normalization of extracted lines, and queries.
    """
    return text.translate(LIGATURES) if _LIGATURE.search(text) else text


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


#: The longest run of Chinese characters jieba's HMM (``finalseg``) reads at once. Its
#: Viterbi copies the best path at every step, so a run of n characters costs n²:
#: 100,000 × 法 took a minute. The HMM reads only characters that the dictionary
#: leaves single, and a run of more than this many is never real wording (a word of
#: two characters or more would end it): such a run is read in windows of this many
#: characters. Everything else comes out exactly as jieba reads it.
HMM_WINDOW = 100
#: Runs longer than this are not remembered by :func:`words` (they do not repeat,
#: and a few thousand of them would hold the text of whole reports).
CACHED_RUN = 1000


def _cut_run(run: str) -> list[str]:
    """jieba's precise-mode words (HMM on) of one run of :func:`_blocks`, in time linear
    in its length."""
    tk = _jieba()
    if len(run) <= HMM_WINDOW or not _han_run()(run):
        return tk.lcut(run)
    # jieba's own steps (Tokenizer.__cut_DAG); the HMM's buffer is handed over early when
    # it ends in HMM_WINDOW Chinese characters (the HMM reads runs of Chinese characters
    # and the rest apart, so cutting elsewhere would change nothing but the time)
    from jieba import finalseg

    dag = tk.get_DAG(run)
    route: dict = {}
    tk.calc(run, dag, route)
    out: list[str] = []

    def flush(buf: str) -> None:
        if len(buf) == 1:
            out.append(buf)
        elif not tk.FREQ.get(buf):
            out.extend(finalseg.cut(buf))
        else:
            out.extend(buf)

    n, x, start, han = len(run), 0, -1, 0
    while x < n:
        y = route[x][1] + 1
        if y - x == 1:
            if start < 0:
                start = x
            han = han + 1 if "\u4e00" <= run[x] <= "\u9fd5" else 0
            if han == HMM_WINDOW:
                flush(run[start:y])
                start, han = -1, 0
        else:
            if start >= 0:
                flush(run[start:x])
                start, han = -1, 0
            out.append(run[x:y])
        x = y
    if start >= 0:
        flush(run[start:])
    return out


@cache
def _han_run():
    import jieba

    return jieba.re_han_default.fullmatch


def _runs(text: str):
    """``text`` as jieba splits it before segmenting: (run, offset) for each non-empty run."""
    at = 0
    for run in _blocks()(text):
        if run:
            yield run, at
            at += len(run)


def segment(text: str) -> list[tuple[str, int, int]]:
    """jieba words of ``text`` (precise mode) as (word, start, end), punctuation dropped.

    The words are folded (:func:`fold_chars`, then lower case): jieba reads
    traditional text as simplified (its dictionary is simplified), and the
    words of a 繁體 report are those of its simplified form. Folding is one
    character for one, so the offsets are those of ``text``. Time is linear
    in the length of ``text`` (see :data:`HMM_WINDOW`).
    """
    out = []
    for run, at in _runs(fold_chars(text)):
        for word in _cut_run(run):
            end = at + len(word)
            if not (word.isspace() or _PUNCT_OR_SPACE.match(word)):
                out.append((word.lower(), at, end))
            at = end
    return out


@cache
def _blocks():
    """jieba's own split of a text into the runs it segments independently."""
    import jieba

    return jieba.re_han_default.split


def _run_words(run: str) -> tuple[str, ...]:
    match = _PUNCT_OR_SPACE.match
    return tuple(w.lower() for w in _cut_run(run) if not (w.isspace() or match(w)))


_cached_run_words = lru_cache(maxsize=1 << 17)(_run_words)


def words(text: str) -> list[str]:
    """The words of :func:`segment` without their offsets (for indexing).

    jieba segments every run of Chinese characters, letters and digits on
    its own, so the words of a run are remembered: reports repeat a great
    deal of wording (“全面贯彻落实习近平法治思想”), and a run seen before
    costs a dictionary lookup instead of jieba's dynamic programming.
    """
    out: list[str] = []
    for run in _blocks()(fold_chars(text)):
        if run:
            out.extend(_cached_run_words(run) if len(run) <= CACHED_RUN else _run_words(run))
    return out


@dataclass(frozen=True)
class Analyzed:
    """What the index needs of a report's text, computed where it is cheap to (workers)."""

    words: list[str]


def analyze(report) -> Analyzed:
    """The jieba words of a report's passages (joined by line breaks)."""
    text = "\n".join(p.text for p in report.passages)
    return Analyzed(words(text))
