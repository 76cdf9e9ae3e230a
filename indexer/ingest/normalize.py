"""Raw extracted text → clean text: one paragraph or heading per line.

The steps are small pure functions:

1. :func:`split_pages` and :func:`strip_furniture` drop page numbers, separator rules
   and running headers/footers (lines repeated at the top or bottom of most pages).
2. :func:`clean_line` removes markdown residue and indentation and the spaces that
   converters put between CJK characters and digits ("2023 年度" → "2023年度").
3. :func:`unwrap` rebuilds paragraphs from fixed-width lines (PDF). A line continues
   into the next one when it is full, i.e. the next line's first word would not have
   fitted on it; an indented line starts a new paragraph; a short line without
   sentence-final punctuation stands alone (a heading, a title, a signature).
4. :func:`merge_broken` joins paragraphs split in mid-sentence by a page break (the
   blank line in "法治思想及各⏎⏎类法律法规"): a paragraph only ends at sentence-final
   punctuation or at a heading. A short line without final punctuation is a heading,
   unless it is a numbered item whose sibling items are full sentences.

The predicates used to read clean lines (:func:`numbering`, :func:`ends_sentence`,
:func:`heading_like`) are shared with :mod:`indexer.ingest.structure`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from ..model import Extracted
from ..text import expand_ligatures

# -- character classes -------------------------------------------------------------

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: CJK and full-width punctuation, plus the quotes and dashes Chinese text uses
_CJK_PUNCT = (
    "\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
    "\u2018\u2019\u201c\u201d\u2014\u2026\u00b7"
)
_WIDE = f"{_HAN}{_CJK_PUNCT}"
_WS = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
#: a space next to a CJK character, unless the other side is a Latin letter
_CJK_SPACE = re.compile(rf"(?<=[{_WIDE}]) (?![A-Za-z])|(?<![A-Za-z]) (?=[{_WIDE}])")

_MD_HEADING = re.compile(r"^#{1,6}(?:\s+|(?=[^#\s]))")
_MD_EMPHASIS = re.compile(r"\*\*|__")
_MD_BULLET = re.compile(r"^(?:[*+]\s+|>\s*)")

#: characters that end a paragraph (full and half width)
_FINAL = frozenset("。！？；：…!?;:")
#: closing quotes and brackets that may follow the final punctuation: 。” 。）
_CLOSERS = frozenset("”’」』）)》〉】〕］]\"'")
#: a line ending in one of these is always continued
_CONTINUING_END = frozenset("，、,“‘「『《〈（(【〔［[—-～~")
#: function words that end no heading: "…习近平法治思想及各⏎⏎类法律法规"
_CONTINUING_WORD = frozenset("的和各之其")
#: a line cannot start with these (Chinese line-breaking rules), so it continues the previous one
_NON_STARTERS = frozenset("，。、；：？！）》」』”’〉】〕］,.;:?!)%")
#: sentence-final punctuation inside a line: a line holding one is a sentence, not a heading
_INNER_STOP = re.compile(r"[。！？；!?;]")

# -- page furniture ----------------------------------------------------------------

_DASHES = r"\-—–－~～_·•\s"
_PAGE_NUMBER = re.compile(
    rf"""^(?:
        [{_DASHES}]*[0-9０-９]{{1,4}}[{_DASHES}]*                       # — 3 —, - 3 -, 3
      | [{_DASHES}]*[-—–－][{_DASHES}]*[一二三四五六七八九十]{{1,3}}[{_DASHES}]*[-—–－][{_DASHES}]*
      | 第\s*[0-9０-９]+\s*页(?:\s*[,，/／]?\s*共\s*[0-9０-９]+\s*页)?      # 第3页, 第 3 页 共 9 页
      | 共\s*[0-9０-９]+\s*页\s*[,，/／]?\s*第\s*[0-9０-９]+\s*页
      | [0-9]{{1,4}}\s*/\s*[0-9]{{1,4}}                                 # 3 / 9
      | (?:page|Page|PAGE)\s*[0-9]+(?:\s*(?:of|/)\s*[0-9]+)?
    )$""",
    re.VERBOSE,
)
_RULE_LINE = re.compile(r"^[-—_=─━·.*\s]{3,}$")

# -- numbering ---------------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十"
#: heading numbering styles, outermost first
NUMBERING_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("part", re.compile(rf"^第[{_CN_NUM}百零〇]+(?:部分|章|篇)\s*")),
    ("cn", re.compile(rf"^[{_CN_NUM}]{{1,3}}\s*[、．.]\s*")),
    ("paren_cn", re.compile(rf"^[（(]\s*[{_CN_NUM}]{{1,3}}\s*[)）]\s*")),
    ("arabic", re.compile(r"^[0-9０-９]{1,2}\s*[、．.](?![0-9０-９])\s*")),
    ("paren_arabic", re.compile(r"^[（(]\s*[0-9０-９]{1,2}\s*[)）]\s*")),
    ("circled", re.compile(r"^[\u2460-\u2473]\s*")),
)
STYLE_RANK = {name: rank for rank, (name, _) in enumerate(NUMBERING_STYLES)}
_ARTICLE = re.compile(rf"^第[{_CN_NUM}百零〇]+条")


@dataclass(frozen=True)
class Numbering:
    """The numeral a line starts with: its style and the length of the marker."""

    style: str
    end: int

    @property
    def rank(self) -> int:
        return STYLE_RANK[self.style]


def numbering(line: str) -> Numbering | None:
    """The heading numeral at the start of ``line`` (一、 （一） 1. 1、 （1） ①), if any."""
    for style, pattern in NUMBERING_STYLES:
        m = pattern.match(line)
        if m:
            return Numbering(style, m.end())
    return None


def starts_unit(line: str) -> bool:
    """True if ``line`` opens a new unit: a numbered heading/item or an article (第一条)."""
    return numbering(line) is not None or _ARTICLE.match(line) is not None


def _last_meaningful(line: str) -> str:
    i = len(line) - 1
    while i >= 0 and (line[i] in _CLOSERS or line[i].isspace() or line[i] == "*"):
        i -= 1
    return line[i] if i >= 0 else ""


def ends_sentence(line: str) -> bool:
    """True if ``line`` ends with sentence-final punctuation (closing quotes allowed)."""
    last = _last_meaningful(line)
    if last in _FINAL:
        return True
    # a half-width full stop ends a sentence, but not "第1." or "1."
    s = line.rstrip()
    return last == "." and len(s) > 1 and s.endswith(".") and not s[-2].isdigit()


def has_inner_stop(text: str) -> bool:
    """True if ``text`` holds sentence-final punctuation before its last character."""
    body = text.rstrip()
    while body and (body[-1] in _CLOSERS or body[-1] in _FINAL):
        body = body[:-1]
    return _INNER_STOP.search(body) is not None


def _continued(line: str) -> bool:
    """True if ``line`` cannot end a paragraph: it ends in a comma, an opening bracket or a
    function word."""
    return bool(line) and (line[-1] in _CONTINUING_END or line[-1] in _CONTINUING_WORD)


def heading_like(line: str, *, max_len: int = 60) -> bool:
    """A short line without sentence punctuation: a heading, title or signature line."""
    if not line or len(line) > max_len or ends_sentence(line) or _continued(line):
        return False
    num = numbering(line)
    body = line[num.end :] if num else line
    return bool(body) and not has_inner_stop(body)


def is_page_number(line: str) -> bool:
    """True for page-number lines: ``— 3 —``, ``- 3 -``, ``第3页``, ``第 3 页 共 9 页``, ``3``."""
    s = line.strip()
    return bool(s) and _PAGE_NUMBER.match(s) is not None


# -- inline cleaning ---------------------------------------------------------------


def clean_line(line: str) -> str:
    """One line without markdown marks, indentation or spaces between CJK and digits,
    Latin ligatures spelled out (ﬁ → fi)."""
    s = expand_ligatures(_ZERO_WIDTH.sub("", line))
    s = _WS.sub(" ", s).strip()
    s = _MD_HEADING.sub("", s)
    s = _MD_BULLET.sub("", s)
    s = _MD_EMPHASIS.sub("", s)
    s = _WS.sub(" ", s).strip()
    return _CJK_SPACE.sub("", s)


def _concat(a: str, b: str, *, words_split: bool = False) -> str:
    """Join two pieces of one paragraph: a space only between two Latin words, unless
    the break may fall inside a word (text cut at a fixed number of characters)."""
    latin = a and b and a[-1].isascii() and a[-1].isalpha() and b[0].isascii() and b[0].isalpha()
    return f"{a} {b}" if latin and not words_split else a + b


# -- pages and furniture -----------------------------------------------------------


def split_pages(extracted: Extracted) -> list[list[str]]:
    """The raw lines of each page. Text without page breaks is split at page numbers."""
    raw_pages = list(extracted.pages) if extracted.pages else extracted.text.split("\f")
    pages = [p.replace("\r\n", "\n").replace("\r", "\n").split("\n") for p in raw_pages]
    if len(pages) == 1 and sum(is_page_number(line) for line in pages[0]) >= 2:
        split: list[list[str]] = [[]]
        for line in pages[0]:
            split[-1].append(line)
            if is_page_number(line):
                split.append([])
        pages = [p for p in split if any(line.strip() for line in p)]
    return pages


def _furniture_key(line: str) -> str:
    """Lines that may be running headers or footers, with their numbers masked."""
    s = clean_line(line)
    if len(s) > 50 or ends_sentence(s):
        return ""  # a sentence is text, not furniture
    return re.sub(r"[0-9０-９]+", "#", _WS.sub("", s))


def _edge_indices(page: Sequence[str], depth: int = 2) -> list[int]:
    filled = [i for i, line in enumerate(page) if line.strip()]
    return sorted(set(filled[:depth] + filled[-depth:]))


def strip_furniture(pages: Sequence[Sequence[str]]) -> list[list[str]]:
    """Drop page numbers, separator rules and lines repeated at the edges of most pages."""
    kept = [
        [line for line in page if not (is_page_number(line) or _RULE_LINE.match(line))]
        for page in pages
    ]
    if len(kept) < 2:
        return kept
    seen: Counter[str] = Counter()
    for page in kept:
        seen.update({_furniture_key(page[i]) for i in _edge_indices(page)})
    threshold = max(2, (len(kept) + 1) // 2)
    repeated = {key for key, n in seen.items() if n >= threshold and key}
    if not repeated:
        return kept
    out = []
    for page in kept:
        drop: set[int] = set()
        dropped: set[str] = set()
        for i in _edge_indices(page):
            key = _furniture_key(page[i])
            # once per page, so that a title identical to the running header survives
            if key in repeated and key not in dropped:
                drop.add(i)
                dropped.add(key)
        out.append([line for i, line in enumerate(page) if i not in drop])
    return out


# -- line width --------------------------------------------------------------------


def em_width(text: str) -> float:
    """Display width in ems: CJK and full-width characters 1, others 1/2."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def char_width(text: str) -> float:
    """Width counted in characters (for text wrapped at a fixed character count)."""
    return float(len(text))


Metric = Callable[[str], float]


@dataclass(frozen=True)
class Wrap:
    """How a text was wrapped: the full line width under a width metric."""

    width: float
    metric: Metric
    share: float  # share of lines that are (nearly) full
    full_lines: int = 0


def detect_wrap(lines: Sequence[str]) -> Wrap | None:
    """The fixed width the lines were wrapped at (None if there are too few lines).

    Tries both metrics (ems for real PDFs, characters for naive renderers) and keeps
    the one under which most lines share the same full width; ``share`` tells how
    many lines are full, which is small for text that was not wrapped at all.
    """
    texts = [line.rstrip() for line in lines if len(line.strip()) >= 2]
    if len(texts) < 3:
        return None
    best: Wrap | None = None
    for metric in (em_width, char_width):
        values = sorted((metric(t) for t in texts), reverse=True)
        width = values[len(values) // 50]  # allow a few over-long lines (tables, headers)
        near = sum(width - 1.0 <= v <= width + 0.5 for v in values)
        share = near / len(values)
        if best is None or share > best.share:
            best = Wrap(width, metric, share, near)
    return best


def _first_unit(text: str) -> str:
    """What a wrapper keeps together at the start of a line: a Latin word or number, or
    one character, with the punctuation that may not start a line."""
    m = re.match(r"[A-Za-z0-9.%+\-]+|.", text)
    unit = m.group(0) if m else ""
    rest = text[len(unit) :]
    while rest and rest[0] in _NON_STARTERS:
        unit += rest[0]
        rest = rest[1:]
    return unit


@dataclass(frozen=True)
class _Line:
    text: str  # cleaned
    raw: str  # as extracted, right-stripped, for width and indentation
    indented: bool


def _is_indented(raw: str) -> bool:
    return raw.startswith(("\u3000", "\t", "  "))


def unwrap(lines: Sequence[str], wrap: Wrap) -> list[str]:
    """Join fixed-width lines into paragraphs (blank lines carry no meaning here)."""
    items = [_Line(clean_line(raw), raw.rstrip(), _is_indented(raw)) for raw in lines]
    items = [item for item in items if item.text]
    indented_doc = sum(item.indented for item in items) >= max(2, len(items) // 20)
    # a renderer that cuts every N characters splits words ("L⏎ED"); one that wraps by
    # width breaks at spaces
    words_split = wrap.metric is char_width
    blocks: list[str] = []
    prev: _Line | None = None
    for item in items:
        if prev is not None and _wrapped(prev, item, wrap, indented_doc=indented_doc):
            blocks[-1] = _concat(blocks[-1], item.text, words_split=words_split)
        else:
            blocks.append(item.text)
        prev = item
    return blocks


def _wrapped(a: _Line, b: _Line, wrap: Wrap, *, indented_doc: bool) -> bool:
    """True if line ``b`` continues the paragraph of line ``a``."""
    if starts_unit(b.text) or (indented_doc and b.indented):
        return False
    if _continued(a.text) or b.text[0] in _NON_STARTERS:
        return True
    if wrap.metric is char_width:
        unit = b.text[0]  # cut at a character count: any character would have fitted
    else:
        unit = _first_unit(b.text)
        if unit[:1].isascii() and unit[:1].isalnum():
            unit = " " + unit  # a word wrapped at a space
    full = wrap.metric(a.raw) + wrap.metric(unit) > wrap.width + 0.25
    if ends_sentence(a.text):
        # a sentence ended at the margin: the paragraph goes on only where paragraphs
        # are marked by indentation and the next line is not a heading of its own
        short_b = wrap.metric(b.raw) < wrap.width - 1.0
        return indented_doc and full and not (short_b and heading_like(b.text))
    return full


# -- paragraphs broken by page breaks ----------------------------------------------


def _inline_item(line: str) -> bool:
    """A numbered item written as sentences ("1、落实…责任。一是…"), not a heading."""
    num = numbering(line)
    if num is None:
        return False
    body = line[num.end :]
    return len(body) > 60 or has_inner_stop(body)


def _sibling(lines: Iterable[str], num: Numbering, *, reach: int = 60) -> str | None:
    """The nearest line numbered in the same style, before any line of an outer style."""
    for line in islice(lines, reach):
        other = numbering(line)
        if other is None:
            continue
        if other.style == num.style:
            return line
        if other.rank < num.rank:
            return None
    return None


def _item_fragment(line: str, before: Iterable[str], after: Iterable[str]) -> bool:
    """True if a heading-like numbered line is the cut-off start of an inline item."""
    num = numbering(line)
    if num is None or num.style == "part":
        return False
    sibling = _sibling(before, num) or _sibling(after, num)
    return sibling is not None and _inline_item(sibling)


def merge_broken(blocks: Sequence[str]) -> list[str]:
    """Join paragraphs that a page break cut in the middle of a sentence."""
    out: list[str] = []
    for i, b in enumerate(blocks):
        if out and _continues(out, blocks, i):
            out[-1] = _concat(out[-1], b)
        else:
            out.append(b)
    return out


def _continues(out: list[str], blocks: Sequence[str], i: int) -> bool:
    """True if ``blocks[i]`` continues the paragraph ``out[-1]``."""
    a, b = out[-1], blocks[i]
    if starts_unit(b) or ends_sentence(a):
        return False
    if _continued(a) or b[0] in _NON_STARTERS:
        return True
    if heading_like(a, max_len=60 if numbering(a) else 50):
        before = (out[j] for j in range(len(out) - 2, -1, -1))
        after = (blocks[j] for j in range(i + 1, len(blocks)))
        return _item_fragment(a, before, after)
    return not heading_like(b)


# -- the whole step ----------------------------------------------------------------


def _is_wrapped(extracted: Extracted, wrap: Wrap | None) -> bool:
    """PDF lines are wrapped when enough of them share a width; other text only when
    most lines do (a text file normally holds one paragraph per line)."""
    if wrap is None or wrap.width > 80:
        return False
    if extracted.kind == "pdf":
        return wrap.full_lines >= 2
    return wrap.full_lines >= 5 and wrap.share >= 0.4


def normalize(extracted: Extracted) -> str:
    """Clean text of one file: one paragraph or heading per line, no page furniture."""
    pages = strip_furniture(split_pages(extracted))
    lines = [line for page in pages for line in page]
    wrap = detect_wrap(lines)
    if wrap is not None and _is_wrapped(extracted, wrap):
        blocks = unwrap(lines, wrap)
    else:
        blocks = [text for text in (clean_line(line) for line in lines) if text]
    return "\n".join(text for text in (clean_line(p) for p in merge_broken(blocks)) if text)
