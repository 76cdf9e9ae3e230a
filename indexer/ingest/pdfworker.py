"""Child process that runs pdfminer.six on one PDF (see :mod:`indexer.ingest.pdf`).

Run as ``python -I pdfworker.py PATH --cpu SECONDS --memory BYTES``. It sets
its own CPU-time and address-space limits before pdfminer reads a byte, then
prints one JSON object on stdout::

    {"ok": true, "pages": ["text of page 1", ...], "encrypted": false}
    {"ok": false, "error": "encrypted" | "damaged" | "memory" | "internal", "detail": "..."}

It imports nothing from the ``indexer`` package (only the standard library and
pdfminer), so it starts fast and can be run as a plain script.

The document is opened with the empty password, so a copy-protected PDF
(owner password only) is read like any other; one that needs a user password
is reported as ``encrypted``, and ``"encrypted": true`` tells the parent that
unreadable text may be due to the protection.

Layout: pdfminer groups characters into line fragments; fragments that
overlap vertically are merged into one visual line and read left to right,
lines top to bottom (official reports are set in a single column; two
columns side by side would be read across). A glyph drawn twice at the same
place (simulated bold) counts once. Spaces are decided here from the glyph
gaps, not by pdfminer: never between two CJK characters (only a gap wider
than a full character, such as a tab stop, gives a space there), and never
for a uniform letter-spacing (distributed alignment, justified text). Where
a page has extra vertical white space (more than 1.7 line pitches) an empty
line is kept. Nothing else is changed: running headers, page numbers and
indents stay for the normalize stage to deal with.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from statistics import median

#: Glyphs whose vertical overlap exceeds this share of the smaller height sit
#: on one line (pdfminer's own default, kept explicit).
LINE_OVERLAP = 0.5
#: Gap (in ems, beyond the line's usual letter spacing) that makes a word
#: space between non-CJK characters.
WORD_GAP = 0.2
#: Gap (in ems) that makes a space even between two CJK characters.
CJK_GAP = 1.0
#: A vertical gap this many times the usual line pitch keeps an empty line.
BLANK_LINE_PITCH = 1.7


def is_cjk(ch: str) -> bool:
    """True for CJK ideographs, CJK punctuation and full-width forms."""
    if not ch:
        return False
    o = ord(ch[0])
    return (
        0x2E80 <= o <= 0x9FFF  # radicals, CJK symbols and punctuation, kana, ideographs
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= o <= 0xFE4F  # vertical forms and compatibility forms
        or 0xFF00 <= o <= 0xFFEF  # full-width forms (，：（）)
        or 0x20000 <= o <= 0x3FFFF  # extension B and beyond
    )


@dataclass
class Glyph:
    """One drawn character: its text and horizontal extent."""

    text: str
    x0: float
    x1: float
    size: float


@dataclass
class Fragment:
    """A run of glyphs pdfminer put on one text line."""

    y0: float
    y1: float
    glyphs: list[Glyph]

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def merge_rows(fragments: list[Fragment]) -> list[Fragment]:
    """Merge fragments that share a visual line; return the lines top to bottom."""
    rows: list[Fragment] = []
    for frag in sorted(fragments, key=lambda f: -(f.y0 + f.y1) / 2):
        if rows:
            row = rows[-1]
            overlap = min(row.y1, frag.y1) - max(row.y0, frag.y0)
            if overlap > LINE_OVERLAP * max(min(row.height, frag.height), 0.1):
                row.glyphs.extend(frag.glyphs)
                row.y0, row.y1 = min(row.y0, frag.y0), max(row.y1, frag.y1)
                continue
        rows.append(Fragment(frag.y0, frag.y1, list(frag.glyphs)))
    for row in rows:
        row.glyphs = _dedupe(sorted(row.glyphs, key=lambda g: g.x0))
    return rows


def _dedupe(glyphs: list[Glyph]) -> list[Glyph]:
    """Drop glyphs drawn twice at (almost) the same place: simulated bold."""
    out: list[Glyph] = []
    for g in glyphs:
        if out and out[-1].text == g.text and abs(out[-1].x0 - g.x0) < 0.3 * g.size:
            continue
        out.append(g)
    return out


def row_text(glyphs: list[Glyph]) -> str:
    """The text of one visual line, with spaces only where the gaps call for them."""
    if not glyphs:
        return ""
    pairs = [
        (a, b)
        for a, b in zip(glyphs, glyphs[1:], strict=False)
        if not a.text.isspace() and not b.text.isspace()
    ]
    spacing = max(median(b.x0 - a.x1 for a, b in pairs), 0.0) if pairs else 0.0
    out = [glyphs[0].text]
    for a, b in zip(glyphs, glyphs[1:], strict=False):
        if not (a.text.isspace() or b.text.isspace()):
            em = max(a.size, b.size, 1.0)
            extra = (b.x0 - a.x1 - spacing) / em
            cjk = is_cjk(a.text[-1]) and is_cjk(b.text[0])
            if extra > (CJK_GAP if cjk else WORD_GAP):
                out.append(" ")
        out.append(b.text)
    return "".join(out)


def page_text(rows: list[Fragment]) -> str:
    """Join the visual lines of a page, keeping large vertical gaps as empty lines."""
    if not rows:
        return ""
    pitches = [a.y0 - b.y0 for a, b in zip(rows, rows[1:], strict=False) if a.y0 > b.y0]
    # the usual line pitch: a low quantile, as headers and gaps only add large ones
    pitch = sorted(pitches)[len(pitches) // 4] if len(pitches) >= 2 else 0.0
    lines = [row_text(rows[0].glyphs)]
    for above, row in zip(rows, rows[1:], strict=False):
        if pitch and above.y0 - row.y0 > BLANK_LINE_PITCH * pitch:
            lines.append("")
        lines.append(row_text(row.glyphs))
    return "\n".join(lines)


# ------------------------------------------------------------------- pdfminer


def _fragments(container, out: list[Fragment]) -> list[Fragment]:
    """Collect the text lines of a laid-out page, figures included."""
    from pdfminer.layout import LTChar, LTContainer, LTTextLineHorizontal

    stack = [container]
    while stack:
        item = stack.pop()
        if isinstance(item, LTTextLineHorizontal):
            glyphs = [
                Glyph(c.get_text(), c.x0, c.x1, c.size) for c in item if isinstance(c, LTChar)
            ]
            if glyphs:
                out.append(Fragment(item.y0, item.y1, glyphs))
        elif isinstance(item, LTChar):  # a character no line took
            out.append(
                Fragment(item.y0, item.y1, [Glyph(item.get_text(), item.x0, item.x1, item.size)])
            )
        elif isinstance(item, LTContainer):
            stack.extend(item)
    return out


def extract_pages_text(path: str) -> tuple[list[str], bool]:
    """The text of each page, and whether the document is encrypted."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    laparams = LAParams(
        line_overlap=LINE_OVERLAP,
        char_margin=2.0,
        boxes_flow=None,  # no text-box ordering: lines are ordered here
        detect_vertical=False,
        all_texts=True,  # text inside form XObjects too
    )
    pages = []
    with open(path, "rb") as f:
        document = PDFDocument(PDFParser(f), password="")
        resources = PDFResourceManager()
        device = PDFPageAggregator(resources, laparams=laparams)
        interpreter = PDFPageInterpreter(resources, device)
        for page in PDFPage.create_pages(document):
            interpreter.process_page(page)
            text = page_text(merge_rows(_fragments(device.get_result(), [])))
            # a broken ToUnicode map can yield lone surrogates, which JSON can't carry
            pages.append(text.encode("utf-8", "replace").decode("utf-8"))
    return pages, document.encryption is not None


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    name = type(exc).__name__
    return (f"{name}: {msg}" if msg else name)[:160]


def _set_limits(cpu_seconds: int, memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # not on POSIX: only the parent's wall-clock limit applies
        return
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def run(path: str) -> dict:
    """Extract ``path``; failures become ``{"ok": False, ...}``, never a traceback."""
    try:
        from pdfminer.pdfdocument import PDFEncryptionError
        from pdfminer.psexceptions import PSEOF
    except MemoryError:
        return {"ok": False, "error": "memory", "detail": "MemoryError"}
    except ImportError as e:
        # under the address-space limit a shared library may fail to map
        if "map" in str(e) or "allocate memory" in str(e):
            return {"ok": False, "error": "memory", "detail": _one_line(e)}
        return {"ok": False, "error": "internal", "detail": _one_line(e)}
    try:
        pages, encrypted = extract_pages_text(path)
        return {"ok": True, "pages": pages, "encrypted": encrypted}
    except PDFEncryptionError as e:
        return {"ok": False, "error": "encrypted", "detail": _one_line(e)}
    except MemoryError:
        return {"ok": False, "error": "memory", "detail": "MemoryError"}
    except PSEOF:
        return {"ok": False, "error": "damaged", "detail": "unexpected end of file"}
    except RecursionError:
        return {"ok": False, "error": "damaged", "detail": "objects nested too deeply"}
    except Exception as e:  # pdfminer also raises TypeError, struct.error, KeyError...
        return {"ok": False, "error": "damaged", "detail": _one_line(e)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Extract the text of one PDF as JSON.")
    parser.add_argument("path")
    parser.add_argument("--cpu", type=int, default=0, help="CPU-time limit in seconds")
    parser.add_argument("--memory", type=int, default=0, help="address-space limit in bytes")
    args = parser.parse_args(argv)
    _set_limits(args.cpu, args.memory)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    result = run(args.path)
    try:
        out = json.dumps(result, ensure_ascii=False)
    except MemoryError:
        out = json.dumps({"ok": False, "error": "memory", "detail": "MemoryError"})
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
