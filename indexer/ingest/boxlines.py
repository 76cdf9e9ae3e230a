"""Printed lines from positioned pieces of text: OCR boxes, OFD text objects.

:func:`page_layout` groups pieces that overlap vertically by more than half
the smaller height into one printed line, read left to right; a gap wider
than a character splits a line into runs (table cells, columns). Each line's
font size is estimated from its width and the display width of its text
(snapped to the page's body size when within a fifth of it), and an indent
of one and a half to four characters from the page's left edge is written as
ideographic spaces, as Word and WPS write a paragraph's indent into a PDF's
text layer. The result is a :class:`~indexer.model.PageLayout` for
:mod:`.pdflayout`, as a PDF's text layer gives.

A piece is ``(text, x0, x1, y0, y1, score)`` in points, y upwards.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import median

from ..model import PageLayout, TextLine
from .lines import em_width


def page_layout(
    boxes: list[tuple], width: float, height: float, *, fix: Callable[[str], str] | None = None
) -> PageLayout:
    """The printed lines of a page from its pieces of text (see the module docstring);
    ``fix`` corrects each run's text."""
    rows = _rows([b for b in boxes if str(b[0]).strip()])
    sizes = [_em(row) for row in rows]
    body = median(s for s in sizes if s) if any(sizes) else 12.0
    left = _left_edge([row[0][1] for row in rows], body)
    lines = []
    for row, size in zip(rows, sizes, strict=True):
        # a body line's own estimate varies with its digits: snap it to the page's body size
        size = body if not size or abs(size - body) <= 0.2 * body else size
        lines.append(_line(row, size, left, fix))
    return PageLayout(width, height, tuple(lines), ())


def _rows(boxes: list[tuple]) -> list[list[tuple]]:
    """Boxes that overlap vertically by more than half the smaller height share a line."""
    rows: list[list[tuple]] = []
    for box in sorted(boxes, key=lambda b: -(b[3] + b[4]) / 2):
        if rows:
            y0 = min(b[3] for b in rows[-1])
            y1 = max(b[4] for b in rows[-1])
            overlap = min(y1, box[4]) - max(y0, box[3])
            if overlap > 0.5 * min(y1 - y0, box[4] - box[3]):
                rows[-1].append(box)
                continue
        rows.append([box])
    return [sorted(row, key=lambda b: b[1]) for row in rows]


def _left_edge(starts: list[float], em: float) -> float:
    """Where most lines start: the leftmost start shared by at least two lines."""
    starts = sorted(starts)
    return next((x for x in starts if sum(abs(y - x) < 0.3 * em for y in starts) >= 2), 0.0)


def _em(row: list[tuple]) -> float:
    """The font size of a line, from its width and the display width of its text."""
    ems = sum(em_width(b[0]) for b in row)
    width = sum(b[2] - b[1] for b in row)
    if ems >= 3:
        return width / ems
    return median(b[4] - b[3] for b in row) / 1.4  # a box is about 1.4 ems high


def _line(row: list[tuple], size: float, left: float, fix=None) -> TextLine:
    """One printed line; an indent of one to four characters is written as ideographic
    spaces, as Word and WPS write a paragraph's indent into a PDF's text layer."""
    runs: list[list[tuple]] = [[row[0]]]
    for a, b in zip(row, row[1:], strict=False):
        if b[1] - a[2] > size:  # wider than a character: another cell or column
            runs.append([])
        runs[-1].append(b)
    texts = [_join(run, size) for run in runs]
    if fix is not None:
        texts = [fix(t) for t in texts]
    spans = (
        tuple((run[0][1], run[-1][2], t) for run, t in zip(runs, texts, strict=True))
        if len(runs) > 1
        else ()
    )
    ems = (row[0][1] - left) / size if left and size else 0.0
    indent = round(ems) if ems >= 1.5 else 0  # less is a glyph the recogniser missed
    return TextLine(
        "\u3000" * indent * (1 <= indent <= 4) + " ".join(texts),
        row[0][1],
        row[-1][2],
        min(b[3] for b in row),
        max(b[4] for b in row),
        round(size, 2),
        False,
        spans,
    )


def _join(run: list[tuple], size: float) -> str:
    out = run[0][0]
    for a, b in zip(run, run[1:], strict=False):
        latin = a[0][-1:].isascii() and b[0][:1].isascii()
        out += (" " if latin and b[1] - a[2] > 0.2 * size else "") + b[0]
    return out
