"""Reading one line of clean text: character classes, numbering, sentence ends, cleaning.

The predicates here are shared by the stages that rebuild and read paragraphs:
:mod:`indexer.ingest.normalize` (plain text), :mod:`indexer.ingest.pdflayout`
(PDF lines with their geometry) and :mod:`indexer.ingest.structure`:

* :func:`numbering` and :func:`starts_unit`: the heading numeral or article
  (第一条) a line opens with;
* :func:`ends_sentence`, :func:`has_inner_stop`, :func:`continued`: where a
  paragraph may end; :func:`heading_like`: a short line without sentence
  punctuation (a heading, a title, a signature), never a table row;
* :func:`clean_line` (markdown residue, indentation, spaces between CJK
  characters and digits) and :func:`join_pieces` (two pieces of one paragraph);
* :func:`em_width` and :func:`first_unit`: how much room a text needs on a line;
* :data:`CELL_SEPARATOR` and :func:`is_table_row`: a table row is one line with
  its cells separated by ``" | "`` (each cell stays a searchable phrase, cells
  never run into each other).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
#: a space next to a CJK character, unless the other side is a Latin letter or a cell separator
_CJK_SPACE = re.compile(rf"(?<=[{_WIDE}]) (?![A-Za-z|])|(?<![A-Za-z|]) (?=[{_WIDE}])")

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
NON_STARTERS = frozenset("，。、；：？！）》」』”’〉】〕］,.;:?!)%")
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


def continued(line: str) -> bool:
    """True if ``line`` cannot end a paragraph: it ends in a comma, an opening bracket or a
    function word."""
    return bool(line) and (line[-1] in _CONTINUING_END or line[-1] in _CONTINUING_WORD)


def heading_like(line: str, *, max_len: int = 60) -> bool:
    """A short line without sentence punctuation: a heading, title or signature line
    (not a table row)."""
    if not line or len(line) > max_len or ends_sentence(line) or continued(line):
        return False
    if is_table_row(line):
        return False
    num = numbering(line)
    body = line[num.end :] if num else line
    return bool(body) and not has_inner_stop(body)


def is_rule_line(line: str) -> bool:
    """True for a separator rule drawn with characters (``———``, ``====``)."""
    return _RULE_LINE.match(line) is not None


def is_page_number(line: str) -> bool:
    """True for page-number lines: ``— 3 —``, ``- 3 -``, ``第3页``, ``第 3 页 共 9 页``, ``3``."""
    s = line.strip()
    return bool(s) and _PAGE_NUMBER.match(s) is not None


#: what separates the cells of a table row on its line
CELL_SEPARATOR = " | "


def is_table_row(line: str) -> bool:
    """True for a table row laid out on one line: cells separated by :data:`CELL_SEPARATOR`."""
    return CELL_SEPARATOR in line


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


def join_pieces(a: str, b: str, *, words_split: bool = False) -> str:
    """Join two pieces of one paragraph: a space only between two Latin words, unless
    the break may fall inside a word (text cut at a fixed number of characters)."""
    latin = a and b and a[-1].isascii() and a[-1].isalpha() and b[0].isascii() and b[0].isalpha()
    return f"{a} {b}" if latin and not words_split else a + b


def em_width(text: str) -> float:
    """Display width in ems: CJK and full-width characters 1, others 1/2."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def first_unit(text: str) -> str:
    """What a wrapper keeps together at the start of a line: a Latin word or number, or
    one character, with the punctuation that may not start a line."""
    m = re.match(r"[A-Za-z0-9.%+\-]+|.", text)
    unit = m.group(0) if m else ""
    rest = text[len(unit) :]
    while rest and rest[0] in NON_STARTERS:
        unit += rest[0]
        rest = rest[1:]
    return unit
