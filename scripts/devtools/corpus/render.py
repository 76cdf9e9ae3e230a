"""Rendering a composed report as a text file, a Word document or a PDF.

Text files carry the furniture real ones do (wrapped lines, page breaks inside
sentences, page numbers, spaces around digits, Markdown residue); PDFs are
laid out by :mod:`devtools.pdfgen`.
"""

from __future__ import annotations

import html
import io
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .compose import Block
from .pool import CJK


@dataclass
class Layout:
    """How a text file is laid out: the furniture of converted or hand-made files."""

    blank: bool  # blank line between paragraphs
    indent: bool  # paragraphs start with two U+3000
    spaced: bool  # spaces between digits and Chinese ("2023 年度")
    markdown: bool  # "#"/"##" headings and ** residue
    wrap: int  # 0, or characters per line of a converted PDF
    page_breaks: bool  # blank lines in the middle of sentences (page breaks)
    crlf: bool
    bom: bool

    @classmethod
    def pick(cls, rng: random.Random) -> Layout:
        wrap = rng.randint(24, 40) if rng.random() < 0.15 else 0
        return cls(
            blank=rng.random() < 0.6,
            indent=rng.random() < 0.3,
            spaced=rng.random() < 0.2,
            markdown=rng.random() < 0.15,
            wrap=wrap,
            page_breaks=not wrap and rng.random() < 0.35,
            crlf=rng.random() < 0.1,
            bom=rng.random() < 0.05,
        )


_DIGIT_CJK = re.compile(rf"(?<=\d)(?=[{CJK}])|(?<=[{CJK}])(?=\d)")


def plain_text(blocks: list[Block]) -> str:
    """The report as clean text, one block per line (for PDF and as the reference)."""
    return "\n".join(b.text.replace("**", "") for b in blocks) + "\n"


def render_txt(blocks: list[Block], layout: Layout, rng: random.Random) -> bytes:
    lines: list[str] = []
    for b in blocks:
        text = b.text if layout.markdown else b.text.replace("**", "")
        if layout.spaced and b.kind in ("title", "h1", "p"):
            text = _DIGIT_CJK.sub(" ", text)
        if layout.markdown and b.kind in ("title", "h1"):
            text = ("# " if b.kind == "title" else "## ") + text
        if b.kind == "p":
            lines.extend(_paragraph_lines(text, layout, rng))
        else:
            lines.append(text)
        if layout.blank or b.kind == "title":
            lines.append("")
    if layout.wrap:
        lines = _paginate(lines, rng)
    text = "\n".join(lines) + "\n"
    if layout.crlf:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if layout.bom else "").encode() + text.encode("utf-8")


def _paragraph_lines(text: str, layout: Layout, rng: random.Random) -> list[str]:
    if layout.indent or layout.wrap:
        text = "\u3000\u3000" + text
    if layout.wrap:
        return [text[i : i + layout.wrap] for i in range(0, len(text), layout.wrap)]
    if layout.page_breaks and len(text) > 300 and rng.random() < 0.4:
        cut = _mid_sentence_cut(text, rng)
        if cut:
            return [text[:cut], "", text[cut:]]
    return [text]


def _mid_sentence_cut(text: str, rng: random.Random) -> int | None:
    """A position between two Chinese characters, away from the ends (or None)."""
    for _ in range(8):
        i = rng.randrange(60, len(text) - 60)
        if _is_cjk(text[i - 1]) and _is_cjk(text[i]):
            return i
    return None


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _paginate(lines: list[str], rng: random.Random) -> list[str]:
    """Insert page numbers every ~22 lines, as text copied out of a PDF has them."""
    per_page = rng.randint(20, 24)
    out: list[str] = []
    for i, line in enumerate(lines, 1):
        out.append(line)
        if i % per_page == 0:
            out.extend(["", f"— {i // per_page} —", ""])
    return out


#: a page header that Word repeats on every page (furniture, not report text)
DOCX_HEADER = "依法行政年度报告（公开文本）"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/word/header1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_R}/officeDocument" '
        'Target="word/document.xml"/></Relationships>'
    ),
    "word/_rels/document.xml.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_R}/header" '
        'Target="header1.xml"/></Relationships>'
    ),
}


def _w_paragraph(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r></w:p>'


def docx_bytes(paragraphs: Sequence[str]) -> bytes:
    """A minimal Word document (one paragraph per item, a page header), byte-stable."""
    body = "".join(_w_paragraph(p) for p in paragraphs)
    parts = dict(_DOCX_PARTS)
    parts["word/document.xml"] = (
        f'<w:document xmlns:w="{_W}" xmlns:r="{_R}"><w:body>{body}<w:sectPr>'
        '<w:headerReference w:type="default" r:id="rId1"/></w:sectPr></w:body></w:document>'
    )
    parts["word/header1.xml"] = f'<w:hdr xmlns:w="{_W}">{_w_paragraph(DOCX_HEADER)}</w:hdr>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
    return buf.getvalue()


def write_docx(blocks: list[Block], path: Path) -> None:
    path.write_bytes(docx_bytes([b.text.replace("**", "") for b in blocks]))


def write_pdf(blocks: list[Block], path: Path) -> None:
    """An official-style PDF, laid out by the project's renderer (:mod:`devtools.pdfgen`)."""
    from ..pdfgen import render_report_pdf

    render_report_pdf(plain_text(blocks), path)
