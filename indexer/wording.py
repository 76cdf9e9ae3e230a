"""A report's wording as analytics read it: sentences in normal form, quoted phrases.

Sentences (split on 。！？； and line breaks) are compared folded, with
punctuation removed and the report's own township/county/city names and
digit runs masked (copied reports swap the name and the year); those
shorter than :data:`MIN_SENTENCE_CHARS` are not compared. The practice
catalogue reads the phrases quoted “…” that could name a practice
(:func:`quoted_phrases`). The indexer computes both once, when it writes
a segment (:mod:`indexer.index.segfile` keeps them with the segment's
other search data), so that the analytics of a server need not read
every report's text again; :data:`FORM` names these rules, and data
written under other ones is recomputed from the texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .text import fold, fold_chars

#: the version of these rules: sentences and quotes stored under another one are not used
FORM = 1
MIN_SENTENCE_CHARS = 12

#: a sentence ends at one of these (kept in the normal form's text so both split alike)
_ENDS = "。！？；!?;\n"
_END_RE = re.compile(f"[{_ENDS}]")
_END_KEEP_RE = re.compile(f"([{_ENDS}])")
#: what the normal form drops: all but letters, digits and CJK (sentence ends kept to split
#: on; Kangxi and CJK radicals kept for folding, which makes them ideographs)
_KEY_DROP_RE = re.compile(f"[^\\w{_ENDS}\u2e80-\u2fdf]+|_+")
_DIGITS_RE = re.compile(r"\d+")
_TOWN_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
#: what replaces a report's own place name and digit runs in the normal form
_NAME_MASK = "〇"
_DIGIT_MASK = "#"


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` as written, end punctuation included, spaces trimmed.

    One entry per piece between two sentence ends, empty ones included, so
    that the list lines up with :func:`sentence_keys`.
    """
    parts = _END_KEEP_RE.split(text)
    ends = parts[1::2] + [""]
    return [(body + end).strip() for body, end in zip(parts[::2], ends, strict=True)]


def place_names(meta: dict) -> tuple[str, ...]:
    """The report's own place names, folded, longest first (masked in the normal form)."""
    names = set()
    for field_name in ("township", "county", "city"):
        value = meta.get(field_name)
        if value:
            names.add(fold(value))
    town = meta.get("township") or ""
    for suffix in _TOWN_SUFFIXES:
        if town.endswith(suffix) and len(town) - len(suffix) >= 2:
            names.add(fold(town[: -len(suffix)]))
            break
    return tuple(sorted(names, key=lambda s: (-len(s), s)))


def sentence_keys(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """The normal form of each sentence of ``text``, lined up with :func:`split_sentences`.

    The same as ``fold`` then dropping punctuation and spaces, then masking
    ``names`` and digit runs — computed once for the whole passage: what is
    dropped goes first (folding would turn ``｡`` into a sentence end), then
    the rest is folded without removing the line breaks that end sentences.
    """
    key = fold_chars(_KEY_DROP_RE.sub("", text))
    for name in names:
        if name in key:
            key = key.replace(name, _NAME_MASK)
    return _END_RE.split(_DIGITS_RE.sub(_DIGIT_MASK, key))


def sentence_key(sentence: str, names: tuple[str, ...] = ()) -> str:
    """The normal form compared across reports (see the module doc)."""
    return "".join(sentence_keys(sentence, names))


#: sentences are located by (passage position, sentence number), each below this
SPAN = 1 << 16


def report_sentences(
    texts: Iterable[str], names: tuple[str, ...], min_chars: int = MIN_SENTENCE_CHARS
) -> Iterator[tuple[int, int, str]]:
    """(passage position, sentence number, normal form) of each sentence of a report
    worth comparing, in the order written (``texts``: its passages, "" where not wording)."""
    for ppos, text in enumerate(texts):
        if ppos >= SPAN:
            break
        if not text:
            continue
        for j, key in enumerate(sentence_keys(text, names)):
            if len(key) >= min_chars and j < SPAN:
                yield ppos, j, key


# ---------------------------------------------------------------- quoted phrases

MIN_PRACTICE_CHARS = 3
MAX_PRACTICE_CHARS = 12
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_QUOTE_RE = re.compile(r"“([^“”\n]{1,40})”")
_BOOK_TITLE_RE = re.compile(r"《[^《》]*》")
#: inside a practice name: CJK characters and the separators of a list (“双随机、一公开”)
_PRACTICE_RE = re.compile(rf"^[{_CJK}][{_CJK}、，,·]*[{_CJK}]$")


def quoted_phrases(text: str) -> list[str]:
    """Phrases quoted “…” in ``text`` that could name a practice: 3–12 CJK
    characters (list separators allowed), not inside a 《document title》."""
    text = _BOOK_TITLE_RE.sub("", text)
    out = []
    for m in _QUOTE_RE.finditer(text):
        phrase = re.sub(r"\s+", "", m.group(1))
        if not _PRACTICE_RE.match(phrase):
            continue
        n = len(re.findall(f"[{_CJK}]", phrase))
        if MIN_PRACTICE_CHARS <= n <= MAX_PRACTICE_CHARS:
            out.append(phrase)
    return out


def report_quotes(texts: Iterable[str]) -> tuple[str, ...]:
    """The :func:`quoted_phrases` of a report's passages, in order."""
    return tuple(p for text in texts if "“" in text for p in quoted_phrases(text))
