"""OFD (GB/T 33190, the national format of official e-documents): text with its pages
and reading order, read from the package's XML.

An ``.ofd`` is a zip: ``OFD.xml`` names each document's root (``DocBody/DocRoot``),
whose ``Document.xml`` lists the pages in order (``Pages/Page/@BaseLoc``), each a
``Content.xml`` of text objects positioned in millimetres (``TextObject/@Boundary``,
its ``TextCode`` elements with ``X``, ``Y`` and ``DeltaX`` glyph advances). Template
pages a page refers to (``Template/@TemplateID``) are read with it. Each text code
becomes a positioned piece of text, and :mod:`.boxlines` builds the printed lines,
so paragraphs, headings, page furniture and tables are rebuilt by
:mod:`.pdflayout` as for a PDF. Seals and signatures are images or signature
files: they never become text.

The package is read by :mod:`.zipread` within the caps of :mod:`.limits`
(:data:`~.limits.MAX_OFD_BYTES`, :data:`~.limits.MAX_OFD_UNPACKED_BYTES`,
:data:`~.limits.MAX_OFD_XML_BYTES`): only the XML parts are inflated, in chunks,
never past their declared size. The XML is parsed without DTDs or entities
(``xml.etree`` refuses external entities; an entity declaration is refused).
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import ExtractionError
from ..model import Extracted, PageLayout
from . import boxlines, limits, zipread

MM = 72 / 25.4  # points per millimetre
_BAD = "open it in the OFD reader it came with and export it again, or print it to PDF"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el, name: str):
    return [c for c in el if _local(c.tag) == name]


def _find_all(el, name: str):
    return [c for c in el.iter() if _local(c.tag) == name]


def _parse(path: Path, parts: dict[str, bytes], name: str):
    data = parts.get(name)
    if data is None:
        raise ExtractionError(path, f"not a valid .ofd file (no {name})", hint=_BAD)
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise ExtractionError(
            path, f"not a valid .ofd file ({name} declares a DTD or entities)", hint=_BAD
        )
    try:
        return ET.fromstring(data)
    except ET.ParseError as e:
        raise ExtractionError(
            path, f"not a valid .ofd file ({name}: {limits.one_line(e)})", hint=_BAD
        ) from e


def _resolve(base_dir: str, loc: str) -> str:
    loc = loc.strip().replace("\\", "/")
    if loc.startswith("/"):
        return posixpath.normpath(loc.lstrip("/"))
    return posixpath.normpath(posixpath.join(base_dir, loc))


def _numbers(value: str | None) -> list[float]:
    out = []
    for tok in (value or "").split():
        try:
            out.append(float(tok))
        except ValueError:
            continue
    return out


def deltas(value: str | None) -> list[float]:
    """A ``DeltaX`` list, with its ``g N d`` shorthand (``N`` advances of ``d``) expanded."""
    toks = (value or "").split()
    out: list[float] = []
    i = 0
    while i < len(toks):
        if toks[i] == "g" and i + 2 < len(toks):
            try:
                out += [float(toks[i + 2])] * min(int(float(toks[i + 1])), 100_000)
            except ValueError:
                pass
            i += 3
            continue
        try:
            out.append(float(toks[i]))
        except ValueError:
            pass
        i += 1
    return out


def _page_size(el, default: tuple[float, float]) -> tuple[float, float]:
    for area in _find_all(el, "PhysicalBox"):
        box = _numbers(area.text)
        if len(box) == 4 and box[2] > 0 and box[3] > 0:
            return box[2], box[3]
    return default


def _pieces(page, height: float) -> list[tuple]:
    """The page's text codes as pieces ``(text, x0, x1, y0, y1, 1.0)`` in points, y up."""
    out = []
    for obj in _find_all(page, "TextObject"):
        box = _numbers(obj.get("Boundary"))
        if len(box) < 2:
            continue
        bx, by = box[0], box[1]
        size = (_numbers(obj.get("Size")) or [3.5])[0]
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            if not text.strip():
                continue
            x = (_numbers(code.get("X")) or [0.0])[0]
            y = (_numbers(code.get("Y")) or [size])[0]
            advance = sum(deltas(code.get("DeltaX"))[: max(len(text) - 1, 0)])
            x0 = bx + x
            x1 = x0 + advance + size * (0.5 if text[-1].isascii() else 1.0)
            base = by + y  # the baseline, from the top
            out.append(
                (text, x0 * MM, x1 * MM, (height - base - 0.2 * size) * MM,
                 (height - base + 0.8 * size) * MM, 1.0)
            )  # fmt: skip
    return out


def extract_ofd(path: Path) -> Extracted:
    limits.checked_size(path, limits.MAX_OFD_BYTES)
    parts, _ = zipread.read_parts(
        path,
        lambda name: name.lower().endswith(".xml"),
        unpacked_limit=limits.MAX_OFD_UNPACKED_BYTES,
        read_limit=limits.MAX_OFD_XML_BYTES,
        what=".ofd",
        hint=_BAD,
    )
    root = _parse(path, parts, "OFD.xml")
    pages: list[str] = []
    layout: list[PageLayout] = []
    for body in _find_all(root, "DocBody"):
        doc_root = next((c.text for c in _children(body, "DocRoot") if c.text), None)
        if not doc_root:
            continue
        doc_name = _resolve("", doc_root)
        doc = _parse(path, parts, doc_name)
        doc_dir = posixpath.dirname(doc_name)
        default = _page_size(doc, (210.0, 297.0))
        templates = {
            t.get("ID"): _resolve(doc_dir, t.get("BaseLoc", ""))
            for t in _find_all(doc, "TemplatePage")
        }
        for entry in _find_all(doc, "Page"):
            if not entry.get("BaseLoc"):
                continue
            page = _parse(path, parts, _resolve(doc_dir, entry.get("BaseLoc")))
            width, height = _page_size(page, default)
            pieces = _pieces(page, height)
            for ref in _find_all(page, "Template"):
                name = templates.get(ref.get("TemplateID"))
                if name and name in parts:
                    pieces += _pieces(_parse(path, parts, name), height)
            lines = boxlines.page_layout(pieces, width * MM, height * MM)
            layout.append(lines)
            pages.append("\n".join(ln.text for ln in lines.lines))
    if not pages:
        raise ExtractionError(path, "not a valid .ofd file (no pages)", hint=_BAD)
    text = "\f".join(pages)
    if not re.search(r"\w", text):
        raise ExtractionError(
            path,
            f"OFD has no text ({len(pages)} page{'s' if len(pages) != 1 else ''}: images only)",
            hint="a scanned OFD: print it to PDF to have it read with OCR",
        )
    return Extracted(text=text, kind="ofd", pages=tuple(pages), layout=tuple(layout))
