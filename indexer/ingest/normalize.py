"""Raw extracted text → clean text: one paragraph, heading or table row per line.

The steps are small pure functions:

1. :func:`split_pages` and :func:`strip_furniture` drop page numbers, separator rules
   and running headers/footers (lines repeated at the top or bottom of most pages;
   :func:`furniture` tells which).
2. :func:`~indexer.ingest.lines.clean_line` removes markdown residue and indentation
   and the spaces that converters put between CJK characters and digits
   ("2023 年度" → "2023年度").
3. Paragraphs are rebuilt from printed lines. For a PDF whose lines come with their
   geometry (``Extracted.layout``), :func:`indexer.ingest.pdflayout.read_pages`
   decides from each page's own text block (columns, tables, right edge,
   indentation). Otherwise :func:`unwrap` works from the text alone, for text
   wrapped at a fixed width: a line continues into the next one when it is full,
   i.e. the next line's first word would not have fitted on it; an indented line
   starts a new paragraph; a short line without sentence-final punctuation stands
   alone (a heading, a title, a signature).
4. :func:`merge_broken` joins paragraphs split in mid-sentence by a page break (the
   blank line in "法治思想及各⏎⏎类法律法规"): a paragraph only ends at sentence-final
   punctuation or at a heading. A short line without final punctuation is a heading,
   unless it is a numbered item whose sibling items are full sentences. Table rows
   are never joined.

The predicates used to read clean lines live in :mod:`indexer.ingest.lines`; the ones
:mod:`indexer.ingest.structure` uses are re-exported here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from ..model import Extracted
from .lines import (
    NON_STARTERS,
    STYLE_RANK,
    Numbering,
    clean_line,
    continued,
    em_width,
    ends_sentence,
    first_unit,
    has_inner_stop,
    heading_like,
    is_page_number,
    is_rule_line,
    is_table_row,
    join_pieces,
    numbering,
    starts_unit,
)
from .pagechrome import is_meta_line
from .pdflayout import read_pages

__all__ = [
    # shared with structure (defined in .lines)
    "STYLE_RANK",
    "Numbering",
    "clean_line",
    "ends_sentence",
    "has_inner_stop",
    "heading_like",
    "is_page_number",
    "numbering",
    # this step
    "detect_wrap",
    "merge_broken",
    "normalize",
    "split_pages",
    "strip_furniture",
    "unwrap",
]

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
    return re.sub(r"[0-9０-９]+", "#", s.replace(" ", ""))


def _edge_indices(page: Sequence[str], depth: int = 2) -> list[int]:
    filled = [i for i, line in enumerate(page) if line.strip()]
    return sorted(set(filled[:depth] + filled[-depth:]))


def furniture(pages: Sequence[Sequence[str]]) -> list[set[int]]:
    """The indices of each page's furniture lines: page numbers, separator rules and
    lines repeated at the edges of most pages (once per page, so that a title identical
    to the running header survives)."""
    drops = [
        {i for i, line in enumerate(page) if is_page_number(line) or is_rule_line(line)}
        for page in pages
    ]
    if len(pages) < 2:
        return drops
    edges = [
        [i for i in _edge_indices([line if i not in d else "" for i, line in enumerate(page)])]
        for page, d in zip(pages, drops, strict=True)
    ]
    seen: Counter[str] = Counter()
    for page, idx in zip(pages, edges, strict=True):
        seen.update({_furniture_key(page[i]) for i in idx})
    threshold = max(2, (len(pages) + 1) // 2)
    repeated = {key for key, n in seen.items() if n >= threshold and key}
    for page, idx, drop in zip(pages, edges, drops, strict=True):
        dropped: set[str] = set()
        for i in idx:
            key = _furniture_key(page[i])
            if key in repeated and key not in dropped:
                drop.add(i)
                dropped.add(key)
    return drops


def strip_furniture(pages: Sequence[Sequence[str]]) -> list[list[str]]:
    """The pages without their :func:`furniture` lines."""
    return [
        [line for i, line in enumerate(page) if i not in drop]
        for page, drop in zip(pages, furniture(pages), strict=True)
    ]


# -- line width --------------------------------------------------------------------


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

    The full width is the widest but a few (a title or table row may be wider)
    or, where more than a few lines are wider than the wrap (a title, a table,
    lines pasted unwrapped), the commonest width among the longer half of the
    lines, whichever more lines share.
    """
    texts = [line.rstrip() for line in lines if len(line.strip()) >= 2]
    if len(texts) < 3:
        return None
    best: Wrap | None = None
    for metric in (em_width, char_width):
        values = sorted((metric(t) for t in texts), reverse=True)
        commonest = Counter(values[: (len(values) + 1) // 2]).most_common(1)[0][0]
        for width in (values[len(values) // 50], commonest):
            near = sum(width - 1.0 <= v <= width + 0.5 for v in values)
            share = near / len(values)
            if best is None or share > best.share:
                best = Wrap(width, metric, share, near)
    return best


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
            blocks[-1] = join_pieces(blocks[-1], item.text, words_split=words_split)
        else:
            blocks.append(item.text)
        prev = item
    return blocks


def _wrapped(a: _Line, b: _Line, wrap: Wrap, *, indented_doc: bool) -> bool:
    """True if line ``b`` continues the paragraph of line ``a``."""
    if starts_unit(b.text) or (indented_doc and b.indented):
        return False
    if continued(a.text) or b.text[0] in NON_STARTERS:
        return True
    if wrap.metric is char_width:
        unit = b.text[0]  # cut at a character count: any character would have fitted
    else:
        unit = first_unit(b.text)
        if unit[:1].isascii() and unit[:1].isalnum():
            unit = " " + unit  # a word wrapped at a space
    width = wrap.metric(a.raw)
    if width > wrap.width + 2.0:
        return False  # far wider than the wrap: a line that was never cut at it
    full = width + wrap.metric(unit) > wrap.width + 0.25
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
            out[-1] = join_pieces(out[-1], b)
        else:
            out.append(b)
    return out


def _continues(out: list[str], blocks: Sequence[str], i: int) -> bool:
    """True if ``blocks[i]`` continues the paragraph ``out[-1]``."""
    a, b = out[-1], blocks[i]
    if starts_unit(b) or ends_sentence(a) or is_table_row(a) or is_table_row(b):
        return False
    if is_meta_line(a) or is_meta_line(b):  # a web page's metadata block: one line each
        return False
    if continued(a) or b[0] in NON_STARTERS:
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
    if any(page.lines for page in extracted.layout):
        blocks = _pdf_blocks(extracted)
    else:
        pages = strip_furniture(split_pages(extracted))
        lines = [line for page in pages for line in page]
        wrap = detect_wrap(lines)
        if wrap is not None and _is_wrapped(extracted, wrap):
            blocks = unwrap(lines, wrap)
        else:
            blocks = [text for text in (clean_line(line) for line in lines) if text]
    return "\n".join(text for text in (clean_line(p) for p in merge_broken(blocks)) if text)


def _pdf_blocks(extracted: Extracted) -> list[str]:
    """Paragraphs of a PDF read from its lines' geometry, furniture removed first."""
    layout = extracted.layout
    drops = furniture([[line.text for line in page.lines] for page in layout])
    pages = [
        [line for i, line in enumerate(page.lines) if i not in drop]
        for page, drop in zip(layout, drops, strict=True)
    ]
    return read_pages(pages, [page.rules for page in layout])
