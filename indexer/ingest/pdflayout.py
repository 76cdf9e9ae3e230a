"""PDF lines with their geometry → paragraphs, headings and table rows (pure functions).

:func:`read_pages` takes the printed lines of each page (:class:`~indexer.model.TextLine`,
page furniture already removed) and returns the blocks of the document in reading
order, one paragraph, heading or table row each. Every decision is taken from
the page's own geometry, not from statistics of line lengths:

1. **Columns.** A page whose lines leave a vertical gutter free in its middle,
   with prose on both sides, is read column by column; lines that cross the
   gutter (a title, an abstract) are read where they stand, between the column
   sections above and below them.
2. **Tables.** Lines inside a stack of at least three horizontal rules are
   table rows: the lines between two rules form one row, their runs of text are
   grouped into cells by horizontal overlap (a cell's lines joined top to
   bottom) and the cells are separated by ``" | "``
   (:data:`~indexer.ingest.lines.CELL_SEPARATOR`). Without rules, a line with
   runs of text separated by wide gaps, next to another such line, is a row.
3. **Text block.** Each column (or page) has a left edge (where most lines
   start) and a right edge (where full lines end: the median of the lines
   ending near the rightmost ones, so that punctuation hanging past the margin
   and digits a little narrower than a character do not move it).
4. **Joins.** A line continues into the next one when it is *full* — the next
   line's first word (or character, with the punctuation that may not start a
   line) would not have fitted between its end and the right edge, or it
   reaches past the edge — unless the next line opens a numbered unit
   (一、 （一） 1. 第一条), is indented (beyond a hanging indent of a numbered
   item), has another font size, follows a wide vertical gap, or is a table
   row. Text that a renderer cut at a fixed number of characters (most lines
   that long, ending at different places) is full at that count too. A full line that ends a sentence continues only where paragraphs are
   marked by indentation, and not into a short heading-like line. A line that
   is not full ends its paragraph: a short one stands alone and may be a
   heading, but the first half of a wrapped sentence never does.
5. **Pages.** The last line of a page (or column) is joined with the first
   line of the next the same way, without the vertical gap test;
   :func:`indexer.ingest.normalize.merge_broken` then joins what a page break
   cut in mid-sentence by the text alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import median

from ..model import TextLine
from .lines import (
    CELL_SEPARATOR,
    NON_STARTERS,
    clean_line,
    em_width,
    ends_sentence,
    first_unit,
    heading_like,
    join_pieces,
    numbering,
    starts_unit,
)

#: a line this much (in ems) right of the left edge is indented
INDENT_EMS = 0.8
#: a gap between two lines wider than this many usual line pitches separates blocks
GAP_PITCHES = 1.7
#: font sizes differing by more than this share are different kinds of text
SIZE_RATIO = 0.15
#: a column gutter is at least this wide (ems) and prose columns at least this wide
GUTTER_EMS = 1.0
COLUMN_EMS = 12.0
#: horizontal rules that make a table: at least this many, stacked
TABLE_RULES = 3


@dataclass
class Line:
    """A line being read: its clean text and geometry (a column's part of a printed line)."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float
    bold: bool = False
    spans: tuple[tuple[float, float, str], ...] = ()
    row: bool = False  # a table row: never joined, never a heading
    chars: int = 0  # characters as printed (indent included), for text cut at a count


@dataclass(frozen=True)
class Block:
    """The text block of a column or page: its left and right edges and body size."""

    left: float
    right: float
    em: float
    pitch: float  # the usual distance between two lines' bottoms
    indented: bool  # paragraphs are marked by indenting their first line


# -- the whole step ---------------------------------------------------------------------


def read_pages(
    pages: Sequence[Sequence[TextLine]], rules: Sequence[Sequence[tuple]] = ()
) -> list[str]:
    """The blocks (paragraphs, headings, table rows) of a document in reading order.

    ``pages`` holds each page's lines top to bottom; ``rules`` each page's
    horizontal rules as ``(x0, x1, y)`` (optional).
    """
    regions: list[list[Line]] = []
    for n, page in enumerate(pages):
        lines = [_line(t) for t in page if clean_line(t.text)]
        page_rules = rules[n] if n < len(rules) else ()
        regions += [_tables(r, page_rules) for r in columns(lines)]
    blocks = [measure(r) for r in regions]
    indented_doc = sum(b.indented for b in blocks if b) * 2 >= max(1, sum(1 for b in blocks if b))
    fallback = _typical(regions)
    cut = fixed_count([ln for r in regions for ln in r])
    out: list[str] = []
    prev: tuple[Line, Block] | None = None
    cont_x: float | None = None  # where the current paragraph's continuation lines start
    for region, block in zip(regions, blocks, strict=True):
        block = _settle(block, fallback, indented_doc)
        for i, line in enumerate(region):
            joined = False
            if prev is not None:
                a, ba = prev
                joined = joins(a, line, ba, block, boundary=i == 0, cont_x=cont_x, cut=cut)
            if joined:
                out[-1] = _join(out[-1], line.text, cut=cut is not None)
                if line.x0 > block.left + INDENT_EMS * block.em:
                    cont_x = line.x0
            else:
                out.append(line.text)
                cont_x = None
            prev = (line, block)
    return out


def _line(t: TextLine) -> Line:
    chars = len(t.text.rstrip())
    return Line(clean_line(t.text), t.x0, t.x1, t.y0, t.y1, t.size, t.bold, t.spans, chars=chars)


def _join(a: str, b: str, *, cut: bool = False) -> str:
    if len(a) > 1 and a.endswith("-") and a[-2].isalpha() and b[:1].islower():
        return a[:-1] + b  # a word hyphenated at the line end
    return join_pieces(a, b, words_split=cut)


def fixed_count(lines: Sequence[Line]) -> int | None:
    """The number of characters per line when a renderer cut the text at a fixed count
    rather than at a width: most long lines have that many characters, and they end at
    different places (digits and Latin letters are narrower). None otherwise."""
    long = [ln for ln in lines if ln.chars >= 10 and not ln.row]
    if len(long) < 5:
        return None
    counts: dict[int, list[Line]] = {}
    for ln in long:
        counts.setdefault(ln.chars, []).append(ln)
    n, same = max(counts.items(), key=lambda kv: (len(kv[1]), kv[0]))
    if len(same) * 5 < len(long) * 2 or n < max(counts):
        return None
    em = median(ln.size for ln in same)
    ends = sorted(ln.x1 for ln in same)
    return n if ends[-1] - ends[0] > 2 * em else None


# -- text blocks ------------------------------------------------------------------------


def measure(lines: Sequence[Line], minimum: int = 3) -> Block | None:
    """The text block of a column or page (None with fewer than ``minimum`` text lines:
    too few to tell where its edges are)."""
    text = [ln for ln in lines if not ln.row]
    if not text or len(text) < minimum:
        return None
    em = median(ln.size for ln in text for _ in range(max(1, len(ln.text) // 10)))
    em = max(em, 1.0)
    starts = sorted(ln.x0 for ln in text)
    left = next((x for x in starts if sum(abs(y - x) < 0.3 * em for y in starts) >= 2), starts[0])
    long = sorted(ln.x1 for ln in text if len(ln.text) >= 8) or sorted(ln.x1 for ln in text)
    top = long[int(0.9 * (len(long) - 1))]
    right = median(x for x in long if x >= top - 1.5 * em)
    pitches = [
        a.y0 - b.y0
        for a, b in zip(text, text[1:], strict=False)
        if 0 < a.y0 - b.y0 < 4 * em and abs(a.size - b.size) <= SIZE_RATIO * a.size
    ]
    pitch = sorted(pitches)[len(pitches) // 4] if pitches else 1.5 * em
    indents = sum(left + 1.2 * em <= ln.x0 <= left + 4.5 * em for ln in text)
    indented = indents >= 2 and indents * 20 >= len(text)
    return Block(left, right, em, pitch, indented)


def _typical(regions: Sequence[Sequence[Line]]) -> Block | None:
    """The block of the whole document: used where a page has too few lines of its own."""
    return measure([ln for r in regions for ln in r], minimum=1)


def _settle(block: Block | None, typical: Block | None, indented_doc: bool) -> Block:
    """A page's own block, unless it is narrower than the document's for lack of full lines."""
    if block is None:
        block = typical or Block(0.0, 0.0, 12.0, 18.0, False)
    elif (
        typical
        and abs(block.left - typical.left) < 2 * typical.em
        and block.right < typical.right - 2 * typical.em
    ):
        block = replace(block, right=typical.right)
    return replace(block, indented=block.indented or indented_doc)


def full(a: Line, b: Line, block: Block, cut: int | None = None) -> bool:
    """True if line ``a`` had no room left for the first word of line ``b`` (or holds
    ``cut`` characters, where the text was cut at that count)."""
    if cut is not None and a.chars >= cut:
        return True
    room = block.right - a.x1
    unit = first_unit(b.text)
    need = em_width(unit) * b.size
    if a.text[-1:].isascii() and a.text[-1:].isalnum() and unit[:1].isascii():
        need += 0.3 * b.size  # the word space
    return room < need - 0.1 * block.em


def joins(
    a: Line,
    b: Line,
    ba: Block,
    bb: Block,
    *,
    boundary: bool = False,
    cont_x: float | None = None,
    cut: int | None = None,
) -> bool:
    """True if line ``b`` continues the paragraph of line ``a`` (see the module docstring).

    ``boundary``: ``b`` opens a new page or column (no vertical gap test);
    ``cont_x``: where the paragraph's continuation lines start, if it has some;
    ``cut``: the characters per line of text cut at a fixed count (:func:`fixed_count`).
    """
    if a.row or b.row or not a.text or not b.text:
        return False
    if abs(a.size - b.size) > SIZE_RATIO * max(a.size, b.size):
        return False
    if not boundary and a.y0 - b.y0 > GAP_PITCHES * max(ba.pitch, a.size):
        return False
    if b.text[0] in NON_STARTERS:
        return True
    if starts_unit(b.text):
        return False
    if b.x0 > bb.left + INDENT_EMS * bb.em and not _hanging(a, b, bb, cont_x):
        return False
    if not full(a, b, ba, cut):
        return False
    if ends_sentence(a.text):
        short_b = b.x1 < bb.right - bb.em
        return bb.indented and not (short_b and heading_like(b.text))
    return True


def _hanging(a: Line, b: Line, block: Block, cont_x: float | None) -> bool:
    """True if ``b`` is indented as the continuation of a numbered item (hanging indent)."""
    if cont_x is not None and abs(b.x0 - cont_x) < 0.4 * block.em:
        return True
    num = numbering(a.text)
    if num is None:
        return False
    marker = em_width(a.text[: num.end]) * a.size
    return abs(b.x0 - (a.x0 + marker)) < 0.6 * block.em


# -- columns ----------------------------------------------------------------------------


def _parts(line: Line) -> list[tuple[float, float, str]]:
    return list(line.spans) or [(line.x0, line.x1, line.text)]


def _piece(line: Line, parts: list[tuple[float, float, str]]) -> Line:
    text = clean_line(" ".join(p[2] for p in parts))
    return replace(line, text=text, x0=parts[0][0], x1=parts[-1][1], spans=tuple(parts))


def gutter(lines: Sequence[Line]) -> float | None:
    """The x of a column gutter: a vertical strip in the middle of the text that almost
    no line crosses, with prose columns on both sides (None for one column)."""
    if len(lines) < 6:
        return None
    em = median(ln.size for ln in lines)
    lo = min(ln.x0 for ln in lines)
    hi = max(ln.x1 for ln in lines)
    width = hi - lo
    if width < 2 * COLUMN_EMS * em:
        return None
    step = max(em / 4, 1.0)
    n = int(width / step) + 2
    diff = [0] * (n + 1)
    for ln in lines:  # how many lines cover each step of the width
        covered = sorted((int((p[0] - lo) / step), int((p[1] - lo) / step) + 1) for p in _parts(ln))
        last = -1
        for a, b in covered:
            a = max(a, last)
            if b > a:
                diff[a] += 1
                diff[b] -= 1
                last = b
    crossing = max(1, len(lines) // 12)
    best: tuple[float, float] | None = None  # (width, centre)
    run, count = 0, 0
    first, end = int(0.3 * width / step), int(0.7 * width / step)
    for k in range(n):
        count += diff[k]
        if first <= k <= end and count <= crossing:
            run += 1
            continue
        if run and (best is None or run * step > best[0]):
            best = (run * step, lo + (k - run / 2) * step)
        run = 0
    if best is None or best[0] < GUTTER_EMS * em:
        return None
    g = best[1]
    left = [sum(p[1] - p[0] for p in _parts(ln) if p[1] <= g) for ln in lines]
    right = [sum(p[1] - p[0] for p in _parts(ln) if p[0] >= g) for ln in lines]
    wide_left = sum(w >= COLUMN_EMS * em for w in left)
    wide_right = sum(w >= COLUMN_EMS * em for w in right)
    if min(wide_left, wide_right) < max(3, len(lines) // 5):
        return None
    return g


def columns(lines: list[Line]) -> list[list[Line]]:
    """The lines of a page as regions in reading order: one region for a single column;
    for two columns, the left then the right column of each section between lines that
    cross the gutter."""
    g = gutter(lines)
    if g is None:
        return [lines]
    regions: list[list[Line]] = []
    left: list[Line] = []
    right: list[Line] = []
    crossing: list[Line] = []

    def flush_columns() -> None:
        regions.extend(r for r in (left[:], right[:]) if r)
        left.clear()
        right.clear()

    for ln in lines:
        parts = _parts(ln)
        if any(p[0] < g < p[1] for p in parts):
            flush_columns()
            crossing.append(ln)
            continue
        if crossing:
            regions.append(crossing[:])
            crossing.clear()
        lp = [p for p in parts if p[1] <= g]
        rp = [p for p in parts if p[0] >= g]
        if lp:
            left.append(_piece(ln, lp))
        if rp:
            right.append(_piece(ln, rp))
    if crossing:
        regions.append(crossing)
    flush_columns()
    return regions


# -- tables -----------------------------------------------------------------------------


def _tables(lines: list[Line], rules: Sequence[tuple]) -> list[Line]:
    """The region with its table rows made: ruled rows first, then rows of wide gaps."""
    return _gap_rows(_ruled_rows(lines, rules))


def _stacks(rules: Sequence[tuple], em: float) -> list[list[tuple]]:
    """Groups of horizontal rules that overlap horizontally, top to bottom, close enough
    to bound table rows."""
    stacks: list[list[tuple]] = []
    for r in sorted(rules, key=lambda r: -r[2]):
        for s in stacks:
            last = s[-1]
            overlap = min(last[1], r[1]) - max(last[0], r[0])
            if overlap > 0.5 * min(last[1] - last[0], r[1] - r[0]) and last[2] - r[2] < 12 * em:
                s.append(r)
                break
        else:
            stacks.append([r])
    return [s for s in stacks if len(s) >= TABLE_RULES]


def _ruled_rows(lines: list[Line], rules: Sequence[tuple]) -> list[Line]:
    if not rules or not lines:
        return lines
    em = median(ln.size for ln in lines)
    out: list[Line] = []
    done: set[int] = set()
    bands: list[tuple[float, float, float, float]] = []  # (top, bottom, x0, x1)
    for s in _stacks(rules, em):
        for top, bottom in zip(s, s[1:], strict=False):
            bands.append((top[2], bottom[2], min(top[0], bottom[0]), max(top[1], bottom[1])))
    rows: dict[int, list[int]] = {}
    for i, ln in enumerate(lines):
        mid = (ln.y0 + ln.y1) / 2
        for k, (top, bottom, x0, x1) in enumerate(bands):
            if bottom < mid < top and ln.x0 >= x0 - em and ln.x1 <= x1 + em:
                rows.setdefault(k, []).append(i)
                break
    first_of = {members[0]: k for k, members in rows.items()}
    for i, ln in enumerate(lines):
        if i in done:
            continue
        if i in first_of:
            members = [lines[j] for j in rows[first_of[i]]]
            done.update(rows[first_of[i]])
            out.append(_row(members))
        elif not any(i in m for m in rows.values()):
            out.append(ln)
    return out


def _row(lines: list[Line]) -> Line:
    """One table row from the lines between two rules: cells by horizontal overlap."""
    cells: list[list[tuple[float, float, str, float]]] = []  # (x0, x1, text, y) per piece
    for ln in lines:
        for x0, x1, text in _parts(ln):
            for cell in cells:
                if min(cell[0][1], x1) > max(cell[0][0], x0) or any(
                    min(c[1], x1) > max(c[0], x0) for c in cell
                ):
                    cell.append((x0, x1, text, ln.y0))
                    break
            else:
                cells.append([(x0, x1, text, ln.y0)])
    cells.sort(key=lambda c: min(p[0] for p in c))
    texts = []
    for cell in cells:
        text = ""
        for piece in sorted(cell, key=lambda p: -p[3]):
            text = join_pieces(text, clean_line(piece[2])) if text else clean_line(piece[2])
        texts.append(text)
    first = lines[0]
    return Line(
        CELL_SEPARATOR.join(t for t in texts if t),
        min(ln.x0 for ln in lines),
        max(ln.x1 for ln in lines),
        min(ln.y0 for ln in lines),
        max(ln.y1 for ln in lines),
        first.size,
        row=True,
    )


def _gap_rows(lines: list[Line]) -> list[Line]:
    """Lines of several runs separated by wide gaps, beside another such line: table rows
    (cells separated by ``" | "``)."""
    multi = [len(ln.spans) >= 2 and not ln.row for ln in lines]
    out = []
    for i, ln in enumerate(lines):
        near = (i > 0 and multi[i - 1]) or (i + 1 < len(lines) and multi[i + 1])
        if multi[i] and near:
            text = CELL_SEPARATOR.join(clean_line(p[2]) for p in ln.spans if clean_line(p[2]))
            out.append(replace(ln, text=text, row=True))
        else:
            out.append(ln)
    return out
