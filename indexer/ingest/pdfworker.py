"""Child process that runs pdfminer.six on one PDF (see :mod:`indexer.ingest.pdf`).

Run as ``python -I pdfworker.py PATH --cpu SECONDS --memory BYTES``. It sets
its own limits before pdfminer reads a byte — processor time (a profiling
timer that ends it with SIGPROF, RLIMIT_CPU a second later as a backstop) and
address space — then prints one JSON object on stdout::

    {"ok": true, "pages": ["text of page 1", ...], "layout": [page, ...],
     "images": 0, "encrypted": false, "source": "pdfminer"}
    {"ok": false, "error": "encrypted" | "damaged" | "memory" | "nopages" | "internal",
     "detail": "..."}

Each ``layout`` page is ``{"width", "height", "lines", "rules"}``: its visual
lines top to bottom as ``[text, x0, x1, y0, y1, size, bold, spans]`` (PDF
points, y upwards; ``bold`` when the font's name says so or the glyphs are
drawn twice; ``spans`` the runs separated by gaps wider than a character, as
``[x0, x1, text]``, when there are several) and its horizontal rules as
``[x0, x1, y]``. ``images`` counts the pages that show an image;
``image_pixels`` gives, for each page, the size in pixels of the largest
image it shows (0 for none), so that the parent can tell a scanned page and
refuse a huge image before anything renders it.

It imports nothing from the ``indexer`` package (only the standard library,
pdfminer and, as a fallback, pypdfium2), so it starts fast and can be run as a
plain script. When pdfminer's walk of the page tree finds no page (a broken
cross-reference table), PDFium is asked for the pages and their text
(``"source": "pdfium"``, without layout); ``nopages`` when it finds none either.

The document is opened with the empty password, so a copy-protected PDF
(owner password only) is read like any other; one that needs a user password
is reported as ``encrypted``, and ``"encrypted": true`` tells the parent that
unreadable text may be due to the protection.

Legacy Chinese fonts (小标宋, 仿宋_GB2312 exported by old Word/WPS) are often
simple TrueType fonts without a font program or ToUnicode map, WinAnsi-encoded,
whose codes are really GBK: such a font (:func:`legacy_gbk`) is read two bytes
a character as GBK, the way pdf.js reads it with the GBK-EUC-H CMap.

Lines: pdfminer groups characters into line fragments; fragments that
overlap vertically are merged into one visual line and read left to right,
lines top to bottom (columns and table cells are told apart later, from the
line's runs, by :mod:`indexer.ingest.pdflayout`). A glyph drawn twice at the
same place (simulated bold) counts once. Spaces are decided here from the glyph
gaps, not by pdfminer: never between two CJK characters (only a gap wider
than a full character, such as a tab stop, gives a space there), and never
for a uniform letter-spacing (distributed alignment, justified text). Where
a page has extra vertical white space (more than 1.7 line pitches) an empty
line is kept in the page's text. Nothing else is changed: running headers,
page numbers and indents stay for the normalize stage to deal with.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import re
import sys
import zlib
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
#: Gap (in ems, beyond the usual spacing) that splits a line into runs (cells, columns).
SPAN_GAP = 1.0
LATIN_SPAN_GAP = 1.5
#: A drawn line or box edge at most this thick (points) and this long is a rule.
RULE_THICKNESS = 2.0
RULE_LENGTH = 20.0


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
    bold: bool = False


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
    """Drop glyphs drawn twice at (almost) the same place: simulated bold (kept as bold)."""
    out: list[Glyph] = []
    for g in glyphs:
        if out and out[-1].text == g.text and abs(out[-1].x0 - g.x0) < 0.3 * g.size:
            out[-1].bold = True
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


def row_spans(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """The runs of a visual line separated by wide gaps: table cells, columns, tab stops
    (more than :data:`SPAN_GAP` ems beyond the usual spacing; :data:`LATIN_SPAN_GAP`
    between two Latin characters, whose justified word spaces can be wide)."""
    ink = [g for g in glyphs if not g.text.isspace()]
    if not ink:
        return []
    pairs = list(zip(ink, ink[1:], strict=False))
    spacing = max(median(b.x0 - a.x1 for a, b in pairs), 0.0) if pairs else 0.0
    runs = [[ink[0]]]
    for a, b in pairs:
        em = max(a.size, b.size, 1.0)
        latin = a.text[-1:].isascii() and b.text[:1].isascii()
        if (b.x0 - a.x1 - spacing) / em > (LATIN_SPAN_GAP if latin else SPAN_GAP):
            runs.append([])
        runs[-1].append(b)
    return runs


def line_record(row: Fragment) -> list:
    """One visual line for the parent: ``[text, x0, x1, y0, y1, size, bold, spans]``,
    ``spans`` as ``[[x0, x1, text], ...]`` when the line has several runs."""
    ink = [g for g in row.glyphs if not g.text.isspace()] or row.glyphs
    sizes = sorted(g.size for g in ink)
    bold = sum(g.bold for g in ink) >= 0.8 * len(ink)
    runs = row_spans(row.glyphs)
    spans = [[_r(r[0].x0), _r(r[-1].x1), row_text(r)] for r in runs] if len(runs) > 1 else []
    return [
        _clean(row_text(row.glyphs)),
        _r(ink[0].x0),
        _r(ink[-1].x1),
        _r(row.y0),
        _r(row.y1),
        _r(sizes[len(sizes) // 2]),
        bold,
        [[a, b, _clean(t)] for a, b, t in spans],
    ]


def _r(x: float) -> float:
    return round(float(x), 2)


def _clean(text: str) -> str:
    # a broken ToUnicode map can yield lone surrogates, which JSON can't carry
    return text.encode("utf-8", "replace").decode("utf-8")


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


_BOLD = re.compile(r"bold|black|heavy|demi|semibold", re.I)


@dataclass
class PageItems:
    """What one laid-out page holds: text fragments, horizontal rules, whether images and
    the pixels of the largest."""

    fragments: list[Fragment]
    rules: list[list[float]]
    images: bool = False
    image_pixels: int = 0


def page_items(container) -> PageItems:
    """Collect the text lines of a laid-out page (figures included), its horizontal
    rules (thin lines and box edges) and whether it shows an image."""
    from pdfminer.layout import LTChar, LTContainer, LTCurve, LTImage, LTTextLineHorizontal

    out = PageItems([], [])
    stack = [container]
    while stack:
        item = stack.pop()
        if isinstance(item, LTTextLineHorizontal):
            glyphs = [_glyph(c) for c in item if isinstance(c, LTChar)]
            if glyphs:
                out.fragments.append(Fragment(item.y0, item.y1, glyphs))
        elif isinstance(item, LTChar):  # a character no line took
            out.fragments.append(Fragment(item.y0, item.y1, [_glyph(item)]))
        elif isinstance(item, LTImage):
            out.images = True
            out.image_pixels = max(out.image_pixels, _pixels(item))
        elif isinstance(item, LTCurve):  # lines and rectangles too
            if item.x1 - item.x0 >= RULE_LENGTH and item.y1 - item.y0 <= RULE_THICKNESS:
                out.rules.append([_r(item.x0), _r(item.x1), _r((item.y0 + item.y1) / 2)])
        elif isinstance(item, LTContainer):
            stack.extend(item)
    return out


def _pixels(image) -> int:
    """Width × height an image declares (0 when it does not say)."""
    try:
        w, h = image.srcsize
        return max(int(w), 0) * max(int(h), 0)
    except (TypeError, ValueError):
        return 0


def _glyph(c) -> Glyph:
    return Glyph(c.get_text(), c.x0, c.x1, c.size, bool(_BOLD.search(str(c.fontname))))


def _font_name(spec) -> str:
    """A font's BaseFont as text; legacy Chinese fonts write it in GBK bytes."""
    name = getattr(spec.get("BaseFont"), "name", "")
    if isinstance(name, bytes):
        try:
            return name.decode("gbk")
        except UnicodeDecodeError:
            return name.decode("latin-1")
    return str(name)


#: Chinese font families, as Windows names them, whose legacy simple-font exports
#: carry GBK codes (the GBK name of such a font is recognised by its CJK characters)
_CHINESE_FONT = re.compile(
    r"(?:^|\+)(?:N?SimSun|SimHei|FangSong|KaiTi|ST(?:Song|Fangsong|Kaiti|Heiti|Zhongsong)|"
    r"FZ\w+|Microsoft\s*YaHei|DengXian|SimLi|SimYou|LiSu|YouYuan)",
    re.I,
)


def legacy_gbk(spec) -> bool:
    """True for a simple font whose codes are GBK behind WinAnsi: a TrueType or Type 1
    font without a font program or ToUnicode map, WinAnsi-encoded (or not at all), whose
    name is a Chinese font's — as pdf.js reads such fonts with the GBK-EUC-H CMap."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import literal_name

    if literal_name(spec.get("Subtype")) not in ("TrueType", "Type1") or "ToUnicode" in spec:
        return False
    encoding = resolve1(spec.get("Encoding"))
    if encoding is not None and literal_name(encoding) != "WinAnsiEncoding":
        return False
    descriptor = resolve1(spec.get("FontDescriptor")) or {}
    if not isinstance(descriptor, dict) or any(
        k in descriptor for k in ("FontFile", "FontFile2", "FontFile3")
    ):
        return False
    name = _font_name(spec)
    return any(is_cjk(ch) for ch in name) or _CHINESE_FONT.search(name) is not None


class GBKFont:
    """A legacy simple font read as GBK: two-byte codes (lead byte 0x81–0xFE) are one
    full-width character; single bytes keep the font's own (WinAnsi) meaning."""

    def __init__(self, base) -> None:
        self._base = base

    def __getattr__(self, name: str):
        return getattr(self._base, name)

    def decode(self, data: bytes) -> list[int]:
        codes, i = [], 0
        while i < len(data):
            lead = data[i]
            if 0x81 <= lead <= 0xFE and i + 1 < len(data) and 0x40 <= data[i + 1] <= 0xFE:
                codes.append(0x10000 | lead << 8 | data[i + 1])
                i += 2
            else:
                codes.append(lead)
                i += 1
        return codes

    def to_unichr(self, cid: int) -> str:
        if cid >= 0x10000:
            return bytes(((cid >> 8) & 0xFF, cid & 0xFF)).decode("gbk", "replace")
        return self._base.to_unichr(cid)

    def char_width(self, cid: int) -> float:
        return 1.0 if cid >= 0x10000 else self._base.char_width(cid)

    def char_disp(self, cid: int):
        return 0 if cid >= 0x10000 else self._base.char_disp(cid)


def _resource_manager():
    """pdfminer's resource manager, reading legacy GBK fonts as :class:`GBKFont`."""
    from pdfminer.pdfinterp import PDFResourceManager

    class Resources(PDFResourceManager):
        def get_font(self, objid, spec):
            font = super().get_font(objid, spec)
            try:
                legacy = legacy_gbk(spec)
            except Exception:  # a malformed font dictionary: read it as pdfminer does
                legacy = False
            return GBKFont(font) if legacy else font

    return Resources()


def extract_pages(path: str) -> dict:
    """Each page's text and layout (lines, rules), whether the document is encrypted and,
    when pdfminer finds no page, what PDFium finds."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    laparams = LAParams(
        line_overlap=LINE_OVERLAP,
        char_margin=2.0,
        boxes_flow=None,  # no text-box ordering: lines are ordered here
        detect_vertical=False,
        all_texts=True,  # text inside form XObjects too
    )
    pages, layout, images, pixels = [], [], 0, []
    with open(path, "rb") as f:
        document = PDFDocument(PDFParser(f), password="")
        resources = _resource_manager()
        device = PDFPageAggregator(resources, laparams=laparams)
        interpreter = PDFPageInterpreter(resources, device)
        for page in PDFPage.create_pages(document):
            interpreter.process_page(page)
            result = device.get_result()
            items = page_items(result)
            rows = merge_rows(items.fragments)
            pages.append(_clean(page_text(rows)))
            layout.append(
                {
                    "width": _r(result.width),
                    "height": _r(result.height),
                    "lines": [line_record(r) for r in rows if r.glyphs],
                    "rules": items.rules,
                }
            )
            images += items.images
            pixels.append(max(items.image_pixels, 1) if items.images else 0)
    out = {"pages": pages, "layout": layout, "images": images, "source": "pdfminer"}
    out["image_pixels"] = pixels
    out["encrypted"] = document.encryption is not None
    if not pages:
        out.update(pdfium_pages(path))
    return out


def pdfium_pages(path: str) -> dict:
    """The text of each page as PDFium reads it (pypdfium2): the fallback when pdfminer's
    walk of the page tree finds no page. ``{"pdfium": None}`` without pypdfium2."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return {"pdfium": None}
    doc = pdfium.PdfDocument(path)
    try:
        count, pages = len(doc), []
        for i in range(count):
            try:
                text = doc[i].get_textpage().get_text_range()
            except Exception:  # a page PDFium counts but cannot load
                continue
            pages.append(_clean("\n".join(text.replace("\r\n", "\n").split("\n"))))
    finally:
        doc.close()
    return {"pages": pages, "layout": [], "source": "pdfium", "pdfium": count}


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    name = type(exc).__name__
    return (f"{name}: {msg}" if msg else name)[:160]


def _set_limits(cpu_seconds: float, memory_bytes: int) -> None:
    """Processor time (a profiling timer, ended by SIGPROF, to the fraction of a second;
    RLIMIT_CPU one second later as a backstop, SIGXCPU) and address space."""
    try:
        import resource
        import signal
    except ImportError:  # not on POSIX: only the parent's wall-clock limit applies
        return
    if cpu_seconds > 0:
        whole = math.ceil(cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (whole, whole + 1))
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def out_of_memory(e: BaseException) -> bool:
    """``e`` is how a failed allocation under the address-space limit shows itself.

    Not always MemoryError: zlib says ``Error -4`` (Z_MEM_ERROR), opening or mapping
    a file gives ENOMEM, a shared library fails to map, and a C extension that
    does not check its allocation leaves SystemError ("error return without
    exception set") — all seen while importing or reading under the limit.
    """
    if isinstance(e, (MemoryError, SystemError)):
        return True
    if isinstance(e, OSError) and e.errno == errno.ENOMEM:
        return True
    if isinstance(e, zlib.error):
        return str(e).startswith("Error -4 ")
    if isinstance(e, ImportError):
        return "map" in str(e) or "allocate memory" in str(e)
    return False


def run(path: str) -> dict:
    """Extract ``path``; failures become ``{"ok": False, ...}``, never a traceback."""
    try:
        from pdfminer.pdfdocument import PDFEncryptionError
        from pdfminer.psexceptions import PSEOF
    except Exception as e:
        if out_of_memory(e):
            return {"ok": False, "error": "memory", "detail": _one_line(e)}
        return {"ok": False, "error": "internal", "detail": _one_line(e)}
    try:
        result = extract_pages(path)
        if not result["pages"]:
            found = result.get("pdfium")
            if found is None:
                detail = "pdfminer finds no page; pypdfium2 is not installed to look again"
            elif found:
                detail = f"pdfminer finds no page; PDFium counts {found} but can load none"
            else:
                detail = "pdfminer and PDFium find no page"
            return {"ok": False, "error": "nopages", "detail": detail}
        return {"ok": True, **result}
    except PDFEncryptionError as e:
        return {"ok": False, "error": "encrypted", "detail": _one_line(e)}
    except PSEOF:
        return {"ok": False, "error": "damaged", "detail": "unexpected end of file"}
    except RecursionError:
        return {"ok": False, "error": "damaged", "detail": "objects nested too deeply"}
    except Exception as e:  # pdfminer also raises TypeError, struct.error, KeyError...
        kind = "memory" if out_of_memory(e) else "damaged"
        return {"ok": False, "error": kind, "detail": _one_line(e)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Extract the text of one PDF as JSON.")
    parser.add_argument("path")
    parser.add_argument("--cpu", type=float, default=0, help="processor-time limit in seconds")
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
