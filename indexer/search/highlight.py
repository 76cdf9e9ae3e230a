"""What a query highlights, and the marked HTML of text: one owner for pages and API.

:func:`marks_of` gives the folded strings a query marks (in words mode the
jieba words of unquoted terms, quoted phrases whole: the same terms words mode
matches); :func:`mark_spans` finds them in original text through the folding
map, so every highlight covers the characters as written.
"""

from __future__ import annotations

import html
import re

from ..errors import QueryError
from ..text import fold_map
from .query import Query, parse, words_expr

SNIPPET_CHARS = 140
SNIPPET_LEAD = 40


def marks_of(query: Query, mode: str) -> list[str]:
    """The folded strings that ``query`` highlights in ``mode``."""
    if mode == "words":
        query = Query(query.text, words_expr(query.expr), query.filters)
    return [t.folded for t in query.terms()]


def marks_for(q: str, mode: str) -> tuple[list[str], str | None]:
    """:func:`marks_of` a query string, and the message why there are none if it is bad."""
    if not q.strip():
        return [], None
    try:
        return marks_of(parse(q), mode), None
    except QueryError as exc:
        return [], exc.user_message()


def mark_spans(text: str, marks: list[str]) -> list[tuple[int, int]]:
    """Merged spans of ``text`` (original offsets) where any folded mark occurs."""
    folded, idx = fold_map(text)
    spans = []
    for m in {m for m in marks if m}:
        pos = folded.find(m)
        while pos >= 0:
            spans.append((idx[pos], idx[pos + len(m) - 1] + 1))
            pos = folded.find(m, pos + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def highlight(
    text: str,
    marks: list[str],
    start: int = 0,
    end: int | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> str:
    """HTML-escaped ``text[start:end]`` with every mark wrapped in <mark>.

    ``spans``: :func:`mark_spans` of ``text``, if the caller has them already.
    """
    end = len(text) if end is None else end
    # most passages hold nothing to escape
    escape = html.escape if _HTML_SPECIAL.search(text, start, end) else _same
    out = []
    pos = start
    for a, b in mark_spans(text, marks) if spans is None else spans:
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        out.append(escape(text[pos:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:end]))
    return "".join(out)


_HTML_SPECIAL = re.compile("[&<>\"']")


def _same(text: str) -> str:
    return text


def snippet(text: str, marks: list[str], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters around the first match, escaped, marks wrapped."""
    spans = mark_spans(text, marks)
    if len(text) <= width:
        return highlight(text, marks, spans=spans)
    first = spans[0] if spans else (0, 0)
    start = max(0, first[0] - SNIPPET_LEAD)
    end = min(len(text), max(start + width, first[1]))
    if end - start < width:
        start = max(0, end - width)
    body = highlight(text, marks, start, end, spans)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def difference_spans(text: str, other: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that ``other`` does not have (character diff after folding)."""
    from difflib import SequenceMatcher

    a, a_idx = fold_map(text)
    b, _ = fold_map(other)
    spans: list[tuple[int, int]] = []
    for op, i1, i2, _j1, _j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("replace", "delete") and i1 < i2:
            spans.append((a_idx[i1], a_idx[i2 - 1] + 1))
    return spans


def mark_differences(text: str, other: str) -> tuple[str, str]:
    """Both texts escaped, each with what the other lacks wrapped in ``<mark class="diff">``."""
    out = []
    for x, y in ((text, other), (other, text)):
        html_ = highlight(x, [], spans=difference_spans(x, y))
        out.append(html_.replace("<mark>", '<mark class="diff">'))
    return out[0], out[1]


_MARK_TAGS = re.compile(r"(</?mark>)")


def snippet_spans(text: str, snippet_html: str) -> list[tuple[int, int]] | None:
    """The marked spans of ``text`` that a :func:`snippet` of it shows, read back from the
    snippet (no second folding pass); None when the snippet is not of this text."""
    body = snippet_html
    if body.startswith("…"):
        body = body[1:]
    if body.endswith("…"):
        body = body[:-1]
    window: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    start = None
    for piece in _MARK_TAGS.split(body):
        if piece == "<mark>":
            start = pos
        elif piece == "</mark>":
            if start is not None:
                spans.append((start, pos))
            start = None
        elif piece:
            plain = html.unescape(piece)
            window.append(plain)
            pos += len(plain)
    at = text.find("".join(window))
    if at < 0:
        return None
    return [(a + at, b + at) for a, b in spans]
